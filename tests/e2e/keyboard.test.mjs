// The lab from the keyboard: pause, step, rewind, and the help overlay.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { screenshot, labSuite } from './support.mjs';

const SEED = 66;
const suite = labSuite(SEED);

const seconds = (page) => page.locator('output[aria-label="Simulated time"]').textContent().then(parseFloat);

test('space pauses, arrows step and rewind, ? shows the shortcuts', async () => {
  const { page, errors } = await suite.open();
  // A shortcut's default is prevented, which a passive listener could not do.
  const consoleErrors = [];
  page.on('console', (message) => message.type() === 'error' && consoleErrors.push(message.text()));
  await page.locator('select[aria-label="Speed"]').selectOption('8');
  await page.waitForFunction(() => parseFloat(document.querySelector('output[aria-label="Simulated time"]').textContent) > 15);
  await page.locator('h1').click();
  await page.keyboard.press('Space');
  assert.ok(await page.getByRole('button', { name: 'Resume', exact: true }).isVisible());
  assert.equal(await page.evaluate(() => window.scrollY), 0, 'the page does not scroll as well');
  const paused = await seconds(page);
  await page.waitForTimeout(300);
  assert.equal(await seconds(page), paused, 'paused');
  await page.keyboard.press('Shift+ArrowRight');
  assert.ok(Math.abs((await seconds(page)) - (paused + 1)) < 0.01, 'one 1 s period');
  const digest = await page.locator('output[aria-label="Run digest"]').textContent();
  await page.keyboard.press('ArrowRight');
  assert.notEqual(await page.locator('output[aria-label="Run digest"]').textContent(), digest, 'one more event');
  const now = await seconds(page);
  await page.keyboard.press('ArrowLeft');
  assert.ok((await seconds(page)) <= now - 9.9, 'back 10 s');
  await page.keyboard.press('?');
  const dialog = page.getByRole('dialog', { name: 'Keyboard shortcuts' });
  assert.ok(await dialog.isVisible());
  await screenshot(page, 'lab-keyboard-help');
  await page.keyboard.press('Escape');
  assert.equal(await dialog.count(), 0);
  // Keys typed into a field stay there.
  await page.getByLabel('Key', { exact: true }).fill('');
  await page.getByLabel('Key', { exact: true }).press('Space');
  assert.ok(await page.getByRole('button', { name: 'Resume', exact: true }).isVisible(), 'still paused');
  // The nodes drawn in SVG: one tab stop, moved along the circle by the arrows.
  await page.locator('[data-node-id="n1"]').focus();
  await page.keyboard.press('ArrowRight');
  assert.equal(await page.evaluate(() => document.activeElement.dataset.nodeId), 'n2');
  await page.keyboard.press('End');
  assert.equal(await page.evaluate(() => document.activeElement.dataset.nodeId), 'n5');
  await page.keyboard.press('ArrowRight');
  assert.equal(await page.evaluate(() => document.activeElement.dataset.nodeId), 'n1', 'round the circle');
  assert.equal(await page.locator('[data-node-id][tabindex="0"]').count(), 1, 'still one tab stop');
  assert.deepEqual(errors, []);
  assert.deepEqual(consoleErrors, []);
  await page.close();
});
