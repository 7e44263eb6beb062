//! Live mode: the page served by a running agent (`gossip agent --http`) shows that
//! agent's real cluster instead of a simulation. The agent marks the page with
//! `<meta name="gossip-agent" content="NAME">`; the page then reads the agent's HTTP API
//! (polled), its event stream and its datagrams (server-sent events), and draws them
//! with the lab's own components.

mod api;
pub mod app;
mod cluster_view;
mod flights;
mod state;

/// The name of the agent that served this page, if an agent did.
pub fn agent_name() -> Option<String> {
    web_sys::window()?
        .document()?
        .query_selector(r#"meta[name="gossip-agent"]"#)
        .ok()??
        .get_attribute("content")
}
