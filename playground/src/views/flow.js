// The Flow view: the flow model (flow-model.js) drawn as an SVG, sources
// on the left, keys in the middle, destinations on the right, an edge per
// route; and the same account as a list, for screen readers and search.
// Keys are focusable (Tab, then arrow keys); hovering or focusing one shows
// its state, reason and routes and highlights its edges. Never a value.

import { element, svgElement } from '../dom.js';

const ROW = 30;
const KEY_HEIGHT = 24;
const NODE_MIN_HEIGHT = 40;
const DEST_PORT_SPACING = 12;
const GAP = 12;
const PAD = 16;
/** Sources span their keys, so their edges run straight; edges to destinations need room to curve. */
const SOURCE_GAP = 40;
const DEST_GAP = 90;
const CHAR = 7.3; // px per character of the 12px monospace labels
const DETAIL_CHAR = 6; // and of the 10.5px second lines
const STATE_LABEL = 56;

function width(labels, extra, min, max) {
  const longest = Math.max(0, ...labels.map((label) => label.length));
  return Math.min(max, Math.max(min, Math.ceil(longest * CHAR) + extra));
}

/** A label cut to `room` pixels, with an ellipsis; the full text goes to the title and the list. */
function fit(label, room, char = CHAR) {
  const chars = Math.max(4, Math.floor(room / char));
  return label.length <= chars ? label : `${label.slice(0, chars - 1)}…`;
}

/**
 * Positions for the model: {width, height, columns, sources, keys,
 * destinations, edges}, each node with {x, y, w, h}; each edge with its two
 * end points. No DOM: the Node tests check it for overlaps.
 */
export function layoutFlow(model) {
  const sourceWidth = width(model.sources.map((source) => source.label), 28, 120, 220);
  const keyWidth = width(model.keys.map((key) => key.name), 24 + STATE_LABEL, 160, 320);
  const destWidth = width(model.destinations.map((dest) => destinationName(dest)), 28, 160, 260);
  const readsLane = model.keys.some((key) => key.reads.length) ? 56 : 0;
  const columns = {
    sources: PAD,
    keys: PAD + sourceWidth + SOURCE_GAP + readsLane,
    destinations: PAD + sourceWidth + SOURCE_GAP + readsLane + keyWidth + DEST_GAP,
  };

  const keys = new Map(
    model.keys.map((key, index) => [key.id, { ...key, x: columns.keys, y: PAD + index * ROW, w: keyWidth, h: KEY_HEIGHT }]),
  );
  const keyCenter = (id) => keys.get(id).y + KEY_HEIGHT / 2;

  // A source spans the keys it gives (they are consecutive), or is as tall as a node.
  const sources = stack(
    model.sources.map((source) => {
      const given = [...keys.values()].filter((key) => key.source === source.id);
      const top = Math.min(...given.map((key) => key.y));
      const bottom = Math.max(...given.map((key) => key.y + KEY_HEIGHT));
      const h = Math.max(NODE_MIN_HEIGHT, bottom - top);
      return { ...source, x: columns.sources, w: sourceWidth, h, want: (top + bottom) / 2 - h / 2 };
    }),
  );

  // A destination sits at the middle of the keys routed to it, tall enough
  // to give each incoming edge its own end point.
  const incoming = (id) => model.edges.filter((edge) => edge.to === id && keys.has(edge.from));
  const destinations = stack(
    model.destinations
      .map((dest) => {
        const edges = incoming(dest.id);
        const centers = edges.map((edge) => keyCenter(edge.from));
        const h = Math.max(NODE_MIN_HEIGHT, edges.length * DEST_PORT_SPACING + 16);
        const middle = centers.length ? centers.reduce((sum, y) => sum + y, 0) / centers.length : PAD;
        return { ...dest, x: columns.destinations, w: destWidth, h, want: middle - h / 2 };
      })
      .sort((a, b) => a.want - b.want),
  );

  const nodes = new Map([...sources, ...keys.values(), ...destinations].map((node) => [node.id, node]));
  const ports = new Map(); // destination id → the y of each incoming edge, in key order
  for (const dest of destinations) {
    const edges = incoming(dest.id).sort((a, b) => keyCenter(a.from) - keyCenter(b.from));
    const first = dest.y + (dest.h - (edges.length - 1) * DEST_PORT_SPACING) / 2;
    edges.forEach((edge, i) => ports.set(edge, first + i * DEST_PORT_SPACING));
  }
  const edges = model.edges
    .filter((edge) => nodes.has(edge.from) && nodes.has(edge.to))
    .map((edge) => {
      const from = nodes.get(edge.from);
      const to = nodes.get(edge.to);
      const y1 = from.id.startsWith('key:') ? keyCenter(from.id) : Math.min(Math.max(keyCenter(to.id), from.y + 8), from.y + from.h - 8);
      const y2 = ports.get(edge) ?? to.y + to.h / 2;
      return { ...edge, x1: from.x + from.w, y1, x2: to.x, y2 };
    });

  // Derived keys: an arc from each key a template reads, in the lane left of the keys.
  const reads = [];
  let lane = 0;
  for (const key of keys.values()) {
    for (const name of key.reads) {
      const read = keys.get(`key:${name}`);
      if (!read) continue;
      reads.push({ from: read.id, to: key.id, x: columns.keys, y1: keyCenter(read.id), y2: keyCenter(key.id), bend: 14 + (lane % 4) * 8 });
      lane += 1;
    }
  }

  const all = [...nodes.values()];
  return {
    width: columns.destinations + destWidth + PAD,
    height: Math.max(PAD * 2, ...all.map((node) => node.y + node.h + PAD)),
    columns,
    sources,
    keys: [...keys.values()],
    destinations,
    edges,
    reads,
  };
}

/** A destination's name without its kind and namespace, which its second line gives. */
function destinationName(dest) {
  return dest.label.replace(/^\S+ /, '').replace(/^[^/]*\//, '');
}

/** Places nodes top-down at their wanted y, each below the one before. */
function stack(nodes) {
  let bottom = PAD - GAP;
  return nodes.map((node) => {
    const y = Math.max(node.want, bottom + GAP, PAD);
    bottom = y + node.h;
    const { want, ...placed } = node;
    return { ...placed, y };
  });
}

/** The sentence a key node stands for: its state, why, where from, where to. */
function describeKey(key) {
  const parts = [`${key.name}: ${key.state}${key.reason ? ` — ${key.reason}` : ''}.`];
  if (key.derived) parts.push(`Derived by a template${key.reads.length ? ` reading ${key.reads.join(', ')}` : ''}.`);
  else if (key.source) parts.push(`From ${key.source.replace(/^[a-z]+:/, '')}, ${key.how}.`);
  if (key.routes.length) {
    parts.push(`To ${key.routes.map((route) => `${route.to}${route.as ? ` (${route.as})` : ''}${route.state === 'Present' ? '' : `, ${route.state}`}`).join('; ')}.`);
  } else {
    parts.push('Routed nowhere.');
  }
  return parts.join(' ');
}

/** Draws the flow into `container`: the diagram, its tooltip, and the list. */
export function renderFlow(container, model) {
  container.replaceChildren();
  if (model.keys.length === 0) {
    container.append(element('p', { className: 'empty' }, 'This render accounts for no keys: nothing flows.'));
    return;
  }
  const layout = layoutFlow(model);
  const scroller = element('div', { className: 'flow-scroll' });
  const svg = svgElement('svg', {
    className: 'flow',
    width: layout.width,
    height: layout.height,
    viewBox: `0 0 ${layout.width} ${layout.height}`,
    role: 'group',
    'aria-label': `Flow: ${model.sources.length} sources, ${model.keys.length} keys, ${model.destinations.length} destinations`,
  });
  const tooltip = element('div', { className: 'flow-tip', role: 'tooltip', id: 'flow-tip', hidden: true });

  svg.append(columnHeadings(layout));
  const edgeLayer = svgElement('g', { className: 'edges', 'aria-hidden': 'true' });
  for (const edge of layout.edges) {
    const bend = (edge.x2 - edge.x1) / 2;
    edgeLayer.append(
      svgElement('path', {
        className: `edge state-${edge.state.toLowerCase()}`,
        d: `M${edge.x1},${edge.y1} C${edge.x1 + bend},${edge.y1} ${edge.x2 - bend},${edge.y2} ${edge.x2},${edge.y2}`,
        'data-from': edge.from,
        'data-to': edge.to,
      }),
    );
  }
  for (const read of layout.reads) {
    edgeLayer.append(
      svgElement('path', {
        className: 'edge reads',
        d: `M${read.x},${read.y1} C${read.x - read.bend * 2},${read.y1} ${read.x - read.bend * 2},${read.y2} ${read.x},${read.y2}`,
        'data-from': read.from,
        'data-to': read.to,
      }),
    );
  }
  svg.append(edgeLayer);

  for (const source of layout.sources) {
    svg.append(box(source, source.label, source.kind === 'resource' ? 'composed resource' : source.kind === 'Secret' ? 'existing Secret' : '', 'source'));
  }
  for (const dest of layout.destinations) {
    const namespace = /^\S+ ([^/]*)\//.exec(dest.label)?.[1];
    const detail = [dest.kind, namespace && `in ${namespace}`, dest.composed ? '' : 'not composed', dest.detail].filter(Boolean).join(' · ');
    svg.append(box(dest, destinationName(dest), detail, 'destination'));
  }
  const keyNodes = layout.keys.map((key) => keyBox(key));
  svg.append(...keyNodes);

  const show = (node, key) => {
    svg.classList.add('focusing');
    for (const path of svg.querySelectorAll('.edge')) {
      path.classList.toggle('active', path.dataset.from === key.id || path.dataset.to === key.id);
    }
    node.classList.add('active');
    tooltip.replaceChildren(...tooltipContent(key));
    tooltip.hidden = false;
    // Beside the key, over the edges to the destinations; raised where it
    // would run past the bottom of the diagram.
    tooltip.style.left = `${key.x + key.w + 8}px`;
    tooltip.style.top = `${Math.max(0, Math.min(key.y, layout.height - tooltip.offsetHeight))}px`;
    node.setAttribute('aria-describedby', 'flow-tip');
  };
  const hide = (node) => {
    svg.classList.remove('focusing');
    node.classList.remove('active');
    for (const path of svg.querySelectorAll('.edge.active')) path.classList.remove('active');
    tooltip.hidden = true;
    node.removeAttribute('aria-describedby');
  };
  keyNodes.forEach((node, index) => {
    const key = layout.keys[index];
    node.addEventListener('mouseenter', () => show(node, key));
    node.addEventListener('mouseleave', () => {
      if (document.activeElement !== node) hide(node);
    });
    node.addEventListener('focus', () => show(node, key));
    node.addEventListener('blur', () => hide(node));
    node.addEventListener('keydown', (event) => {
      const moves = { ArrowDown: index + 1, ArrowUp: index - 1, Home: 0, End: keyNodes.length - 1 };
      if (event.key in moves) {
        event.preventDefault();
        keyNodes[Math.min(Math.max(moves[event.key], 0), keyNodes.length - 1)].focus();
      } else if (event.key === 'Escape') {
        hide(node);
      }
    });
  });

  scroller.append(svg, tooltip);
  container.append(legend(), scroller, accountList(model));
}

function columnHeadings(layout) {
  const group = svgElement('g', { className: 'headings', 'aria-hidden': 'true' });
  for (const [column, text] of [['sources', 'From'], ['keys', 'Keys'], ['destinations', 'Into']]) {
    group.append(svgElement('text', { x: layout.columns[column], y: 11, className: 'heading' }, text));
  }
  return group;
}

function box(node, label, detail, kind) {
  const group = svgElement('g', { className: `node ${kind}`, role: 'img', 'aria-label': `${node.label}${detail ? ` (${detail})` : ''}` });
  group.append(svgElement('title', {}, `${node.label}${detail ? `\n${detail}` : ''}`));
  group.append(svgElement('rect', { x: node.x, y: node.y, width: node.w, height: node.h, rx: 6 }));
  const middle = node.y + node.h / 2;
  group.append(svgElement('text', { x: node.x + 10, y: detail ? middle - 3 : middle + 4, className: 'label' }, fit(label, node.w - 20)));
  if (detail) group.append(svgElement('text', { x: node.x + 10, y: middle + 12, className: 'detail' }, fit(detail, node.w - 20, DETAIL_CHAR)));
  return group;
}

function keyBox(key) {
  const state = key.state.toLowerCase();
  const group = svgElement('g', {
    className: `node key state-${state}`,
    tabindex: 0,
    role: 'img',
    'aria-label': describeKey(key),
    'data-key': key.name,
    'data-state': key.state,
  });
  group.append(svgElement('rect', { x: key.x, y: key.y, width: key.w, height: key.h, rx: 4 }));
  group.append(svgElement('rect', { x: key.x, y: key.y, width: 4, height: key.h, className: 'stripe' }));
  group.append(svgElement('text', { x: key.x + 12, y: key.y + 16, className: 'label' }, fit(key.name, key.w - STATE_LABEL - 16)));
  group.append(svgElement('text', { x: key.x + key.w - 8, y: key.y + 16, className: 'state', 'text-anchor': 'end' }, key.state));
  return group;
}

function tooltipContent(key) {
  const parts = [element('strong', {}, key.name), element('span', { className: `state ${key.state.toLowerCase()}` }, key.state)];
  if (key.reason) parts.push(element('p', { className: 'reason' }, key.reason));
  parts.push(element('p', {}, key.derived ? `Template${key.reads.length ? ` reading ${key.reads.join(', ')}` : ''}` : `From ${key.account ?? '?'}`));
  if (key.routes.length) {
    const list = element('ul');
    for (const route of key.routes) {
      list.append(element('li', {}, `→ ${route.to}${route.as ? ` (${route.as})` : ''}${route.state === 'Present' ? '' : ` — ${route.state}${route.reason ? `: ${route.reason}` : ''}`}`));
    }
    parts.push(list);
  }
  return parts;
}

function legend() {
  const list = element('ul', { className: 'flow-legend', 'aria-label': 'Key states' });
  for (const [state, meaning] of [
    ['Present', 'written'],
    ['Missing', 'declared, not produced (yet)'],
    ['Dropped', 'produced, then left out'],
    ['Failed', 'its template failed'],
  ]) {
    const item = element('li');
    item.append(element('span', { className: `state ${state.toLowerCase()}` }, state), ` ${meaning}`);
    list.append(item);
  }
  return list;
}

/** The same account as a list: one item per key. */
function accountList(model) {
  const details = element('details', { className: 'flow-list', open: '' });
  details.append(element('summary', {}, `The flow as a list (${model.keys.length} keys)`));
  const list = element('ul', { 'aria-label': 'Keys and their routes' });
  for (const key of model.keys) list.append(element('li', { 'data-key': key.name }, describeKey(key)));
  details.append(list);
  return details;
}
