// Seeing more: one node's view, the suspicion arc, a pinned datagram, a key's holders,
// and the event log's filter and jump.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { screenshot, labSuite } from './support.mjs';

const SEED = 77;
const suite = labSuite(SEED);

test('states through one node’s eyes, a shrinking suspicion arc, a pinned datagram, a key’s holders, a filtered log', async () => {
  const { page, errors } = await suite.open();
  await page.waitForFunction(() => [...document.querySelectorAll('[data-node-id]')].every((n) => n.dataset.state === 'alive'), null, { timeout: 20_000 });

  // Pin a datagram: its decoded contents stay on the page.
  await page.waitForSelector('circle.message.ping');
  await page.locator('circle.message.ping').first().dispatchEvent('click');
  const pinned = page.getByRole('region', { name: 'Pinned datagram' });
  assert.match(await pinned.locator('pre').textContent(), /^ping n\d → n\d\nprobe #\d+: are you alive, n\d\?/);

  // A key's holders are ringed.
  await page.getByLabel('Key', { exact: true }).fill('colour');
  await page.getByLabel('Value', { exact: true }).fill('blue');
  await page.getByRole('button', { name: 'Put' }).click();
  await page.getByRole('button', { name: 'Show who holds colour' }).click();
  await page.waitForFunction(() => document.querySelectorAll('.node circle.holds-key').length === 5, null, { timeout: 20_000 });

  // Crash n4: the suspicion arc appears and shrinks; n4's own view stops (it is down).
  await page.locator('select[aria-label="Speed"]').selectOption('2');
  await page.locator('[data-node-id="n4"]').click();
  await page.waitForSelector('[data-node-id="n4"] path.suspicion-arc', { timeout: 20_000 });
  const first = Number(await page.locator('[data-node-id="n4"] path.suspicion-arc').getAttribute('data-left'));
  await page.waitForFunction(
    (f) => Number(document.querySelector('[data-node-id="n4"] path.suspicion-arc')?.dataset.left ?? 0) < f,
    first,
  );
  await screenshot(page, 'lab-seeing-more');
  await page.locator('select[aria-label="View"]').selectOption('n4');
  await page.waitForFunction(() => document.querySelector('[data-node-id="n1"]').dataset.state === 'unknown');
  await page.locator('select[aria-label="View"]').selectOption('n1');
  await page.waitForFunction(() => ['suspect', 'dead'].includes(document.querySelector('[data-node-id="n4"]').dataset.state));

  // The log filters, and a click on an entry goes back to it.
  await page.getByLabel('Filter events').fill('suspects n4');
  await page.waitForFunction(() => document.querySelectorAll('ol.events li').length >= 1);
  const entries = await page.locator('ol.events li').allTextContents();
  assert.ok(entries.every((e) => e.includes('suspects n4')), entries.join(' | '));
  const jump = page.locator('ol.events li button').last();
  const to = parseFloat(await jump.textContent());
  await jump.click();
  assert.equal(parseFloat(await page.locator('output[aria-label="Simulated time"]').textContent()), to);
  assert.ok(await page.getByRole('button', { name: 'Resume', exact: true }).isVisible(), 'paused there');
  assert.deepEqual(errors, []);
  await page.close();
});
