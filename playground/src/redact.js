// Secret values out of a YAML text, for share links: every `data` and
// `stringData` value of every Secret (a document, or an item of a List)
// becomes a placeholder of the same size, so a shared link renders the same
// keys with the same byte counts. Everything else keeps its exact text.

import { base64Length } from './view.js';
import { documents, get, hasError, items, pairs, parser, scalarValue } from './yaml-tree.js';

const FILLER = 'REDACTED';
const UNREADABLE = '# A document that names a Secret was left out of this share link: its YAML could not be read.';

/** `n` bytes of placeholder text. */
export function placeholder(bytes) {
  return FILLER.repeat(Math.ceil(bytes / FILLER.length)).slice(0, bytes);
}

/**
 * The text with its Secrets' values replaced: {text, values, secrets,
 * withheld} (how many values, in how many Secrets; how many unreadable
 * documents that mention a Secret were left out whole).
 */
export function redactSecretValues(text) {
  const tree = parser.parse(text);
  const edits = [];
  let values = 0;
  let secrets = 0;
  let withheld = 0;
  for (const { document, root } of documents(tree)) {
    const source = text.slice(document.from, document.to);
    if (hasError(document)) {
      if (/\bSecret\b/.test(source)) {
        edits.push({ from: document.from, to: document.to, insert: withheldText(source) });
        withheld += 1;
      }
      continue;
    }
    for (const secret of secretsIn(root, text)) {
      secrets += 1;
      for (const [field, encode] of [
        ['data', (original) => btoa(placeholder(base64Length(original)))],
        ['stringData', (original) => placeholder(new TextEncoder().encode(original).length)],
      ]) {
        const mapping = get(secret, field, text);
        if (mapping && !mapping.name.endsWith('Mapping')) {
          // Not a map of keys: nothing to keep the shape of.
          edits.push({ from: start(mapping, text), to: mapping.to, insert: '{}' });
          continue;
        }
        for (const { value } of pairs(mapping, text)) {
          if (!value) continue;
          const from = start(value, text);
          const original = scalarValue(value, text) ?? text.slice(from, value.to);
          edits.push({ from, to: value.to, insert: quoted(encode(original)) });
          values += 1;
        }
      }
    }
  }
  let redacted = text;
  for (const edit of edits.sort((a, b) => b.from - a.from)) {
    redacted = redacted.slice(0, edit.from) + edit.insert + redacted.slice(edit.to);
  }
  return { text: redacted, values, secrets, withheld };
}

/** Secret mappings in a document: itself, or the items of a List. */
function secretsIn(root, text) {
  const kind = scalarValue(get(root, 'kind', text), text);
  if (kind === 'Secret') return [root];
  if (kind === 'List') return items(get(root, 'items', text)).flatMap(({ value }) => (value ? secretsIn(value, text) : []));
  return [];
}

/** A document left out keeps its `---` line, so the documents after it keep their numbers. */
function withheldText(source) {
  return source.startsWith('---') ? `---\n${UNREADABLE}` : UNREADABLE;
}

/** Where a node's text starts: a value node's range can begin with the space after its colon. */
function start(node, text) {
  return node.from + /^\s*/.exec(text.slice(node.from, node.to))[0].length;
}

function quoted(value) {
  return value === '' ? '""' : value;
}
