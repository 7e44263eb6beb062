use gossip_core::wire::MessageKind;
use gossip_core::{Duration, Instant};
use gossip_sim::{Sample, Simulation};
use yew::prelude::*;

use super::LabContext;

const WIDTH: f64 = 340.0;
const HEIGHT: f64 = 80.0;

/// The cluster over the last two simulated minutes: traffic by message kind, how many
/// members each node believes alive, and how far each key has spread.
#[function_component(Charts)]
pub fn charts() -> Html {
    let lab = use_context::<LabContext>().expect("Charts sits inside the lab context");
    // Samples come once a simulated second: redraw a few times a second, not per frame.
    let drawn = {
        let lab = lab.clone();
        use_memo(lab.panel_key(), move |_| draw(&lab))
    };
    (*drawn).clone()
}

fn draw(lab: &LabContext) -> Html {
    let series = lab.series.borrow();
    let samples: Vec<&Sample> = series.samples().collect();
    if samples.len() < 2 {
        return html! {
            <section class="panel charts" aria-label="Over time">
                <h2>{ "Over time" }</h2>
                <p class="hint">{ "Charts appear after a couple of simulated seconds." }</p>
            </section>
        };
    }
    let names: Vec<String> = lab
        .sim
        .borrow()
        .nodes()
        .map(|n| n.id().to_string())
        .collect();
    let failures = failure_list(&lab.sim.borrow());

    let traffic = by_kind(&samples, |s| &s.messages_per_sec);
    let bytes = by_kind(&samples, |s| &s.bytes_per_sec);
    let views = view_lines(&names, &samples);
    let mut keys: Vec<&String> = samples.iter().flat_map(|s| s.key_coverage.keys()).collect();
    keys.sort();
    keys.dedup();
    let spread: Vec<Line> = keys
        .iter()
        .enumerate()
        .map(|(i, key)| Line {
            label: (*key).clone(),
            class: format!("node-{}", i % 5),
            points: samples
                .iter()
                .map(|s| s.key_coverage.get(*key).map(|f| f * 100.0))
                .collect(),
            nudge: i as f64 * 1.5,
        })
        .collect();
    let last = samples.last().expect("two samples or more");
    let total_bytes = last.total_bytes_per_sec();
    let span = (samples[0].at, last.at);

    html! {
        <section class="panel charts" aria-label="Over time">
            <h2>{ "Over time" }</h2>
            { chart("Datagrams per second, by kind", "", &traffic, None, span) }
            { chart("Bytes per second, by kind", &format!("now {total_bytes:.0} B/s in all"), &bytes, None, span) }
            { chart("Members each node believes alive", "", &views, Some(names.len() as f64), span) }
            if !spread.is_empty() {
                { chart("Share of nodes holding each key (%)", "", &spread, Some(100.0), span) }
            }
            <p class="convergence" aria-label="Convergence">
                { match series.converged_since() {
                    Some(at) => format!("Converged (every view true, every store equal) since {at}"),
                    None => "Not converged: some view or store differs from the truth".to_owned(),
                } }
            </p>
            { failures }
        </section>
    }
}

/// One line per message kind seen in the samples, of the rate `rates` picks.
fn by_kind(
    samples: &[&Sample],
    rates: impl Fn(&Sample) -> &[f64; MessageKind::ALL.len()],
) -> Vec<Line> {
    MessageKind::ALL
        .iter()
        .filter(|kind| samples.iter().any(|s| rates(s)[kind.index()] > 0.0))
        .map(|kind| Line {
            label: kind.as_str().to_owned(),
            class: kind.as_str().to_owned(),
            points: samples
                .iter()
                .map(|s| Some(rates(s)[kind.index()]))
                .collect(),
            nudge: 0.0,
        })
        .collect()
}

/// The latest crashes and how long the cluster took to notice each.
fn failure_list(sim: &Simulation) -> Html {
    let failures = sim.failures();
    if failures.is_empty() {
        return html! {};
    }
    let after =
        |d: Option<Duration>| d.map_or_else(|| "not yet".to_owned(), |d| format!("after {d}"));
    html! {
        <ul class="failures" aria-label="Failure detection">
            { for failures.iter().rev().take(5).map(|f| html! {
                <li>
                    <strong>{ f.node.to_string() }</strong>
                    { format!(" down at {} · suspected {} · dead everywhere {}",
                        f.down_at, after(f.time_to_suspicion()), after(f.time_to_detection())) }
                </li>
            }) }
        </ul>
    }
}

/// One series to draw: `None` points are gaps (a node that is down).
struct Line {
    label: String,
    class: String,
    points: Vec<Option<f64>>,
    /// Pixels to shift the line up, so lines with equal values stay visible side by side.
    nudge: f64,
}

/// At most this many lines are named under a chart; a thousand names would be a page
/// of their own.
const KEYED: usize = 20;

/// A chart of `lines` from 0 to `max` (or the highest point), over the simulated time
/// `span`: its scale at the left, its times under it.
fn chart(
    title: &str,
    note: &str,
    lines: &[Line],
    max: Option<f64>,
    (from, to): (Instant, Instant),
) -> Html {
    let top = max.unwrap_or_else(|| {
        lines
            .iter()
            .flat_map(|l| l.points.iter().flatten())
            .fold(1.0_f64, |a, &b| a.max(b))
    });
    let count = lines.iter().map(|l| l.points.len()).max().unwrap_or(0);
    let x = |i: usize| i as f64 * WIDTH / (count.max(2) - 1) as f64;
    let y = |v: f64| HEIGHT - (v / top).clamp(0.0, 1.0) * (HEIGHT - 4.0) - 2.0;
    html! {
        <figure class="chart" aria-label={title.to_owned()}>
            <figcaption>
                { title }
                if !note.is_empty() {
                    <span class="note">{ format!(" · {note}") }</span>
                }
            </figcaption>
            <div class="plot">
            <span class="scale top" aria-hidden="true">{ compact(top) }</span>
            <span class="scale bottom" aria-hidden="true">{ "0" }</span>
            <svg viewBox={format!("0 0 {WIDTH} {HEIGHT}")} preserveAspectRatio="none" role="img" aria-label={format!("{title}, 0 to {top:.0}, from {from} to {to}")}>
                { for lines.iter().flat_map(|line| segments(&line.points).into_iter().map(move |run| {
                    let points = run
                        .iter()
                        .map(|&(i, v)| format!("{:.1},{:.1}", x(i), y(v) - line.nudge))
                        .collect::<Vec<_>>()
                        .join(" ");
                    html! { <polyline class={classes!("line", line.class.clone())} points={points}><title>{ line.label.clone() }</title></polyline> }
                })) }
            </svg>
            </div>
            <p class="times" aria-hidden="true"><span>{ from.to_string() }</span><span>{ "simulated time" }</span><span>{ to.to_string() }</span></p>
            <ul class="chart-key">
                { for lines.iter().take(KEYED).map(|l| html! { <li><span class={classes!("dot", l.class.clone())}></span>{ l.label.clone() }</li> }) }
                if lines.len() > KEYED {
                    <li class="more">{ format!("and {} more (hover over a line for its name)", lines.len() - KEYED) }</li>
                }
            </ul>
        </figure>
    }
}

/// `value` in at most four digits and a unit: 1234, 12k, 3M.
fn compact(value: f64) -> String {
    match value {
        v if v < 10_000.0 => format!("{v:.0}"),
        v if v < 10_000_000.0 => format!("{:.0}k", v / 1_000.0),
        v => format!("{:.0}M", v / 1_000_000.0),
    }
}

/// Up to this many nodes, each has its line of how many members it believes alive;
/// beyond, three lines sum them up (ten thousand lines would be one smear, and a
/// drawing of their own).
const LINE_PER_NODE_UP_TO: usize = 50;

/// The lines of "members each node believes alive": one per node in a small cluster
/// (a crashed node's stops); in a large one, the fewest, the median and the most any
/// running node believes alive at each sample.
fn view_lines(names: &[String], samples: &[&Sample]) -> Vec<Line> {
    if names.len() <= LINE_PER_NODE_UP_TO {
        return names
            .iter()
            .enumerate()
            .map(|(i, name)| Line {
                label: name.clone(),
                class: format!("node-{}", i % 5),
                points: samples
                    .iter()
                    .map(|s| s.alive_in_view.get(i).copied().flatten().map(|n| n as f64))
                    .collect(),
                nudge: i as f64 * 1.5,
            })
            .collect();
    }
    let sorted: Vec<Vec<usize>> = samples
        .iter()
        .map(|s| {
            let mut views: Vec<usize> = s.alive_in_view.iter().flatten().copied().collect();
            views.sort_unstable();
            views
        })
        .collect();
    let line = |label: &str, class: usize, pick: fn(&[usize]) -> Option<usize>| Line {
        label: label.to_owned(),
        class: format!("node-{class}"),
        points: sorted.iter().map(|v| pick(v).map(|n| n as f64)).collect(),
        nudge: class as f64 * 1.5,
    };
    vec![
        line("fewest", 3, |v| v.first().copied()),
        line("median", 0, |v| v.get(v.len() / 2).copied()),
        line("most", 1, |v| v.last().copied()),
    ]
}

/// The unbroken runs of a series, with their sample indexes.
fn segments(points: &[Option<f64>]) -> Vec<Vec<(usize, f64)>> {
    let mut runs = vec![Vec::new()];
    for (i, point) in points.iter().enumerate() {
        match point {
            Some(v) => runs.last_mut().expect("never empty").push((i, *v)),
            None if runs.last().is_some_and(|r| !r.is_empty()) => runs.push(Vec::new()),
            None => {}
        }
    }
    runs.retain(|r| !r.is_empty());
    runs
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_scale_fits_in_four_digits_and_a_unit() {
        let shown: Vec<String> = [5.0, 9_999.0, 10_000.0, 1_234_567.0, 98_765_432.0]
            .into_iter()
            .map(compact)
            .collect();
        assert_eq!(shown, ["5", "9999", "10k", "1235k", "99M"]);
    }

    fn sample(alive_in_view: Vec<Option<usize>>) -> Sample {
        Sample {
            at: gossip_core::Instant::ZERO,
            messages_per_sec: [0.0; MessageKind::ALL.len()],
            bytes_per_sec: [0.0; MessageKind::ALL.len()],
            alive_in_view,
            key_coverage: Default::default(),
            converged: false,
        }
    }

    #[test]
    fn a_small_cluster_has_a_line_per_node_and_a_large_one_fewest_median_and_most() {
        let names: Vec<String> = (1..=3).map(|i| format!("n{i}")).collect();
        let samples = [sample(vec![Some(3), None, Some(2)])];
        let lines = view_lines(&names, &samples.iter().collect::<Vec<_>>());
        let points: Vec<_> = lines
            .iter()
            .map(|l| (l.label.as_str(), l.points.clone()))
            .collect();
        assert_eq!(
            points,
            [
                ("n1", vec![Some(3.0)]),
                ("n2", vec![None]),
                ("n3", vec![Some(2.0)])
            ]
        );

        let names: Vec<String> = (1..=100).map(|i| format!("n{i}")).collect();
        // 99 running nodes believing 1..=99 alive, one down.
        let views = (1..=100)
            .map(|i| (i != 50).then_some(if i > 50 { i - 1 } else { i }))
            .collect();
        let samples = [sample(views), sample(vec![None; 100])];
        let lines = view_lines(&names, &samples.iter().collect::<Vec<_>>());
        let points: Vec<_> = lines
            .iter()
            .map(|l| (l.label.as_str(), l.points.clone()))
            .collect();
        assert_eq!(
            points,
            [
                ("fewest", vec![Some(1.0), None]),
                ("median", vec![Some(50.0), None]),
                ("most", vec![Some(99.0), None]),
            ]
        );
    }

    #[test]
    fn gaps_split_a_series_into_runs() {
        let points = [Some(1.0), Some(2.0), None, None, Some(3.0), None];
        assert_eq!(
            segments(&points),
            vec![vec![(0, 1.0), (1, 2.0)], vec![(4, 3.0)]]
        );
        assert!(segments(&[None, None]).is_empty());
    }
}
