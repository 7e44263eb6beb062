//! The lab's components, one per file. They read the shared [`LabContext`] and
//! dispatch [`Action`](crate::state::Action)s; geometry and simulation reading live in
//! `layout` and `cluster`.

use yew::UseReducerHandle;

use crate::state::LabState;

pub mod app;
mod charts;
mod controls;
pub mod event_log;
mod experiment_plot;
mod experiment_results;
mod experiments_panel;
pub mod graph;
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
mod number_field;
mod panel_tabs;
mod scenario_panel;
mod settings_panel;
mod stage_bar;
mod topology;

/// The lab state and its dispatcher, shared through a context provider.
pub type LabContext = UseReducerHandle<LabState>;
