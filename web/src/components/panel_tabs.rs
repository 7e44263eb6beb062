use wasm_bindgen::JsCast;
use yew::prelude::*;

use super::experiments_panel::ExperimentsPanel;

#[derive(Properties, PartialEq)]
pub struct PanelTabsProps {
    /// The cluster's panels, the first tab.
    pub children: Html,
}

/// The side panels as two tabs: the cluster's panels, and the experiments. Both stay
/// mounted (the other is only hidden), so an experiment keeps running, and the
/// cluster's panels keep their state, while the other tab is shown. Tabs follow the
/// WAI-ARIA tabs pattern: arrow keys move between them.
#[function_component(PanelTabs)]
pub fn panel_tabs(props: &PanelTabsProps) -> Html {
    let experiments = use_state(|| false);
    let select = |show_experiments: bool| {
        let experiments = experiments.clone();
        Callback::from(move |_: MouseEvent| experiments.set(show_experiments))
    };
    let arrows = {
        let experiments = experiments.clone();
        Callback::from(move |event: KeyboardEvent| {
            if !matches!(event.key().as_str(), "ArrowLeft" | "ArrowRight") {
                return;
            }
            // The page's own arrow keys step and rewind the simulation: not here.
            event.prevent_default();
            event.stop_propagation();
            let next = !*experiments;
            experiments.set(next);
            let id = if next {
                "tab-experiments"
            } else {
                "tab-cluster"
            };
            if let Some(tab) = element_by_id(id) {
                let _ = tab.focus();
            }
        })
    };
    let tab = |id: &'static str, panel: &'static str, label: &'static str, selected: bool| {
        html! {
            <button type="button" role="tab" id={id} aria-controls={panel}
                aria-selected={selected.to_string()} tabindex={if selected { "0" } else { "-1" }}
                class={classes!("tab", selected.then_some("selected"))}
                onclick={select(id == "tab-experiments")} onkeydown={arrows.clone()}>
                { label }
            </button>
        }
    };
    html! {
        <>
            <div class="tabs" role="tablist" aria-label="Side panels">
                { tab("tab-cluster", "panel-cluster", "Cluster", !*experiments) }
                { tab("tab-experiments", "panel-experiments", "Experiments", *experiments) }
            </div>
            <div id="panel-cluster" class="tab-panel" role="tabpanel" aria-labelledby="tab-cluster" hidden={*experiments}>
                { props.children.clone() }
            </div>
            <div id="panel-experiments" class="tab-panel" role="tabpanel" aria-labelledby="tab-experiments" hidden={!*experiments}>
                <ExperimentsPanel />
            </div>
        </>
    }
}

/// The element with `id`, to move focus to.
fn element_by_id(id: &str) -> Option<web_sys::HtmlElement> {
    web_sys::window()?
        .document()?
        .get_element_by_id(id)?
        .dyn_into()
        .ok()
}
