//! The browser lab: a simulated gossip cluster, drawn as an interactive topology graph.

mod cluster;
mod components;
mod layout;
mod state;

fn main() {
    yew::Renderer::<components::app::App>::new().render();
}
