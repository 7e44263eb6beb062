// The README's `scripts/bench-wasm.sh --nodes N --periods P`: the simulator benchmark
// compiled to WebAssembly and run under Node prints one JSON object with the native
// benchmark's fields, and nothing else on stdout.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { join } from 'node:path';
import { repoRoot } from './support.mjs';

const SEED = 3;

test('the wasm benchmark the README shows runs and reports the native fields', async () => {
  console.log(`seed ${SEED}`);
  const { stdout } = await promisify(execFile)(
    join(repoRoot, 'scripts', 'bench-wasm.sh'),
    ['--nodes', '30', '--periods', '5', '--seed', String(SEED)],
    { cwd: repoRoot, env: process.env, timeout: 900_000, maxBuffer: 1 << 20 },
  );
  const report = JSON.parse(stdout);
  assert.equal(report.experiment, 'bench-wasm');
  assert.equal(report.seed, SEED);
  assert.deepEqual(report.params, { nodes: 30, periods: 5 });
  const results = report.results;
  assert.ok(results.messages_delivered > 0 && results.messages_delivered <= results.messages_sent);
  assert.equal(results.member_table_entries, 30 * 29);
  // 24 bytes an entry, and a few dozen a node beyond.
  const beyond = results.member_table_bytes - 24 * results.member_table_entries;
  assert.ok(beyond >= 0 && beyond <= 64 * 30, `${results.member_table_bytes} bytes`);
  for (const field of ['build_seconds', 'wall_seconds', 'deliveries_per_second', 'peak_memory_bytes']) {
    assert.ok(Number.isFinite(results[field]) && results[field] > 0, `${field} in ${stdout}`);
  }
});
