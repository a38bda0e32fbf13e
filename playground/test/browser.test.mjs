// The playground in headless Chromium (playwright-core), served from dist/
// on loopback by scripts/serve.mjs. Screenshots go to test-results/.
//
// CHROMIUM=/path/to/chromium overrides the browser (default /usr/bin/chromium);
// LOAD_BUDGET_MS (default 1000) is the most the first render may take, from
// navigation start to the frame that paints example aws-iam's table.

import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { chromium } from 'playwright-core';

import { startServer } from '../scripts/serve.mjs';

const playground = fileURLToPath(new URL('..', import.meta.url));
const dist = join(playground, 'dist');
const results = join(playground, 'test-results');
const executablePath = process.env.CHROMIUM || '/usr/bin/chromium';
const loadBudgetMs = Number(process.env.LOAD_BUDGET_MS || 1000);
const VIEWPORT = { width: 1440, height: 900 };

const CLAIM_SECRET = 'my-access-key-secret';
const XR_SECRET = '5b8d7c52-3f0a-4a5e-9c1d-2e6f8a9b0c1d';
// examples/aws-iam/secrets.yaml: key1's username, and its base64.
const USERNAME = 'AKIAEXAMPLEKEY01USRX';
const USERNAME_BASE64 = 'QUtJQUVYQU1QTEVLRVkwMVVTUlg=';

let server;
let browser;

before(async () => {
  if (!existsSync(join(dist, 'index.html'))) throw new Error('dist/ is missing: run `npm run build` first');
  if (!existsSync(executablePath)) {
    throw new Error(`no Chromium at ${executablePath}: install it (apt-get install -y chromium) or set CHROMIUM`);
  }
  mkdirSync(results, { recursive: true });
  server = await startServer({ root: dist, host: '127.0.0.1', port: 0 });
  // launch() gives the browser a fresh, temporary --user-data-dir.
  browser = await chromium.launch({
    executablePath,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
});

after(async () => {
  await browser?.close();
  await server?.close();
});

/** A page in a fresh context (no cache, no storage), with its errors collected. */
async function freshPage() {
  const context = await browser.newContext({ viewport: VIEWPORT, serviceWorkers: 'block' });
  const page = await context.newPage();
  page.errors = [];
  page.on('pageerror', (error) => page.errors.push(error.message));
  page.on('console', (message) => {
    if (message.type() === 'error') page.errors.push(message.text());
  });
  // Nothing but loopback: every other request fails the test.
  page.requests = [];
  page.on('request', (request) => page.requests.push(request.url()));
  return page;
}

async function close(page) {
  await page.context().close();
}

const tableText = (page) => page.locator('#table-output').textContent();
/** An editor's text, by its label (CodeMirror keeps it in its state, not in a form field). */
const editorText = (page, label) => page.evaluate((name) => window.playground.text(name), label);
const renders = (page) => page.locator('#output').getAttribute('data-renders').then(Number);

/** Waits for the next render result after `count` results, and returns its type. */
async function nextResult(page, count) {
  await page.waitForFunction(
    (previous) => Number(document.getElementById('output').dataset.renders) > previous,
    count,
    { timeout: 15000 },
  );
  return page.locator('#output').getAttribute('data-result');
}

/** Changes an editor (by its label) the way typing does, and waits for the re-render. */
async function edit(page, label, change) {
  const editor = page.getByLabel(label, { exact: true });
  const before = await renders(page);
  const text = await editorText(page, label);
  const changed = change(text);
  assert.notEqual(changed, text, `the edit of ${label} changes nothing`);
  await editor.fill(changed);
  assert.equal(await editorText(page, label), changed, `${label} does not hold the edit`);
  return nextResult(page, before);
}

async function selectExample(page, name) {
  const before = await renders(page);
  await page.getByLabel('Example', { exact: true }).selectOption(name);
  assert.equal(await nextResult(page, before), 'rendered');
}

async function showTab(page, name) {
  await page.getByRole('tab', { name: new RegExp(`^${name}`) }).click();
}

function shot(page, name) {
  return page.screenshot({ path: join(results, `${name}.png`), fullPage: false });
}

function listing(table, namespace, name) {
  const row = table.split('\n').find((line) => new RegExp(`^${namespace}\\s+${name}\\s`).test(line));
  assert.ok(row, `the table lists no ${namespace}/${name}:\n${table}`);
  return Number(row.trim().split(/\s+/).at(-1));
}

/** The values under each `data:` of a Secrets text written the way the examples write it. */
function dataValues(text) {
  return [...text.matchAll(/^data:\n((?: {2}.*\n)+)/gm)].flatMap(([, body]) => [...body.matchAll(/: (\S+)$/gm)].map((m) => m[1]));
}

function assertOnlyLoopback(page) {
  const origin = new URL(server.url).origin;
  const elsewhere = page.requests.filter((url) => !url.startsWith(origin) && !url.startsWith('data:') && !url.startsWith('blob:'));
  assert.deepEqual(elsewhere, [], 'the page requested something off loopback');
}

describe('the playground in Chromium', () => {
  test('loads example aws-iam and renders its table fast', async () => {
    // Three cold loads, each in a fresh context (empty cache); the best must
    // be within the budget, so that a burst of load elsewhere on the machine
    // does not fail the test, and all three are printed.
    const loads = [];
    let page;
    for (let attempt = 0; attempt < 3; attempt += 1) {
      if (page) await close(page);
      page = await freshPage();
      const started = Date.now();
      await page.goto(server.url);
      await page.waitForFunction(() => window.playgroundMetrics, null, { timeout: 15000, polling: 'raf' });
      const wallMs = Date.now() - started;
      const { firstRenderMs } = await page.evaluate(() => window.playgroundMetrics);
      const domContentLoaded = await page.evaluate(() => performance.getEntriesByType('navigation')[0].domContentLoadedEventEnd);
      loads.push(firstRenderMs);
      console.log(
        `load ${attempt + 1}: navigation → aws-iam table painted in ${Math.round(firstRenderMs)} ms ` +
          `(DOMContentLoaded ${Math.round(domContentLoaded)} ms; ${wallMs} ms from page.goto)`,
      );
    }
    const best = Math.min(...loads);
    const median = [...loads].sort((a, b) => a - b)[1];
    console.log(`load: best ${Math.round(best)} ms, median ${Math.round(median)} ms, budget ${loadBudgetMs} ms`);
    assert.ok(best <= loadBudgetMs, `the first render took at best ${Math.round(best)} ms, over ${loadBudgetMs} ms`);
    assert.ok((await tableText(page)).includes(CLAIM_SECRET));
    assert.equal(await page.getByLabel('Example', { exact: true }).inputValue(), 'aws-iam');
    // The table comes first; the other views follow with the rest of the render.
    await page.waitForFunction(() => document.getElementById('output').dataset.result === 'rendered');

    const table = await tableText(page);
    assert.equal(listing(table, 'default', CLAIM_SECRET), 7);
    assert.equal(listing(table, 'other-namespace', XR_SECRET), 7);
    assert.match(table, /^WARNING\s.*"key2-pass"/m);
    await shot(page, '01-aws-iam-table');

    // The results view lists the warning with its severity.
    await showTab(page, 'Results');
    const warning = page.locator('#results-output li.result.warning');
    await warning.waitFor();
    assert.match(await warning.textContent(), /WARNING.*key2-pass/s);
    await shot(page, '02-aws-iam-results');

    // No value shows anywhere until one key is revealed, and then only that one.
    // (The Secrets editor shows what was typed into it; the output shows none of it.)
    const shown = await page.evaluate(() => document.getElementById('output').innerText + document.getElementById('output').textContent);
    assert.ok(!shown.includes(USERNAME) && !shown.includes(USERNAME_BASE64), 'a secret value shows before any reveal');
    await showTab(page, 'YAML');
    const yaml = await page.locator('#yaml-output').textContent();
    assert.match(yaml, /^ {2}username: <hidden, 20 bytes>$/m);
    assert.match(yaml, /^kind: Result$/m);
    await shot(page, '02b-aws-iam-yaml');
    await showTab(page, 'Secrets');
    const claim = page.getByRole('article', { name: `Secret default/${CLAIM_SECRET}` });
    assert.equal(await claim.locator('li.key').count(), 7);
    await page.getByRole('button', { name: `Reveal username of Secret default/${CLAIM_SECRET}` }).click();
    assert.equal(await claim.locator('code.value:visible').textContent(), USERNAME);
    await shot(page, '03-aws-iam-secrets-reveal');
    await page.getByRole('button', { name: `Hide username of Secret default/${CLAIM_SECRET}` }).click();
    assert.equal(await claim.locator('code.value:visible').count(), 0);

    assertOnlyLoopback(page);
    assert.deepEqual(page.errors, []);
    await close(page);
  });

  test('every example renders in the page exactly as the CLI does', async () => {
    const examples = join(playground, '..', 'examples');
    const names = readdirSync(examples).filter((name) => existsSync(join(examples, name, 'xr.yaml')));
    assert.ok(names.length >= 5, `examples found: ${names}`);
    const page = await freshPage();
    await page.goto(server.url);
    await page.waitForFunction(() => document.getElementById('output').dataset.result === 'rendered');
    for (const name of names) {
      if ((await page.getByLabel('Example', { exact: true }).inputValue()) !== name) await selectExample(page, name);
      const expected = readFileSync(join(examples, name, 'expected', 'render.txt'), 'utf8');
      assert.equal(await tableText(page), expected, `examples/${name}: the Table view differs from expected/render.txt`);
    }
    assert.deepEqual(page.errors, []);
    await close(page);
  });

  test('re-renders when the XRD is edited', async () => {
    const page = await freshPage();
    await page.goto(server.url);
    await page.waitForFunction(() => document.getElementById('output').dataset.result === 'rendered');
    const result = await edit(page, 'XRD', (text) =>
      text.replace(/ {2}connectionSecretKeys:\n( {4}- .*\n)+/, '  connectionSecretKeys: [username, password, key2-user]\n'),
    );
    assert.equal(result, 'rendered');
    const table = await tableText(page);
    assert.equal(listing(table, 'default', CLAIM_SECRET), 3);
    assert.equal(listing(table, 'other-namespace', XR_SECRET), 3);
    assert.doesNotMatch(table, /"key2-pass"/, "the XRD no longer lists key2-pass, so no warning names it");
    await showTab(page, 'Secrets');
    const claim = page.getByRole('article', { name: `Secret default/${CLAIM_SECRET}` });
    assert.deepEqual(await claim.locator('code.key-name').allTextContents(), ['key2-user', 'password', 'username']);
    await shot(page, '04-xrd-edited');
    assert.deepEqual(page.errors, []);
    await close(page);
  });

  test('shows the aso example held not Ready without its required resources', async () => {
    const page = await freshPage();
    await page.goto(server.url);
    await page.waitForFunction(() => document.getElementById('output').dataset.result === 'rendered');
    await selectExample(page, 'aso');
    await showTab(page, 'Results');
    const condition = page.locator('#results-output li.condition');
    assert.match(await condition.textContent(), /ConnectionSecretReady is True/);

    const result = await edit(page, 'Required resources', () => '');
    assert.equal(result, 'rendered');
    assert.match(await condition.textContent(), /Not ready.*ConnectionSecretReady is False.*admin-password/s);
    assert.ok(await condition.evaluate((node) => node.classList.contains('fatal')), 'the not-Ready condition is not marked');
    assert.match(await page.locator('#summary').textContent(), /ConnectionSecretReady: False/);
    assert.match(await tableText(page), /^ConnectionSecretReady\s+False\s/m);
    await shot(page, '05-aso-not-ready');
    assert.deepEqual(page.errors, []);
    await close(page);
  });

  test('names the XR and the line of a YAML error', async () => {
    const page = await freshPage();
    await page.goto(server.url);
    await page.waitForFunction(() => document.getElementById('output').dataset.result === 'rendered');
    const good = await tableText(page);
    // Line 4 of examples/aws-iam/xr.yaml is `  name: test-secrets-7x5kq`.
    const result = await edit(page, 'XR', (text) => text.replace('  name: test-secrets-7x5kq', '  name: test: secrets'));
    assert.equal(result, 'input-error');
    const alert = page.getByRole('alert');
    const message = await alert.textContent();
    assert.match(message, /Input error in XR, line 4/);
    assert.equal(await page.getByLabel('XR', { exact: true }).getAttribute('aria-invalid'), 'true');
    assert.match(await page.locator('#error-xr').textContent(), /^Line 4: /);
    assert.equal(await tableText(page), good, 'the last good output stays');
    await page.getByRole('button', { name: 'Go to line 4' }).click();
    assert.equal(await page.evaluate(() => window.playground.selection('XR')), '  name: test: secrets');
    await shot(page, '06-xr-error');

    assert.equal(await edit(page, 'XR', (text) => text.replace('  name: test: secrets', '  name: test-secrets-7x5kq')), 'rendered');
    assert.equal(await alert.count(), 0);
    assert.equal(await tableText(page), good);
    assert.deepEqual(page.errors, []);
    await close(page);
  });

  /** Shares the page (ticking "Include Secret values" when asked) and returns the link and the status line. */
  async function share(page, { withSecretValues = false } = {}) {
    const box = page.getByRole('checkbox', { name: 'Include Secret values' });
    if (withSecretValues) await box.check();
    else assert.equal(await box.isChecked(), false, 'Secret values are left out unless asked for');
    await page.getByRole('button', { name: 'Share', exact: true }).click();
    const link = page.getByRole('link', { name: 'Share link' });
    await link.waitFor();
    const href = await link.getAttribute('href');
    assert.match(href, /^http:\/\/127\.0\.0\.1:\d+\/#s=[A-Za-z0-9_-]+$/);
    assert.equal(page.url(), href);
    return { href, status: await page.locator('#share-status').textContent() };
  }

  async function openShared(href) {
    const shared = await freshPage();
    await shared.goto(href);
    await shared.waitForFunction(() => document.getElementById('output').dataset.result === 'rendered');
    return shared;
  }

  test('a share link restores the inputs and the output in a fresh page, with placeholders for Secret values', async () => {
    const page = await freshPage();
    await page.goto(server.url);
    await page.waitForFunction(() => document.getElementById('output').dataset.result === 'rendered');
    await edit(page, 'XRD', (text) => text.replace('    - key2-pass\n', ''));
    const inputs = {};
    for (const label of ['XR', 'Composition', 'Observed resources', 'Secrets', 'Required resources', 'XRD', 'Claim']) {
      inputs[label] = await editorText(page, label);
    }
    const table = await tableText(page);
    const { href, status } = await share(page);
    assert.match(status, /Secret values are placeholders of the same sizes \(8 values in 2 Secrets\)/);
    console.log(`share: link of ${href.length} characters`);
    await close(page);

    // The link holds none of the values, in any form.
    const fragment = href.slice(href.indexOf('#'));
    const decoded = await (await freshPage()).evaluate(async (hash) => {
      const compressed = Uint8Array.from(atob(hash.slice(3).replace(/-/g, '+').replace(/_/g, '/')), (c) => c.charCodeAt(0));
      const stream = new Blob([compressed]).stream().pipeThrough(new DecompressionStream('deflate-raw'));
      return new Response(stream).text();
    }, fragment);
    const values = dataValues(inputs.Secrets);
    assert.equal(values.length, 8);
    for (const value of values) {
      assert.ok(!decoded.includes(value), `the link holds the value ${value.slice(0, 6)}…`);
      assert.ok(!decoded.includes(Buffer.from(value, 'base64').toString()), 'the link holds a decoded value');
    }

    const shared = await openShared(href);
    for (const [label, text] of Object.entries(inputs)) {
      if (label !== 'Secrets') assert.equal(await editorText(shared, label), text, `${label} is not restored`);
    }
    const placeholders = await editorText(shared, 'Secrets');
    const shape = (text) => text.replace(/^(data:\n)((?: {2}.*\n)+)/gm, (all, head, body) => head + body.replace(/: .*/g, ': …'));
    assert.equal(shape(placeholders), shape(inputs.Secrets), 'only the values differ');
    assert.notEqual(placeholders, inputs.Secrets);
    assert.equal(await tableText(shared), table, 'the same keys with the same sizes');
    assert.doesNotMatch(table, /"key2-pass"/, "the XRD no longer lists key2-pass, so no warning names it");
    assert.match(await shared.locator('#share-status').textContent(), /Secret values are placeholders/);
    assert.equal(await shared.getByLabel('Example', { exact: true }).inputValue(), 'aws-iam');
    await showTab(shared, 'Secrets');
    await shared.getByRole('button', { name: `Reveal username of Secret default/${CLAIM_SECRET}` }).click();
    assert.equal(await shared.locator('code.value:visible').textContent(), 'REDACTEDREDACTEDREDA');
    await shot(shared, '07-shared');
    assertOnlyLoopback(shared);
    assert.deepEqual(shared.errors, []);
    await close(shared);
  });

  test('a share link carries the Secret values only when "Include Secret values" is ticked', async () => {
    const page = await freshPage();
    await page.goto(server.url);
    await page.waitForFunction(() => document.getElementById('output').dataset.result === 'rendered');
    const secrets = await editorText(page, 'Secrets');
    const { href, status } = await share(page, { withSecretValues: true });
    assert.match(status, /includes the Secret values: anyone with the link can read them/);
    await close(page);
    const shared = await openShared(href);
    assert.equal(await editorText(shared, 'Secrets'), secrets);
    assert.ok(secrets.includes(USERNAME_BASE64));
    assert.deepEqual(shared.errors, []);
    await close(shared);
  });

  test('a runaway render is stopped, and a trap too, and the page stays usable', async () => {
    const page = await freshPage();
    const timeoutMs = 400;
    await page.goto(`${server.url}?renderTimeoutMs=${timeoutMs}&test`);
    await page.waitForFunction(() => document.getElementById('output').dataset.result === 'rendered');
    const good = await tableText(page);

    let count = await renders(page);
    const started = Date.now();
    await page.evaluate(() => window.playgroundTest.runaway(60000));
    assert.equal(await nextResult(page, count), 'timeout');
    const stoppedMs = Date.now() - started;
    console.log(`runaway: a 60 s render was stopped after ${stoppedMs} ms (limit ${timeoutMs} ms)`);
    assert.ok(stoppedMs < 5000, `the runaway render ran ${stoppedMs} ms`);
    const alert = page.getByRole('alert');
    assert.match(await alert.textContent(), /Render stopped.*longer than 0\.4 s.*still usable/s);
    assert.equal(await page.evaluate(() => window.playgroundTest.restarts()), 1);
    // The page answers at once: the main thread was never blocked.
    const ticks = await page.evaluate(() => new Promise((done) => setTimeout(() => done('tick'), 10)));
    assert.equal(ticks, 'tick');
    await shot(page, '08-runaway-stopped');

    count = await renders(page);
    await page.getByRole('button', { name: 'Render', exact: true }).click();
    assert.equal(await nextResult(page, count), 'rendered');
    assert.equal(await tableText(page), good);
    assert.equal(await alert.count(), 0);

    count = await renders(page);
    await page.evaluate(() => window.playgroundTest.trap());
    assert.equal(await nextResult(page, count), 'trap');
    assert.match(await alert.textContent(), /The component trapped.*RuntimeError.*replaced/s);
    assert.equal(await page.evaluate(() => window.playgroundTest.restarts()), 2);

    assert.equal(await edit(page, 'Claim', (text) => `${text}\n`), 'rendered');
    assert.equal(await tableText(page), good);
    assert.deepEqual(page.errors, []);
    await close(page);
  });
});
