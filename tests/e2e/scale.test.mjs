// A large cluster, against the release build: painted on a canvas, with one element per
// node above it that keeps the nodes' names, states, clicks and keys; a box dragged to
// pick nodes; a datagram pinned from the keyboard; and the page saying when the
// simulation cannot keep up.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { screenshot, labSuite } from './support.mjs';

const SEED = 31;
const suite = labSuite(SEED);

test('200 nodes are painted on a canvas and keep their names, states, keys and clicks', async () => {
  const { page, errors } = await suite.open();
  await page.getByLabel('Cluster size').fill('200');
  await page.getByLabel('Cluster size').press('Enter');
  await page.waitForFunction(() => document.querySelectorAll('[data-node-id]').length === 200);
  assert.equal(await page.locator('canvas.topology').count(), 1, 'a canvas, not SVG');
  assert.equal(await page.locator('svg.topology').count(), 0);
  const nodes = page.locator('[data-node-id]');
  assert.ok((await nodes.evaluateAll((all) => all.every((n) => n.dataset.state === 'alive' && n.dataset.up === 'true'))));

  // The canvas shows something where a node is: not the card's background.
  const painted = await page.evaluate(() => {
    const canvas = document.querySelector('canvas.topology');
    const spot = document.querySelector('[data-node-id="n1"]').getBoundingClientRect();
    const box = canvas.getBoundingClientRect();
    const scale = canvas.width / box.width;
    const x = Math.round((spot.left + spot.width / 2 - box.left) * scale);
    const y = Math.round((spot.top + spot.height / 2 - box.top) * scale);
    const [r, g, b] = canvas.getContext('2d').getImageData(x, y, 1, 1).data;
    return { r, g, b };
  });
  // Alive is green (--alive: #2e9d5b): neither the card's white nor an unpainted black.
  assert.ok(painted.g > painted.r + 50 && painted.g > painted.b + 30, `n1 is painted alive under its element: ${JSON.stringify(painted)}`);

  // One tab stop for all nodes; the arrows move along the circle; Enter crashes.
  assert.equal(await page.locator('[data-node-id][tabindex="0"]').count(), 1);
  await page.locator('[data-node-id="n1"]').focus();
  await page.keyboard.press('ArrowRight');
  assert.equal(await page.evaluate(() => document.activeElement.dataset.nodeId), 'n2');
  await page.keyboard.press('End');
  assert.equal(await page.evaluate(() => document.activeElement.dataset.nodeId), 'n200');
  await page.keyboard.press('Home');
  await page.keyboard.press('ArrowLeft');
  assert.equal(await page.evaluate(() => document.activeElement.dataset.nodeId), 'n200', 'round the circle');
  assert.equal(await page.locator('[data-node-id][tabindex="0"]').count(), 1, 'still one tab stop');
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => document.querySelector('[data-node-id="n200"]').dataset.up === 'false');
  // A click crashes too, and the others come to see it dead.
  await page.locator('[data-node-id="n100"]').click();
  await page.locator('select[aria-label="Speed"]').selectOption('8');
  await page.waitForFunction(
    () => ['n100', 'n200'].every((id) => document.querySelector(`[data-node-id="${id}"]`).dataset.state === 'dead'),
    null,
    { timeout: 60_000 },
  );

  // A box dragged over the top of the circle picks the nodes there, and only those.
  const box = await page.locator('canvas.topology').boundingBox();
  await page.mouse.move(box.x + box.width * 0.35, box.y + 2);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width * 0.65, box.y + box.height * 0.2, { steps: 5 });
  await page.mouse.up();
  const picked = await page.evaluate(() => [...document.querySelectorAll('[data-node-id][data-selected="true"]')].map((n) => n.dataset.nodeId));
  assert.ok(picked.includes('n1'), `the top node is picked: ${picked}`);
  assert.ok(picked.length > 3 && picked.length < 40, `only the top of the circle: ${picked.length}`);
  assert.ok(!picked.includes('n100'), 'not the bottom');

  // M pins a datagram in flight, from the keyboard.
  await page.locator('select[aria-label="Speed"]').selectOption('1');
  await page.locator('h1').click();
  await page.keyboard.press('m');
  const pinned = page.getByRole('region', { name: 'Pinned datagram' });
  await pinned.waitFor();
  assert.match(await pinned.textContent(), /(ping|ack|gossip|digest|sync|ping-req|nack|deltas|rumor)\S* n\d+ → n\d+/);
  assert.match(await page.locator('.in-flight').textContent(), /^\d+ datagrams in flight: /);
  await screenshot(page, 'lab-200-nodes');
  assert.deepEqual(errors, []);
  await page.close();
});

test('a cluster simulated faster than this machine can says it cannot keep up', async () => {
  const { page, errors } = await suite.open();
  // 3,000 members at 100x: some 700 k deliveries a second, more than a frame's 8 ms
  // of simulation leave room for here (1,000 members at 100x came close to keeping up).
  await page.getByLabel('Cluster size').fill('3000');
  await page.getByLabel('Cluster size').press('Enter');
  await page.waitForFunction(() => document.querySelectorAll('[data-node-id]').length === 3000, null, { timeout: 60_000 });
  const behind = page.locator('.behind');
  assert.equal((await behind.textContent()).trim(), '', 'silent while it keeps pace');
  await page.locator('select[aria-label="Speed"]').selectOption('100');
  await page.waitForFunction(() => /Cannot keep up/.test(document.querySelector('.behind').textContent), null, { timeout: 30_000 });
  assert.equal(await behind.getAttribute('role'), 'status');
  // The page still answers: pausing works at once and the notice goes.
  await page.getByRole('button', { name: 'Pause', exact: true }).click();
  await page.waitForFunction(() => document.querySelector('.behind').textContent.trim() === '');
  await screenshot(page, 'lab-3000-nodes');
  assert.deepEqual(errors, []);
  await page.close();
});

test('10,000 members run in the page: a crash is seen dead by the consensus, and rewinding is not offered', async () => {
  const { page, errors } = await suite.open();
  await page.getByLabel('Cluster size').fill('10000');
  const started = Date.now();
  await page.getByLabel('Cluster size').press('Enter');
  // Built a piece each frame: the page answers meanwhile and says how far it got.
  await page.waitForFunction(() => /^Building 10000 members: [1-9]\d?% done/.test(document.querySelector('.behind').textContent));
  assert.equal(await page.getByLabel('Speed').inputValue(), '1', 'the page answers while it builds');
  assert.ok(await page.locator('.view-choice .building progress').isVisible(), 'above the empty graph, how far the build got');
  assert.ok(await page.getByRole('button', { name: 'Step one event' }).isDisabled(), 'nothing to step yet');
  await page.waitForFunction(() => document.querySelectorAll('[data-node-id]').length === 10000, null, { timeout: 180_000 });
  assert.doesNotMatch(await page.locator('.behind').textContent(), /Building/, 'the notice goes once built');
  assert.equal(await page.locator('.view-choice .building').count(), 0, 'and so does the bar');
  console.log(`10,000 members built and drawn in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  assert.equal(await page.locator('canvas.topology').count(), 1);
  // A copy of 10,000 member tables does not fit beside them: no snapshots, and the
  // timeline says why instead of offering a rewind it cannot make.
  const timeline = page.getByLabel('Timeline');
  assert.ok(await timeline.isDisabled(), 'the timeline is disabled');
  assert.match(await timeline.getAttribute('title'), /No rewinding at this size/);

  await page.locator('[data-node-id="n5000"]').click();
  await page.waitForFunction(() => document.querySelector('[data-node-id="n5000"]').dataset.up === 'false');
  const crashedAt = Date.now();
  await page.waitForFunction(
    () => document.querySelector('[data-node-id="n5000"]').dataset.state === 'dead',
    null,
    { timeout: 240_000 },
  );
  console.log(`n5000 seen dead by the consensus ${((Date.now() - crashedAt) / 1000).toFixed(1)} s after its crash`);
  const others = await page.evaluate(() => [...document.querySelectorAll('[data-node-id]')]
    .filter((n) => n.dataset.nodeId !== 'n5000' && n.dataset.state !== 'alive').length);
  assert.equal(others, 0, 'every other member is still seen alive');
  await screenshot(page, 'lab-10000-nodes');
  assert.deepEqual(errors, []);
  await page.close();
});

test('the page benchmark the README shows runs and reports every figure', async () => {
  const { execFile } = await import('node:child_process');
  const { promisify } = await import('node:util');
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [new URL('./bench-page.mjs', import.meta.url).pathname, '--seconds', '1', '--nodes', '5,40', '--seed', String(SEED)],
    { env: process.env, timeout: 120_000 },
  );
  const report = JSON.parse(stdout);
  assert.equal(report.experiment, 'bench-page');
  assert.deepEqual(report.results.map((r) => r.nodes), [5, 40]);
  for (const row of report.results) {
    for (const field of ['frames_per_second', 'frame_ms_mean', 'frame_ms_p95', 'frame_ms_max', 'main_thread_ms_per_frame', 'pace']) {
      assert.ok(Number.isFinite(row[field]) && row[field] > 0, `${field} in ${JSON.stringify(row)}`);
    }
    assert.equal(typeof row.kept_pace, 'boolean');
    assert.equal(row.page_errors, 0);
  }
});

test('the lab is usable 1,024 pixels wide: nothing scrolls sideways, both tabs', async () => {
  const { page, errors } = await suite.open();
  await page.setViewportSize({ width: 1024, height: 768 });
  const sideways = () => page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.equal(await sideways(), 0);
  await page.getByRole('tab', { name: 'Experiments' }).click();
  assert.equal(await sideways(), 0);
  await page.getByRole('tab', { name: 'Cluster' }).click();
  await page.locator('details.settings summary').click();
  assert.equal(await sideways(), 0);
  await screenshot(page, 'lab-1024');
  assert.deepEqual(errors, []);
  await page.close();
});
