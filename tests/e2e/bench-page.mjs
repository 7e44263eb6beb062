// The lab page's frame rate: opens the release build in headless Chromium at each
// cluster size in turn, lets the simulation run at a chosen speed with its messages
// animated, and reports the time between frames (mean, median, 95th and 99th
// percentile), the main thread's work per frame (script, style and layout, from the
// DevTools performance counters), and whether simulated time kept pace with wall time
// times the speed.
//
//   node tests/e2e/bench-page.mjs [--seconds 10] [--speed 1] [--seed 7] [--nodes 5,200,1000]
//
// Prints one JSON object: {"experiment": "bench-page", "seed", "params", "results"},
// with one row of results per size.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { serveStatic, launchBrowser, distDir, openLab } from './support.mjs';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '10' },
    speed: { type: 'string', default: '1' },
    seed: { type: 'string', default: '7' },
    nodes: { type: 'string', default: '5,200,1000' },
  },
});
const sizes = values.nodes.split(',').map(Number);
const seconds = Number(values.seconds);
const speed = values.speed;
const seed = Number(values.seed);
if (!(seconds > 0) || !Number.isInteger(seed) || seed < 0
  || !sizes.every((n) => Number.isInteger(n) && n >= 1 && n <= 10000)) {
  console.error('error: --seconds must be a positive number, --seed a whole number and --nodes sizes of 1 to 10000, comma-separated');
  process.exit(2);
}

if (!existsSync(join(distDir, 'index.html'))) {
  console.error(`error: no release build in ${distDir}: run scripts/bench-page.sh, or trunk build --release first`);
  process.exit(1);
}
console.error(`seed ${seed}`);

const server = await serveStatic(distDir);
const browser = await launchBrowser();
try {
  const results = [];
  for (const nodes of sizes) results.push(await run(nodes));
  console.log(JSON.stringify({
    experiment: 'bench-page',
    seed,
    params: { seconds, speed: Number(speed), nodes: sizes },
    results,
  }));
} catch (error) {
  console.error(`error: ${error.message}`);
  process.exitCode = 1;
} finally {
  await browser.close();
  await server.close();
}

async function run(nodes) {
  const { page, errors } = await openLab(browser, `${server.url}?nodes=${nodes}`, seed);
  const speeds = await page.locator('select[aria-label="Speed"] option').evaluateAll(
    (options) => options.map((o) => o.value),
  );
  if (!speeds.includes(speed)) {
    throw new Error(`--speed must be one of ${speeds.join(', ')}, got ${speed}`);
  }
  await page.locator('select[aria-label="Speed"]').selectOption(speed);
  // Let the page settle (the first frames build caches) before measuring.
  await page.waitForTimeout(1000);

  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Performance.enable');
  const counters = async () => {
    const { metrics } = await cdp.send('Performance.getMetrics');
    return Object.fromEntries(metrics.map(({ name, value }) => [name, value]));
  };
  const simulated = () =>
    page.locator('output[aria-label="Simulated time"]').textContent().then(parseFloat);

  const before = await counters();
  const simulatedBefore = await simulated();
  const { intervals, wall } = await page.evaluate(
    (ms) =>
      new Promise((done) => {
        const stamps = [];
        const start = performance.now();
        const frame = (now) => {
          stamps.push(now);
          if (now - start < ms) requestAnimationFrame(frame);
          else done({
            intervals: stamps.slice(1).map((t, i) => t - stamps[i]),
            wall: (stamps[stamps.length - 1] - stamps[0]) / 1000,
          });
        };
        requestAnimationFrame(frame);
      }),
    seconds * 1000,
  );
  const after = await counters();
  const simulatedAfter = await simulated();
  await page.close();

  const frames = intervals.length;
  const sorted = [...intervals].sort((a, b) => a - b);
  const quantile = (q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  const mean = intervals.reduce((a, b) => a + b, 0) / Math.max(frames, 1);
  const busy = ['ScriptDuration', 'RecalcStyleDuration', 'LayoutDuration']
    .map((name) => after[name] - before[name])
    .reduce((a, b) => a + b, 0);
  const round = (x, digits = 2) => Number(x.toFixed(digits));
  const pace = (simulatedAfter - simulatedBefore) / (wall * Number(speed));
  return {
    nodes,
    frames,
    frames_per_second: round(frames / wall, 1),
    frame_ms_mean: round(mean),
    frame_ms_p50: round(quantile(0.5)),
    frame_ms_p95: round(quantile(0.95)),
    frame_ms_p99: round(quantile(0.99)),
    frame_ms_max: round(sorted[sorted.length - 1] ?? 0),
    main_thread_ms_per_frame: round((busy * 1000) / Math.max(frames, 1)),
    simulated_seconds: round(simulatedAfter - simulatedBefore, 1),
    wall_seconds: round(wall, 1),
    // The simulation's speed over the chosen speed: 1 when it kept pace.
    pace: round(pace),
    kept_pace: pace >= 0.95,
    page_errors: errors.length,
  };
}
