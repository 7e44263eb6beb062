// A run shared by its link: opening the link replays it to the same moment, exactly.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { screenshot, labSuite, GOSSIP } from './support.mjs';


const SEED = 33;
const suite = labSuite(SEED);

const digestOf = (page) => page.locator('output[aria-label="Run digest"]').textContent();
const timeOf = (page) => page.locator('output[aria-label="Simulated time"]').textContent();

test('a copied link reproduces the same run at the same moment', async () => {
  const { page, errors } = await suite.open();
  await page.locator('select[aria-label="Speed"]').selectOption('8');
  await page.waitForFunction(() => parseFloat(document.querySelector('output[aria-label="Simulated time"]').textContent) > 4);
  await page.locator('[data-node-id="n3"]').click();
  await page.locator('[data-node-id="n1"]').click({ modifiers: ['Shift'] });
  await page.getByRole('button', { name: 'Cut off picked' }).click();
  await page.getByLabel('Key', { exact: true }).fill('colour');
  await page.getByLabel('Value', { exact: true }).fill('blue');
  await page.getByRole('button', { name: 'Put' }).click();
  await page.waitForFunction(() => parseFloat(document.querySelector('output[aria-label="Simulated time"]').textContent) > 12);
  await page.getByRole('button', { name: 'Pause', exact: true }).click();
  await suite.browser.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: suite.server.url });
  await page.getByRole('button', { name: 'Link to this run' }).click();
  const link = await page.getByRole('textbox', { name: 'Link to this run' }).inputValue();
  assert.match(link, /#run=[A-Za-z0-9_-]+$/);
  assert.equal(await page.evaluate(() => window.location.href), link, 'the address bar holds it too');
  await page.locator('.share [role="status"]', { hasText: 'copied' }).waitFor();
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), link, 'and the clipboard');
  const [digest, time] = [await digestOf(page), await timeOf(page)];

  const copy = await suite.browser.context.newPage();
  const copyErrors = [];
  copy.on('pageerror', (error) => copyErrors.push(error.message));
  await copy.goto(link);
  await copy.waitForSelector('[data-node-id]');
  assert.equal(await timeOf(copy), time);
  assert.equal(await digestOf(copy), digest, 'the same run');
  assert.equal(await copy.locator('[data-node-id="n3"]').getAttribute('data-up'), 'false');
  assert.equal(await copy.locator('line.cut').count(), 4, 'n1 still cut off');
  assert.ok(await copy.getByRole('button', { name: 'Resume', exact: true }).isVisible(), 'paused at that moment');
  await screenshot(copy, 'lab-shared-link');

  const broken = await suite.browser.context.newPage();
  await broken.goto(`${suite.server.url}#run=cut-short`);
  await broken.waitForSelector('[data-node-id]');
  assert.match(await broken.getByRole('alert').textContent(), /could not be opened/);
  // The good link pasted into that open tab opens it.
  await broken.evaluate((hash) => { window.location.hash = hash; }, new URL(link).hash);
  await broken.waitForFunction((d) => document.querySelector('output[aria-label="Run digest"]')?.textContent === d, digest, { timeout: 30_000 });
  assert.deepEqual(errors, []);
  assert.deepEqual(copyErrors, []);
  await Promise.all([page.close(), copy.close(), broken.close()]);
});

test('what the page address gets wrong is said, and the rest of it is used', async () => {
  const page = await suite.browser.context.newPage();
  await page.goto(`${suite.server.url}?sed=3&nodes=7`);
  await page.waitForSelector('[data-node-id]');
  assert.match(await page.getByRole('alert').textContent(), /sed means nothing here: the lab reads seed and nodes/);
  assert.equal(await page.locator('[data-node-id]').count(), 7, 'nodes=7 was used');
  await page.close();
});

test('a chaos trace opens as the same run and can be scrubbed back through', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gossip-trace-'));
  const file = join(dir, 'chaos.json');
  execFileSync(GOSSIP, ['sim', 'chaos', '--schedules', '1', '--nodes', '8', '--seed', '5', '--trace', file], { stdio: 'ignore' });
  // The digest is a u64: read it from the text, not through a JS number.
  const digest = BigInt(readFileSync(file, 'utf8').match(/"digest":\s*(\d+)/)[1]).toString(16).padStart(16, '0');
  const { page, errors } = await suite.open();
  await page.getByLabel('Open a trace file').setInputFiles(file);
  // The same run as the command line's, datagram for datagram: the same digest.
  await page.waitForFunction((d) => document.querySelector('output[aria-label="Run digest"]').textContent === d, digest, { timeout: 30_000 });
  assert.ok(await page.locator('[data-node-id]').count() >= 8, 'its nodes (and any the schedule added)');
  assert.equal(await page.getByRole('alert').count(), 0, 'no warning: the same build');
  assert.ok(await page.getByRole('button', { name: 'Resume', exact: true }).isVisible(), 'paused at its end');
  const end = await timeOf(page);
  await page.getByRole('button', { name: 'Back 10 s' }).click();
  await page.waitForFunction((t) => document.querySelector('output[aria-label="Simulated time"]').textContent !== t, end);
  assert.ok(parseFloat(await timeOf(page)) < parseFloat(end), 'scrubbed back');
  await screenshot(page, 'lab-trace');
  assert.deepEqual(errors, []);
  await page.close();
  rmSync(dir, { recursive: true, force: true });
});

test('a large run opens a piece at a time, the page answering and saying how far it got', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gossip-trace-'));
  const file = join(dir, 'chaos-300.json');
  // 300 members through 30 faults and back to quiet: five simulated minutes, seconds
  // of replay in the page.
  execFileSync(GOSSIP, ['sim', 'chaos', '--schedules', '1', '--nodes', '300', '--seed', '5', '--trace', file], { stdio: 'ignore' });
  const digest = BigInt(readFileSync(file, 'utf8').match(/"digest":\s*(\d+)/)[1]).toString(16).padStart(16, '0');
  const { page, errors } = await suite.open();
  await page.getByLabel('Open a trace file').setInputFiles(file);
  const status = page.locator('p.behind[role="status"]');
  const percent = async () => Number((await status.textContent()).match(/(\d+)% done/)?.[1] ?? NaN);
  await page.waitForFunction(() => /^Opening the run: replayed to/.test(document.querySelector('p.behind[role="status"]').textContent), null, { timeout: 30_000 });
  const first = await percent();
  assert.ok(await page.getByRole('button', { name: 'Link to this run' }).isDisabled(), 'no link to the empty stand-in');
  // The page answers meanwhile: the keyboard help opens and closes.
  await page.locator('h1').click();
  await page.keyboard.press('?');
  assert.ok(await page.getByRole('dialog', { name: 'Keyboard shortcuts' }).isVisible(), 'the help opens while the run is replayed');
  await page.keyboard.press('Escape');
  await page.waitForFunction((p) => {
    const m = document.querySelector('p.behind[role="status"]').textContent.match(/(\d+)% done/);
    return !m || Number(m[1]) > p;
  }, first, { timeout: 30_000 });
  await page.waitForFunction((d) => document.querySelector('output[aria-label="Run digest"]').textContent === d, digest, { timeout: 60_000 });
  assert.equal(await status.textContent(), '', 'the status line is quiet once it is open');
  assert.equal(await page.getByRole('alert').count(), 0, 'no warning: the same build');
  assert.ok(await page.getByRole('button', { name: 'Resume', exact: true }).isVisible(), 'paused at its end');
  assert.ok(await page.locator('[data-node-id]').count() >= 300, 'its members');
  assert.deepEqual(errors, []);
  await page.close();
  rmSync(dir, { recursive: true, force: true });
});
