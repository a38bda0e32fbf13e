// Where every key comes from and where it goes, from a render's -o json:
// the Keys account of each written Secret and ConfigMap (Explanation
// documents), the PushSecrets, and the FATAL results of failed templates.
// Sources on the left (composed resources, existing Secrets), keys in the
// middle, destinations on the right. Never a value: names, states, reasons
// and byte counts. Pure, so the Node tests check it on every example.

/** A key's state, as the Keys account names it; Failed when its template failed. */
export const STATES = ['Present', 'Missing', 'Dropped', 'Failed'];

/** `Secret default/name`, the way the page names an object everywhere. */
export function objectLabel({ kind, namespace, name }) {
  return `${kind} ${namespace ? `${namespace}/` : ''}${name}`;
}

/**
 * Where a key's account says it came from: {source: {id, kind, label},
 * how, derived} for `resources[1] server: fromFieldPath status.x`, `derived[0]`,
 * or anything else render may write (kept as written).
 */
function parseSource(text) {
  const entry = /^resources\[(\d+)\] (\S+): (.*)$/.exec(text);
  if (entry) {
    const [, index, resource, how] = entry;
    const order = Number(index);
    const reference = /^fromSecretKeyRef (\S+) (\S+)$/.exec(how);
    if (reference) {
      return { source: { id: `secret:${reference[1]}`, kind: 'Secret', label: reference[1], order }, how: `key ${reference[2]}` };
    }
    return { source: { id: `resource:${resource}`, kind: 'resource', label: resource, order }, how: describeHow(how) };
  }
  const derived = /^derived\[(\d+)\]$/.exec(text);
  if (derived) return { source: null, how: `template ${text}`, derived: true };
  return { source: { id: `other:${text}`, kind: 'other', label: text, order: Infinity }, how: text };
}

function describeHow(how) {
  const [field, ...rest] = how.split(' ');
  const words = { fromConnectionSecretKey: 'connection secret key', fromFieldPath: 'field', value: 'a constant value' };
  return words[field] ? [words[field], ...rest].join(' ') : how;
}

/** A fan-out account reads `key documentEndpoint (resources[0] ...)`: the key it copies, and that key's own source. */
function parseRoute(text) {
  const copy = /^key (\S+) \((.*)\)$/.exec(text);
  return copy ? { key: copy[1], source: copy[2] } : { key: null, source: text };
}

/**
 * The flow: {sources, keys, destinations, edges}. `reads` maps a derived
 * key to the keys its template reads (from the input text, see
 * function-input.js). Edges are {from, to, state, label, reason}; node ids
 * are `resource:…`, `secret:…`, `key:…` and `dest:…`.
 */
export function flowModel({ documents, explanations, results }, { reads = new Map() } = {}) {
  const keys = new Map();
  const sources = new Map();
  const destinations = new Map();
  const edges = [];
  const routesInto = new Map(); // dest id → Map(written key → key name)

  const keyNode = (name) => {
    if (!keys.has(name)) {
      keys.set(name, { id: `key:${name}`, name, state: null, reason: null, account: null, source: null, how: null, reads: [], routes: [] });
    }
    return keys.get(name);
  };

  for (const explanation of explanations) {
    const object = explanation.object ?? {};
    const dest = {
      id: `dest:${objectLabel(object)}`,
      kind: object.kind,
      label: objectLabel(object),
      composed: explanation.composed !== false,
    };
    destinations.set(dest.id, dest);
    const written = new Map();
    routesInto.set(dest.id, written);
    for (const account of explanation.keys ?? []) {
      const route = parseRoute(account.source ?? '');
      const key = keyNode(route.key ?? account.key);
      written.set(account.key, key.name);
      // A key's own account (not a copy) says where it comes from and its state.
      if (!route.key && key.state === null) {
        Object.assign(key, { state: account.status, reason: account.reason ?? null, bytes: account.bytes ?? null, account: account.source });
      }
      key.account ??= route.source;
      const edge = {
        from: key.id,
        to: dest.id,
        state: account.status,
        reason: account.reason ?? null,
        label: account.key === key.name ? null : `as ${account.key}`,
      };
      edges.push(edge);
      key.routes.push({ to: dest.label, state: account.status, reason: account.reason ?? null, as: edge.label });
    }
  }

  for (const failure of results.filter((result) => result.reason === 'TemplateFailed')) {
    const failed = /^derived\[\d+\] (\S+): (.*)$/.exec(failure.message ?? '');
    const key = failed && keys.get(failed[1]);
    if (!key) continue;
    Object.assign(key, { state: 'Failed', reason: failed[2] });
    // What the key's routes wait for is the template, not a missing input.
    for (const route of key.routes) if (route.state === 'Missing') Object.assign(route, { state: 'Failed', reason: failed[2] });
    for (const edge of edges) if (edge.from === key.id && edge.state === 'Missing') Object.assign(edge, { state: 'Failed', reason: failed[2] });
  }

  for (const key of keys.values()) {
    if (key.state === null) {
      // Only copies account for it: its state is theirs, the best of them.
      const states = key.routes.map((route) => route.state);
      key.state = STATES.find((state) => states.includes(state)) ?? 'Missing';
      key.reason = key.routes.find((route) => route.state === key.state)?.reason ?? null;
    }
    const parsed = parseSource(key.account ?? '');
    key.how = parsed.how;
    if (parsed.derived) {
      key.derived = true;
      key.reads = (reads.get(key.name) ?? []).filter((name) => name !== key.name);
    } else if (parsed.source) {
      if (!sources.has(parsed.source.id)) sources.set(parsed.source.id, parsed.source);
      key.source = parsed.source.id;
      edges.push({ from: parsed.source.id, to: key.id, state: key.state, reason: null, label: parsed.how });
    }
  }

  for (const push of documents.filter((document) => document.kind === 'PushSecret')) {
    const metadata = push.metadata ?? {};
    const label = objectLabel({ kind: 'PushSecret', ...metadata });
    const stores = (push.spec?.secretStoreRefs ?? []).map((store) => `${store.kind ?? 'SecretStore'} ${store.name}`);
    const dest = { id: `dest:${label}`, kind: 'PushSecret', label, composed: true, detail: stores.join(', ') };
    destinations.set(dest.id, dest);
    const selected = objectLabel({ kind: 'Secret', namespace: metadata.namespace, name: push.spec?.selector?.secret?.name ?? '' });
    const written = routesInto.get(`dest:${selected}`) ?? new Map();
    for (const item of push.spec?.data ?? []) {
      const secretKey = item.match?.secretKey;
      const name = written.get(secretKey);
      if (!name) continue;
      const remote = item.match?.remoteRef ?? {};
      const pushed = `pushes ${remote.remoteKey ?? ''}${remote.property ? `.${remote.property}` : ''}`;
      const state = keys.get(name).routes.find((route) => route.to === selected)?.state ?? 'Present';
      edges.push({ from: `key:${name}`, to: dest.id, state, reason: null, label: pushed });
      keys.get(name).routes.push({ to: dest.label, state, reason: null, as: pushed });
    }
  }

  const ordered = [...sources.values()].sort((a, b) => a.order - b.order);
  return {
    sources: ordered,
    keys: orderKeys([...keys.values()], ordered.map((source) => source.id)),
    destinations: [...destinations.values()],
    edges,
  };
}

/** Keys grouped by source in source order (derived keys last), by name within a group. */
function orderKeys(keys, sourceOrder) {
  const rank = (key) => (key.source ? sourceOrder.indexOf(key.source) : sourceOrder.length);
  return keys.sort((a, b) => rank(a) - rank(b) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}
