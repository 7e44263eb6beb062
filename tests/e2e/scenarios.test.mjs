// Every guided scenario, run in the page to its last checkpoint.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { screenshot, labSuite } from './support.mjs';

const SEED = 55;
const suite = labSuite(SEED);

test('each scenario ticks off every checkpoint, in order', async () => {
  const { page, errors } = await suite.open();
  const select = page.locator('select[aria-label="Scenario"]');
  const ids = await select.locator('option:not([disabled])').evaluateAll((options) => options.map((o) => o.value));
  assert.ok(ids.length >= 12, `the scenarios: ${ids}`);
  for (const id of ids) {
    await select.selectOption(id);
    if (id === 'rumor') {
      // The rumor's excitement shows under its holders' discs while it is hot.
      await page.locator('select[aria-label="Speed"]').selectOption('1');
      await page.waitForFunction(
        () => /rumor \d+\/\d+/.test(document.querySelector('[data-node-id="n1"] .detail')?.textContent ?? ''),
        null,
        { timeout: 30_000 },
      );
    }
    await page.locator('select[aria-label="Speed"]').selectOption('8');
    const list = page.getByRole('list', { name: 'What to watch' });
    assert.ok(await list.locator('li').count() >= 1, id);
    await page.waitForFunction(
      () => [...document.querySelectorAll('ol[aria-label="What to watch"] li')].every((li) => li.dataset.reached === 'true'),
      null,
      { timeout: 60_000 },
    ).catch(async (error) => {
      const items = await list.locator('li').allTextContents();
      throw new Error(`${id} stopped at: ${items.join(' | ')} (${error.message})`);
    });
    assert.equal(await page.locator('section[aria-label="Guided scenarios"] .done').textContent(), 'Every checkpoint reached.');
    if (id === 'conflict') await screenshot(page, 'lab-scenario-conflict');
  }
  assert.deepEqual(errors, []);
  await page.close();
});
