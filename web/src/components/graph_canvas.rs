//! A large cluster painted on a canvas, under a layer of light, transparent elements,
//! one per node, that carry what the SVG drawing's nodes carry: the node's name,
//! `data-state` and `data-up`, its accessible name, a tooltip, clicks and keys. The
//! canvas is repainted every frame in a handful of draw calls (one path per colour);
//! the layer is rendered only when a node's state, truth or pick changes.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::f64::consts::{FRAC_PI_2, TAU};
use std::rc::Rc;

use wasm_bindgen::{JsCast, JsValue};
use web_sys::{CanvasRenderingContext2d, HtmlCanvasElement};
use yew::prelude::*;

use super::graph::{Activation, Focus, GraphNode};
use super::graph_svg::{CUTS_DRAWN, DrawingProps};
use crate::layout::{Point, VIEW_SIZE, node_position, node_radius};

/// Below this radius a disc is too small for its name.
const NAMED_FROM: f64 = 12.0;

/// The page's colours (its CSS custom properties), read once from the stylesheet so
/// the canvas and the SVG drawing agree.
#[derive(Debug, Default)]
struct Palette {
    colours: BTreeMap<&'static str, String>,
}

/// The custom properties the canvas paints with.
const COLOURS: [&str; 20] = [
    "alive",
    "suspect",
    "dead",
    "left",
    "joining",
    "ping",
    "ack",
    "ping-req",
    "nack",
    "rumor",
    "rumor-feedback",
    "rumor-pull",
    "digest",
    "deltas",
    "sync",
    "gossip",
    "ink",
    "muted",
    "line",
    "card",
];

impl Palette {
    fn read(element: &web_sys::Element) -> Palette {
        let style = web_sys::window().and_then(|w| w.get_computed_style(element).ok().flatten());
        let colours = COLOURS
            .iter()
            .filter_map(|&name| {
                let value = style
                    .as_ref()?
                    .get_property_value(&format!("--{name}"))
                    .ok()?;
                let value = value.trim();
                (!value.is_empty()).then(|| (name, value.to_owned()))
            })
            .collect();
        Palette { colours }
    }

    /// The colour named `name`, grey when the stylesheet lacks it.
    fn get(&self, name: &str) -> &str {
        self.colours.get(name).map_or("#8a8f98", String::as_str)
    }
}

/// A large cluster: a canvas, and the node layer above it.
#[function_component(CanvasDrawing)]
pub fn canvas_drawing(props: &DrawingProps) -> Html {
    let canvas = use_node_ref();
    let palette = use_mut_ref(|| None::<Palette>);
    {
        let canvas = canvas.clone();
        let (nodes, messages, cuts) = (
            props.nodes.clone(),
            props.messages.clone(),
            props.cuts.clone(),
        );
        // After every render (each animation frame): repaint.
        use_effect(move || {
            if let Some(canvas) = canvas.cast::<HtmlCanvasElement>() {
                paint(&canvas, &palette, &nodes, &messages, &cuts);
            }
        });
    }
    let count = props.nodes.len();
    let radius = node_radius(count);
    let spots = Rc::new(
        props
            .nodes
            .iter()
            .enumerate()
            .map(|(i, node)| Spot::of(node, node_position(i, count), radius, &props.focus))
            .collect::<Vec<_>>(),
    );
    html! {
        <div class="canvas-graph">
            <canvas class="topology" ref={canvas} aria-hidden="true"></canvas>
            <NodeLayer {spots} label={props.label.clone()} on_activate={props.on_activate.clone()} />
        </div>
    }
}

/// Paints the graph onto `canvas`, sized to its box at the screen's pixel density.
fn paint(
    canvas: &HtmlCanvasElement,
    palette: &RefCell<Option<Palette>>,
    nodes: &[GraphNode],
    messages: &[super::graph::MessageMark],
    cuts: &[super::graph::CutLink],
) {
    let Some(ctx) = canvas
        .get_context("2d")
        .ok()
        .flatten()
        .and_then(|c| c.dyn_into::<CanvasRenderingContext2d>().ok())
    else {
        return;
    };
    let density = web_sys::window().map_or(1.0, |w| w.device_pixel_ratio());
    let pixels = (f64::from(canvas.client_width()) * density)
        .round()
        .max(1.0) as u32;
    if canvas.width() != pixels {
        canvas.set_width(pixels);
        canvas.set_height(pixels);
    }
    let mut palette = palette.borrow_mut();
    let palette = palette.get_or_insert_with(|| Palette::read(canvas));
    let scale = f64::from(pixels) / VIEW_SIZE;
    let _ = ctx.set_transform(scale, 0.0, 0.0, scale, 0.0, 0.0);
    ctx.clear_rect(0.0, 0.0, VIEW_SIZE, VIEW_SIZE);

    let count = nodes.len();
    let radius = node_radius(count);
    let at = |i: usize| node_position(i, count);
    paint_cuts(&ctx, palette, cuts, &at, radius);
    paint_messages(&ctx, palette, messages, radius);
    paint_nodes(&ctx, palette, nodes, &at, radius);
}

fn set_dash(ctx: &CanvasRenderingContext2d, dash: &[f64]) {
    let pattern = js_sys::Array::new();
    for &d in dash {
        pattern.push(&JsValue::from_f64(d));
    }
    let _ = ctx.set_line_dash(&pattern);
}

/// Cut links dashed red; a one-way cut ends in an arrowhead at the side that no
/// longer hears.
fn paint_cuts(
    ctx: &CanvasRenderingContext2d,
    palette: &Palette,
    cuts: &[super::graph::CutLink],
    at: &dyn Fn(usize) -> Point,
    radius: f64,
) {
    if cuts.is_empty() {
        return;
    }
    ctx.set_stroke_style_str(palette.get("dead"));
    ctx.set_fill_style_str(palette.get("dead"));
    ctx.set_line_width(1.5);
    set_dash(ctx, &[6.0, 4.0]);
    ctx.begin_path();
    for cut in cuts.iter().take(CUTS_DRAWN) {
        let (p, q) = (at(cut.from), at(cut.to));
        ctx.move_to(p.x, p.y);
        ctx.line_to(q.x, q.y);
    }
    ctx.stroke();
    set_dash(ctx, &[]);
    ctx.begin_path();
    for cut in cuts.iter().take(CUTS_DRAWN).filter(|c| c.one_way) {
        let (p, q) = (at(cut.from), at(cut.to));
        let angle = (q.y - p.y).atan2(q.x - p.x);
        let tip = Point {
            x: q.x - radius * angle.cos(),
            y: q.y - radius * angle.sin(),
        };
        ctx.move_to(tip.x, tip.y);
        for side in [-0.4_f64, 0.4] {
            ctx.line_to(
                tip.x - 9.0 * (angle + side).cos(),
                tip.y - 9.0 * (angle + side).sin(),
            );
        }
        ctx.close_path();
    }
    ctx.fill();
}

/// Datagrams as small squares, one path per kind (and a faded one for the lost).
fn paint_messages(
    ctx: &CanvasRenderingContext2d,
    palette: &Palette,
    messages: &[super::graph::MessageMark],
    radius: f64,
) {
    let half = (radius * 0.6).clamp(1.5, 4.0);
    let mut by_kind: BTreeMap<(bool, &'static str), Vec<Point>> = BTreeMap::new();
    for message in messages {
        by_kind
            .entry((message.lost, message.kind))
            .or_default()
            .push(message.at);
    }
    for ((lost, kind), points) in by_kind {
        ctx.set_global_alpha(if lost { 0.25 } else { 1.0 });
        ctx.set_fill_style_str(palette.get(kind));
        ctx.begin_path();
        for p in points {
            ctx.rect(p.x - half, p.y - half, 2.0 * half, 2.0 * half);
        }
        ctx.fill();
    }
    ctx.set_global_alpha(1.0);
}

/// A circle added to the current path.
fn circle(ctx: &CanvasRenderingContext2d, p: Point, r: f64) {
    ctx.move_to(p.x + r, p.y);
    let _ = ctx.arc(p.x, p.y, r, 0.0, TAU);
}

/// Discs one path per state; then the rings (down, paused, picked, holding the key,
/// local health), suspicion arcs and names.
fn paint_nodes(
    ctx: &CanvasRenderingContext2d,
    palette: &Palette,
    nodes: &[GraphNode],
    at: &dyn Fn(usize) -> Point,
    r: f64,
) {
    let mut by_state: BTreeMap<&'static str, Vec<Point>> = BTreeMap::new();
    for (i, node) in nodes.iter().enumerate() {
        by_state.entry(node.state).or_default().push(at(i));
    }
    for (state, points) in by_state {
        let colour = if state == "unknown" {
            palette.get("line")
        } else {
            palette.get(state)
        };
        ctx.set_fill_style_str(colour);
        ctx.begin_path();
        for p in points {
            circle(ctx, p, r);
        }
        ctx.fill();
    }
    let ring =
        |colour: &str, width: f64, dash: &[f64], grow: f64, which: &dyn Fn(&GraphNode) -> bool| {
            let mut any = false;
            ctx.begin_path();
            for (i, _) in nodes.iter().enumerate().filter(|(_, n)| which(n)) {
                circle(ctx, at(i), (r + grow).max(1.0));
                any = true;
            }
            if any {
                ctx.set_stroke_style_str(colour);
                ctx.set_line_width(width);
                set_dash(ctx, dash);
                ctx.stroke();
            }
        };
    ring(palette.get("dead"), 1.5, &[3.0, 2.0], 1.0, &|n| !n.up);
    ring(palette.get("suspect"), 1.5, &[1.0, 2.0], 1.0, &|n| {
        n.up && n.paused
    });
    ring(palette.get("ink"), 1.5, &[3.0, 3.0], 3.5, &|n| n.selected);
    ring(palette.get("joining"), 2.0, &[], 6.0, &|n| n.holds_key);
    set_dash(ctx, &[]);

    // Lifeguard's local health: a ring inside the disc that thickens with doubt.
    ctx.set_stroke_style_str(palette.get("suspect"));
    for (i, node) in nodes.iter().enumerate().filter(|(_, n)| n.local_health > 0) {
        ctx.set_line_width((1.5 * f64::from(node.local_health)).min(r / 2.0));
        ctx.begin_path();
        circle(ctx, at(i), (r - 1.0).max(1.0));
        ctx.stroke();
    }
    // Suspicion: an arc that shrinks as the deadline nears.
    ctx.set_line_width(2.0);
    for (i, node) in nodes.iter().enumerate() {
        if let Some(left) = node.suspicion_left {
            let p = at(i);
            ctx.begin_path();
            let _ = ctx.arc(
                p.x,
                p.y,
                r + 2.5,
                -FRAC_PI_2,
                TAU * left.clamp(0.0, 1.0) - FRAC_PI_2,
            );
            ctx.stroke();
        }
    }
    if r >= NAMED_FROM {
        ctx.set_fill_style_str("#fff");
        ctx.set_font(&format!("700 {:.0}px system-ui, sans-serif", r * 0.75));
        ctx.set_text_align("center");
        ctx.set_text_baseline("middle");
        for (i, node) in nodes.iter().enumerate() {
            let p = at(i);
            let _ = ctx.fill_text(&node.name, p.x, p.y);
        }
    }
}

/// One node in the layer above the canvas: the node as drawn (its words are made only
/// when the layer is rendered, which is when some node changed) and its box, in percent
/// of the drawing's width.
#[derive(Clone, Debug, PartialEq)]
pub struct Spot {
    node: GraphNode,
    focusable: bool,
    left: f64,
    top: f64,
    size: f64,
}

impl Spot {
    fn of(node: &GraphNode, at: Point, radius: f64, focus: &Focus) -> Spot {
        // At least a few pixels to click, even where discs are tiny.
        let reach = radius.max(4.0);
        let pct = |v: f64| 100.0 * v / VIEW_SIZE;
        Spot {
            // What changes every frame (the suspicion arc) is drawn, not announced.
            node: GraphNode {
                suspicion_left: None,
                ..node.clone()
            },
            focusable: focus.name.as_deref() == Some(node.name.as_str()),
            left: pct(at.x - reach),
            top: pct(at.y - reach),
            size: pct(2.0 * reach),
        }
    }
}

#[derive(Properties, PartialEq)]
pub struct NodeLayerProps {
    pub spots: Rc<Vec<Spot>>,
    pub label: AttrValue,
    pub on_activate: Callback<Activation>,
}

/// The nodes as elements: transparent, placed over their discs. Clicks and keys are
/// handled once, for the whole layer.
#[function_component(NodeLayer)]
fn node_layer(props: &NodeLayerProps) -> Html {
    let activate = |on_activate: Callback<Activation>| {
        move |event: &Event, pick: bool| {
            let name = event
                .target()
                .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
                .and_then(|e| e.closest("[data-node-id][role=button]").ok().flatten())
                .and_then(|e| e.get_attribute("data-node-id"));
            if let Some(name) = name {
                on_activate.emit(Activation {
                    name: AttrValue::from(name),
                    pick,
                });
            }
        }
    };
    let onclick = {
        let activate = activate(props.on_activate.clone());
        Callback::from(move |event: MouseEvent| activate(&event, event.shift_key()))
    };
    let onkeydown = {
        let activate = activate(props.on_activate.clone());
        Callback::from(move |event: KeyboardEvent| {
            if event.key() == "Enter" || event.key() == " " {
                event.prevent_default();
                activate(&event, event.shift_key());
            }
        })
    };
    // With no node focused yet, the first takes the tab stop.
    let any_focusable = props.spots.iter().any(|s| s.focusable);
    let spots = props.spots.iter().enumerate().map(|(i, spot)| {
        let node = &spot.node;
        let stop = spot.focusable || (!any_focusable && i == 0);
        let title = node.tooltip.as_ref().map_or_else(
            || format!("{}: {} · {}", node.name, node.state, node.detail()),
            ToString::to_string,
        );
        let style = format!(
            "left: {:.3}%; top: {:.3}%; width: {:.3}%; height: {:.3}%",
            spot.left, spot.top, spot.size, spot.size
        );
        html! {
            <div
                key={node.name.as_str()}
                class={classes!("spot", node.state, node.selected.then_some("selected"))}
                data-node-id={node.name.clone()}
                data-state={node.state}
                data-up={node.up.to_string()}
                data-paused={node.paused.to_string()}
                data-selected={node.selected.to_string()}
                role={node.action.is_some().then_some("button")}
                tabindex={node.action.is_some().then_some(if stop { "0" } else { "-1" })}
                aria-label={node.label()}
                {title}
                {style}
            ></div>
        }
    });
    html! {
        <div class="node-layer" role="group" aria-label={props.label.clone()} {onclick} {onkeydown}>
            { for spots }
        </div>
    }
}
