// The Experiments tab: gossip sim's experiments run in a Web Worker while the simulated
// cluster keeps moving on the page; progress, results as a plot and a table with the
// published values beside ours, cancel, and input errors. Against the release build.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { screenshot, labSuite } from './support.mjs';

const SEED = 11;
const suite = labSuite(SEED);

/** The lab with its Experiments tab open; errors also collects console errors (and
 * deprecation warnings, such as wasm-bindgen's for a worker started the old way), and
 * workers every Web Worker the page starts. */
async function openExperiments() {
  const { page, errors } = await suite.open();
  page.on('console', (message) => {
    if (message.type() === 'error' || /deprecated/i.test(message.text())) errors.push(message.text());
  });
  const workers = [];
  page.on('worker', (worker) => workers.push(worker));
  const tab = page.getByRole('tab', { name: 'Experiments' });
  await tab.click();
  assert.equal(await tab.getAttribute('aria-selected'), 'true');
  const panel = page.getByRole('tabpanel', { name: 'Experiments' });
  await panel.waitFor();
  assert.equal(await page.locator('#panel-cluster').isHidden(), true, 'the cluster panels give way');
  return { page, panel, errors, workers };
}

/** Simulated time on the page, in milliseconds ("12.345s"). */
async function simulatedMillis(page) {
  const text = await page.locator('output[aria-label="Simulated time"]').textContent();
  return Math.round(parseFloat(text) * 1000);
}

async function progressOf(page) {
  const bar = page.getByRole('progressbar', { name: 'Progress' });
  return { value: Number(await bar.getAttribute('value')), max: Number(await bar.getAttribute('max')) };
}

test('a rumor experiment runs in a worker while the cluster keeps moving, and plots against Demers', async () => {
  const { page, panel, errors, workers } = await openExperiments();
  await panel.getByLabel('Experiment', { exact: true }).selectOption('rumor');
  assert.equal(await panel.getByLabel('Members').inputValue(), '1000', "the paper's n by default");
  await panel.getByLabel('Values of k').fill('1, 2, 3, 4');
  // Twelve runs per k: long enough (seconds, even on a fast machine) to watch the page go on.
  await panel.getByLabel('Runs per point').fill('12');
  await page.getByRole('button', { name: 'Run experiment' }).click();

  // Sample the progress and the simulated clock until the run ends.
  const samples = [];
  for (let i = 0; i < 1200; i++) {
    const { value, max } = await progressOf(page);
    samples.push({ value, max, clock: await simulatedMillis(page), at: Date.now() });
    if (max > 1 && value >= max) break;
    await page.waitForTimeout(100);
  }
  const running = samples.filter((s) => s.value < s.max);
  const values = new Set(running.map((s) => s.value));
  assert.ok(values.size >= 3, `the progress moves: ${JSON.stringify([...values])}`);
  // The page's frames go on: simulated time advances at (near) its speed meanwhile.
  const speed = Number(await page.getByLabel('Speed').inputValue());
  const wall = running.at(-1).at - running[0].at;
  const simulated = running.at(-1).clock - running[0].clock;
  assert.ok(wall >= 1000, `the run lasted ${wall} ms`);
  assert.ok(
    simulated >= 0.5 * speed * wall,
    `the simulated cluster kept running during the experiment: ${simulated} ms in ${wall} ms at ${speed}x`,
  );
  assert.equal(samples.at(-1).max, 48, '4 values of k, 12 runs each');
  assert.equal(workers.length, 1, 'one Web Worker ran it');

  await page.getByRole('status').filter({ hasText: 'Finished: 48 runs' }).waitFor();
  const table = page.getByRole('table', { name: 'Rumor results' });
  assert.equal(await table.locator('tbody tr').count(), 4);
  const row = async (k) => (await table.locator('tbody tr').nth(k - 1).locator('th, td').allTextContents());
  const [k, residue, paperResidue, traffic, paperTraffic] = await row(2);
  assert.equal(k, '2');
  assert.equal(paperResidue, '0.037', 'Demers Table 1, k = 2');
  assert.equal((await row(4))[2], '3.6e-3');
  assert.equal(paperTraffic, '3.3');
  assert.ok(Math.abs(Number(traffic) - 3.3) < 0.3, `our traffic at k = 2: ${traffic}`);
  assert.ok(Number(residue) < 0.1, `our residue at k = 2: ${residue}`);
  const plots = page.locator('figure.xp-plot');
  assert.equal(await plots.count(), 2, 'residue and traffic');
  assert.equal(await plots.first().locator('.xp-line.measured circle').count(), 4);
  assert.equal(await plots.first().locator('.xp-line.published circle').count(), 4);
  assert.match(await page.locator('.experiments .note').textContent(), /Table 1/);
  assert.match(await page.locator('.xp-results .hint').textContent(), /seeds 1–12/);

  await page.locator('.experiments').scrollIntoViewIfNeeded();
  await screenshot(page, 'experiments');
  assert.deepEqual(errors, []);
  await page.close();
});

test('cancel stops a run for good, and a fresh worker runs the next', async () => {
  const { page, panel, errors, workers } = await openExperiments();
  await panel.getByLabel('Sizes (members)').fill('200, 500, 1000');
  await panel.getByLabel('Runs per point').fill('30');
  await page.getByRole('button', { name: 'Run experiment' }).click();
  await page.waitForFunction(() => Number(document.querySelector('#xp-progress').getAttribute('value')) >= 1, null, {
    timeout: 60_000,
  });
  const focused = () => page.evaluate(() => document.activeElement.textContent);
  assert.equal(await focused(), 'Cancel', 'the run button disabled itself and handed the focus on');
  await page.getByRole('button', { name: 'Cancel' }).click();
  await page.getByRole('status').filter({ hasText: 'Cancelled after' }).waitFor();
  assert.equal(await focused(), 'Run experiment', 'and back');
  const stopped = await progressOf(page);
  await page.waitForTimeout(1500);
  assert.deepEqual(await progressOf(page), stopped, 'no progress after cancelling');
  assert.ok(stopped.value < stopped.max);
  assert.equal(workers.length, 2, 'the first worker was replaced by a fresh one');

  await panel.getByLabel('Sizes (members)').fill('5, 10');
  await panel.getByLabel('Runs per point').fill('2');
  await page.getByRole('button', { name: 'Run experiment' }).click();
  await page.getByRole('status').filter({ hasText: 'Finished: 4 runs' }).waitFor({ timeout: 60_000 });
  const rows = page.getByRole('table', { name: 'Detection results' }).locator('tbody tr');
  assert.equal(await rows.count(), 2);
  const swim = await rows.first().locator('td.paper').textContent();
  assert.equal(swim, '1.58', 'SWIM §3.1 beside ours');
  assert.deepEqual(errors, []);
  await page.close();
});

test('parameters out of bounds are marked on their fields, and nothing runs', async () => {
  const { page, panel, errors, workers } = await openExperiments();
  const sizes = panel.getByLabel('Sizes (members)');
  await sizes.fill('10, 5000');
  await panel.getByLabel('Runs per point').fill('many');
  await page.getByRole('button', { name: 'Run experiment' }).click();
  await page.getByRole('alert').filter({ hasText: 'Some parameters need changing' }).waitFor();
  assert.equal(await sizes.getAttribute('aria-invalid'), 'true');
  const described = await sizes.getAttribute('aria-describedby');
  assert.match(await page.locator(`#${described}`).textContent(), /from 2 to 1000/);
  assert.equal(await panel.getByLabel('Runs per point').getAttribute('aria-invalid'), 'true');
  assert.equal(await page.getByRole('progressbar').count(), 0);
  assert.equal(workers.length, 0);
  assert.deepEqual(errors, []);
  await page.close();
});
