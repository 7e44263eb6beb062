// Shared set-up for the browser tests: a static server for the release build and
// Debian's Chromium driven by playwright-core.
import { createServer } from 'node:http';
import { createServer as createTcpServer } from 'node:net';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { extname, join, normalize, resolve } from 'node:path';
import { before, after } from 'node:test';
import { chromium } from 'playwright-core';

export const repoRoot = resolve(import.meta.dirname, '..', '..');
export const distDir = process.env.GOSSIP_DIST ?? join(repoRoot, 'dist');
export const screenshotDir = join(repoRoot, 'target', 'e2e');
/** The agent's binary the tests start (`cargo build -p gossip-agent` makes it). */
export const GOSSIP = process.env.GOSSIP_BIN ?? join(repoRoot, 'target', 'debug', 'gossip');
if (!existsSync(GOSSIP)) {
  // Said once, up front: a spawn of a missing binary fails later, as an agent's page
  // that is never served.
  console.log(`# no gossip binary at ${GOSSIP}: build it with \`cargo build -p gossip-agent\` or set GOSSIP_BIN`);
}

/** A port nothing listens on now (TCP; the same number is then taken for UDP). */
export function freePort() {
  return new Promise((done, fail) => {
    const server = createTcpServer();
    server.on('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => done(port));
    });
  });
}

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript',
  '.wasm': 'application/wasm',
  '.css': 'text/css',
  '.svg': 'image/svg+xml',
};

/** Serves `root` on 127.0.0.1 at a free port; resolves to { url, close }. */
export async function serveStatic(root) {
  const server = createServer(async (request, response) => {
    const path = normalize(decodeURIComponent(new URL(request.url, 'http://x').pathname));
    const file = join(root, path.endsWith('/') ? `${path}index.html` : path);
    if (!file.startsWith(root)) {
      response.writeHead(403).end();
      return;
    }
    try {
      const body = await readFile(file);
      response.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' });
      response.end(body);
    } catch {
      response.writeHead(404).end('not found');
    }
  });
  await new Promise((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address();
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () => new Promise((done) => server.close(done)),
  };
}

const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

/** Debian's Chromium with a fresh, empty profile; resolves to { context, close }. */
export async function launchBrowser() {
  const profile = await mkdtemp(join(tmpdir(), 'gossip-e2e-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: CHROMIUM_ARGS,
    viewport: { width: 1280, height: 860 },
  });
  return {
    context,
    close: async () => {
      await context.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}

/** Saves a screenshot of `page` as target/e2e/NAME.png. */
export async function screenshot(page, name) {
  await mkdir(screenshotDir, { recursive: true });
  const path = join(screenshotDir, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

/** Opens the lab at `url` with `seed` in a new page of `browser`, once its nodes are
 * drawn; resolves to { page, errors } (errors collects uncaught page errors). */
export async function openLab(browser, url, seed) {
  const page = await browser.context.newPage();
  const errors = [];
  page.on('pageerror', (error) => errors.push(error.message));
  await page.goto(`${url}${url.includes('?') ? '&' : '?'}seed=${seed}`);
  await page.waitForSelector('[data-node-id]');
  return { page, errors };
}

/** The set-up every file of lab tests shares: before its tests, the release build
 * served and Chromium launched (the seed printed); after them, both closed. Returns
 * `{ server, browser, open }`, where `open()` opens the lab at `seed`. */
export function labSuite(seed) {
  const suite = {
    server: null,
    browser: null,
    open: () => openLab(suite.browser, suite.server.url, seed),
  };
  before(async () => {
    suite.server = await serveStatic(distDir);
    suite.browser = await launchBrowser();
    console.log(`seed ${seed}, serving ${distDir} at ${suite.server.url}`);
  });
  after(async () => {
    await suite.browser?.close();
    await suite.server?.close();
  });
  return suite;
}
