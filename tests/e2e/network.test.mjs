// The cluster's size and the network in a person's hands, against the release build.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { screenshot, labSuite } from './support.mjs';

const SEED = 21;
const suite = labSuite(SEED);

const states = (page) => page.evaluate(() => Object.fromEntries(
  [...document.querySelectorAll('[data-node-id]')].map((n) => [n.dataset.nodeId, n.dataset.state]),
));

const pick = (page, id) => page.locator(`[data-node-id="${id}"]`).click({ modifiers: ['Shift'] });

test('the cluster grows to 50 nodes; five crashed ones are declared dead by the rest', async () => {
  const { page, errors } = await suite.open();
  // A size out of range is refused at the field, saying the range; nothing changes.
  const size = page.getByLabel('Cluster size');
  await size.fill('0');
  await size.press('Enter');
  assert.equal(await size.evaluate((input) => input.validationMessage), 'Cluster size: choose 1 to 10000');
  assert.equal(await page.locator('[data-node-id]').count(), 5);
  await size.fill('50');
  assert.equal(await size.evaluate((input) => input.validationMessage), '', 'mended as it is typed');
  await size.press('Enter');
  await page.waitForFunction(() => document.querySelectorAll('[data-node-id]').length === 50);
  await page.locator('select[aria-label="Speed"]').selectOption('8');
  const victims = ['n3', 'n11', 'n20', 'n34', 'n47'];
  for (const id of victims) await page.locator(`[data-node-id="${id}"]`).click();
  await page.waitForFunction(
    (ids) => ids.every((id) => document.querySelector(`[data-node-id="${id}"]`).dataset.up === 'false'),
    victims,
  );
  await page.waitForFunction(
    (ids) => ids.every((id) => document.querySelector(`[data-node-id="${id}"]`).dataset.state === 'dead'),
    victims,
    { timeout: 60_000 },
  );
  const seen = await states(page);
  const others = Object.entries(seen).filter(([id]) => !victims.includes(id));
  assert.equal(others.length, 45);
  assert.ok(others.every(([, state]) => state === 'alive'), JSON.stringify(seen));
  await page.getByRole('button', { name: 'Add node' }).click();
  await page.waitForFunction(() => document.querySelector('[data-node-id="n51"]')?.dataset.state === 'alive', null, { timeout: 30_000 });
  await screenshot(page, 'lab-50-nodes');
  assert.deepEqual(errors, []);
  await page.close();
});

test('two groups cut apart declare each other dead, and merge again once healed', async () => {
  const { page, errors } = await suite.open();
  await page.waitForFunction(() => [...document.querySelectorAll('[data-node-id]')].every((n) => n.dataset.state === 'alive'), null, { timeout: 20_000 });
  await page.locator('select[aria-label="Speed"]').selectOption('8');
  await pick(page, 'n1');
  await pick(page, 'n2');
  assert.equal(await page.getByLabel('Picked nodes').textContent(), 'n1, n2');
  await page.getByRole('button', { name: 'Cut off picked' }).click();
  assert.equal(await page.locator('line.cut').count(), 6, 'n1 and n2 cut from n3, n4 and n5');
  // Each side sees the other dead. The view shown is the majority's: n1 and n2 dead;
  // n3, n4 and n5 are held dead by two and alive by two, a tie their own word breaks.
  await page.waitForFunction(
    () => ['n1', 'n2'].every((id) => document.querySelector(`[data-node-id="${id}"]`).dataset.state === 'dead'),
    null,
    { timeout: 60_000 },
  );
  assert.deepEqual(
    await page.evaluate(() => ['n3', 'n4', 'n5'].map((id) => document.querySelector(`[data-node-id="${id}"]`).dataset.state)),
    ['alive', 'alive', 'alive'],
  );
  await screenshot(page, 'lab-partition');
  await page.getByRole('button', { name: /^Heal all cuts/ }).click();
  assert.equal(await page.locator('line.cut').count(), 0);
  await page.waitForFunction(
    () => [...document.querySelectorAll('[data-node-id]')].every((n) => n.dataset.state === 'alive'),
    null,
    { timeout: 60_000 },
  );
  assert.deepEqual(errors, []);
  await page.close();
});

test('a link cut one way is drawn with its direction and makes its target suspect', async () => {
  const { page, errors } = await suite.open();
  await page.waitForFunction(() => [...document.querySelectorAll('[data-node-id]')].every((n) => n.dataset.state === 'alive'), null, { timeout: 20_000 });
  await pick(page, 'n4');
  await pick(page, 'n5');
  await page.getByRole('button', { name: 'Cut one way' }).click();
  assert.equal(await page.locator('line.cut.one-way').count(), 1);
  assert.equal(await page.locator('line.cut:not(.one-way)').count(), 0);
  await page.locator('select[aria-label="Speed"]').selectOption('8');
  // n4 cannot reach n5: n4's probes of n5 fail, so n4 suspects n5 (and, by its own
  // timeout, may declare it dead), while the others still hear n5.
  await page.locator('select[aria-label="Inspected node"]').selectOption('n4');
  await page.waitForFunction(
    () => [...document.querySelectorAll('table[aria-label="Its member table"] tbody tr')]
      .some((row) => row.textContent.includes('n5') && /suspect|dead/.test(row.textContent)),
    null,
    { timeout: 60_000 },
  );
  await screenshot(page, 'lab-one-way-cut');
  assert.deepEqual(errors, []);
  await page.close();
});

test('two cuts are listed, and healing one leaves only the other', async () => {
  const { page, errors } = await suite.open();
  await pick(page, 'n1');
  await pick(page, 'n2');
  await page.getByRole('button', { name: 'Cut one way' }).click();
  await page.getByRole('button', { name: 'Clear picks' }).click();
  await pick(page, 'n3');
  await pick(page, 'n5');
  await page.getByRole('button', { name: 'Cut one way' }).click();
  const listed = () => page.locator('ul[aria-label="Cuts"] li').evaluateAll((items) => items.map((li) => li.dataset.cut));
  assert.deepEqual(await listed(), ['n1 → n2', 'n3 → n5']);
  assert.equal(await page.locator('line.cut').count(), 2);
  await page.getByRole('button', { name: 'Heal cut n1 → n2' }).click();
  assert.deepEqual(await listed(), ['n3 → n5'], 'only that cut healed');
  assert.equal(await page.locator('line.cut').count(), 1);
  assert.equal(await page.getByRole('button', { name: /^Heal all cuts/ }).textContent(), 'Heal all cuts (1)');
  assert.deepEqual(errors, []);
  await page.close();
});

test('a link with all its datagrams lost makes its two nodes suspect each other, until it is cleared', async () => {
  const { page, errors } = await suite.open();
  // Two nodes, so no witness can relay a probe around the lossy link.
  await page.getByLabel('Cluster size').fill('2');
  await page.getByLabel('Cluster size').press('Enter');
  await page.waitForFunction(() => document.querySelectorAll('[data-node-id]').length === 2);
  await page.waitForFunction(() => [...document.querySelectorAll('[data-node-id]')].every((n) => n.dataset.state === 'alive'), null, { timeout: 20_000 });
  await pick(page, 'n1');
  await pick(page, 'n2');
  await page.getByLabel('Link loss percent').fill('100');
  await page.getByLabel('Link loss percent').press('Enter');
  await page.waitForSelector('ul[aria-label="Links with their own model"] li');
  assert.match(await page.locator('ul[aria-label="Links with their own model"] li span').textContent(), /^n1 ↔ n2: 100% loss/);
  assert.equal(await page.getByLabel('Loss percent', { exact: true }).inputValue(), '0', 'the rest of the network keeps its model');
  await page.locator('select[aria-label="Speed"]').selectOption('8');
  for (const [viewer, other] of [['n1', 'n2'], ['n2', 'n1']]) {
    await page.locator('select[aria-label="View"]').selectOption(viewer);
    await page.waitForFunction(
      (id) => /suspect|dead/.test(document.querySelector(`[data-node-id="${id}"]`).dataset.state),
      other,
      { timeout: 30_000 },
    );
  }
  await screenshot(page, 'lab-lossy-link');

  // The link's model is a command: a shared link carries it.
  await page.getByRole('button', { name: 'Link to this run' }).click();
  const shared = await page.getByRole('textbox', { name: 'Link to this run' }).inputValue();
  const again = await suite.browser.context.newPage();
  await again.goto(shared);
  await again.waitForSelector('ul[aria-label="Links with their own model"] li');
  assert.match(await again.locator('ul[aria-label="Links with their own model"] li span').textContent(), /^n1 ↔ n2: 100% loss/);
  await again.close();

  await page.getByRole('button', { name: 'Clear link n1 ↔ n2' }).click();
  assert.equal(await page.locator('ul[aria-label="Links with their own model"]').count(), 0);
  assert.deepEqual(errors, []);
  await page.close();
});
