// A run shared by its link: opening the link replays it to the same moment, exactly.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { serveStatic, launchBrowser, screenshot, distDir, openLab } from './support.mjs';

const SEED = 33;
let server;
let browser;

before(async () => {
  server = await serveStatic(distDir);
  browser = await launchBrowser();
  console.log(`seed ${SEED}, serving ${distDir} at ${server.url}`);
});

after(async () => {
  await browser?.close();
  await server?.close();
});

const digestOf = (page) => page.locator('output[aria-label="Run digest"]').textContent();
const timeOf = (page) => page.locator('output[aria-label="Simulated time"]').textContent();

test('a copied link reproduces the same run at the same moment', async () => {
  const { page, errors } = await openLab(browser, server.url, SEED);
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
  await page.getByRole('button', { name: 'Link to this run' }).click();
  const link = await page.getByRole('textbox', { name: 'Link to this run' }).inputValue();
  assert.match(link, /#run=[A-Za-z0-9_-]+$/);
  assert.equal(await page.evaluate(() => window.location.href), link, 'the address bar holds it too');
  const [digest, time] = [await digestOf(page), await timeOf(page)];

  const copy = await browser.context.newPage();
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

  const broken = await browser.context.newPage();
  await broken.goto(`${server.url}#run=cut-short`);
  await broken.waitForSelector('[data-node-id]');
  assert.match(await broken.getByRole('alert').textContent(), /could not be opened/);
  assert.deepEqual(errors, []);
  assert.deepEqual(copyErrors, []);
  await Promise.all([page.close(), copy.close(), broken.close()]);
});
