// The lab from the keyboard: pause, step, rewind, and the help overlay.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { screenshot, labSuite } from './support.mjs';

const SEED = 66;
const suite = labSuite(SEED);

const seconds = (page) => page.locator('output[aria-label="Simulated time"]').textContent().then(parseFloat);

test('space pauses, arrows step and rewind, ? shows the shortcuts', async () => {
  const { page, errors } = await suite.open();
  await page.locator('select[aria-label="Speed"]').selectOption('8');
  await page.waitForFunction(() => parseFloat(document.querySelector('output[aria-label="Simulated time"]').textContent) > 15);
  await page.locator('h1').click();
  await page.keyboard.press('Space');
  assert.ok(await page.getByRole('button', { name: 'Resume', exact: true }).isVisible());
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
  assert.deepEqual(errors, []);
  await page.close();
});
