//! A large cluster painted on a canvas, under a layer of light, transparent elements,
//! one per node, that carry what the SVG drawing's nodes carry: the node's name,
//! `data-state` and `data-up`, its accessible name, a tooltip, clicks and keys. The
//! canvas is repainted every frame from a pixel buffer ([`crate::raster`]); the layer
//! is rendered only when something it shows of a node changes (its state, truth, pick,
//! or the incarnation, keys and health its hover text gives), not every frame.

use std::collections::BTreeMap;
use std::rc::Rc;

use wasm_bindgen::{Clamped, JsCast};
use web_sys::{CanvasRenderingContext2d, HtmlCanvasElement, ImageData};
use yew::prelude::*;

use super::graph::{Activation, CutLink, Focus, GraphNode, MessageMark};
use super::graph_svg::DrawingProps;
use crate::layout::{Point, VIEW_SIZE, node_position, node_radius, spacing};
use crate::raster::{Dash, Raster, Rgb, Stroke};

/// At most this many cut links are painted: past a few hundred, the lines across a
/// large cluster are one red area (the panel counts them all).
const CUTS_PAINTED: usize = 400;

/// Below this radius a disc is too small for its name.
const NAMED_FROM: f64 = 12.0;

/// The page's colours (its CSS custom properties), read once from the stylesheet so
/// the canvas and the SVG drawing agree.
#[derive(Debug, Default)]
struct Palette {
    colours: BTreeMap<&'static str, Rgb>,
}

/// The custom properties the canvas paints with.
const COLOURS: [&str; 21] = [
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
    "sync-offer",
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
                Some((name, Rgb::parse(&value)?))
            })
            .collect();
        Palette { colours }
    }

    /// The colour named `name`, grey when the stylesheet lacks it.
    fn get(&self, name: &str) -> Rgb {
        self.colours
            .get(name)
            .copied()
            .unwrap_or(Rgb(0x8a, 0x8f, 0x98))
    }
}

/// What the canvas keeps between frames: the colours, the pixel buffer, the cuts
/// already painted into a buffer of their own and the nodes' pixels. Those change far
/// less often than every frame, and at 10,000 nodes painting them is most of a frame's
/// drawing; each frame copies the cuts, paints the datagrams, puts the nodes' pixels
/// over them, and paints the suspicion arcs.
#[derive(Debug, Default)]
struct Painter {
    palette: Option<Palette>,
    raster: Raster,
    /// The cuts, under everything.
    background: Raster,
    /// The nodes' pixels, put over the datagrams as the nodes were painted over the cuts.
    nodes: Vec<(usize, [u8; 4])>,
    /// What `background` and `nodes` show.
    painted: Option<Backdrop>,
    /// The canvas's width in device pixels, and how many frames ago it was read.
    measured: Option<(u32, u32)>,
}

/// The canvas's width is read once every this many frames (half a second): reading it
/// makes the browser lay the page out first, and the node layer above has often just
/// changed. A resized window shows within the half second.
const MEASURE_EVERY: u32 = 30;

/// What the background buffer is painted from: its size, each node's look except its
/// suspicion arc, and the cuts.
#[derive(Debug, PartialEq)]
struct Backdrop {
    pixels: u32,
    nodes: Vec<Look>,
    cuts: Vec<CutLink>,
}

/// A node as the background paints it.
#[derive(Debug, PartialEq)]
struct Look {
    state: &'static str,
    up: bool,
    paused: bool,
    selected: bool,
    holds_key: bool,
    local_health: u32,
}

impl Look {
    fn of(node: &GraphNode) -> Look {
        Look {
            state: node.state,
            up: node.up,
            paused: node.paused,
            selected: node.selected,
            holds_key: node.holds_key,
            local_health: node.local_health,
        }
    }
}

/// A large cluster: a canvas, and the node layer above it.
#[function_component(CanvasDrawing)]
pub fn canvas_drawing(props: &DrawingProps) -> Html {
    let canvas = use_node_ref();
    let painter = use_mut_ref(Painter::default);
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
                paint(&canvas, &mut painter.borrow_mut(), &nodes, &messages, &cuts);
            }
        });
    }
    let count = props.nodes.len();
    let (radius, gap) = (node_radius(count), spacing(count));
    let spots = Rc::new(
        props
            .nodes
            .iter()
            .enumerate()
            .map(|(i, node)| Spot::of(node, node_position(i, count), radius, gap, &props.focus))
            .collect::<Vec<_>>(),
    );
    html! {
        <div class="canvas-graph">
            <canvas class="topology" ref={canvas} aria-hidden="true"></canvas>
            <NodeLayer {spots} label={props.label.clone()} on_activate={props.on_activate.clone()} />
        </div>
    }
}

/// Paints the graph onto `canvas`, sized to its box at the screen's pixel density:
/// shapes into the pixel buffer, the buffer onto the canvas, names on top.
fn paint(
    canvas: &HtmlCanvasElement,
    painter: &mut Painter,
    nodes: &[GraphNode],
    messages: &[MessageMark],
    cuts: &[CutLink],
) {
    let Some(ctx) = canvas
        .get_context("2d")
        .ok()
        .flatten()
        .and_then(|c| c.dyn_into::<CanvasRenderingContext2d>().ok())
    else {
        return;
    };
    let pixels = match painter.measured {
        Some((pixels, age)) if age < MEASURE_EVERY => {
            painter.measured = Some((pixels, age + 1));
            pixels
        }
        _ => {
            let density = web_sys::window().map_or(1.0, |w| w.device_pixel_ratio());
            let pixels = (f64::from(canvas.client_width()) * density)
                .round()
                .max(1.0) as u32;
            painter.measured = Some((pixels, 0));
            pixels
        }
    };
    if canvas.width() != pixels {
        canvas.set_width(pixels);
        canvas.set_height(pixels);
    }
    let palette = painter.palette.get_or_insert_with(|| Palette::read(canvas));
    let scale = f64::from(pixels) / VIEW_SIZE;
    let count = nodes.len();
    let at = |i: usize| {
        let p = node_position(i, count);
        (p.x * scale, p.y * scale)
    };
    let radius = node_radius(count) * scale;
    let backdrop = Backdrop {
        pixels,
        nodes: nodes.iter().map(Look::of).collect(),
        cuts: cuts.to_vec(),
    };
    let raster = &mut painter.raster;
    if painter.painted.as_ref() != Some(&backdrop) {
        let background = &mut painter.background;
        background.reset(pixels as usize, pixels as usize, palette.get("card"));
        paint_cuts(background, palette, cuts, &at, radius, scale);
        raster.copy_from(background);
        paint_nodes(raster, palette, nodes, &at, radius, scale);
        painter.nodes = raster.painted_over(background);
        painter.painted = Some(backdrop);
    }
    raster.copy_from(&painter.background);
    paint_messages(raster, palette, messages, radius, scale);
    raster.overlay(&painter.nodes);
    paint_suspicion(raster, palette, nodes, &at, radius, scale);
    if let Ok(image) =
        ImageData::new_with_u8_clamped_array_and_sh(Clamped(raster.bytes()), pixels, pixels)
    {
        let _ = ctx.put_image_data(&image, 0.0, 0.0);
    }
    if radius >= NAMED_FROM * scale {
        ctx.set_fill_style_str("#fff");
        ctx.set_font(&format!("700 {:.0}px system-ui, sans-serif", radius * 0.75));
        ctx.set_text_align("center");
        ctx.set_text_baseline("middle");
        for (i, node) in nodes.iter().enumerate() {
            let (x, y) = at(i);
            let _ = ctx.fill_text(&node.name, x, y);
        }
    }
}

/// Cut links dashed red; a one-way cut ends in an arrowhead at the side that no
/// longer hears.
fn paint_cuts(
    raster: &mut Raster,
    palette: &Palette,
    cuts: &[CutLink],
    at: &dyn Fn(usize) -> (f64, f64),
    radius: f64,
    scale: f64,
) {
    let red = palette.get("dead");
    let dash = Dash {
        on: 6.0 * scale,
        off: 4.0 * scale,
    };
    for cut in cuts.iter().take(CUTS_PAINTED) {
        let (p, q) = (at(cut.from), at(cut.to));
        raster.line(p, q, 1.5 * scale, red, Some(dash));
        if cut.one_way {
            let angle = (q.1 - p.1).atan2(q.0 - p.0);
            let tip = (q.0 - radius * angle.cos(), q.1 - radius * angle.sin());
            let wing = |side: f64| {
                (
                    tip.0 - 9.0 * scale * (angle + side).cos(),
                    tip.1 - 9.0 * scale * (angle + side).sin(),
                )
            };
            raster.triangle(tip, wing(-0.4), wing(0.4), red);
        }
    }
}

/// Datagrams as small squares, faded when lost.
fn paint_messages(
    raster: &mut Raster,
    palette: &Palette,
    messages: &[MessageMark],
    radius: f64,
    scale: f64,
) {
    let half = (radius * 0.6).clamp(1.5 * scale, 4.0 * scale);
    for message in messages {
        let opacity = if message.lost { 0.25 } else { 1.0 };
        let colour = palette.get(message.kind);
        raster.square(
            message.at.x * scale,
            message.at.y * scale,
            half,
            colour,
            opacity,
        );
    }
}

/// Discs coloured by state; then the rings (down, paused, picked, holding the key,
/// local health).
fn paint_nodes(
    raster: &mut Raster,
    palette: &Palette,
    nodes: &[GraphNode],
    at: &dyn Fn(usize) -> (f64, f64),
    r: f64,
    scale: f64,
) {
    let ring_width = 1.5 * scale;
    for (i, node) in nodes.iter().enumerate() {
        let (x, y) = at(i);
        let fill = if node.state == "unknown" {
            palette.get("line")
        } else {
            palette.get(node.state)
        };
        raster.disc(x, y, r, fill);
        if node.local_health > 0 {
            // Lifeguard's local health: a ring inside the disc that thickens with doubt.
            let width = (1.5 * scale * f64::from(node.local_health)).min(r / 2.0);
            let colour = palette.get("suspect");
            let stroke = Stroke {
                width,
                colour,
                dash: None,
            };
            raster.ring(x, y, (r - width / 2.0).max(1.0), stroke, 1.0);
        }
        let mut ring = |grow: f64, colour: &str, width: f64, dash: Option<Dash>| {
            let colour = palette.get(colour);
            let stroke = Stroke {
                width,
                colour,
                dash,
            };
            raster.ring(x, y, r + grow * scale, stroke, 1.0);
        };
        let dotted = |on: f64, off: f64| {
            Some(Dash {
                on: on * scale,
                off: off * scale,
            })
        };
        if !node.up {
            ring(1.0, "dead", ring_width, dotted(3.0, 2.0));
        } else if node.paused {
            ring(1.0, "suspect", ring_width, dotted(1.0, 2.0));
        }
        if node.selected {
            ring(3.5, "ink", ring_width, dotted(3.0, 3.0));
        }
        if node.holds_key {
            ring(6.0, "joining", 2.0 * scale, None);
        }
    }
}

/// Suspicion: an arc around each suspected node that shrinks as its deadline nears,
/// painted every frame.
fn paint_suspicion(
    raster: &mut Raster,
    palette: &Palette,
    nodes: &[GraphNode],
    at: &dyn Fn(usize) -> (f64, f64),
    r: f64,
    scale: f64,
) {
    let stroke = Stroke {
        width: 2.0 * scale,
        colour: palette.get("suspect"),
        dash: None,
    };
    for (i, node) in nodes.iter().enumerate() {
        if let Some(left) = node.suspicion_left {
            let (x, y) = at(i);
            raster.ring(x, y, r + 2.5 * scale, stroke, left.clamp(0.0, 1.0));
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
    fn of(node: &GraphNode, at: Point, radius: f64, spacing: f64, focus: &Focus) -> Spot {
        // At least a few pixels to click where discs are tiny, but no more than half
        // the way to the next node: one node's target must not cover another's.
        let reach = radius.max(4.0).min(spacing / 2.0).max(radius);
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
    let stop = props.spots.iter().position(|s| s.focusable).unwrap_or(0);
    let groups = props
        .spots
        .chunks(SPOTS_PER_GROUP)
        .enumerate()
        .map(|(g, spots)| {
            let first = g * SPOTS_PER_GROUP;
            html! {
                <SpotGroup key={g} spots={Rc::<[Spot]>::from(spots)} {first} {stop} />
            }
        });
    html! {
        <div class="node-layer" role="group" aria-label={props.label.clone()} {onclick} {onkeydown}>
            { for groups }
        </div>
    }
}

/// The layer is rendered in groups of this many nodes, each a component of its own that
/// renders only when one of its nodes changed: at 10,000 nodes some node changes every
/// frame, and rendering every element again would take most of one.
const SPOTS_PER_GROUP: usize = 200;

#[derive(Properties, PartialEq)]
struct SpotGroupProps {
    spots: Rc<[Spot]>,
    /// The position of the first of `spots` in the layer.
    first: usize,
    /// The position of the node that takes the layer's tab stop.
    stop: usize,
}

/// Some of the layer's nodes, as elements (in a box that takes no place of its own).
#[function_component(SpotGroup)]
fn spot_group(props: &SpotGroupProps) -> Html {
    let spots = props.spots.iter().enumerate().map(|(i, spot)| {
        let node = &spot.node;
        let stop = props.first + i == props.stop;
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
                // Something to activate is a button; otherwise a picture with a name,
                // which screen readers read (a bare element's label they skip).
                role={if node.action.is_some() { "button" } else { "img" }}
                tabindex={node.action.is_some().then_some(if stop { "0" } else { "-1" })}
                aria-label={node.label()}
                {title}
                {style}
            ></div>
        }
    });
    html! {
        <div class="spot-group">
            { for spots }
        </div>
    }
}
