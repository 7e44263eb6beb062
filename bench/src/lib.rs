//! `gossip sim bench` for WebAssembly: the same workload
//! ([`gossip_sim::experiment::Bench`]) exported to JavaScript, so that
//! `scripts/bench-wasm.sh` can time it under Node with Node's clock and compare it with
//! the native figures.

use gossip_sim::experiment::Bench;
use wasm_bindgen::prelude::*;

/// A converged cluster ready to run; JavaScript times [`WasmBench::new`] and
/// [`WasmBench::run`].
#[wasm_bindgen]
#[derive(Debug)]
pub struct WasmBench {
    bench: Bench,
}

#[wasm_bindgen]
impl WasmBench {
    /// Builds a converged cluster of `nodes` members (lan preset) from `seed`.
    #[wasm_bindgen(constructor)]
    pub fn new(nodes: u32, seed: u64) -> Result<WasmBench, JsError> {
        let bench = Bench::build(nodes as usize, seed).map_err(|e| JsError::new(&e.to_string()))?;
        Ok(WasmBench { bench })
    }

    /// Runs `periods` protocol periods.
    pub fn run(&mut self, periods: u32) {
        self.bench.run(periods);
    }

    #[wasm_bindgen(getter, js_name = messagesSent)]
    pub fn messages_sent(&self) -> f64 {
        self.bench.counts().messages_sent as f64
    }

    #[wasm_bindgen(getter, js_name = messagesDelivered)]
    pub fn messages_delivered(&self) -> f64 {
        self.bench.counts().messages_delivered as f64
    }

    #[wasm_bindgen(getter, js_name = memberTableEntries)]
    pub fn member_table_entries(&self) -> f64 {
        self.bench.counts().member_table_entries as f64
    }

    #[wasm_bindgen(getter, js_name = memberTableBytes)]
    pub fn member_table_bytes(&self) -> f64 {
        self.bench.counts().member_table_bytes as f64
    }
}
