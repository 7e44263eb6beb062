use yew::prelude::*;

use super::LabContext;
use crate::state::Action;

/// The keyboard shortcuts, shown over the page on `?`.
#[function_component(Help)]
pub fn help() -> Html {
    let lab = use_context::<LabContext>().expect("Help sits inside the lab context");
    let close_button = use_node_ref();
    {
        // Opened: focus goes to the dialog's button, so Enter or Esc closes it.
        let close_button = close_button.clone();
        use_effect_with(lab.help, move |open| {
            if *open && let Some(button) = close_button.cast::<web_sys::HtmlElement>() {
                let _ = button.focus();
            }
        });
    }
    if !lab.help {
        return html! {};
    }
    let close = {
        let lab = lab.clone();
        Callback::from(move |_: MouseEvent| lab.dispatch(Action::HideHelp))
    };
    // A modal dialog keeps the focus: its one control is all Tab reaches.
    let keep_focus = Callback::from(|event: KeyboardEvent| {
        if event.key() == "Tab" {
            event.prevent_default();
        }
    });
    let keys = [
        ("Space", "pause or resume"),
        ("→", "paused: the next event (a delivery, a timer)"),
        ("Shift →", "paused: one protocol period"),
        ("←", "back 10 simulated seconds"),
        ("Click a node", "crash it, or restart it"),
        ("Shift-click a node", "pick it for a network cut"),
        ("Drag a box", "pick the nodes inside it"),
        (
            "Tab, then ← → Home End",
            "move between nodes; Enter crashes or restarts",
        ),
        ("M", "pin the next datagram in flight"),
        ("?", "this help"),
        ("Esc", "close it"),
    ];
    html! {
        <div class="help-overlay" role="dialog" aria-modal="true" aria-label="Keyboard shortcuts" onkeydown={keep_focus}>
            <div class="help panel">
                <h2>{ "Keyboard shortcuts" }</h2>
                <dl class="facts">
                    { for keys.iter().map(|(key, what)| html! { <><dt><kbd>{ *key }</kbd></dt><dd>{ *what }</dd></> }) }
                </dl>
                <button type="button" ref={close_button} onclick={close}>{ "Close" }</button>
            </div>
        </div>
    }
}
