//! Plots of experiment results in SVG, in the manner of the "Over time" charts: lines
//! with a marker per point (each marker's tooltip gives its value), published values as
//! hollow markers on a dashed line, axes with a few round ticks, and the key as a list
//! beside the picture. Pure render functions; the numbers come from the caller.

use yew::prelude::*;

const WIDTH: f64 = 400.0;
const HEIGHT: f64 = 210.0;
const LEFT: f64 = 46.0;
const RIGHT: f64 = 12.0;
const TOP: f64 = 10.0;
const BOTTOM: f64 = 36.0;

/// How a line is drawn.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Style {
    /// Our measurement: a solid line with filled markers.
    Measured,
    /// A published value: a dashed line with hollow markers.
    Published,
}

/// One line of a plot: `(x, y)` points in x order.
#[derive(Clone, Debug, PartialEq)]
pub struct Line {
    pub label: String,
    /// Its colour: `s0` to `s3`.
    pub class: &'static str,
    pub style: Style,
    pub points: Vec<(f64, f64)>,
}

/// How an axis maps values.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Scale {
    Linear,
    /// For sizes that grow by factors, and for residues that shrink by decades.
    Log,
}

/// What a plot shows and how.
#[derive(Clone, Debug, PartialEq)]
pub struct Plot {
    pub title: String,
    pub x_label: String,
    pub y_label: String,
    pub x_scale: Scale,
    pub y_scale: Scale,
    /// The x values to label (the points' own).
    pub x_ticks: Vec<f64>,
    pub lines: Vec<Line>,
}

pub fn plot(plot: &Plot) -> Html {
    let xs: Vec<f64> = plot
        .x_ticks
        .iter()
        .copied()
        .filter(|x| x.is_finite())
        .collect();
    let ys: Vec<f64> = plot
        .lines
        .iter()
        .flat_map(|l| l.points.iter().map(|p| p.1))
        .filter(|y| y.is_finite() && (plot.y_scale == Scale::Linear || *y > 0.0))
        .collect();
    let (x_min, x_max) = span(&xs, plot.x_scale);
    let (y_min, y_max, y_ticks) = match plot.y_scale {
        Scale::Linear => {
            let ticks = linear_ticks(ys.iter().copied().fold(0.0, f64::max));
            (0.0, *ticks.last().unwrap_or(&1.0), ticks)
        }
        Scale::Log => {
            let ticks = decade_ticks(&ys);
            let (low, high) = (ticks.first().copied(), ticks.last().copied());
            (low.unwrap_or(0.1), high.unwrap_or(1.0), ticks)
        }
    };
    let to_unit = |value: f64, min: f64, max: f64, scale: Scale| match scale {
        Scale::Linear => (value - min) / (max - min),
        Scale::Log => (value.ln() - min.ln()) / (max.ln() - min.ln()),
    };
    let px = |x: f64| {
        let unit = if x_max > x_min {
            to_unit(x, x_min, x_max, plot.x_scale)
        } else {
            0.5
        };
        LEFT + unit.clamp(0.0, 1.0) * (WIDTH - LEFT - RIGHT)
    };
    let py = |y: f64| {
        let unit = to_unit(y, y_min, y_max, plot.y_scale);
        HEIGHT - BOTTOM - unit.clamp(0.0, 1.0) * (HEIGHT - TOP - BOTTOM)
    };
    let drawable = |&(x, y): &(f64, f64)| {
        x.is_finite() && y.is_finite() && (plot.y_scale == Scale::Linear || y > 0.0)
    };
    html! {
        <figure class="xp-plot" aria-label={plot.title.clone()}>
            <figcaption>{ &plot.title }</figcaption>
            <svg viewBox={format!("0 0 {WIDTH} {HEIGHT}")} role="img" aria-label={format!("{}: the table below has the same numbers", plot.title)}>
                { for y_ticks.iter().map(|&y| html! {
                    <g class="tick">
                        <line x1={LEFT.to_string()} x2={(WIDTH - RIGHT).to_string()} y1={f(py(y))} y2={f(py(y))} />
                        <text x={(LEFT - 5.0).to_string()} y={f(py(y) + 3.5)} text-anchor="end">{ short(y) }</text>
                    </g>
                }) }
                { for xs.iter().map(|&x| html! {
                    <text class="tick" x={f(px(x))} y={(HEIGHT - BOTTOM + 14.0).to_string()} text-anchor="middle">{ short(x) }</text>
                }) }
                <line class="axis" x1={LEFT.to_string()} x2={LEFT.to_string()} y1={TOP.to_string()} y2={(HEIGHT - BOTTOM).to_string()} />
                <line class="axis" x1={LEFT.to_string()} x2={(WIDTH - RIGHT).to_string()} y1={(HEIGHT - BOTTOM).to_string()} y2={(HEIGHT - BOTTOM).to_string()} />
                <text class="axis-label" x={((LEFT + WIDTH - RIGHT) / 2.0).to_string()} y={(HEIGHT - 4.0).to_string()} text-anchor="middle">{ &plot.x_label }</text>
                <text class="axis-label" transform={format!("translate(11 {}) rotate(-90)", (TOP + HEIGHT - BOTTOM) / 2.0)} text-anchor="middle">{ &plot.y_label }</text>
                { for plot.lines.iter().map(|line| {
                    let points: Vec<(f64, f64)> = line.points.iter().copied().filter(drawable).collect();
                    let path = points.iter().map(|&(x, y)| format!("{},{}", f(px(x)), f(py(y)))).collect::<Vec<_>>().join(" ");
                    let style = match line.style { Style::Measured => "measured", Style::Published => "published" };
                    html! {
                        <g class={classes!("xp-line", line.class, style)}>
                            <polyline points={path} />
                            { for points.iter().map(|&(x, y)| html! {
                                <circle cx={f(px(x))} cy={f(py(y))} r="3.5">
                                    <title>{ format!("{}: {} at {}", line.label, short(y), short(x)) }</title>
                                </circle>
                            }) }
                        </g>
                    }
                }) }
            </svg>
            <ul class="chart-key">
                { for plot.lines.iter().map(|line| {
                    let style = match line.style { Style::Measured => "measured", Style::Published => "published" };
                    html! { <li><span class={classes!("key-mark", line.class, style)}></span>{ &line.label }</li> }
                }) }
            </ul>
        </figure>
    }
}

/// One bar per category, for a comparison of two or three settings.
pub fn bars(title: &str, y_label: &str, bars: &[(String, f64)]) -> Html {
    let top = *linear_ticks(bars.iter().map(|b| b.1).fold(0.0, f64::max))
        .last()
        .unwrap_or(&1.0);
    let ticks = linear_ticks(top);
    let py = |y: f64| HEIGHT - BOTTOM - (y / top).clamp(0.0, 1.0) * (HEIGHT - TOP - BOTTOM);
    let slot = (WIDTH - LEFT - RIGHT) / bars.len().max(1) as f64;
    html! {
        <figure class="xp-plot" aria-label={title.to_owned()}>
            <figcaption>{ title }</figcaption>
            <svg viewBox={format!("0 0 {WIDTH} {HEIGHT}")} role="img" aria-label={format!("{title}: the table below has the same numbers")}>
                { for ticks.iter().map(|&y| html! {
                    <g class="tick">
                        <line x1={LEFT.to_string()} x2={(WIDTH - RIGHT).to_string()} y1={f(py(y))} y2={f(py(y))} />
                        <text x={(LEFT - 5.0).to_string()} y={f(py(y) + 3.5)} text-anchor="end">{ short(y) }</text>
                    </g>
                }) }
                { for bars.iter().enumerate().map(|(i, (label, value))| {
                    let x = LEFT + slot * i as f64 + slot * 0.25;
                    html! {
                        <g class={classes!("xp-bar", format!("s{i}"))}>
                            <rect x={f(x)} y={f(py(*value))} width={f(slot * 0.5)} height={f(py(0.0) - py(*value))}>
                                <title>{ format!("{label}: {}", short(*value)) }</title>
                            </rect>
                            <text class="value" x={f(x + slot * 0.25)} y={f(py(*value) - 4.0)} text-anchor="middle">{ short(*value) }</text>
                            <text class="tick" x={f(x + slot * 0.25)} y={(HEIGHT - BOTTOM + 14.0).to_string()} text-anchor="middle">{ label }</text>
                        </g>
                    }
                }) }
                <line class="axis" x1={LEFT.to_string()} x2={(WIDTH - RIGHT).to_string()} y1={(HEIGHT - BOTTOM).to_string()} y2={(HEIGHT - BOTTOM).to_string()} />
                <text class="axis-label" transform={format!("translate(11 {}) rotate(-90)", (TOP + HEIGHT - BOTTOM) / 2.0)} text-anchor="middle">{ y_label }</text>
            </svg>
        </figure>
    }
}

/// The x range of `values`; a log scale cannot start at zero.
fn span(values: &[f64], scale: Scale) -> (f64, f64) {
    let usable = values
        .iter()
        .copied()
        .filter(|v| scale == Scale::Linear || *v > 0.0);
    let min = usable.clone().fold(f64::INFINITY, f64::min);
    let max = usable.fold(f64::NEG_INFINITY, f64::max);
    if min.is_finite() && max.is_finite() {
        (min, max)
    } else {
        (1.0, 2.0)
    }
}

/// Round ticks from 0 to at least `max`: 0, 1, 2, 5 or 10 times a power of ten apart,
/// four or five of them.
pub fn linear_ticks(max: f64) -> Vec<f64> {
    let max = if max.is_finite() && max > 0.0 {
        max
    } else {
        1.0
    };
    let rough = max / 4.0;
    let power = 10f64.powf(rough.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * power)
        .find(|step| *step >= rough)
        .unwrap_or(10.0 * power);
    let count = (max / step).ceil() as usize;
    (0..=count).map(|i| i as f64 * step).collect()
}

/// Powers of ten from just below the least positive value to just above the greatest.
pub fn decade_ticks(values: &[f64]) -> Vec<f64> {
    let positive = values.iter().copied().filter(|v| *v > 0.0 && v.is_finite());
    let low = positive.clone().fold(f64::INFINITY, f64::min);
    let high = positive.fold(f64::NEG_INFINITY, f64::max);
    if !low.is_finite() {
        return vec![0.1, 1.0];
    }
    let (from, to) = (low.log10().floor() as i32, high.log10().ceil() as i32);
    let to = to.max(from + 1);
    (from..=to).map(|power| 10f64.powi(power)).collect()
}

/// A coordinate to one decimal.
fn f(value: f64) -> String {
    format!("{value:.1}")
}

/// A value for a tick, tooltip or table: three significant digits, two (in exponent
/// form) for the very small, such as Demers' residues.
pub fn short(value: f64) -> String {
    if value == 0.0 || !value.is_finite() {
        return format!("{value}");
    }
    let magnitude = value.abs().log10().floor() as i32;
    if magnitude < -2 {
        return format!("{value:.1e}");
    }
    let decimals = (2 - magnitude).max(0) as usize;
    let text = format!("{value:.decimals$}");
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_owned()
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_are_round_and_cover_the_data() {
        assert_eq!(linear_ticks(9.3), vec![0.0, 5.0, 10.0]);
        assert_eq!(linear_ticks(7.0), vec![0.0, 2.0, 4.0, 6.0, 8.0]);
        assert_eq!(linear_ticks(0.0), vec![0.0, 0.5, 1.0]);
        assert_eq!(decade_ticks(&[0.176, 0.0012]), vec![0.001, 0.01, 0.1, 1.0]);
        assert_eq!(decade_ticks(&[0.0]), vec![0.1, 1.0]);
        assert_eq!(short(1.58198), "1.58");
        assert_eq!(short(16.8), "16.8");
        assert_eq!(short(200.0), "200");
        assert_eq!(short(0.0036), "3.6e-3");
        assert_eq!(short(4.0e-6), "4.0e-6");
        assert_eq!(short(0.037), "0.037");
    }
}
