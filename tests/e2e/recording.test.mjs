// A recording of a real cluster opened in the lab: `gossip cluster --nodes 3 --record F`
// runs, one agent stops answering until the others declare it dead, the recording is
// opened through the lab's file input and scrubbed to before and after.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { createServer } from 'node:net';
import { mkdtemp, readFile, writeFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { screenshot, labSuite, GOSSIP, freePort } from './support.mjs';

const SEED = 33;
const suite = labSuite(SEED);
let scratch;

after(async () => {
  if (scratch) await rm(scratch, { recursive: true, force: true });
});


/** Four ports in a row, free now (the launcher takes consecutive ones). */
async function freeRun(count) {
  for (;;) {
    const base = await freePort();
    if (base + count > 65_535) continue;
    const free = await Promise.all([...Array(count).keys()].map((i) => new Promise((done) => {
      const server = createServer();
      server.on('error', () => done(false));
      server.listen(base + i, '127.0.0.1', () => server.close(() => done(true)));
    })));
    if (free.every(Boolean)) return base;
  }
}

const sleep = (ms) => new Promise((done) => setTimeout(done, ms));

/** The recording's lines so far, parsed (the recorder flushes each whole line). */
async function linesOf(file) {
  const text = await readFile(file, 'utf8').catch(() => '');
  return text.split('\n').flatMap((line) => {
    try {
      return [JSON.parse(line)];
    } catch {
      return [];
    }
  });
}

/** Waits until a recorded line satisfies `check`; resolves to it. */
async function waitForLine(file, check, what, timeout = 30_000) {
  const give_up = Date.now() + timeout;
  while (Date.now() < give_up) {
    const found = (await linesOf(file)).find(check);
    if (found) return found;
    await sleep(200);
  }
  throw new Error(`the recording never showed ${what}:\n${await readFile(file, 'utf8').catch(() => '')}`);
}

/** The process id of agent `name`, a child of the launcher `parent`. */
function agentPid(parent, name) {
  const rows = execFileSync('ps', ['-o', 'pid=,args=', '--ppid', String(parent)], { encoding: 'utf8' });
  const row = rows.split('\n').find((r) => r.includes(` --name ${name} `));
  if (!row) throw new Error(`no agent ${name} under ${parent}:\n${rows}`);
  return Number(row.trim().split(/\s+/)[0]);
}

/**
 * Records a three-agent cluster in which n3 stops answering. The launcher ends the whole
 * cluster when one of its agents dies, so n3 is frozen (SIGSTOP) rather than killed:
 * to the others it is the same as a kill -9 until it is thawed. Once both others have
 * declared it dead, it is thawed and the cluster stopped (SIGTERM, as Ctrl-C).
 * Resolves to { file, deadAt, suspectAt } (ms into the recording).
 */
async function recordCluster() {
  scratch = await mkdtemp(join(tmpdir(), 'gossip-recording-'));
  const file = join(scratch, 'cluster.jsonl');
  const [udp, http] = [await freeRun(3), await freeRun(3)];
  const launcher = spawn(GOSSIP, [
    'cluster', '--nodes', '3', '--base-port', String(udp), '--http-base', String(http), '--record', file,
  ], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  launcher.stderr.on('data', (chunk) => { log += chunk; });
  const ended = new Promise((done) => launcher.on('exit', done));
  try {
    for (const node of ['n1', 'n2', 'n3']) {
      await waitForLine(file, (l) => l.type === 'members' && l.node === node, `${node}'s member table`);
    }
    // Joining on loopback takes a round trip or two; a write spreads as fast.
    await sleep(1_000);
    execFileSync(GOSSIP, ['kv', 'put', '--http', `127.0.0.1:${http}`, 'colour', 'blue']);
    await sleep(2_000);
    const n3 = agentPid(launcher.pid, 'n3');
    process.kill(n3, 'SIGSTOP');
    const suspected = await waitForLine(file, (l) => l.event?.kind === 'suspected' && l.event.id === 'n3', 'n3 suspected');
    for (const node of ['n1', 'n2']) {
      await waitForLine(file, (l) => l.node === node && l.event?.kind === 'dead' && l.event.id === 'n3', `${node} declaring n3 dead`);
    }
    const dead = (await linesOf(file)).filter((l) => l.event?.kind === 'dead' && l.event.id === 'n3').map((l) => l.at_ms);
    process.kill(n3, 'SIGCONT');
    await sleep(500);
    launcher.kill('SIGTERM');
    await ended;
    return { file, suspectAt: suspected.at_ms, deadAt: Math.max(...dead) };
  } catch (error) {
    launcher.kill('SIGKILL');
    throw new Error(`${error.message}\nlauncher log:\n${log}`);
  }
}

const stateOf = (page, id) => page.locator(`[data-node-id="${id}"]`).getAttribute('data-state');

/** Scrubs the recording to `ms` through the time field (in seconds). */
async function scrubTo(page, ms) {
  const field = page.getByLabel('Seconds into the recording');
  await field.fill((ms / 1000).toFixed(3));
  await field.press('Enter');
  await page.waitForFunction(
    (want) => document.querySelector('output[aria-label="Recording time"]').textContent === want,
    `${Math.floor(ms / 1000)}.${String(ms % 1000).padStart(3, '0')}s`,
  );
}

test('a recorded cluster opens in the lab and scrubs to before and after an agent died', async () => {
  const { file, suspectAt, deadAt } = await recordCluster();
  const { page, errors } = await suite.open();
  const consoleErrors = [];
  page.on('console', (message) => { if (message.type() === 'error') consoleErrors.push(message.text()); });
  await page.getByRole('button', { name: 'Pause', exact: true }).click();
  const digest = await page.getByLabel('Run digest').textContent();

  // A damaged copy is refused with its line named, and the run stays.
  const lines = (await readFile(file, 'utf8')).split('\n');
  const damaged = join(scratch, 'damaged.jsonl');
  await writeFile(damaged, [...lines.slice(0, 3), '{"type":"event","at_ms":', ...lines.slice(3)].join('\n'));
  await page.getByLabel('Open a trace file').setInputFiles(damaged);
  await page.waitForSelector('p.error[role="alert"]');
  assert.match(await page.locator('p.error').textContent(), /^cannot open the recording: line 4 is not a recorded line/);
  assert.equal(await page.getByLabel('Run digest').textContent(), digest, 'the run is still there');

  await page.getByLabel('Open a trace file').setInputFiles(file);
  await page.waitForSelector('section[aria-label="Recording"]');
  assert.equal(await page.locator('[data-node-id]').count(), 3);

  // Through n1's eyes: n3 alive before it stopped answering, dead after.
  await page.getByLabel('Recording view').selectOption('n1');
  await scrubTo(page, Math.max(0, suspectAt - 1_000));
  assert.equal(await stateOf(page, 'n3'), 'alive');
  assert.equal(await stateOf(page, 'n1'), 'alive');
  await scrubTo(page, deadAt);
  assert.equal(await stateOf(page, 'n3'), 'dead');
  assert.equal(await page.locator('[data-node-id="n3"]').getAttribute('data-up'), 'false');
  assert.ok(
    (await page.locator('ol.events').textContent()).includes('declares n3 dead'),
    'the event list holds the death',
  );
  assert.equal(await page.locator('tr[data-key="colour"] .value').textContent(), 'blue', 'the write, as n1 held it');
  assert.equal(await page.getByRole('button', { name: 'Put' }).count(), 0, 'a recording is read-only');

  // A step goes back to the line recorded before; clicking an event's time jumps to it.
  await page.getByRole('button', { name: 'Previous recorded event' }).click();
  assert.notEqual(await page.getByLabel('Recording time', { exact: true }).textContent(), `${(deadAt / 1000).toFixed(3)}s`);
  await page.getByRole('button', { name: /^Go back to/ }).last().click();
  assert.notEqual(await stateOf(page, 'n3'), 'dead', 'at the first recorded line');
  await scrubTo(page, deadAt);
  await page.getByLabel('Recording view').selectOption('');
  assert.equal(await stateOf(page, 'n3'), 'dead', 'the consensus too');
  await screenshot(page, 'recording');

  await page.getByRole('button', { name: 'Close recording' }).click();
  await page.waitForSelector('section[aria-label="Simulation controls"]');
  assert.equal(await page.getByLabel('Run digest').textContent(), digest, 'back to the same run');
  assert.deepEqual(errors, []);
  assert.deepEqual(consoleErrors, []);
  await page.close();
});
