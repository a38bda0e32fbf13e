// Reading YAML through Lezer's syntax tree (@lezer/yaml, the parser the
// editors highlight with): where a field is in the text, what a scalar
// says, which field path a position is at. The tree keeps positions and
// survives half-typed text, which a YAML-to-object parser does not.
// Pure functions of (tree, text), used by the page and the Node tests.

import { parser } from '@lezer/yaml';

export { parser };

const MAPPINGS = new Set(['BlockMapping', 'FlowMapping']);
const SEQUENCES = new Set(['BlockSequence', 'FlowSequence']);
const SCALARS = new Set(['Literal', 'QuotedLiteral', 'BlockLiteral']);

/** `resources[1].connectionDetails[0].name` → ['resources', 1, 'connectionDetails', 0, 'name']. */
export function parsePath(path) {
  const segments = [];
  const pattern = /([^.[\]]+)|\[(\d+)\]|\[([^\]]*)\]/g;
  for (const [, field, index, key] of path.matchAll(pattern)) {
    if (field !== undefined) segments.push(field);
    else if (index !== undefined) segments.push(Number(index));
    else segments.push(key);
  }
  return segments;
}

/** The top-level nodes of each document in the stream: [{document, root}], root null when empty. */
export function documents(tree) {
  const found = [];
  const cursor = tree.topNode.cursor();
  if (!cursor.firstChild()) return found;
  do {
    if (cursor.name === 'Document') {
      const document = cursor.node;
      found.push({ document, root: contentOf(document) });
    }
  } while (cursor.nextSibling());
  return found;
}

/** The value node inside a Document, Item or Pair value position (skipping markers, tags, anchors). */
function contentOf(node) {
  for (let child = node.firstChild; child; child = child.nextSibling) {
    if (MAPPINGS.has(child.name) || SEQUENCES.has(child.name) || SCALARS.has(child.name)) return child;
    if (child.name === 'Tagged' || child.name === 'Anchored') return contentOf(child);
  }
  return null;
}

/** The pairs of a mapping node: [{key, keyNode, value, pair}] (value null when the pair has none). */
export function pairs(mapping, text) {
  const found = [];
  if (!mapping || !MAPPINGS.has(mapping.name)) return found;
  for (let pair = mapping.firstChild; pair; pair = pair.nextSibling) {
    if (pair.name !== 'Pair') continue;
    const keyNode = pair.getChild('Key');
    const keyScalar = keyNode && contentOf(keyNode);
    found.push({
      key: keyScalar ? scalarValue(keyScalar, text) : '',
      keyNode: keyScalar ?? keyNode ?? pair,
      value: valueOf(pair),
      pair,
    });
  }
  return found;
}

/** The value node of a Pair: what follows its colon. */
function valueOf(pair) {
  let afterColon = false;
  for (let child = pair.firstChild; child; child = child.nextSibling) {
    if (child.name === ':') afterColon = true;
    else if (afterColon) {
      if (MAPPINGS.has(child.name) || SEQUENCES.has(child.name) || SCALARS.has(child.name)) return child;
      if (child.name === 'Tagged' || child.name === 'Anchored') return contentOf(child);
    }
  }
  return null;
}

/** The items of a sequence node: [{node (the Item), value}]. */
export function items(sequence) {
  const found = [];
  if (!sequence || !SEQUENCES.has(sequence.name)) return found;
  for (let item = sequence.firstChild; item; item = item.nextSibling) {
    if (item.name === 'Item') found.push({ node: item, value: contentOf(item) });
  }
  return found;
}

/** The value of `key` in a mapping node, or null. The last pair wins, as in the YAML libraries. */
export function get(mapping, key, text) {
  const match = pairs(mapping, text).filter((entry) => entry.key === key).at(-1);
  return match ? match.value : null;
}

/**
 * The node a field path leads to from `root`: {node, pair} where `pair` is
 * the entry holding it (for a field, its Pair; for an item, its Item), or
 * null when the text has no such field.
 */
export function lookup(root, segments, text) {
  let node = root;
  let holder = null;
  for (const segment of segments) {
    if (!node) return null;
    if (typeof segment === 'number') {
      const item = items(node)[segment];
      if (!item) return null;
      node = item.value;
      holder = { node: item.node, keyNode: null };
    } else {
      const entry = pairs(node, text).filter((candidate) => candidate.key === segment).at(-1);
      if (!entry) return null;
      node = entry.value;
      holder = { node: entry.pair, keyNode: entry.keyNode };
    }
  }
  return { node, holder };
}

/** A scalar node's value as a string (quotes and block indentation removed). */
export function scalarValue(node, text) {
  if (!node) return undefined;
  const raw = text.slice(node.from, node.to);
  switch (node.name) {
    case 'QuotedLiteral':
      return unquote(raw);
    case 'BlockLiteral':
      return blockValue(raw);
    case 'Literal':
      return raw.trim();
    default:
      return undefined;
  }
}

function unquote(raw) {
  if (raw.startsWith("'")) return raw.slice(1, raw.endsWith("'") && raw.length > 1 ? -1 : undefined).replace(/''/g, "'");
  const body = raw.slice(1, raw.endsWith('"') && raw.length > 1 ? -1 : undefined);
  const escapes = { n: '\n', t: '\t', r: '\r', '0': '\0', '"': '"', '\\': '\\', '/': '/', ' ': ' ', e: '\x1b' };
  return body
    .replace(/\\\n\s*/g, '')
    .replace(/\n\s*/g, ' ')
    .replace(/\\(x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|.)/g, (whole, code) =>
      code.length > 1 ? String.fromCodePoint(parseInt(code.slice(1), 16)) : escapes[code] ?? whole,
    );
}

function blockValue(raw) {
  const [header, ...lines] = raw.split('\n');
  const indent = Math.min(...lines.filter((line) => line.trim()).map((line) => line.match(/^ */)[0].length));
  const body = lines.map((line) => line.slice(Number.isFinite(indent) ? indent : 0));
  const folded = header.trim().startsWith('>');
  const joined = folded ? body.join(' ') : body.join('\n');
  return header.includes('-') ? joined.replace(/\n+$/, '') : `${joined.replace(/\n+$/, '')}\n`;
}

/** Whether any node under `node` is a parse error. */
export function hasError(node) {
  let found = false;
  node.toTree().iterate({
    enter(child) {
      if (found) return false;
      if (child.type.isError) found = true;
      return !found;
    },
  });
  return found;
}

/** The range to underline for a node: its first line only (a mapping can span many). */
export function firstLineRange(node, text) {
  let from = node.from;
  while (from < node.to && /\s/.test(text[from])) from += 1;
  const newline = text.indexOf('\n', from);
  const to = newline === -1 || newline > node.to ? node.to : newline;
  return { from, to: Math.max(to, from) };
}

/**
 * The field path a Key or value scalar node sits at within its document:
 * {root, segments, role} where role is 'key', 'value' or 'item'; null when
 * the node is not a scalar of a mapping or sequence.
 */
export function pathOf(node, text) {
  let role;
  let current = node;
  if (current.parent?.name === 'Key') {
    role = 'key';
    current = current.parent.parent; // the Pair
  } else if (current.parent?.name === 'Pair') {
    role = 'value';
    current = current.parent;
  } else if (current.parent?.name === 'Item') {
    role = 'item';
    current = current.parent;
  } else {
    return null;
  }
  const segments = [];
  let root = null;
  while (current) {
    if (current.name === 'Pair') {
      const keyScalar = current.getChild('Key') && contentOf(current.getChild('Key'));
      segments.unshift(keyScalar ? scalarValue(keyScalar, text) : '');
    } else if (current.name === 'Item') {
      segments.unshift(siblingIndex(current));
    } else if (current.name === 'Document') {
      root = contentOf(current);
      break;
    }
    current = current.parent;
  }
  return { root, segments, role, document: current };
}

function siblingIndex(item) {
  let index = 0;
  for (let sibling = item.prevSibling; sibling; sibling = sibling.prevSibling) {
    if (sibling.name === 'Item') index += 1;
  }
  return index;
}

/** The innermost scalar node that covers `pos` (either side), or null. */
export function scalarAt(tree, pos) {
  for (const side of [-1, 1]) {
    let node = tree.resolveInner(pos, side);
    while (node && !SCALARS.has(node.name)) {
      if (node.name === 'Document' || node.name === 'Stream') {
        node = null;
        break;
      }
      node = node.parent;
    }
    if (node && node.from <= pos && pos <= node.to) return node;
  }
  return null;
}

/** The marker put at the cursor to ask where it is (see `contextAt`). */
const CURSOR = 'zzcursorzz';

/**
 * Where the cursor is, for completion: the text with the word under the
 * cursor replaced by a marker is parsed, and the marker's place in the tree
 * gives the path, even on a line that holds only indentation. Returns
 * {segments, role, word, from, documentRoot, documentText} or null.
 */
export function contextAt(text, pos) {
  const lineStart = text.lastIndexOf('\n', pos - 1) + 1;
  const before = text.slice(lineStart, pos);
  const word = /[^\s:[\]{},'"]*$/.exec(before)[0];
  const from = pos - word.length;
  const afterWord = /^[^\s:[\]{},'"]*/.exec(text.slice(pos))[0];
  const probe = `${text.slice(0, from)}${CURSOR}${text.slice(pos + afterWord.length)}`;
  const tree = parser.parse(probe);
  const at = from + CURSOR.length / 2;
  const node = scalarAt(tree, at);
  if (!node || !probe.slice(node.from, node.to).includes(CURSOR)) return null;
  const place = pathOf(node, probe);
  if (!place) return null;
  const inQuotes = node.name === 'QuotedLiteral';
  return {
    segments: place.segments.slice(0, place.role === 'key' ? -1 : undefined),
    role: place.role,
    word,
    from,
    to: pos + afterWord.length,
    inQuotes,
    tree,
    probe,
    root: place.root,
  };
}
