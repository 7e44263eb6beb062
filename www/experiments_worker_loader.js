// Starts the Experiments tab's Web Worker (web/src/bin/experiments_worker/): its
// wasm-bindgen glue, then its module, passed by name as wasm-bindgen asks.
importScripts("./experiments_worker.js");
wasm_bindgen({ module_or_path: "./experiments_worker_bg.wasm" });
