// Times the wasm build of the simulator benchmark under Node; called by bench-wasm.sh.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { parseArgs } from "node:util";

const require = createRequire(import.meta.url);
// bench-wasm.sh says where it put the bindings (the cargo target dir's bench-wasm).
const bindings = process.env.BENCH_WASM_DIR ?? new URL("../target/bench-wasm", import.meta.url).pathname;
const { WasmBench } = require(`${bindings}/gossip_bench_wasm.js`);

const { values } = parseArgs({
  options: {
    nodes: { type: "string", default: "1000" },
    periods: { type: "string", default: "100" },
    seed: { type: "string", default: "1" },
  },
});
const count = (name) => {
  const value = Number(values[name]);
  if (!Number.isInteger(value) || value < 0) {
    console.error(`--${name} must be a whole number, got ${values[name]}`);
    process.exit(2);
  }
  return value;
};
const [nodes, periods, seed] = [count("nodes"), count("periods"), count("seed")];

// Peak resident memory of this process (Linux), as the native bench reports it.
const peakMemoryBytes = () => {
  const line = readFileSync("/proc/self/status", "utf8")
    .split("\n")
    .find((l) => l.startsWith("VmHWM:"));
  return line ? Number(line.split(/\s+/)[1]) * 1024 : null;
};
const round = (x) => Math.round(x * 1000) / 1000;
// Times to the microsecond: a small cluster's run is over in well under a millisecond.
const microseconds = (seconds) => Math.round(seconds * 1e6) / 1e6;

let start = performance.now();
const bench = new WasmBench(nodes, BigInt(seed));
const buildSeconds = (performance.now() - start) / 1000;
start = performance.now();
bench.run(periods);
const wallSeconds = (performance.now() - start) / 1000;

console.log(
  JSON.stringify({
    experiment: "bench-wasm",
    params: { nodes, periods },
    results: {
      build_seconds: microseconds(buildSeconds),
      wall_seconds: microseconds(wallSeconds),
      messages_sent: bench.messagesSent,
      messages_delivered: bench.messagesDelivered,
      deliveries_per_second: Math.round(bench.messagesDelivered / Math.max(wallSeconds, 1e-9)),
      member_table_entries: bench.memberTableEntries,
      member_table_bytes: bench.memberTableBytes,
      bytes_per_entry: round(bench.memberTableBytes / Math.max(bench.memberTableEntries, 1)),
      peak_memory_bytes: peakMemoryBytes(),
    },
    runs: 1,
    seed,
  }),
);
