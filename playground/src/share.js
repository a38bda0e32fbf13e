// Share links: the inputs, compressed with the browser's own deflate-raw
// and written in base64url into the URL fragment, which browsers never send
// to a server. Unless asked to keep them, every Secret's values are
// replaced by placeholders of the same sizes first (redact.js): a link is
// pasted into chats and tickets, and anyone who has it can read it.

import { redactSecretValues } from './redact.js';

const PREFIX = 's=';
const VERSION = 1;

/**
 * The share link's fragment for the given state ({inputs, functionName,
 * example}): {fragment, redacted: {values, secrets, withheld}} where
 * `redacted` is null when `withSecretValues` kept the values.
 */
export async function encodeShare(state, { withSecretValues = false } = {}) {
  const given = Object.entries(state.inputs).filter(([, text]) => text !== '');
  const redacted = withSecretValues ? null : { values: 0, secrets: 0, withheld: 0 };
  const inputs = {};
  for (const [id, text] of given) {
    if (!redacted) {
      inputs[id] = text;
      continue;
    }
    const result = redactSecretValues(text);
    inputs[id] = result.text;
    for (const count of ['values', 'secrets', 'withheld']) redacted[count] += result[count];
  }
  const payload = { v: VERSION, i: inputs };
  if (state.functionName) payload.f = state.functionName;
  if (state.example) payload.e = state.example;
  if (redacted) payload.r = 1;
  const bytes = new TextEncoder().encode(JSON.stringify(payload));
  const compressed = await transform(bytes, new CompressionStream('deflate-raw'));
  return { fragment: `#${PREFIX}${toBase64Url(compressed)}`, redacted };
}

/** The state a fragment holds, or undefined when it is no share link. */
export async function decodeShare(hash) {
  const fragment = hash.startsWith('#') ? hash.slice(1) : hash;
  if (!fragment.startsWith(PREFIX)) {
    return undefined;
  }
  const compressed = fromBase64Url(fragment.slice(PREFIX.length));
  const bytes = await transform(compressed, new DecompressionStream('deflate-raw'));
  const payload = JSON.parse(new TextDecoder().decode(bytes));
  if (!payload || payload.v !== VERSION || typeof payload.i !== 'object' || payload.i === null) {
    throw new Error('this share link was made by another version of the playground');
  }
  const inputs = {};
  for (const [id, text] of Object.entries(payload.i)) {
    if (typeof text === 'string') inputs[id] = text;
  }
  return {
    inputs,
    functionName: typeof payload.f === 'string' ? payload.f : '',
    example: typeof payload.e === 'string' ? payload.e : '',
    redacted: payload.r === 1,
  };
}

async function transform(bytes, stream) {
  const response = new Response(new Blob([bytes]).stream().pipeThrough(stream));
  return new Uint8Array(await response.arrayBuffer());
}

function toBase64Url(bytes) {
  let binary = '';
  const chunk = 0x8000;
  for (let i = 0; i < bytes.length; i += chunk) {
    binary += String.fromCharCode(...bytes.subarray(i, i + chunk));
  }
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function fromBase64Url(text) {
  const base64 = text.replace(/-/g, '+').replace(/_/g, '/');
  const padded = base64 + '='.repeat((4 - (base64.length % 4)) % 4);
  const binary = atob(padded);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i += 1) bytes[i] = binary.charCodeAt(i);
  return bytes;
}
