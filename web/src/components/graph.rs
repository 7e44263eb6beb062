use std::rc::Rc;

use wasm_bindgen::JsCast;
use yew::prelude::*;

use super::graph_canvas::CanvasDrawing;
use super::graph_svg::SvgDrawing;
use crate::layout::{Point, VIEW_SIZE, node_position};

/// Up to this many nodes the graph is SVG, every node a labelled element with its
/// details; beyond, it is painted on a canvas (thousands of SVG elements cost the
/// browser more than a frame), with one light element per node kept above it for
/// clicks, keyboard focus, screen readers and tests.
pub const SVG_UP_TO: usize = 30;

/// One node as the graph draws it, from a simulation or from a live agent.
#[derive(Clone, Debug, PartialEq)]
pub struct GraphNode {
    pub name: AttrValue,
    /// How it is seen (`alive`, `suspect`, `dead`, `left`, `joining`).
    pub state: &'static str,
    /// Whether it really runs (in a live cluster: as far as this agent can tell).
    pub up: bool,
    pub paused: bool,
    pub incarnation: u32,
    /// Keys it holds, when known.
    pub keys: Option<usize>,
    pub local_health: u32,
    /// What activating it does ("crash it", "open its page"), if anything.
    pub action: Option<AttrValue>,
    /// More about it, shown on hover (a live member's tags).
    pub tooltip: Option<AttrValue>,
    /// Picked for a network cut.
    pub selected: bool,
    /// How much of its suspicion is left (1 fresh, 0 about to be declared dead), drawn
    /// as a shrinking arc.
    pub suspicion_left: Option<f64>,
    /// Holds the picked key's newest versions.
    pub holds_key: bool,
    /// The hottest rumor it still spreads: the excitement left, of the most it starts
    /// with.
    pub excitement: Option<(u32, u32)>,
}

impl GraphNode {
    /// What it really is doing, in words.
    pub fn truth(&self) -> &'static str {
        match (self.up, self.paused) {
            // Not running because it left (a live page's member that left), not because
            // it failed.
            (false, _) if self.state == "left" => "gone",
            (false, _) => "down",
            (true, true) => "paused",
            (true, false) => "running",
        }
    }

    /// The mark drawn under a node that is not running: a crash, or a departure.
    pub fn stopped_mark(&self) -> &'static str {
        if self.truth() == "gone" {
            "⏏ left"
        } else {
            "✕ down"
        }
    }

    /// Its accessible name: how it is seen, what it really does, what activating it
    /// does.
    pub fn label(&self) -> String {
        let picked = if self.selected { ", picked" } else { "" };
        let (name, state, truth) = (&self.name, self.state, self.truth());
        match &self.action {
            Some(action) => {
                format!("{name}: seen as {state}, {truth}{picked}. Activate to {action}.")
            }
            None => format!("{name}: seen as {state}, {truth}{picked}."),
        }
    }

    /// Incarnation, keys held and local health, in a few words.
    pub fn detail(&self) -> String {
        let mut detail = format!("inc {}", self.incarnation);
        if let Some(keys) = self.keys {
            let plural = if keys == 1 { "" } else { "s" };
            detail.push_str(&format!(" · {keys} key{plural}"));
        }
        if self.local_health > 0 {
            detail.push_str(&format!(" · health −{}", self.local_health));
        }
        if let Some((left, most)) = self.excitement {
            detail.push_str(&format!(" · rumor {left}/{most}"));
        }
        detail
    }
}

/// A link drawn cut: the indexes of its two nodes, and whether only `from` → `to` is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CutLink {
    pub from: usize,
    pub to: usize,
    pub one_way: bool,
}

/// A datagram in flight, already placed (see `layout::message_position`).
#[derive(Clone, Debug, PartialEq)]
pub struct MessageMark {
    pub id: u64,
    pub kind: &'static str,
    pub at: Point,
    /// The network dropped it, or the receiver is down: drawn faded.
    pub lost: bool,
    /// Its hover text, where each datagram is an element of its own.
    pub label: Option<AttrValue>,
}

/// A node activated: clicked (or Enter), with shift held to pick it instead.
#[derive(Clone, Debug, PartialEq)]
pub struct Activation {
    pub name: AttrValue,
    pub pick: bool,
}

/// The nodes a drawing shows, shared between its components and compared by identity:
/// a new list is a new picture. The topology makes one each frame; comparing 10,000
/// nodes field by field, twice, only to find the picture changed cost more than
/// building them.
#[derive(Clone, Debug)]
pub struct Nodes(Rc<Vec<GraphNode>>);

impl PartialEq for Nodes {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}

impl From<Vec<GraphNode>> for Nodes {
    fn from(nodes: Vec<GraphNode>) -> Self {
        Nodes(Rc::new(nodes))
    }
}

impl std::ops::Deref for Nodes {
    type Target = [GraphNode];

    fn deref(&self) -> &[GraphNode] {
        &self.0
    }
}

#[derive(Properties, PartialEq)]
pub struct GraphProps {
    pub nodes: Nodes,
    /// The messages in flight, placed.
    #[prop_or_default]
    pub messages: Rc<Vec<MessageMark>>,
    /// Links the network has cut.
    #[prop_or_default]
    pub cuts: Rc<Vec<CutLink>>,
    /// The graph's accessible name.
    pub label: AttrValue,
    /// Called when a person activates a node.
    #[prop_or_default]
    pub on_activate: Callback<Activation>,
    /// Called with a datagram's id when a person clicks it.
    #[prop_or_default]
    pub on_pin: Callback<u64>,
    /// Called with the nodes inside a box a person dragged; without it, no box.
    #[prop_or_default]
    pub on_pick: Option<Callback<Vec<AttrValue>>>,
}

/// The nodes a person can tab to: one at a time (a roving tab stop), moved with the
/// arrow keys, Home and End, so a thousand nodes are one stop in the page's tab order.
#[derive(Clone, Debug, PartialEq)]
pub struct Focus {
    /// The node that takes the tab stop.
    pub name: Option<AttrValue>,
}

impl Focus {
    /// Whether `name` is the tab stop among `nodes` (the first node when none was
    /// focused yet, or the focused one is gone).
    pub fn is_stop(&self, nodes: &[GraphNode], name: &str) -> bool {
        match self.name.as_deref() {
            Some(focused) if nodes.iter().any(|n| n.name == focused) => focused == name,
            _ => nodes.first().is_some_and(|n| n.name == name),
        }
    }
}

/// Where the arrow keys move the focus from node `current` of `count`.
fn next_focus(key: &str, current: usize, count: usize) -> Option<usize> {
    let last = count.checked_sub(1)?;
    match key {
        "ArrowRight" | "ArrowDown" => Some(if current >= last { 0 } else { current + 1 }),
        "ArrowLeft" | "ArrowUp" => Some(if current == 0 { last } else { current - 1 }),
        "Home" => Some(0),
        "End" => Some(last),
        _ => None,
    }
}

/// A box dragged across the graph, in drawing coordinates.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DragBox {
    pub from: Point,
    pub to: Point,
}

impl DragBox {
    /// Smaller than this (in drawing units) it was a click, not a box.
    const LEAST: f64 = 6.0;

    fn is_box(&self) -> bool {
        (self.from.x - self.to.x).abs() >= Self::LEAST
            || (self.from.y - self.to.y).abs() >= Self::LEAST
    }

    fn contains(&self, p: Point) -> bool {
        let (x0, x1) = (self.from.x.min(self.to.x), self.from.x.max(self.to.x));
        let (y0, y1) = (self.from.y.min(self.to.y), self.from.y.max(self.to.y));
        (x0..=x1).contains(&p.x) && (y0..=y1).contains(&p.y)
    }
}

/// The names of the nodes whose centres lie inside `area`.
fn nodes_inside(nodes: &[GraphNode], area: &DragBox) -> Vec<AttrValue> {
    let count = nodes.len();
    nodes
        .iter()
        .enumerate()
        .filter(|(i, _)| area.contains(node_position(*i, count)))
        .map(|(_, n)| n.name.clone())
        .collect()
}

/// The datagram drawn nearest `at`, if one is within a few units of it.
fn message_near(messages: &[MessageMark], at: Point) -> Option<u64> {
    const REACH: f64 = 8.0;
    messages
        .iter()
        .map(|m| (m.id, (m.at.x - at.x).powi(2) + (m.at.y - at.y).powi(2)))
        .filter(|(_, d2)| *d2 <= REACH * REACH)
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .map(|(id, _)| id)
}

/// Whether an event happened on a datagram drawn as an element.
fn on_a_message(event: &Event) -> bool {
    event
        .target()
        .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
        .is_some_and(|e| e.closest(".message").ok().flatten().is_some())
}

/// Whether an event happened on a node (or inside one).
fn on_a_node(event: &Event) -> Option<String> {
    let element = event.target()?.dyn_into::<web_sys::Element>().ok()?;
    element
        .closest("[data-node-id]")
        .ok()
        .flatten()?
        .get_attribute("data-node-id")
}

/// The cluster as a graph: nodes on a circle, pairs linked while they are few, cut
/// links drawn dashed red, messages on top. The simulated lab and the live agent page
/// draw through this one component; it chooses SVG or a canvas by the cluster's size
/// and keeps the same nodes, names and `data-` attributes either way.
#[function_component(Graph)]
pub fn graph(props: &GraphProps) -> Html {
    let container = use_node_ref();
    let focus = use_state(|| Focus { name: None });
    let dragging = use_state(|| None::<DragBox>);

    // Drawing coordinates of a pointer event.
    let point_of = {
        let container = container.clone();
        move |event: &PointerEvent| -> Option<Point> {
            let element = container.cast::<web_sys::Element>()?;
            let rect = element.get_bounding_client_rect();
            let scale = VIEW_SIZE / rect.width().max(1.0);
            Some(Point {
                x: (f64::from(event.client_x()) - rect.left()) * scale,
                y: (f64::from(event.client_y()) - rect.top()) * scale,
            })
        }
    };
    let onpointerdown = {
        let (dragging, point_of) = (dragging.clone(), point_of.clone());
        Callback::from(move |event: PointerEvent| {
            if event.button() != 0 || on_a_node(&event).is_some() {
                return;
            }
            if let Some(at) = point_of(&event) {
                if let Some(target) = event
                    .target()
                    .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
                {
                    let _ = target.set_pointer_capture(event.pointer_id());
                }
                dragging.set(Some(DragBox { from: at, to: at }));
            }
        })
    };
    let onpointermove = {
        let (dragging, point_of) = (dragging.clone(), point_of.clone());
        Callback::from(move |event: PointerEvent| {
            if let (Some(area), Some(at)) = (*dragging, point_of(&event)) {
                dragging.set(Some(DragBox { to: at, ..area }));
            }
        })
    };
    let onpointerup = {
        let dragging = dragging.clone();
        let nodes = props.nodes.clone();
        let (messages, on_pin, on_pick) = (
            props.messages.clone(),
            props.on_pin.clone(),
            props.on_pick.clone(),
        );
        Callback::from(move |event: PointerEvent| {
            let Some(area) = *dragging else {
                return;
            };
            dragging.set(None);
            let at = point_of(&event).unwrap_or(area.to);
            let area = DragBox { to: at, ..area };
            match (&on_pick, area.is_box()) {
                (Some(on_pick), true) => on_pick.emit(nodes_inside(&nodes, &area)),
                // A dot drawn as an element of its own pins itself when clicked.
                _ if on_a_message(&event) => {}
                _ => {
                    if let Some(id) = message_near(&messages, at) {
                        on_pin.emit(id);
                    }
                }
            }
        })
    };
    let onkeydown = {
        let (focus, container) = (focus.clone(), container.clone());
        let names: Vec<AttrValue> = props.nodes.iter().map(|n| n.name.clone()).collect();
        Callback::from(move |event: KeyboardEvent| {
            let Some(name) = on_a_node(&event) else {
                return;
            };
            let Some(current) = names.iter().position(|n| *n == name) else {
                return;
            };
            let Some(next) = next_focus(&event.key(), current, names.len()) else {
                return;
            };
            event.prevent_default();
            let next = names[next].clone();
            // Found by comparing the attribute, not by a selector: a name may hold
            // quotes or backslashes.
            let element = container
                .cast::<web_sys::Element>()
                .and_then(|c| c.query_selector_all("[data-node-id]").ok())
                .and_then(|all| {
                    (0..all.length())
                        .filter_map(|i| all.item(i)?.dyn_into::<web_sys::Element>().ok())
                        .find(|e| e.get_attribute("data-node-id").as_deref() == Some(next.as_str()))
                });
            // A disc drawn in SVG (up to 30 nodes) or an element over the canvas.
            if let Some(element) = element {
                let _ = match element.dyn_into::<web_sys::SvgElement>() {
                    Ok(svg) => svg.focus(),
                    Err(element) => element
                        .dyn_into::<web_sys::HtmlElement>()
                        .map_or(Ok(()), |html| html.focus()),
                };
            }
            focus.set(Focus { name: Some(next) });
        })
    };
    let onfocusin = {
        let focus = focus.clone();
        Callback::from(move |event: FocusEvent| {
            if let Some(name) = on_a_node(&event)
                && focus.name.as_deref() != Some(name.as_str())
            {
                focus.set(Focus {
                    name: Some(AttrValue::from(name)),
                });
            }
        })
    };

    let drawing = if props.nodes.len() <= SVG_UP_TO {
        html! {
            <SvgDrawing
                nodes={props.nodes.clone()}
                messages={props.messages.clone()}
                cuts={props.cuts.clone()}
                label={props.label.clone()}
                on_activate={props.on_activate.clone()}
                on_pin={props.on_pin.clone()}
                focus={(*focus).clone()}
            />
        }
    } else {
        html! {
            <CanvasDrawing
                nodes={props.nodes.clone()}
                messages={props.messages.clone()}
                cuts={props.cuts.clone()}
                label={props.label.clone()}
                on_activate={props.on_activate.clone()}
                focus={(*focus).clone()}
            />
        }
    };
    let drag_box = dragging.filter(|area| area.is_box()).map(|area| {
        let pct = |v: f64| format!("{:.3}%", 100.0 * v / VIEW_SIZE);
        let style = format!(
            "left: {}; top: {}; width: {}; height: {}",
            pct(area.from.x.min(area.to.x)),
            pct(area.from.y.min(area.to.y)),
            pct((area.from.x - area.to.x).abs()),
            pct((area.from.y - area.to.y).abs()),
        );
        html! { <div class="drag-box" {style} aria-hidden="true"></div> }
    });
    html! {
        <div class="graph" ref={container} {onpointerdown} {onpointermove} {onpointerup} {onkeydown} {onfocusin}>
            { drawing }
            { drag_box }
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(name: &str) -> GraphNode {
        GraphNode {
            name: AttrValue::from(name.to_owned()),
            state: "alive",
            up: true,
            paused: false,
            incarnation: 0,
            keys: None,
            local_health: 0,
            action: None,
            tooltip: None,
            selected: false,
            suspicion_left: None,
            holds_key: false,
            excitement: None,
        }
    }

    #[test]
    fn a_stopped_node_is_marked_down_or_left_by_why_it_stopped() {
        let crashed = GraphNode {
            up: false,
            state: "dead",
            ..node("n3")
        };
        assert_eq!(crashed.stopped_mark(), "✕ down");
        let departed = GraphNode {
            up: false,
            state: "left",
            ..node("n5")
        };
        assert_eq!(departed.stopped_mark(), "⏏ left");
        assert!(departed.label().contains("gone"), "{}", departed.label());
    }

    #[test]
    fn the_arrow_keys_walk_the_nodes_round_the_circle() {
        assert_eq!(next_focus("ArrowRight", 0, 3), Some(1));
        assert_eq!(next_focus("ArrowDown", 2, 3), Some(0));
        assert_eq!(next_focus("ArrowLeft", 0, 3), Some(2));
        assert_eq!(next_focus("ArrowUp", 2, 3), Some(1));
        assert_eq!(next_focus("Home", 2, 3), Some(0));
        assert_eq!(next_focus("End", 0, 3), Some(2));
        assert_eq!(next_focus("Enter", 0, 3), None);
        assert_eq!(next_focus("ArrowRight", 0, 0), None);
    }

    #[test]
    fn one_node_is_the_tab_stop_and_the_first_stands_in() {
        let nodes = vec![node("n1"), node("n2"), node("n3")];
        let nobody = Focus { name: None };
        assert!(nobody.is_stop(&nodes, "n1"));
        assert!(!nobody.is_stop(&nodes, "n2"));
        let second = Focus {
            name: Some("n2".into()),
        };
        assert!(second.is_stop(&nodes, "n2"));
        assert!(!second.is_stop(&nodes, "n1"));
        let gone = Focus {
            name: Some("n9".into()),
        };
        assert!(
            gone.is_stop(&nodes, "n1"),
            "a removed node hands the stop on"
        );
    }

    #[test]
    fn a_dragged_box_picks_the_nodes_inside_it() {
        let nodes: Vec<_> = (1..=4).map(|i| node(&format!("n{i}"))).collect();
        // Four nodes: top, right, bottom, left of the circle.
        let right_half = DragBox {
            from: Point { x: 310.0, y: 0.0 },
            to: Point { x: 600.0, y: 600.0 },
        };
        assert_eq!(nodes_inside(&nodes, &right_half), vec!["n2"]);
        let upper_half = DragBox {
            from: Point { x: 0.0, y: 310.0 },
            to: Point { x: 600.0, y: 0.0 },
        };
        let mut picked = nodes_inside(&nodes, &upper_half);
        picked.sort();
        assert_eq!(picked, vec!["n1", "n2", "n4"]);
        let click = DragBox {
            from: Point { x: 10.0, y: 10.0 },
            to: Point { x: 12.0, y: 13.0 },
        };
        assert!(!click.is_box());
        assert!(upper_half.is_box());
    }

    #[test]
    fn a_click_pins_the_nearest_datagram_within_reach() {
        let mark = |id, x, y| MessageMark {
            id,
            kind: "ping",
            at: Point { x, y },
            lost: false,
            label: None,
        };
        let messages = vec![mark(1, 100.0, 100.0), mark(2, 104.0, 100.0)];
        assert_eq!(
            message_near(&messages, Point { x: 103.0, y: 100.0 }),
            Some(2)
        );
        assert_eq!(
            message_near(&messages, Point { x: 99.0, y: 101.0 }),
            Some(1)
        );
        assert_eq!(message_near(&messages, Point { x: 130.0, y: 100.0 }), None);
    }
}
