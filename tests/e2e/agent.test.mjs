// The web page of a real agent: five `gossip agent` processes on loopback, each serving
// the lab's release build in live mode; a person uses two of their pages.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { launchBrowser, screenshot, distDir, GOSSIP, freePort } from './support.mjs';

const NODES = 5;
let agents = [];
let ports = [];
let browser;


/** Starts `gossip agent` NAME on UDP `port`, its API and page on `http`. */
function startAgent(name, port, http, seed) {
  const args = [
    'agent', '--name', name, '--bind', `127.0.0.1:${port}`, '--http', `127.0.0.1:${http}`,
    '--ui-dir', distDir, '--tag', `http=127.0.0.1:${http}`,
  ];
  if (seed) args.push('--join', `127.0.0.1:${seed}`);
  const child = spawn(GOSSIP, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr.on('data', (chunk) => { log += chunk; });
  return { name, child, url: `http://127.0.0.1:${http}/`, log: () => log };
}

before(async () => {
  for (let i = 0; i < NODES * 2; i += 1) ports.push(await freePort());
  for (let i = 0; i < NODES; i += 1) {
    agents.push(startAgent(`n${i + 1}`, ports[2 * i], ports[2 * i + 1], i === 0 ? null : ports[0]));
  }
  browser = await launchBrowser();
  console.log(`agents ${agents.map((a) => `${a.name} ${a.url}`).join(', ')}; page from ${distDir}`);
});

after(async () => {
  await browser?.close();
  for (const agent of agents) agent.child.kill('SIGKILL');
});

/** Opens an agent's page once it answers. */
async function openAgentPage(agent) {
  const page = await browser.context.newPage();
  const errors = [];
  page.on('pageerror', (error) => errors.push(error.message));
  for (let attempt = 0; ; attempt += 1) {
    try {
      await page.goto(agent.url);
      break;
    } catch (error) {
      if (attempt > 50) throw new Error(`${agent.name} never served its page: ${error}\n${agent.log()}`);
      await new Promise((done) => setTimeout(done, 100));
    }
  }
  await page.waitForSelector('[data-node-id]');
  return { page, errors };
}

const stateOf = (page, id) => page.locator(`[data-node-id="${id}"]`).getAttribute('data-state');

test('an agent page shows the real cluster, writes keys that reach other agents, and sees a killed agent die', async () => {
  const { page, errors } = await openAgentPage(agents[0]);
  assert.equal(await page.locator('h1').textContent(), 'Gossip agent n1');
  await page.waitForFunction(
    (n) => {
      const nodes = [...document.querySelectorAll('[data-node-id]')];
      return nodes.length === n && nodes.every((node) => node.dataset.state === 'alive');
    },
    NODES,
    { timeout: 20_000 },
  );
  assert.equal(await page.locator('output[aria-label="Connection"]').textContent(), 'live');

  // The datagrams n1 sends and receives fly between it and the others: a probe goes
  // out from n1, and an answer or a probe comes in to it.
  const flying = await page.waitForFunction(
    () => {
      const labels = [...document.querySelectorAll('circle.message title')].map((t) => t.textContent);
      const out = labels.find((l) => /^ping n1 → n\d, \d+ bytes$/.test(l));
      const into = labels.find((l) => /^\S+ n\d → n1, \d+ bytes$/.test(l));
      return out && into ? [out, into] : null;
    },
    null,
    { timeout: 10_000 },
  );
  const [out, into] = await flying.jsonValue();
  assert.notEqual(out, into);

  // Pointing at the graph holds the datagrams still, so that one can be read.
  const dots = () => page.evaluate(() => [...document.querySelectorAll('circle.message')]
    .map((c) => `${c.querySelector('title')?.textContent}@${c.getAttribute('cx')},${c.getAttribute('cy')}`));
  let held = [];
  for (let tries = 0; held.length === 0 && tries < 20; tries += 1) {
    await page.mouse.move(0, 0);
    await page.waitForFunction(() => document.querySelectorAll('circle.message').length > 0, null, { timeout: 10_000 });
    await page.hover('.live-graph svg', { position: { x: 5, y: 5 } });
    await page.waitForFunction(() => document.querySelector('[aria-label="Datagrams in flight"]').textContent.includes('held still'));
    held = await dots();
  }
  assert.ok(held.length > 0, 'datagrams on screen when held');
  await page.waitForTimeout(400);
  assert.deepEqual(await dots(), held, 'the same datagrams, where they stood');
  await page.mouse.move(0, 0);
  await page.waitForFunction(() => !document.querySelector('[aria-label="Datagrams in flight"]').textContent.includes('held'));

  // A key put from n1's page ...
  await page.getByLabel('Key', { exact: true }).fill('colour');
  await page.getByLabel('Value', { exact: true }).fill('blue');
  await page.getByRole('button', { name: 'Put' }).click();
  await page.waitForSelector('tr[data-key="colour"]');
  assert.equal(await page.locator('tr[data-key="colour"] .value').textContent(), 'blue');
  assert.match(
    await page.locator('ul[aria-label="Versions of colour"] li').first().textContent(),
    /^"blue" by n1\.\S+ \{n1\.\S+:1\}$/,
    'the version shows its writer and vector clock',
  );

  // The write is a rumor n1 spreads until it cools.
  const rumors = page.getByLabel('Rumors spread');
  assert.match(await rumors.textContent(), /^(colour \d+\/\d+|none: every rumor has cooled)$/);
  await page.waitForFunction(
    () => document.querySelector('[aria-label="Rumors spread"]').textContent === 'none: every rumor has cooled',
    null,
    { timeout: 15_000 },
  );

  // Many keys: the table lists 30 at a time and a filter finds the rest.
  for (let i = 0; i < 40; i += 1) {
    const put = await fetch(`${agents[0].url}api/kv/bulk-${String(i).padStart(2, '0')}`, { method: 'PUT', body: `${i}` });
    assert.equal(put.status, 200);
  }
  await page.waitForFunction(() => document.querySelector('.kv [role="status"]')?.textContent === '11 more: filter to find them', null, { timeout: 5_000 });
  assert.equal(await page.locator('tr[data-key]').count(), 30);
  await page.getByLabel('Filter keys').fill('bulk-3');
  assert.equal(await page.locator('tr[data-key]').count(), 10);
  await page.getByLabel('Filter keys').fill('');

  // ... is on n2's page soon after.
  const other = await openAgentPage(agents[1]);
  // Among 41 keys, colour is past the first 30: the filter finds it.
  await other.page.getByLabel('Filter keys').fill('colour');
  await other.page.waitForFunction(
    () => document.querySelector('tr[data-key="colour"] .value')?.textContent === 'blue',
    null,
    { timeout: 15_000 },
  );
  assert.equal(await other.page.locator('h1').textContent(), 'Gossip agent n2');
  await other.page.getByLabel('Filter events').fill('joined the cluster');
  assert.ok(
    await other.page.locator('ol.events li', { hasText: 'joined the cluster' }).count() > 0,
    'a page opened later starts from the events it missed',
  );
  await other.page.getByLabel('Filter events').fill('');

  // kill -9 one agent: n1's page shows it suspect, then dead.
  const victim = agents[4];
  victim.child.kill('SIGKILL');
  await page.waitForFunction(
    () => document.querySelector('[data-node-id="n5"]').dataset.state === 'suspect',
    null,
    { timeout: 15_000 },
  );
  await page.waitForFunction(
    () => document.querySelector('[data-node-id="n5"]').dataset.state === 'dead',
    null,
    { timeout: 20_000 },
  );
  assert.equal(await stateOf(page, 'n4'), 'alive');
  await page.waitForFunction(
    () => [...document.querySelectorAll('ol.events li')].some((li) => li.textContent.includes('declares n5 dead')),
    null,
    { timeout: 5_000 },
  );
  await screenshot(page, 'agent-page');

  // A member's http tag makes it a link: from n2's page to n1's.
  await other.page.getByRole('button', { name: /^n1: seen as alive/ }).click();
  await other.page.waitForURL(agents[0].url);
  await other.page.waitForFunction(() => document.querySelector('h1')?.textContent === 'Gossip agent n1');
  assert.deepEqual(errors, []);
  assert.deepEqual(other.errors, []);
  await other.page.close();
  await page.close();
});

test('an agent started alone joins the cluster from its page', async () => {
  const loner = startAgent('x1', await freePort(), await freePort(), null);
  agents.push(loner);
  const { page, errors } = await openAgentPage(loner);
  assert.equal(await page.locator('[data-node-id]').count(), 1);
  const join = async (addr) => {
    await page.getByLabel('Agents to join').fill(addr);
    await page.getByRole('button', { name: 'Join', exact: true }).click();
  };

  // An address where no agent runs is reported once the agent has given up on it.
  await join(`127.0.0.1:${await freePort()}`);
  await page.waitForFunction(
    () => document.querySelector('p.error[role="alert"]')?.textContent.includes('no answer from 127.0.0.1:'),
    null,
    { timeout: 10_000 },
  );

  // n1's address: x1 and the five become one cluster, on both sides.
  await join(`127.0.0.1:${ports[0]}`);
  await page.waitForFunction(
    (addr) => document.querySelector('[aria-label="Join result"]')?.textContent === `joined n1 at ${addr}`,
    `127.0.0.1:${ports[0]}`,
    { timeout: 10_000 },
  );
  assert.equal(await page.locator('p.error[role="alert"]').count(), 0, 'the earlier failure is cleared');
  await page.waitForFunction(
    () => ['n1', 'n2', 'n3', 'n4'].every((n) => document.querySelector(`[data-node-id="${n}"]`)?.dataset.state === 'alive'),
    null,
    { timeout: 10_000 },
  );
  const seenByN1 = await (await fetch(`${agents[0].url}api/members`)).json();
  assert.ok(seenByN1.some((m) => m.name === 'x1' && m.status === 'alive'), JSON.stringify(seenByN1));
  await screenshot(page, 'agent-joined');
  assert.deepEqual(errors, []);
  await page.close();
});
