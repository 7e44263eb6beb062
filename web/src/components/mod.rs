//! The lab's components, one per file. They read the shared [`LabContext`] and
//! dispatch [`Action`](crate::state::Action)s; geometry and simulation reading live in
//! `layout` and `cluster`.

use std::rc::Rc;

use yew::prelude::*;

use crate::state::LabState;

pub mod app;
mod charts;
mod controls;
pub mod event_log;
mod experiment_plot;
mod experiment_results;
mod experiments_panel;
pub mod graph;
mod graph_canvas;
mod graph_svg;
mod help;
mod invariants;
pub mod key_panel;
mod kv_panel;
pub mod legend;
mod membership_matrix;
mod message_dot;
mod network_panel;
mod node_disc;
mod node_inspector;
pub mod node_options;
mod number_field;
mod panel_tabs;
mod recording_panel;
mod scenario_panel;
mod settings_panel;
mod stage_bar;
mod topology;
mod user_event_panel;

/// The lab state and its dispatcher, shared through a context provider.
pub type LabContext = UseReducerHandle<LabState>;

/// Every node's name, in the simulation's order, rebuilt only for another run or when
/// a node is added (the lists of nodes in the panels would otherwise cost a thousand
/// strings a frame).
#[hook]
pub fn use_node_names(lab: &LabContext) -> Rc<Vec<AttrValue>> {
    let key = (
        Rc::as_ptr(&lab.sim) as usize,
        lab.sim.borrow().nodes().count(),
    );
    let sim = Rc::clone(&lab.sim);
    use_memo(key, move |_| {
        sim.borrow()
            .nodes()
            .map(|n| AttrValue::from(n.id().to_string()))
            .collect::<Vec<_>>()
    })
}
