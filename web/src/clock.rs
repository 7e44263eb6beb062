//! The wall clock the lab budgets its frames by: the page's `performance.now()` in the
//! browser, the process's monotonic clock in native tests. The simulation never reads
//! it (simulated time is its own); only how much of it a frame runs depends on it.

/// Milliseconds since some fixed moment.
#[cfg(target_arch = "wasm32")]
pub fn wall_ms() -> f64 {
    web_sys::window()
        .and_then(|w| w.performance())
        .map_or_else(js_sys::Date::now, |p| p.now())
}

/// Milliseconds since the first call.
#[cfg(not(target_arch = "wasm32"))]
pub fn wall_ms() -> f64 {
    use std::sync::OnceLock;
    use std::time::Instant;
    static START: OnceLock<Instant> = OnceLock::new();
    START.get_or_init(Instant::now).elapsed().as_secs_f64() * 1e3
}
