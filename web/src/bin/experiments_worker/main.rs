//! The lab's experiment worker: a Web Worker that runs the Experiments tab's plans, so
//! the page's thread keeps animating the simulated cluster meanwhile. It holds the
//! simulator and the core, not Yew: trunk builds it as a second wasm
//! (`data-type="worker"` in index.html).
//!
//! It answers one [`Request`] at a time and posts [`Reply`]s as it goes (see the
//! sequence in `study.rs`; `runner.rs` runs the plans); to cancel, the page terminates it.

mod runner;
#[path = "../../experiments/study.rs"]
mod study;

use runner::execute;
use study::{Reply, Request, to_js};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::Closure;
use web_sys::{DedicatedWorkerGlobalScope, MessageEvent};

fn main() {
    let scope: DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();
    let post = {
        let scope = scope.clone();
        move |reply: Reply| {
            if let Ok(message) = to_js(&reply) {
                let _ = scope.post_message(&message);
            }
        }
    };
    let on_message = {
        let post = post.clone();
        Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
            match serde_wasm_bindgen::from_value::<Request>(event.data()) {
                Ok(request) => execute(&request, &post),
                Err(error) => post(Reply::Failed {
                    id: 0,
                    error: format!("an unreadable request: {error}"),
                }),
            }
        })
    };
    scope.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    // The handler serves for the worker's whole life, which ends by termination: there
    // is no later point at which to drop it.
    on_message.forget();
    post(Reply::Ready);
}
