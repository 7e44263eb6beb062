//! The page's side of the experiment worker: starts it, sends it a plan (held back
//! until the worker says it is ready, since a message sent before its code has loaded
//! would be lost), hands every reply to a callback, and terminates it when dropped,
//! which is also how a run is cancelled.

use std::cell::RefCell;
use std::rc::Rc;

use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::Closure;
use web_sys::{ErrorEvent, MessageEvent, Worker};
use yew::Callback;

use super::study::{Reply, Request, to_js};

/// The script trunk writes for the worker binary (`data-loader-shim` in index.html):
/// it loads `experiments_worker.js` and its wasm, which are named after the binary
/// rather than hashed, so the page can name them.
const LOADER: &str = "./experiments_worker_loader.js";

/// A running experiment worker; dropping it terminates the worker.
#[derive(Debug)]
pub struct ExperimentWorker {
    worker: Worker,
    /// A request sent before the worker was ready, posted when it is.
    pending: Rc<RefCell<Option<wasm_bindgen::JsValue>>>,
    ready: Rc<RefCell<bool>>,
    _on_message: Closure<dyn FnMut(MessageEvent)>,
    _on_error: Closure<dyn FnMut(ErrorEvent)>,
}

impl ExperimentWorker {
    /// Starts a worker whose replies go to `on_reply`.
    pub fn start(on_reply: Callback<Reply>) -> Result<ExperimentWorker, String> {
        let worker = Worker::new(LOADER).map_err(|_| "this browser cannot start a Web Worker")?;
        let pending: Rc<RefCell<Option<wasm_bindgen::JsValue>>> = Rc::default();
        let ready = Rc::new(RefCell::new(false));
        let on_message = {
            let (worker, pending, ready, on_reply) = (
                worker.clone(),
                pending.clone(),
                ready.clone(),
                on_reply.clone(),
            );
            Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
                match serde_wasm_bindgen::from_value::<Reply>(event.data()) {
                    Ok(Reply::Ready) => {
                        *ready.borrow_mut() = true;
                        if let Some(request) = pending.borrow_mut().take() {
                            let _ = worker.post_message(&request);
                        }
                    }
                    Ok(reply) => on_reply.emit(reply),
                    Err(error) => on_reply.emit(Reply::Failed {
                        id: 0,
                        error: format!("an unreadable reply from the worker: {error}"),
                    }),
                }
            })
        };
        let on_error = Closure::<dyn FnMut(ErrorEvent)>::new(move |event: ErrorEvent| {
            // Handled here: the page's console stays clean and the tab says what broke.
            event.prevent_default();
            on_reply.emit(Reply::Failed {
                id: 0,
                error: format!("the experiment worker stopped: {}", event.message()),
            });
        });
        worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        worker.set_onerror(Some(on_error.as_ref().unchecked_ref()));
        Ok(ExperimentWorker {
            worker,
            pending,
            ready,
            _on_message: on_message,
            _on_error: on_error,
        })
    }

    /// Sends `request`: now if the worker is ready, else as soon as it is.
    pub fn send(&self, request: &Request) -> Result<(), String> {
        let message = to_js(request)?;
        if *self.ready.borrow() {
            self.worker
                .post_message(&message)
                .map_err(|_| "the worker refused the request".to_owned())
        } else {
            *self.pending.borrow_mut() = Some(message);
            Ok(())
        }
    }
}

impl Drop for ExperimentWorker {
    fn drop(&mut self) {
        self.worker.terminate();
    }
}
