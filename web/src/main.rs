//! The browser lab: a simulated gossip cluster, drawn as an interactive topology graph;
//! and, served by an agent, that agent's real cluster drawn the same way ([`live`]).

mod clock;
mod cluster;
mod components;
mod datagram_text;
mod experiments;
mod layout;
mod live;
mod page_query;
mod raster;
mod recording;
mod replaying;
mod scenarios;
mod settings;
mod share;
mod state;

/// The lab, or on a page an agent served, that agent's live cluster.
fn main() {
    match live::agent_name() {
        Some(agent) => {
            yew::Renderer::<live::app::LiveApp>::with_props(live::app::LiveAppProps { agent })
                .render();
        }
        None => {
            yew::Renderer::<components::app::App>::new().render();
        }
    }
}
