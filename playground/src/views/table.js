// The Table view: an HTML table per object the render writes (Secrets,
// ConfigMaps, PushSecrets), each key with its state, size and where it
// comes from, sortable by key and by state; the exact `render --format table`
// text is kept beside them for the copy button and the text toggle.

import { element } from '../dom.js';
import { STATES, objectLabel } from '../flow-model.js';
import { namespacedName, objectKeys, plural } from '../view.js';

const COLUMNS = [
  { id: 'key', label: 'Key', sortable: true },
  { id: 'state', label: 'Status', sortable: true },
  { id: 'bytes', label: 'Bytes', sortable: false },
  { id: 'detail', label: 'From', sortable: false },
];

/** The rows of one object: each key with {key, state, bytes, detail}. */
function objectRows(object, explanation) {
  const rows = new Map();
  for (const { key, bytes } of objectKeys(object)) rows.set(key, { key, state: explanation ? 'Present' : '', bytes, detail: '' });
  for (const account of explanation?.keys ?? []) {
    const detail = [account.source, account.reason].filter(Boolean).join('; ');
    rows.set(account.key, { key: account.key, state: account.status, bytes: account.bytes ?? rows.get(account.key)?.bytes ?? null, detail });
  }
  return [...rows.values()];
}

/** A PushSecret's rows: each key it pushes, from the Secret it selects, to where. */
function pushRows(push, secrets) {
  const selected = secrets.find(
    (object) => object.metadata?.name === push.spec?.selector?.secret?.name && object.metadata?.namespace === push.metadata?.namespace,
  );
  const sizes = new Map(selected ? objectKeys(selected).map(({ key, bytes }) => [key, bytes]) : []);
  return (push.spec?.data ?? []).map((item) => {
    const remote = item.match?.remoteRef ?? {};
    const key = item.match?.secretKey ?? '';
    return {
      key,
      state: sizes.has(key) ? 'Present' : 'Missing',
      bytes: sizes.get(key) ?? null,
      detail: `to ${remote.remoteKey ?? '?'}${remote.property ? ` property ${remote.property}` : ''}`,
    };
  });
}

function sortRows(rows, { column, direction }) {
  const sign = direction === 'descending' ? -1 : 1;
  const rank = (row) => (STATES.includes(row.state) ? STATES.indexOf(row.state) : STATES.length);
  const byKey = (a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);
  return [...rows].sort((a, b) => sign * (column === 'state' ? rank(a) - rank(b) || byKey(a, b) : byKey(a, b)));
}

/** Fills `container` with a table per object of the render. */
export function renderTables(container, { documents, objects, explanations }) {
  container.replaceChildren();
  const accounts = new Map(explanations.map((explanation) => [objectLabel(explanation.object ?? {}), explanation]));
  const cards = objects.map((object) => {
    const label = objectLabel({ kind: object.kind, ...object.metadata });
    const explanation = accounts.get(label);
    accounts.delete(label);
    return { object, title: label, rows: objectRows(object, explanation), note: object.type ?? '' };
  });
  // An object whose keys are accounted for but that is not written (yet).
  for (const [label, explanation] of accounts) {
    cards.push({ object: explanation.object, title: label, rows: objectRows({ kind: explanation.object?.kind }, explanation), note: 'not composed yet' });
  }
  for (const push of documents.filter((document) => document.kind === 'PushSecret')) {
    const stores = (push.spec?.secretStoreRefs ?? []).map((store) => `${store.kind ?? 'SecretStore'} ${store.name}`).join(', ');
    cards.push({ object: push, title: objectLabel({ kind: 'PushSecret', ...push.metadata }), rows: pushRows(push, objects), note: stores });
  }
  if (cards.length === 0) {
    container.append(element('p', { className: 'empty' }, 'This render writes no Secrets, ConfigMaps or PushSecrets.'));
    return;
  }
  for (const card of cards) container.append(objectTable(card));
}

function objectTable({ object, title, rows, note }) {
  const section = element('section', { className: 'object-table', 'aria-label': title });
  const head = element('header', { className: 'object-head' });
  head.append(element('span', { className: 'kind' }, object.kind ?? 'Object'), element('h3', {}, namespacedName({ metadata: object.metadata ?? object })));
  if (note) head.append(element('span', { className: 'type' }, note));
  head.append(element('span', { className: 'key-count' }, plural(rows.length, 'key')));
  section.append(head);
  if (rows.length === 0) {
    section.append(element('p', { className: 'empty' }, 'No keys.'));
    return section;
  }
  const table = element('table', { className: 'keys-table' });
  table.append(element('caption', { className: 'visually-hidden' }, `Keys of ${title}`));
  const headRow = element('tr');
  const body = element('tbody');
  let order = { column: 'key', direction: 'ascending' };
  const headers = COLUMNS.map((column) => {
    const th = element('th', { scope: 'col' });
    if (column.sortable) {
      const button = element('button', { type: 'button', className: 'sort' }, column.label);
      button.addEventListener('click', () => {
        order = { column: column.id, direction: order.column === column.id && order.direction === 'ascending' ? 'descending' : 'ascending' };
        fill();
      });
      th.append(button);
    } else {
      th.textContent = column.label;
    }
    headRow.append(th);
    return { th, column };
  });
  const fill = () => {
    for (const { th, column } of headers) {
      if (column.sortable) th.setAttribute('aria-sort', order.column === column.id ? order.direction : 'none');
    }
    body.replaceChildren(...sortRows(rows, order).map(row));
  };
  table.append(element('thead'), body);
  table.tHead.append(headRow);
  fill();
  section.append(table);
  return section;
}

function row({ key, state, bytes, detail }) {
  const tr = element('tr', { className: state ? `state-${state.toLowerCase()}` : '' });
  tr.append(
    element('td', { className: 'key-name' }, key),
    element('td', {}, state ? '' : '—'),
    element('td', { className: 'bytes' }, bytes === null || bytes === undefined ? '—' : String(bytes)),
    element('td', { className: 'detail' }, detail),
  );
  if (state) tr.children[1].append(element('span', { className: `state ${state.toLowerCase()}` }, state));
  return tr;
}
