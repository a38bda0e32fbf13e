// Inputs the Node and browser tests share: an example's files, and a
// generated input with many keys.

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { INPUTS } from '../src/request.js';

export const examplesDir = fileURLToPath(new URL('../../examples/', import.meta.url));

/** An example folder's inputs, by input id. */
export function exampleTexts(name) {
  const texts = {};
  for (const input of INPUTS) {
    const path = join(examplesDir, name, input.file);
    if (existsSync(path)) texts[input.id] = readFileSync(path, 'utf8');
  }
  return texts;
}

/**
 * Example aws-iam with `count` constant keys (`setting-00`, …) over its four
 * resources instead of its own, six of them copied into a Secret `copies`
 * and the last into a ConfigMap `settings`; no XRD, so none is dropped.
 */
export function manyKeys(count) {
  const texts = exampleTexts('aws-iam');
  const name = (i) => `setting-${String(i).padStart(2, '0')}`;
  const perResource = Math.ceil(count / 4);
  const resources = ['key', 'key2', 'user', 'user2'].map((resource, r) => {
    const indexes = Array.from({ length: perResource }, (_, i) => r * perResource + i).filter((i) => i < count);
    const entries = indexes.map((i) => `              - name: ${name(i)}\n                value: "v${i}"\n`).join('');
    return `          - name: ${resource}\n            connectionDetails:\n${entries}`;
  });
  const copies = Array.from({ length: 6 }, (_, i) => `          - key: ${name(i)}\n            to: {name: copies, namespace: default}\n`);
  const input = texts.composition.slice(0, texts.composition.indexOf('        resources:\n          - name: key\n'));
  texts.composition = [
    input,
    '        resources:\n',
    ...resources,
    '        secrets:\n',
    ...copies,
    `        configMaps:\n          - key: ${name(count - 1)}\n            to: {name: settings, namespace: default}\n`,
  ].join('');
  delete texts.xrd;
  return texts;
}
