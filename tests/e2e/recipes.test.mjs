// The framework recipes in examples/ (plain, React, Vue), as a site's developer uses them: the npm
// package is packed, each example installs the tarball, builds with its own `npm run build`
// (esbuild), and runs in Chromium. The widget must work there (a message, a scripted reply, with
// the helpers of helpwire/testing from the same tarball), and unmounting and mounting again must
// leave exactly one widget. React's build is a development one, so StrictMode mounts twice.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { launch, watchConsole, ROOT, DIST } from './harness.mjs';
import { serve } from '../../scripts/serve.mjs';

const run = (cmd, args, cwd) => execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
const RECIPES = ['plain', 'react', 'vue'];

let scratch;
let browser;
let kit; // helpwire/testing, from the tarball
const sites = {};

before(async () => {
  scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'helpwire-recipes-'));
  run('node', [path.join(ROOT, 'scripts/package.mjs'), DIST, path.join(scratch, 'pkg')], ROOT);
  const [info] = JSON.parse(run('npm', ['pack', '--json', '--pack-destination', scratch, path.join(scratch, 'pkg')], scratch));
  const tarball = path.join(scratch, info.filename);
  for (const name of RECIPES) {
    const dir = path.join(ROOT, 'examples', name);
    // As the recipe's README says; `--no-save` leaves the example's package.json as it is.
    run('npm', ['install', '--offline', '--no-save', '--no-package-lock', '--no-audit', '--no-fund', '--loglevel=error', tarball], dir);
    run('npm', ['run', '--silent', 'build'], dir);
    sites[name] = await serve({ root: path.join(dir, 'public') });
  }
  kit = await import(path.join(ROOT, 'examples/plain/node_modules/helpwire/testing.js'));
  browser = await launch();
});

after(async () => {
  await browser?.close();
  for (const site of Object.values(sites)) site.server.close();
  if (scratch) fs.rmSync(scratch, { recursive: true, force: true });
});

/** How many widgets and loaders the page has. */
const count = (page) => page.evaluate(() => ({
  widgets: document.querySelectorAll('helpwire-chat').length,
  loaders: document.querySelectorAll('script[data-helpwire-loader]').length,
}));

for (const name of RECIPES) {
  test(`${name}: the widget works, and unmounting and mounting again leaves exactly one`, async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const seen = watchConsole(page);
    await page.goto(`${sites[name].url}/?helpwire-test`);
    await kit.open(page);
    assert.deepEqual(await count(page), { widgets: 1, loaders: 1 });
    assert.equal(await kit.part(page, 'panel').getAttribute('aria-labelledby'), 'hw-title');
    assert.equal(await page.locator('helpwire-chat #hw-title').textContent(), 'Acme support');
    await kit.send(page, 'Hello from the recipe');
    await kit.waitForDelivery(page);
    await kit.reply(page, 'Hello back');
    await kit.waitForReply(page, 'Hello back');

    await page.locator('#hide').click();
    await page.locator('helpwire-chat').waitFor({ state: 'detached' });
    assert.deepEqual(await count(page), { widgets: 0, loaders: 0 });
    assert.equal(await page.evaluate(() => 'Helpwire' in window), false);

    await page.locator('#show').click();
    await kit.open(page);
    assert.deepEqual(await count(page), { widgets: 1, loaders: 1 });
    // The same visitor, the same stored conversation: the fresh widget shows it.
    await kit.waitForReply(page, 'Hello back');
    await kit.send(page, 'Still there?');
    await kit.waitForDelivery(page);
    assert.deepEqual((await kit.readMessages(page)).map((m) => m.text), ['Hello from the recipe', 'Hello back', 'Still there?']);
    // Mounted twice in a row (a quick toggle): still one.
    await page.locator('#hide').click();
    await page.locator('#show').click();
    await kit.ready(page);
    assert.deepEqual(await count(page), { widgets: 1, loaders: 1 });
    assert.deepEqual(seen.errors, []);
    assert.deepEqual(seen.pageErrors, []);
    await context.close();
  });
}
