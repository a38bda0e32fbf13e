// Diagnostics from what the component reports, placed where they apply:
// an input error on its editor and line; a result that names a field of
// the function input (`resources[0].connectionDetails[1].name`), or a key
// a list holds (`connectionSecretKeys lists "key2-pass"`), on that field in
// the Composition or XRD. The component decides what is wrong; this module
// only finds where. Pure: texts in, {inputId: [diagnostic]} out.

import { INPUTS } from './request.js';
import { compositionRoot, functionStep, locateInputField } from './function-input.js';
import { documents, firstLineRange, items, lookup, parser, parsePath, scalarValue } from './yaml-tree.js';
import { severityName } from './view.js';

const SEVERITIES = { FATAL: 'error', WARNING: 'warning', NORMAL: 'info' };
const INPUT_ERRORS_PREFIX = /^invalid function input(?: \([^)]*\))?: /;

/**
 * Diagnostics for each editor: `inputError` is a failed render's
 * {file, line, message}; `results` the Result documents of a render;
 * `fields` the input's top-level field names (from its schema), which tell
 * a field path in a message from other words.
 */
export function diagnose({ texts, functionName, inputError, results = [], fields }) {
  const byInput = Object.fromEntries(INPUTS.map((input) => [input.id, []]));
  if (inputError) {
    const input = INPUTS.find((candidate) => candidate.label === inputError.file);
    if (input) byInput[input.id].push(lineDiagnostic(texts[input.id] ?? '', inputError.line ?? 1, 'error', inputError.message));
    return byInput;
  }
  const composition = parsed(texts.composition);
  const xrd = parsed(texts.xrd);
  for (const result of results) {
    const severity = SEVERITIES[severityName(result.severity)] ?? 'info';
    const message = result.message ?? '';
    const xrdKey = /^the XRD's connectionSecretKeys lists "([^"]+)"/.exec(message);
    if (xrdKey && xrd) {
      const place = listItem(xrd.root, ['spec', 'connectionSecretKeys'], xrdKey[1], xrd.text);
      if (place) byInput.xrd.push({ ...place, severity, message });
      continue;
    }
    if (!composition) continue;
    const step = functionStep(composition.root, composition.text, functionName, result.step ?? undefined);
    if (!step) continue;
    // A list of input errors names a field per problem; any other message
    // is about its first field, and later ones are context ("..., which
    // resources[1] key2 produces").
    const mentions = fieldMentions(message, fields);
    for (const mention of INPUT_ERRORS_PREFIX.test(message) ? mentions : mentions.slice(0, 1)) {
      const place = placeOf(composition, step, mention.path, mention.text);
      if (place) byInput.composition.push({ ...place, severity, message: mention.text });
    }
  }
  return byInput;
}

function parsed(text) {
  if (!text || !text.trim()) return null;
  const tree = parser.parse(text);
  return { tree, text, root: compositionRoot(tree, text) ?? documents(tree)[0]?.root ?? null };
}

/** A whole line, by number (1-based, clamped to the text). */
function lineDiagnostic(text, line, severity, message) {
  const lines = text.split('\n');
  const index = Math.min(Math.max(line - 1, 0), Math.max(lines.length - 1, 0));
  const start = lines.slice(0, index).reduce((sum, current) => sum + current.length + 1, 0);
  const content = lines[index] ?? '';
  const indent = content.length - content.trimStart().length;
  return { from: start + (indent < content.length ? indent : 0), to: start + content.length, severity, message };
}

/**
 * The field paths a message names, each with the part of the message about
 * it: an input error list (`path: problem; path: problem`) gives one per
 * problem; any other message one per path it mentions.
 */
function fieldMentions(message, fields) {
  const rest = '(?:\\[[^\\]\\s]+\\]|\\.[A-Za-z][\\w]*)*';
  const list = INPUT_ERRORS_PREFIX.exec(message);
  if (list) {
    // Each problem starts with its path, whose first field may be one the
    // input does not know (a misspelling is what it reports).
    const anyPath = `[A-Za-z_][\\w-]*${rest}`;
    const parts = message.slice(list[0].length).split(new RegExp(`; (?=${anyPath}: )`));
    return parts.flatMap((part) => {
      const match = new RegExp(`^(${anyPath}): `).exec(part);
      return match ? [{ path: parsePath(match[1]), text: part }] : [];
    });
  }
  const path = `(?:${fields.map(escape).join('|')})${rest}`;
  const mentions = [];
  for (const match of message.matchAll(new RegExp(`(?<![\\w.\\]])(${path})(?: lists "([^"]+)")?`, 'g'))) {
    const [, written, listed] = match;
    // A bare top-level name is a field only where it starts the message
    // ("connectionSecretMetadata is not applied") or says what a list holds;
    // elsewhere it may be a plain word ("a derived key").
    const bare = !/[[.]/.test(written);
    if (bare && match.index !== 0 && listed === undefined) continue;
    const segments = parsePath(written);
    mentions.push({ path: listed === undefined ? segments : [...segments, { value: listed }], text: message });
  }
  return mentions;
}

function escape(text) {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Where an input field path is in the Composition: its key, or an item's first line. */
function placeOf(composition, step, path, message) {
  const last = path.at(-1);
  if (last && typeof last === 'object') {
    const listPath = path.slice(0, -1);
    const list = locateInputField(composition.root, composition.text, step, listPath);
    if (list?.exact) {
      const item = items(list.node).find(({ value }) => scalarValue(value, composition.text) === last.value);
      if (item?.value) return firstLineRange(item.value, composition.text);
    }
    return placeOf(composition, step, listPath, message);
  }
  // A derived key's template problem is about its template.
  const field = path.length === 2 && path[0] === 'derived' && / template /.test(message) ? [...path, 'template'] : path;
  const found = locateInputField(composition.root, composition.text, step, field);
  if (!found) return null;
  if (found.holder?.keyNode) return firstLineRange(found.holder.keyNode, composition.text);
  if (found.holder?.node) return firstLineRange(found.holder.node, composition.text);
  return null;
}

function listItem(root, path, value, text) {
  const list = lookup(root, path, text)?.node ?? null;
  const item = items(list).find((candidate) => scalarValue(candidate.value, text) === value);
  return item?.value ? firstLineRange(item.value, text) : null;
}

