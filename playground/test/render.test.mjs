// The transpiled component in Node, no browser: every example folder renders
// exactly the CLI's expected output, and the page's helpers (secret masking,
// share links) hold up on real output. Run `npm run build` first.

import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { INPUTS, inputErrorOf, renderRequest } from '../dist/request.js';
import { decodeShare, encodeShare } from '../src/share.js';
import { classify, maskSecretValues, objectKeys } from '../src/view.js';

const playground = fileURLToPath(new URL('..', import.meta.url));
const repository = join(playground, '..');
const examplesDir = join(repository, 'examples');
const componentDir = join(playground, 'dist', 'component');

if (!existsSync(join(componentDir, 'connection_details.js'))) {
  throw new Error(`${componentDir} is missing: run \`npm run build\` first`);
}
// The same loader the page's worker uses, reading the core modules from disk.
const { loadComponent } = await import('../dist/component.js');
const { renderer } = await loadComponent((name) => WebAssembly.compile(readFileSync(join(componentDir, name))));

/** Example folders the way the golden test in tests/component/render.rs finds them. */
const examples = readdirSync(examplesDir, { withFileTypes: true })
  .filter((entry) => entry.isDirectory() && existsSync(join(examplesDir, entry.name, 'xr.yaml')))
  .map((entry) => entry.name)
  .sort();

function exampleTexts(name) {
  const texts = {};
  for (const input of INPUTS) {
    const path = join(examplesDir, name, input.file);
    if (existsSync(path)) texts[input.id] = readFileSync(path, 'utf8');
  }
  return texts;
}

/** The request the CLI would build: file names are the paths it was given. */
function cliRequest(name, texts = exampleTexts(name)) {
  return renderRequest(texts, { names: (input) => relative(repository, join(examplesDir, name, input.file)) });
}

test('the examples folder holds the five render scenarios', () => {
  for (const name of ['aws-iam', 'aws-iam-legacy-composition', 'no-connection-details', 'aws-iam-v2', 'aso']) {
    assert.ok(examples.includes(name), `examples/${name} is missing`);
  }
});

describe('every example renders its expected output byte for byte', () => {
  for (const name of examples) {
    for (const [format, file] of [
      ['yaml', 'render.yaml'],
      ['table', 'render.txt'],
    ]) {
      test(`${name} -o ${format} equals expected/${file}`, () => {
        const expected = readFileSync(join(examplesDir, name, 'expected', file), 'utf8');
        const rendered = renderer.render(cliRequest(name), format);
        assert.equal(rendered.fatal, false);
        assert.equal(rendered.output, expected);
      });
    }
  }
});

describe('the page labels', () => {
  test('requests made from the page name files by the editor label', () => {
    const texts = exampleTexts('aws-iam');
    texts.xr = texts.xr.replace(/^spec:$/m, 'spec: [unclosed');
    let caught;
    try {
      renderer.render(renderRequest(texts), 'table');
    } catch (error) {
      caught = error;
    }
    const inputError = inputErrorOf(caught);
    assert.ok(inputError, `expected an input error, got ${caught}`);
    assert.equal(inputError.file, 'XR');
    assert.equal(typeof inputError.line, 'number');
    assert.ok(inputError.line > 0);
  });

  test('blank optional inputs are left out, like flags not given', () => {
    const request = renderRequest({ xr: 'a: 1\n', composition: 'b: 2\n', secrets: '  \n', xrd: '' });
    assert.deepEqual(request.secrets, []);
    assert.equal(request.xrd, undefined);
    assert.equal(request.claim, undefined);
    assert.equal(request.functionName, '');
  });
});

describe('secret values stay hidden outside the per-key reveal', () => {
  for (const name of examples) {
    test(`${name}: the YAML view hides every Secret value and keeps every other line`, () => {
      const request = cliRequest(name);
      const yaml = renderer.render(request, 'yaml').output;
      const { documents, objects } = classify(renderer.render(request, 'json').output);
      const masked = maskSecretValues(yaml, documents);
      for (const object of objects.filter((o) => o.kind === 'Secret')) {
        for (const [key, value] of Object.entries(object.data ?? {})) {
          assert.ok(!masked.includes(value), `${name}: the value of ${key} shows`);
          assert.ok(masked.includes(`  ${key}: <hidden, `), `${name}: ${key} is not listed`);
        }
        for (const { key, bytes } of objectKeys(object)) {
          assert.match(masked, new RegExp(`  ${key.replace(/[.]/g, '\\.')}: <hidden, ${bytes} bytes>`));
        }
      }
      const unmasked = new Set(yaml.split('\n'));
      for (const line of masked.split('\n')) {
        if (!line.includes('<hidden, ')) assert.ok(unmasked.has(line), `${name}: line changed: ${line}`);
      }
    });
  }

  test('the Secrets tab lists only Secrets and ConfigMaps; explanations and PushSecrets are apart', () => {
    const { objects, explanations, documents } = classify(renderer.render(cliRequest('external-secrets'), 'json').output);
    assert.deepEqual([...new Set(objects.map((o) => o.kind))], ['Secret']);
    assert.ok(explanations.length >= 2, 'an explanation per written Secret');
    assert.ok(explanations.every((e) => e.keys.every((k) => !('value' in k))), 'explanations count bytes only');
    assert.equal(documents.filter((d) => d.kind === 'PushSecret').length, 2);
  });

  test('byte counts match the table', () => {
    const request = cliRequest('aws-iam');
    const table = renderer.render(request, 'table').output;
    const { objects } = classify(renderer.render(request, 'json').output);
    for (const object of objects) {
      for (const { key, bytes } of objectKeys(object)) {
        // kubectl describe sets the counts in one column after the longest key.
        const line = new RegExp(`^${key.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: +${bytes} bytes$`, 'm');
        assert.match(table, line, `${key}: ${bytes} bytes`);
      }
    }
  });
});

test('a share link with Secret values, when asked for, restores the inputs it was made from', async () => {
  const inputs = exampleTexts('aso');
  const { fragment, redacted } = await encodeShare({ inputs, functionName: 'fn', example: 'aso' }, { withSecretValues: true });
  assert.equal(redacted, null);
  assert.match(fragment, /^#s=[A-Za-z0-9_-]+$/);
  const state = await decodeShare(fragment);
  assert.deepEqual(state, { inputs, functionName: 'fn', example: 'aso', redacted: false });
  assert.equal(await decodeShare('#other'), undefined);
});
