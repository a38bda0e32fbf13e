// The page's own logic in Node, on the real component's output: where
// diagnostics land, what completion and hover offer (from the input CRD),
// the Flow's model and layout, and share links without Secret values.
// Run `npm run build` first (the component comes from dist/).

import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { completionsAt, describeAt } from '../src/completion.js';
import { flowModel } from '../src/flow-model.js';
import { compositionRoot, declaredKeys, derivedKeys, functionStep, templateReads } from '../src/function-input.js';
import { diagnose } from '../src/lint.js';
import { placeholder, redactSecretValues } from '../src/redact.js';
import { inputErrorOf, renderRequest } from '../src/request.js';
import { decodeShare, encodeShare } from '../src/share.js';
import { base64Length, classify, objectKeys } from '../src/view.js';
import { layoutFlow } from '../src/views/flow.js';
import { parser } from '../src/yaml-tree.js';
import { loadInputSchema } from '../scripts/input-schema.mjs';
import { exampleTexts, examplesDir, manyKeys } from './fixtures.mjs';

const playground = fileURLToPath(new URL('..', import.meta.url));
const componentDir = join(playground, 'dist', 'component');
if (!existsSync(join(componentDir, 'connection_details.js'))) {
  throw new Error(`${componentDir} is missing: run \`npm run build\` first`);
}
const { loadComponent } = await import('../dist/component.js');
const { renderer } = await loadComponent((name) => WebAssembly.compile(readFileSync(join(componentDir, name))));

const SCHEMA = loadInputSchema();
const FIELDS = Object.keys(SCHEMA.schema.properties);
const examples = readdirSync(examplesDir).filter((name) => existsSync(join(examplesDir, name, 'xr.yaml'))).sort();

/** Renders like the page: {classified} or {inputError}. */
function render(texts) {
  try {
    return { classified: classify(renderer.render(renderRequest(texts), 'json').output) };
  } catch (error) {
    const inputError = inputErrorOf(error);
    if (!inputError) throw error;
    return { inputError };
  }
}

function diagnosticsOf(texts) {
  const { classified, inputError } = render(texts);
  return diagnose({ texts, inputError, results: classified?.results, fields: FIELDS });
}

/** [line number, underlined text, severity, message] of each diagnostic in an editor. */
function placed(text, diagnostics) {
  return diagnostics.map((d) => [text.slice(0, d.from).split('\n').length, text.slice(d.from, d.to), d.severity, d.message]);
}

function lineOf(text, fragment) {
  const index = text.indexOf(fragment);
  assert.ok(index >= 0, `no ${fragment}`);
  return text.slice(0, index).split('\n').length;
}

describe('diagnostics land on the field the component names', () => {
  test('a misspelled field of the function input: an error on its line', () => {
    const texts = exampleTexts('aws-iam');
    texts.composition = texts.composition.replace('- fromConnectionSecretKey: username', '- fromConectionSecretKey: username');
    const marks = placed(texts.composition, diagnosticsOf(texts).composition);
    const line = lineOf(texts.composition, 'fromConectionSecretKey');
    assert.deepEqual(marks[0].slice(0, 3), [line, 'fromConectionSecretKey', 'error']);
    assert.match(marks[0][3], /^resources\[0\]\.connectionDetails\[0\]\.fromConectionSecretKey: unknown field/);
    assert.match(marks[1][3], /^resources\[0\]\.connectionDetails\[0\]: needs one of/);
    assert.equal(marks[1][0], line);
  });

  test('an unknown top-level field of the input', () => {
    const texts = exampleTexts('aws-iam');
    texts.composition += '        connectionSecretKey: [username]\n';
    const [mark] = placed(texts.composition, diagnosticsOf(texts).composition);
    assert.deepEqual(mark.slice(0, 3), [lineOf(texts.composition, 'connectionSecretKey:'), 'connectionSecretKey', 'error']);
  });

  test("the XRD's warning about key2-pass: on the XRD's key2-pass", () => {
    const texts = exampleTexts('aws-iam');
    const marks = placed(texts.xrd, diagnosticsOf(texts).xrd);
    assert.deepEqual(marks.map((mark) => mark.slice(0, 3)), [[lineOf(texts.xrd, '- key2-pass'), 'key2-pass', 'warning']]);
    assert.deepEqual(diagnosticsOf(texts).composition, []);
  });

  test("the input's connectionSecretKeys warning: on its item, not on the entry the hint names", () => {
    const texts = exampleTexts('aws-iam-v2');
    const marks = placed(texts.composition, diagnosticsOf(texts).composition);
    assert.equal(marks.length, 1);
    assert.deepEqual(marks[0].slice(0, 3), [lineOf(texts.composition, '- key2-pass'), 'key2-pass', 'warning']);
  });

  test('a missing Secret a fromSecretKeyRef reads: a warning on that fromSecretKeyRef', () => {
    const texts = exampleTexts('aso');
    texts.composition = texts.composition.replace('name: server-admin-pw\n                  key: password', 'name: server-admin-pwx\n                  key: password');
    const [mark] = placed(texts.composition, diagnosticsOf(texts).composition);
    assert.deepEqual(mark.slice(0, 3), [lineOf(texts.composition, 'name: server-admin-pwx') - 1, 'fromSecretKeyRef', 'warning']);
  });

  test('a failing template: an error on its template', () => {
    const texts = exampleTexts('aso');
    texts.composition = texts.composition.replace('{{ host }}', '{{ host | b64decode }}');
    const [mark] = placed(texts.composition, diagnosticsOf(texts).composition);
    assert.deepEqual(mark.slice(0, 3), [lineOf(texts.composition, '{{ host | b64decode }}'), 'template', 'error']);
    assert.match(mark[3], /^derived\[1\] postgresUrl: the template failed/);
  });

  test('an input error: on its editor and line', () => {
    const texts = exampleTexts('aws-iam');
    texts.xr = texts.xr.replace('  name: test-secrets-7x5kq', '  name: test: secrets');
    const diagnostics = diagnosticsOf(texts);
    assert.deepEqual(placed(texts.xr, diagnostics.xr).map((mark) => mark.slice(0, 3)), [[4, 'name: test: secrets', 'error']]);
    assert.deepEqual(diagnostics.composition, []);
  });

  test('every example renders without a diagnostic but the ones its results call for', () => {
    for (const name of examples) {
      const texts = exampleTexts(name);
      const { classified } = render(texts);
      const diagnostics = Object.values(diagnose({ texts, results: classified.results, fields: FIELDS })).flat();
      assert.ok(diagnostics.length <= classified.results.length, `${name}: more diagnostics than results`);
    }
  });
});

describe('completion and hover come from the input CRD', () => {
  const text = exampleTexts('aws-iam').composition;
  const options = { schema: SCHEMA, functionName: '', keys: [{ name: 'key2-password', detail: 'Dropped' }, { name: 'username', detail: 'Present' }] };
  const labels = (found) => found?.options.map((option) => option.label);

  test("a new field of the input offers the schema's fields not yet there, with their descriptions", () => {
    const typed = `${text}        connectionSecr`;
    const found = completionsAt(typed, typed.length, options);
    assert.equal(found.from, typed.length - 'connectionSecr'.length);
    assert.deepEqual(labels(found), FIELDS.filter((field) => !['apiVersion', 'kind', 'resources'].includes(field)));
    const option = found.options.find((candidate) => candidate.label === 'connectionSecretKeys');
    assert.equal(option.info, SCHEMA.schema.properties.connectionSecretKeys.description);
    assert.equal(option.apply, 'connectionSecretKeys: ');
  });

  test('inside an entry, the entry\'s fields; outside the function\'s step, nothing', () => {
    const typed = text.replace('              - fromConnectionSecretKey: username\n', '              - fromConnectionSecretKey: username\n                \n');
    const at = typed.indexOf('username\n                \n') + 'username\n                '.length;
    assert.deepEqual(labels(completionsAt(typed, at, options)), ['name', 'type', 'fromFieldPath', 'value', 'fromSecretKeyRef']);
    const other = text.replace('          - name: key\n            base:', '          - name: key\n            ba');
    assert.equal(completionsAt(other, other.indexOf('            ba') + 14, options), null);
  });

  test('key names where a field names a key, enums where the schema has them', () => {
    // `|` is the cursor; the editor closes brackets and quotes as they are typed.
    for (const tail of ['        connectionSecretKeys:\n          - |', '        readiness:\n          requiredKeys: [|]', '        secrets:\n          - key: |', "        derived:\n          - name: url\n            template: \"{{ keys['|'] }}\""]) {
      const typed = text + tail.replace('|', '');
      assert.deepEqual(labels(completionsAt(typed, text.length + tail.indexOf('|'), options)), ['key2-password', 'username'], tail);
    }
    const typed = `${text}        mode: `;
    assert.deepEqual(labels(completionsAt(typed, typed.length, options)), SCHEMA.schema.properties.mode.enum);
  });

  test("hover gives a field's description from the schema", () => {
    const entry = text.indexOf('- name: key2-user') + 2;
    const help = describeAt(text, entry + 1, options);
    assert.deepEqual(help, {
      from: entry,
      to: entry + 'name'.length,
      field: 'name',
      type: 'string',
      description: SCHEMA.schema.properties.resources.items.properties.connectionDetails.items.properties.name.description,
    });
    assert.equal(describeAt(text, text.indexOf('writeConnectionSecretToRef:') + 3, options), null, 'a field of a composed resource, not the input');
  });

  test('the keys the input declares, and what each template reads', () => {
    const aso = exampleTexts('aso').composition;
    const tree = parser.parse(aso);
    const root = compositionRoot(tree, aso);
    const step = functionStep(root, aso, '');
    const declared = declaredKeys(root, aso, step);
    assert.deepEqual(declared.slice(-2), ['cosmosConnectionString', 'postgresUrl']);
    const reads = derivedKeys(root, aso, step).map(({ name, template }) => [name, templateReads(template, declared)]);
    assert.deepEqual(reads, [
      ['cosmosConnectionString', ['documentEndpoint', 'primaryMasterKey']],
      ['postgresUrl', ['admin-password', 'admin-user', 'host']],
    ]);
  });
});

/** The Flow model of an example's render, with the reads of its templates. */
function flowOf(texts) {
  const { classified } = render(texts);
  const text = texts.composition;
  const root = compositionRoot(parser.parse(text), text);
  const step = functionStep(root, text, '');
  const declared = declaredKeys(root, text, step);
  const reads = new Map(derivedKeys(root, text, step).map(({ name, template }) => [name, templateReads(template, declared)]));
  return { classified, model: flowModel(classified, { reads }) };
}

describe('the Flow', () => {
  test('every account of every example is a route from its key to its object, in the state the account gives', () => {
    for (const name of examples) {
      const { classified, model } = flowOf(exampleTexts(name));
      for (const explanation of classified.explanations) {
        const { kind, namespace, name: objectName } = explanation.object;
        for (const account of explanation.keys) {
          const to = `dest:${kind} ${namespace}/${objectName}`;
          const edge = model.edges.find((candidate) => candidate.to === to && model.keys.find((key) => key.id === candidate.from && (key.name === account.key || account.source.startsWith(`key ${key.name} (`))));
          assert.ok(edge, `${name}: no route of ${account.key} into ${to}`);
          assert.equal(edge.state, account.status);
        }
      }
    }
  });

  test("example A: each of the claim's keys from its access key, key2-password Dropped with the XRD's reason", () => {
    const { model } = flowOf(exampleTexts('aws-iam'));
    const claim = 'dest:Secret default/my-access-key-secret';
    const expected = { username: 'key', password: 'key', 'attribute.secret': 'key', 'attribute.ses_smtp_password_v4': 'key', 'key2-user': 'key2', 'key2-password': 'key2', 'key2-secret': 'key2', 'key2-smtp': 'key2' };
    for (const [keyName, resource] of Object.entries(expected)) {
      const key = model.keys.find((candidate) => candidate.name === keyName);
      assert.equal(key.source, `resource:${resource}`);
      assert.ok(model.edges.some((edge) => edge.from === `resource:${resource}` && edge.to === key.id));
      assert.ok(model.edges.some((edge) => edge.from === key.id && edge.to === claim));
    }
    const dropped = model.keys.find((key) => key.name === 'key2-password');
    assert.deepEqual([dropped.state, dropped.reason], ['Dropped', "the XRD's connectionSecretKeys leaves it out"]);
  });

  test('derived keys read their keys; renamed copies and PushSecrets are routes', () => {
    const aso = flowOf(exampleTexts('aso')).model;
    assert.deepEqual(aso.keys.find((key) => key.name === 'postgresUrl').reads, ['admin-password', 'admin-user', 'host']);
    assert.ok(aso.edges.some((edge) => edge.from === 'key:host' && edge.to === 'dest:ConfigMap default/orders-db-info' && edge.label === 'as postgres-host'));
    assert.equal(aso.keys.find((key) => key.name === 'admin-password').source, 'secret:server-admin-pw');
    const pushes = flowOf(exampleTexts('external-secrets')).model;
    assert.deepEqual(
      pushes.edges.filter((edge) => edge.to === 'dest:PushSecret shop/orders-db-migrations-aws-secrets-manager').map((edge) => edge.from).sort(),
      ['key:password', 'key:username'],
    );
  });

  test('a failing template marks its key Failed with the error', () => {
    const texts = exampleTexts('aso');
    texts.composition = texts.composition.replace('{{ host }}', '{{ host | b64decode }}');
    const key = flowOf(texts).model.keys.find((candidate) => candidate.name === 'postgresUrl');
    assert.deepEqual([key.state, key.reason], ['Failed', 'the template failed: b64decode: host is not base64 at line 1']);
  });

  test('never a value: the model holds names, states, reasons and sizes only', () => {
    for (const name of examples) {
      const { classified, model } = flowOf(exampleTexts(name));
      const text = JSON.stringify(model);
      for (const object of classified.objects) {
        for (const { key, value } of objectKeys(object)) {
          const decoded = new TextDecoder().decode(value());
          if (decoded.length >= 4) assert.ok(!text.includes(decoded), `${name}: the value of ${key} is in the flow`);
        }
      }
    }
  });

  test('the layout overlaps no two nodes, for every example and for 40 keys', () => {
    const cases = examples.map((name) => [name, flowOf(exampleTexts(name)).model]);
    const many = manyKeys(40);
    const { model } = flowOf(many);
    assert.equal(model.keys.length, 40);
    cases.push(['40 keys', model]);
    for (const [name, flow] of cases.filter(([, candidate]) => candidate.keys.length > 0)) {
      const layout = layoutFlow(flow);
      for (const column of [layout.sources, layout.keys, layout.destinations]) {
        const sorted = [...column].sort((a, b) => a.y - b.y);
        for (let i = 1; i < sorted.length; i += 1) {
          assert.ok(sorted[i].y >= sorted[i - 1].y + sorted[i - 1].h, `${name}: ${sorted[i - 1].id} and ${sorted[i].id} overlap`);
        }
      }
      const all = [...layout.sources, ...layout.keys, ...layout.destinations];
      for (const node of all) assert.ok(node.x >= 0 && node.y >= 0 && node.x + node.w <= layout.width && node.y + node.h <= layout.height, `${name}: ${node.id} is outside`);
      const [sources, keys, destinations] = [layout.sources, layout.keys, layout.destinations].map((column) => column[0]);
      if (sources) assert.ok(sources.x + sources.w < keys.x, `${name}: sources reach into keys`);
      if (destinations) assert.ok(keys.x + keys.w < destinations.x, `${name}: keys reach into destinations`);
    }
  });
});

describe('share links hold no Secret values unless asked', () => {
  for (const name of examples) {
    test(`${name}: every Secret value is a placeholder of its size; every other line is kept`, async () => {
      const inputs = exampleTexts(name);
      const { fragment, redacted } = await encodeShare({ inputs, functionName: '', example: name });
      const state = await decodeShare(fragment);
      assert.equal(state.redacted, true);
      let values = 0;
      for (const [id, text] of Object.entries(inputs)) {
        const secrets = secretData(text);
        const shared = secretData(state.inputs[id]);
        assert.deepEqual(shared.map(({ key, bytes }) => [key, bytes]), secrets.map(({ key, bytes }) => [key, bytes]), `${id}: keys and sizes`);
        // (A value may also be written outside any Secret, as aso's
        // endpoint is in a status: that text is not the Secret's to hide.)
        const elsewhere = Object.entries(inputs).filter(([other]) => other !== id).map(([, other]) => other).join('\n');
        const link = Object.values(state.inputs).join('\n');
        for (const { value, decoded } of secrets) {
          values += 1;
          for (const form of [value, decoded].filter((candidate) => candidate.length >= 4 && !elsewhere.includes(candidate))) {
            assert.ok(!link.includes(form), `${id}: a value of a Secret is in the link`);
          }
        }
        const kept = text.split('\n').filter((line) => !secrets.some(({ line: secretLine }) => secretLine === line));
        const sharedLines = new Set(state.inputs[id].split('\n'));
        for (const line of kept) assert.ok(sharedLines.has(line), `${id}: the line ${line} changed`);
      }
      assert.equal(redacted.values, values);
    });
  }

  test('the placeholders render the same keys with the same sizes', async () => {
    const inputs = exampleTexts('aws-iam');
    const { fragment } = await encodeShare({ inputs, functionName: '', example: 'aws-iam' });
    const { inputs: shared } = await decodeShare(fragment);
    assert.equal(renderer.render(renderRequest(shared), 'table').output, renderer.render(renderRequest(inputs), 'table').output);
  });

  test('a List of Secrets, flow style and stringData are covered; a document that cannot be read is left out', () => {
    const text = [
      'apiVersion: v1\nkind: List\nitems:\n  - {apiVersion: v1, kind: Secret, metadata: {name: a}, data: {token: c2VjcmV0LXRva2Vu}}',
      'apiVersion: v1\nkind: Secret\nmetadata:\n  name: b\nstringData:\n  password: "hunter2!"\n  note: |\n    multi\n    line',
      'apiVersion: v1\nkind: Secret\ndata:\n  key: [unclosed\n',
    ].join('\n---\n');
    const { text: redacted, values, secrets, withheld } = redactSecretValues(text);
    assert.deepEqual([values, secrets, withheld], [3, 2, 1]);
    for (const secret of ['c2VjcmV0LXRva2Vu', 'hunter2!', 'multi', 'unclosed']) assert.ok(!redacted.includes(secret), secret);
    assert.ok(redacted.includes(`token: ${btoa(placeholder(12))}`));
    assert.ok(redacted.includes(`password: ${placeholder(8)}`));
    assert.match(redacted, /^---\n# A document that names a Secret was left out/m);
  });
});

/** The data and stringData entries of every Secret document in a text, the way the examples write them. */
function secretData(text) {
  const found = [];
  for (const document of text.split(/^---$/m)) {
    if (!/^kind: Secret$/m.test(document)) continue;
    for (const [, field, body] of document.matchAll(/^(data|stringData):\n((?: {2}.*\n?)+)/gm)) {
      for (const line of body.split('\n').filter(Boolean)) {
        const [, key, raw] = /^ {2}([^:]+): (.*)$/.exec(line);
        const value = raw.replace(/^"(.*)"$/, '$1');
        const decoded = field === 'data' ? Buffer.from(value, 'base64').toString() : value;
        found.push({ key, value, decoded, bytes: field === 'data' ? base64Length(value) : Buffer.byteLength(value), line });
      }
    }
  }
  return found;
}
