// Every setting in the page: change one and see its effect; a bad one is said beside it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { screenshot, labSuite } from './support.mjs';

const SEED = 44;
const suite = labSuite(SEED);

const simulatedSeconds = (page) => page.evaluate(
  () => parseFloat(document.querySelector('output[aria-label="Simulated time"]').textContent),
);

test('a longer suspicion timeout keeps a crashed node suspect for longer', async () => {
  const { page, errors } = await suite.open();
  await page.locator('details.settings summary').click();
  const settings = page.getByRole('form', { name: 'Settings' });
  assert.ok(await settings.locator('.setting').count() >= 25, 'every field of the configuration');
  assert.match(await settings.locator('[data-field="suspicion_timeout"] .doc').textContent(), /\w/);

  // A value that does not read, and one that does not validate, are said beside their field.
  await settings.getByLabel('fanout', { exact: true }).fill('many');
  await settings.getByRole('button', { name: /^Apply/ }).click();
  assert.match(await settings.locator('[data-field="fanout"] .error').textContent(), /many|number/i);
  await settings.getByLabel('fanout', { exact: true }).fill('3');
  await settings.getByLabel('probe_timeout', { exact: true }).fill('5s');
  await settings.getByRole('button', { name: /^Apply/ }).click();
  assert.match(await settings.locator('[data-field="probe_timeout"] .error').textContent(), /probe_interval/);
  await settings.getByLabel('probe_timeout', { exact: true }).fill('500ms');

  // suspicion_timeout is one running nodes take on: the run goes on; mtu would rebuild.
  assert.equal(await settings.locator('[data-field="suspicion_timeout"]').getAttribute('data-live'), 'true');
  assert.equal(await settings.locator('[data-field="mtu"]').getAttribute('data-live'), 'false');
  assert.match(await settings.locator('[data-field="mtu"] label').textContent(), /rebuilds the cluster/);
  await page.waitForFunction(() => parseFloat(document.querySelector('output[aria-label="Simulated time"]').textContent) > 2);
  const beforeApply = await simulatedSeconds(page);
  await settings.getByLabel('suspicion_timeout', { exact: true }).fill('40s');
  await settings.getByRole('button', { name: /^Apply/ }).click();
  assert.equal(await settings.locator('.error').count(), 0);
  assert.ok(await simulatedSeconds(page) >= beforeApply, 'applied to the running cluster, not rebuilt');
  await page.waitForFunction(() => [...document.querySelectorAll('[data-node-id]')].every((n) => n.dataset.state === 'alive'), null, { timeout: 20_000 });
  await page.locator('select[aria-label="Speed"]').selectOption('8');
  await page.locator('[data-node-id="n3"]').click();
  const crashedAt = await simulatedSeconds(page);
  await page.waitForFunction(() => document.querySelector('[data-node-id="n3"]').dataset.state === 'suspect', null, { timeout: 30_000 });
  // With the demo's 5 s it would be dead well within 15 s; with 40 s it is still suspect.
  await page.waitForFunction((t) => parseFloat(document.querySelector('output[aria-label="Simulated time"]').textContent) > t + 15, crashedAt, { timeout: 30_000 });
  assert.equal(await page.locator('[data-node-id="n3"]').getAttribute('data-state'), 'suspect');
  await screenshot(page, 'lab-settings');
  assert.deepEqual(errors, []);
  await page.close();
});
