// What the Composition editor knows about the function's input: field
// completion and hover help from the input CRD's OpenAPI schema (read at
// build time from package/input/, see scripts/input-schema.mjs), and key
// names where a field names a key the input produces. Only inside the step
// that runs this function (function-input.js).

import { yamlLanguage } from '@codemirror/lang-yaml';
import { hoverTooltip } from '@codemirror/view';

import { compositionRoot, inputPathOf } from './function-input.js';
import { contextAt, parser, pathOf, scalarAt } from './yaml-tree.js';

/**
 * Fields whose values are key names the input produces, by path pattern
 * (`[]` is any item). What a field refers to is not in the schema, so this
 * list says it; the schema says everything else.
 */
const KEY_NAME_FIELDS = ['connectionSecretKeys[]', 'readiness.requiredKeys[]', 'secrets[].key', 'configMaps[].key', 'pushSecrets[].keys[]'];

/** The schema node at a path (numbers are items), or null. */
function schemaAt(schema, segments) {
  let node = schema;
  for (const segment of segments) {
    if (!node) return null;
    if (typeof segment === 'number') node = node.items ?? null;
    else node = node.properties?.[segment] ?? (typeof node.additionalProperties === 'object' ? node.additionalProperties : null);
  }
  return node ?? null;
}

/** A short type: `string`, `Auto | Composite | Secret`, `list of string`, `object`. */
function typeOf(node) {
  if (!node) return '';
  if (node.enum) return node.enum.join(' | ');
  if (node.type === 'array') return `list of ${typeOf(node.items) || 'anything'}`;
  return node.type ?? (node['x-kubernetes-preserve-unknown-fields'] ? 'anything' : '');
}

function pattern(segments) {
  return segments.map((segment, i) => (typeof segment === 'number' ? '[]' : i === 0 ? segment : `.${segment}`)).join('').replace(/\.\[\]/g, '[]');
}

function takesKeyName(segments) {
  return KEY_NAME_FIELDS.includes(pattern(segments));
}

/**
 * Completions at `pos` of a Composition text: {from, to, options} or null.
 * `keys` are [{name, detail}] the input produces.
 */
export function completionsAt(text, pos, { schema, functionName, keys }) {
  const context = contextAt(text, pos);
  if (!context) return null;
  const root = compositionRoot(context.tree, context.probe);
  if (!root) return null;
  const segments = inputPathOf(context.segments, root, context.probe, functionName);
  if (!segments) return null;
  const range = { from: context.from, to: context.to };
  const keyOptions = () => keys.map(({ name, detail }) => ({ label: name, type: 'variable', detail }));

  if (context.role === 'value' && segments.at(-1) === 'template') {
    const before = text.slice(text.lastIndexOf('\n', context.from - 1) + 1, context.from);
    return /keys\s*\[\s*['"]$/.test(before) ? { ...range, options: keyOptions() } : null;
  }
  const node = schemaAt(schema.schema, segments);
  if (context.role === 'key' || (context.role === 'item' && node?.type === 'object')) {
    if (!node?.properties) return null;
    const present = new Set(siblingKeys(context));
    const options = Object.entries(node.properties)
      .filter(([name]) => !present.has(name))
      .map(([name, field]) => ({
        label: name,
        type: 'property',
        detail: typeOf(field),
        info: field.description,
        apply: `${name}: `,
      }));
    return { ...range, options };
  }
  if (takesKeyName(segments)) return { ...range, options: keyOptions() };
  if (node?.enum) return { ...range, options: node.enum.map((value) => ({ label: value, type: 'enum', info: node.description })) };
  return null;
}

/** The keys already in the mapping the cursor's key would join (so they are not offered twice). */
function siblingKeys(context) {
  const node = scalarAt(context.tree, context.from + 1);
  const pair = context.role === 'key' ? node?.parent?.parent : null;
  const mapping = pair?.parent ?? null;
  const keys = [];
  if (!mapping) return keys;
  for (let child = mapping.firstChild; child; child = child.nextSibling) {
    if (child.name !== 'Pair' || child.from === pair.from) continue;
    const key = child.getChild('Key');
    if (key) keys.push(context.probe.slice(key.from, key.to).trim());
  }
  return keys;
}

/** Hover help at `pos` of a Composition text: {from, to, field, type, description} or null. */
export function describeAt(text, pos, { schema, functionName }) {
  const tree = parser.parse(text);
  const node = scalarAt(tree, pos);
  if (!node) return null;
  const place = pathOf(node, text);
  if (!place || place.role !== 'key') return null;
  const root = compositionRoot(tree, text);
  const segments = root && inputPathOf(place.segments, root, text, functionName);
  if (!segments) return null;
  const field = schemaAt(schema.schema, segments);
  if (!field) return null;
  const name = segments.length === 0 ? `${schema.kind} (${schema.apiVersion})` : String(segments.at(-1));
  return { from: node.from, to: node.to, field: name, type: typeOf(field), description: field.description ?? '' };
}

/**
 * The CodeMirror extensions: a completion source (as the YAML language's
 * data, where the editors' autocompletion looks) and a hover tooltip.
 * `options()` gives the current {schema, functionName, keys}.
 */
export function inputAssistance(options) {
  const source = (context) => {
    const found = completionsAt(context.state.doc.toString(), context.pos, options());
    if (!found || found.options.length === 0) return null;
    if (!context.explicit && found.from === found.to && !/[-\s'"[]$/.test(context.state.sliceDoc(found.from - 1, found.from))) return null;
    return { from: found.from, to: found.to, options: found.options, validFor: /^[\w.-]*$/ };
  };
  const hover = hoverTooltip((view, pos) => {
    const help = describeAt(view.state.doc.toString(), pos, options());
    if (!help) return null;
    return {
      pos: help.from,
      end: help.to,
      above: true,
      create() {
        const dom = document.createElement('div');
        dom.className = 'field-help';
        dom.setAttribute('role', 'tooltip');
        const title = document.createElement('strong');
        title.textContent = help.field;
        const type = document.createElement('code');
        type.textContent = help.type;
        const description = document.createElement('p');
        description.textContent = help.description || 'No description in the input schema.';
        dom.append(title, ' ', type, description);
        return { dom };
      },
    };
  });
  return [yamlLanguage.data.of({ autocomplete: source }), hover];
}
