// Where this function's input is in a Composition's text, the way render
// finds it (src/render/composition.rs): the `input` of the one pipeline
// step whose functionRef names the function, or, for a legacy Composition,
// `spec.resources[].connectionDetails`, which render reads as the input's
// `resources[].connectionDetails` entry for entry.

import { documents, get, items, lookup, scalarValue } from './yaml-tree.js';

/** What render calls the function when --function-name is not given. */
const DEFAULT_FUNCTION_NAME = 'function-connection-details';

/** The Composition document's root mapping: the first document whose kind is Composition, else the first. */
export function compositionRoot(tree, text) {
  const all = documents(tree).filter((entry) => entry.root);
  return (all.find((entry) => scalarValue(get(entry.root, 'kind', text), text) === 'Composition') ?? all[0])?.root ?? null;
}

/**
 * The function's place in the Composition: {kind: 'pipeline', index, step,
 * input} or {kind: 'legacy'}, or null when no step uses the function.
 * `stepName`, when given, picks that step (results name theirs).
 */
export function functionStep(root, text, functionName = DEFAULT_FUNCTION_NAME, stepName) {
  const spec = get(root, 'spec', text);
  const pipeline = get(spec, 'pipeline', text);
  if (pipeline) {
    const name = functionName || DEFAULT_FUNCTION_NAME;
    const ours = items(pipeline)
      .map((item, index) => ({ index, mapping: item.value }))
      .filter(({ mapping }) => scalarValue(get(get(mapping, 'functionRef', text), 'name', text), text) === name)
      .map(({ index, mapping }) => ({
        kind: 'pipeline',
        index,
        step: scalarValue(get(mapping, 'step', text), text),
        input: get(mapping, 'input', text),
      }));
    return ours.find((step) => stepName === undefined || step.step === stepName) ?? ours[0] ?? null;
  }
  return get(spec, 'resources', text) ? { kind: 'legacy' } : null;
}

/** The path within the input of a Composition field path, or null when it is not in the function's input. */
export function inputPathOf(segments, root, text, functionName) {
  const step = functionStep(root, text, functionName);
  if (!step) return null;
  if (step.kind === 'pipeline') {
    const prefix = ['spec', 'pipeline', step.index, 'input'];
    return startsWith(segments, prefix) ? segments.slice(prefix.length) : null;
  }
  const [spec, resources, index, details] = segments;
  if (spec === 'spec' && resources === 'resources' && typeof index === 'number' && details === 'connectionDetails') {
    return ['resources', ...segments.slice(2)];
  }
  return null;
}

/** The Composition path of a path within the input, or null (a legacy Composition has only connectionDetails). */
function compositionPathOf(inputSegments, step) {
  if (step.kind === 'pipeline') return ['spec', 'pipeline', step.index, 'input', ...inputSegments];
  const [resources, index, details] = inputSegments;
  if (resources === 'resources' && typeof index === 'number' && (details === undefined || details === 'connectionDetails')) {
    return ['spec', 'resources', ...inputSegments.slice(1)];
  }
  return null;
}

function startsWith(segments, prefix) {
  return prefix.every((segment, i) => segments[i] === segment);
}

/**
 * The node of an input field in the Composition text, or of its nearest
 * parent the text has: {node, holder, exact}, or null.
 */
export function locateInputField(root, text, step, inputSegments) {
  for (let length = inputSegments.length; length >= 0; length -= 1) {
    const path = compositionPathOf(inputSegments.slice(0, length), step);
    if (!path) continue;
    const found = lookup(root, path, text);
    if (found && (found.holder || length === 0)) return { ...found, exact: length === inputSegments.length };
  }
  return null;
}

/** The derived keys the input declares, with their templates: [{name, template}]. */
export function derivedKeys(root, text, step) {
  const input = step?.kind === 'pipeline' ? step.input : null;
  return items(get(input, 'derived', text))
    .map(({ value }) => ({
      name: scalarValue(get(value, 'name', text), text),
      template: scalarValue(get(value, 'template', text), text),
    }))
    .filter((entry) => entry.name && typeof entry.template === 'string');
}

/**
 * The key names the input's entries declare, as render names them: an
 * entry's `name`, else the secret key it copies; and every derived key.
 */
export function declaredKeys(root, text, step) {
  if (!step) return [];
  const resourcesPath = step.kind === 'pipeline' ? ['spec', 'pipeline', step.index, 'input', 'resources'] : ['spec', 'resources'];
  const names = [];
  for (const { value: resource } of items(lookup(root, resourcesPath, text)?.node ?? null)) {
    for (const { value: detail } of items(get(resource, 'connectionDetails', text))) {
      const name =
        scalarValue(get(detail, 'name', text), text) ??
        scalarValue(get(detail, 'fromConnectionSecretKey', text), text) ??
        scalarValue(get(get(detail, 'fromSecretKeyRef', text), 'key', text), text);
      if (name) names.push(name);
    }
  }
  for (const { name } of derivedKeys(root, text, step)) names.push(name);
  return [...new Set(names)];
}

/** The keys a template reads: `keys['name']` and plain variables that are key names. */
export function templateReads(template, keyNames) {
  const known = new Set(keyNames);
  const read = new Set();
  for (const [, block] of template.matchAll(/\{[{%]([\s\S]*?)[}%]\}/g)) {
    for (const [, , name] of block.matchAll(/keys\s*\[\s*(['"])(.*?)\1\s*\]/g)) read.add(name);
    // Without string literals, filter names and attribute names, what is
    // left of the block names variables.
    const code = block.replace(/(['"])(?:\\.|(?!\1).)*\1/g, ' ').replace(/\|\s*[A-Za-z_]\w*/g, ' ');
    for (const [, name] of code.matchAll(/(?:^|[^.\w])([A-Za-z_]\w*)/g)) read.add(name);
    for (const [, name] of code.matchAll(/keys\s*\.\s*([A-Za-z_]\w*)/g)) read.add(name);
  }
  return [...read].filter((name) => known.has(name)).sort();
}
