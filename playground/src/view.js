// What the page shows of a render, computed from the component's output as
// render --format json and --format yaml print it. Pure functions, tested in
// Node too.

const RENDER_API = 'render.crossplane.io/v1beta1';

/**
 * The documents of --format json, sorted into what the page lists: `objects` are
 * the Secrets and ConfigMaps (the Secrets tab), `explanations` each object's
 * account of its keys; other composed objects (PushSecrets) stay only in
 * `documents`, for the YAML and Table views.
 */
export function classify(jsonText) {
  const documents = JSON.parse(jsonText);
  const objects = [];
  const explanations = [];
  const results = [];
  const conditions = [];
  let readiness;
  for (const document of documents) {
    const ours = document.apiVersion === RENDER_API;
    if (ours && document.kind === 'Result') results.push(document);
    else if (ours && document.kind === 'Condition') conditions.push(document);
    else if (ours && document.kind === 'Readiness') readiness = document;
    else if (ours && document.kind === 'Explanation') explanations.push(document);
    else if (document.apiVersion === 'v1' && (document.kind === 'Secret' || document.kind === 'ConfigMap')) {
      objects.push(document);
    }
  }
  return { documents, objects, explanations, results, conditions, readiness };
}

/** `SEVERITY_WARNING` → `WARNING`. */
export function severityName(severity) {
  return String(severity ?? 'SEVERITY_UNSPECIFIED').replace(/^SEVERITY_/, '');
}

/**
 * The keys of a Secret or ConfigMap, sorted, each with its size and a way to
 * get its bytes — only when asked, for the per-key reveal.
 */
export function objectKeys(object) {
  const keys = [];
  const addBase64 = (data) => {
    for (const [key, value] of Object.entries(data ?? {})) {
      keys.push({ key, bytes: base64Length(String(value)), value: () => decodeBase64(String(value)) });
    }
  };
  const addText = (data) => {
    for (const [key, value] of Object.entries(data ?? {})) {
      const bytes = new TextEncoder().encode(String(value));
      keys.push({ key, bytes: bytes.length, value: () => bytes });
    }
  };
  if (object.kind === 'Secret') {
    addBase64(object.data);
    addText(object.stringData);
  } else {
    addText(object.data);
    addBase64(object.binaryData);
  }
  return keys.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

/** Bytes of a base64 text, without decoding it. */
export function base64Length(text) {
  const clean = text.replace(/\s+/g, '');
  const padding = clean.endsWith('==') ? 2 : clean.endsWith('=') ? 1 : 0;
  return Math.floor((clean.length * 3) / 4) - padding;
}

export function decodeBase64(text) {
  const binary = atob(text.replace(/\s+/g, ''));
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i += 1) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/** A value as text when it is UTF-8, else as hex bytes. */
export function displayValue(bytes) {
  try {
    return { text: new TextDecoder('utf-8', { fatal: true }).decode(bytes), binary: false };
  } catch {
    const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join(' ');
    return { text: hex, binary: true };
  }
}

/**
 * The --format yaml text with every value of a Secret's `data` (and
 * `stringData`) replaced by its size, so the YAML view never shows a secret
 * value. Every other line is kept as the component wrote it. `documents` is
 * the --format json output of the same render, in the same order as the YAML
 * documents.
 */
export function maskSecretValues(yamlText, documents) {
  const lines = yamlText.split('\n');
  const out = [];
  let index = -1;
  let masking = false;
  let sizes = new Map();
  for (const line of lines) {
    if (line === '---') {
      index += 1;
      masking = false;
      const document = documents[index];
      sizes = new Map(
        document && document.kind === 'Secret' && document.apiVersion === 'v1'
          ? objectKeys(document).map(({ key, bytes }) => [key, bytes])
          : [],
      );
      out.push(line);
      continue;
    }
    if (!line.startsWith(' ')) {
      masking = sizes.size > 0 && (line === 'data:' || line === 'stringData:');
      out.push(line);
      continue;
    }
    if (!masking) {
      out.push(line);
      continue;
    }
    if (line.startsWith('   ')) {
      continue; // the rest of a folded value
    }
    const entry = /^ {2}([^ ].*?):(?: .*)?$/.exec(line);
    if (!entry) {
      out.push(line);
      continue;
    }
    const bytes = sizes.get(unquote(entry[1]));
    out.push(`  ${entry[1]}: <hidden, ${bytes ?? '?'} bytes>`);
  }
  return out.join('\n');
}

function unquote(key) {
  if (key.startsWith('"')) {
    try {
      return JSON.parse(key);
    } catch {
      return key;
    }
  }
  if (key.startsWith("'") && key.endsWith("'")) {
    return key.slice(1, -1).replace(/''/g, "'");
  }
  return key;
}

export function plural(count, one, many = `${one}s`) {
  return `${count} ${count === 1 ? one : many}`;
}

export function namespacedName(object) {
  const metadata = object.metadata ?? {};
  return metadata.namespace ? `${metadata.namespace}/${metadata.name ?? ''}` : String(metadata.name ?? '');
}
