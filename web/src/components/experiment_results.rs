use yew::prelude::*;

use super::experiment_plot::{Line, Plot, Scale, Style, bars, plot, short};
use crate::experiments::published::{
    DEMERS_NODES, SWIM_FIRST_DETECTION, SWIM_FIRST_DETECTION_SOURCE, demers_table,
};
use crate::experiments::study::{Plan, Point, Series, Study, Summary};
use gossip_core::GossipMode;
use gossip_sim::summary::{CompletionSummary, DetectionSummary, FalsePositiveSummary};

#[derive(Properties, PartialEq)]
pub struct ExperimentResultsProps {
    pub plan: Plan,
    /// In [`Plan::points`] order; `None` for a point not finished yet.
    pub points: Vec<Option<Point>>,
}

/// The seeds `runs` runs starting at `first` take, as `seed_of_run` gives them: past
/// the largest seed they go on from 0.
fn seeds_run(first: u64, runs: u32) -> String {
    let last = gossip_sim::summary::seed_of_run(first, runs.saturating_sub(1));
    match (runs, last >= first) {
        (1, _) => format!("seed {first}"),
        (_, true) => format!("seeds {first}–{last}"),
        (_, false) => format!("seeds {first}–{} and 0–{last}", u64::MAX),
    }
}

/// A study's results as they arrive: a plot (with the published values that compare
/// honestly, or a note saying why there are none) and the same numbers as a table.
#[function_component(ExperimentResults)]
pub fn experiment_results(props: &ExperimentResultsProps) -> Html {
    let done: Vec<&Point> = props.points.iter().flatten().collect();
    if done.is_empty() {
        return html! {};
    }
    let seeds = format!(
        "{} runs per point, {}",
        props.plan.runs,
        seeds_run(props.plan.seed, props.plan.runs)
    );
    let body = match &props.plan.study {
        Study::Detection { .. } => detection(&done),
        Study::Dissemination { .. } => dissemination(&done),
        Study::FalsePositives { nodes, .. } => false_positives(*nodes, &done),
        Study::Rumor {
            nodes,
            mode,
            cooling,
            accounting,
            ..
        } => rumor(*nodes, (*mode, *cooling, *accounting), &done),
        Study::AntiEntropy { .. } => anti_entropy(&done),
    };
    html! {
        <div class="xp-results" aria-label="Experiment results">
            <p class="hint">{ seeds }</p>
            { body }
        </div>
    }
}

fn detection_of(point: &Point) -> Option<&DetectionSummary> {
    match &point.summary {
        Summary::Detection(summary) => Some(summary),
        _ => None,
    }
}

fn completion_of(point: &Point) -> Option<&CompletionSummary> {
    match &point.summary {
        Summary::Completion(summary) => Some(summary),
        _ => None,
    }
}

fn false_positives_of(point: &Point) -> Option<&FalsePositiveSummary> {
    match &point.summary {
        Summary::FalsePositives(summary) => Some(summary),
        _ => None,
    }
}

/// A cell: the value rounded for reading, or a dash for none.
fn cell(value: Option<f64>) -> String {
    value.map_or_else(|| "–".to_owned(), short)
}

fn sizes_of(points: &[&Point]) -> Vec<f64> {
    let mut xs: Vec<f64> = points.iter().map(|p| f64::from(p.x)).collect();
    xs.dedup();
    xs
}

fn line(label: &str, class: &'static str, points: Vec<(f64, Option<f64>)>) -> Line {
    Line {
        label: label.to_owned(),
        class,
        style: Style::Measured,
        points: points
            .into_iter()
            .filter_map(|(x, y)| Some((x, y?)))
            .collect(),
    }
}

/// SWIM §3.1's e/(e-1) beside our first suspicions; the time to dead everywhere is the
/// suspicion timeout's, for which the paper has no number.
fn detection(points: &[&Point]) -> Html {
    let rows: Vec<(u32, &DetectionSummary)> = points
        .iter()
        .filter_map(|p| Some((p.x, detection_of(p)?)))
        .collect();
    let xs = sizes_of(points);
    let column = |f: fn(&DetectionSummary) -> Option<f64>| {
        rows.iter().map(|(x, s)| (f64::from(*x), f(s))).collect()
    };
    let swim = Line {
        label: format!("{SWIM_FIRST_DETECTION_SOURCE} periods (first suspicion)"),
        class: "s2",
        style: Style::Published,
        points: xs.iter().map(|&x| (x, SWIM_FIRST_DETECTION)).collect(),
    };
    let figure = Plot {
        title: "Periods from a crash until it is detected".into(),
        x_label: "members (log scale)".into(),
        y_label: "protocol periods".into(),
        x_scale: Scale::Log,
        y_scale: Scale::Linear,
        x_ticks: xs,
        lines: vec![
            line(
                "first suspicion, mean",
                "s0",
                column(|s| s.first_detection_mean),
            ),
            line("dead everywhere, mean", "s1", column(|s| s.all_dead_mean)),
            swim,
        ],
    };
    let undetected: u64 = rows.iter().map(|(_, s)| s.undetected_runs).sum();
    html! {
        <>
            { plot(&figure) }
            if undetected > 0 {
                <p class="note">{ format!("{undetected} runs gave up before every member held the crashed one dead; the means are over the others.") }</p>
            }
            <div class="xp-table-wrap"><table class="xp-table" aria-label="Detection results">
                <thead><tr>
                    <th scope="col">{ "members" }</th>
                    <th scope="col">{ "suspected (mean)" }</th>
                    <th scope="col">{ "p99" }</th>
                    <th scope="col">{ "SWIM §3.1" }</th>
                    <th scope="col">{ "dead (mean)" }</th>
                    <th scope="col">{ "p99" }</th>
                </tr></thead>
                <tbody>
                    { for rows.iter().map(|(x, s)| html! {
                        <tr>
                            <th scope="row">{ x }</th>
                            <td>{ cell(s.first_detection_mean) }</td>
                            <td>{ cell(s.first_detection_p99) }</td>
                            <td class="paper">{ short(SWIM_FIRST_DETECTION) }</td>
                            <td>{ cell(s.all_dead_mean) }</td>
                            <td>{ cell(s.all_dead_p99) }</td>
                        </tr>
                    }) }
                </tbody>
            </table></div>
            <p class="note">
                { "In protocol periods. SWIM (Das, Gupta and Motivala 2002) §3.1: with each member probing one random \
                   member a period, the first detection comes e/(e−1) ≈ 1.58 periods after a crash on average, at any size. \
                   Our members probe in shuffled round-robin order (the paper's §4.3) and a suspicion is raised when a probe's \
                   period ends without an ack, as there. Dead everywhere also waits out the suspicion timeout (Lifeguard's, \
                   longer than SWIM's), for which the paper gives no number to compare." }
            </p>
        </>
    }
}

/// SWIM §4.1 proves O(log n) periods and gives no number, so the table divides by
/// log2 n instead: a flat column is the shape the paper predicts.
fn dissemination(points: &[&Point]) -> Html {
    let rows: Vec<(u32, &CompletionSummary)> = points
        .iter()
        .filter_map(|p| Some((p.x, completion_of(p)?)))
        .collect();
    let xs = sizes_of(points);
    let figure = Plot {
        title: "Periods until every member holds a newcomer alive".into(),
        x_label: "members (log scale)".into(),
        y_label: "protocol periods".into(),
        x_scale: Scale::Log,
        y_scale: Scale::Linear,
        x_ticks: xs,
        lines: vec![
            line(
                "mean",
                "s0",
                rows.iter().map(|(x, s)| (f64::from(*x), s.mean)).collect(),
            ),
            line(
                "p99",
                "s1",
                rows.iter().map(|(x, s)| (f64::from(*x), s.p99)).collect(),
            ),
        ],
    };
    html! {
        <>
            { plot(&figure) }
            <div class="xp-table-wrap"><table class="xp-table" aria-label="Dissemination results">
                <thead><tr>
                    <th scope="col">{ "members" }</th>
                    <th scope="col">{ "mean" }</th>
                    <th scope="col">{ "p99" }</th>
                    <th scope="col">{ "mean ÷ log₂ n" }</th>
                    <th scope="col">{ "unfinished runs" }</th>
                </tr></thead>
                <tbody>
                    { for rows.iter().map(|(x, s)| html! {
                        <tr>
                            <th scope="row">{ x }</th>
                            <td>{ cell(s.mean) }</td>
                            <td>{ cell(s.p99) }</td>
                            <td>{ cell(s.mean.map(|m| m / f64::from(*x).log2())) }</td>
                            <td>{ s.unfinished_runs }</td>
                        </tr>
                    }) }
                </tbody>
            </table></div>
            <p class="note">
                { "Not comparable to a published value: SWIM §4.1 proves that infection-style dissemination reaches \
                   everyone in O(log n) periods but gives no number. A steady \"mean ÷ log₂ n\" column is that shape. \
                   Here the join also spreads by a full-state exchange and by gossip every 200 ms (lan preset), so a \
                   period is a generous unit." }
            </p>
        </>
    }
}

/// Lifeguard off against on at one size. The Lifeguard paper measures real machines
/// starved of CPU, not this model of slow message handling: no published value.
fn false_positives(nodes: u32, points: &[&Point]) -> Html {
    let rows: Vec<(bool, &FalsePositiveSummary)> = points
        .iter()
        .filter_map(|p| match p.series {
            Series::Lifeguard(on) => Some((on, false_positives_of(p)?)),
            _ => None,
        })
        .collect();
    let name = |on: bool| if on { "on" } else { "off" };
    let rate = |s: &FalsePositiveSummary| s.false_suspicions_per_member_hour().unwrap_or(0.0);
    let chart: Vec<(String, f64)> = rows
        .iter()
        .map(|(on, s)| (format!("Lifeguard {}", name(*on)), rate(s)))
        .collect();
    let reduction = match rows.as_slice() {
        [(false, off), (true, on)] if rate(on) > 0.0 => Some(format!(
            "Lifeguard cut wrong suspicions {}-fold ({} to {} per member-hour) on the same seeds.",
            short(rate(off) / rate(on)),
            short(rate(off)),
            short(rate(on))
        )),
        [(false, off), (true, _)] if rate(off) > 0.0 => Some(format!(
            "Lifeguard cut wrong suspicions from {} per member-hour to none, on the same seeds.",
            short(rate(off))
        )),
        _ => None,
    };
    html! {
        <>
            { bars(&format!("Wrong suspicions per member-hour, {nodes} members"), "per member-hour", &chart) }
            if let Some(reduction) = reduction {
                <p class="finding">{ reduction }</p>
            }
            <div class="xp-table-wrap"><table class="xp-table" aria-label="False positive results">
                <thead><tr>
                    <th scope="col">{ "Lifeguard" }</th>
                    <th scope="col">{ "failed probes" }</th>
                    <th scope="col">{ "wrong suspicions" }</th>
                    <th scope="col">{ "per member-hour" }</th>
                    <th scope="col">{ "wrong deaths" }</th>
                </tr></thead>
                <tbody>
                    { for rows.iter().map(|(on, s)| html! {
                        <tr>
                            <th scope="row">{ name(*on) }</th>
                            <td>{ cell(s.probe_failure_rate.map(|r| r * 100.0)) }{ "%" }</td>
                            <td>{ s.false_suspicions }</td>
                            <td>{ cell(s.false_suspicions_per_member_hour()) }</td>
                            <td>{ s.false_dead }</td>
                        </tr>
                    }) }
                </tbody>
            </table></div>
            <p class="note">
                { "Not comparable to a published value: the Lifeguard paper (Dadgar, Phillips and Currey 2018, §5) \
                   measures its reduction in false positives on real clusters whose members are starved of CPU; \
                   here slow members handle every datagram late in a simulated network. Its figures are not drawn." }
            </p>
        </>
    }
}

/// Demers' residue and traffic against k, with the paper's table beside ours when it
/// has one for this variant and the size is its n = 1000.
fn rumor(
    nodes: u32,
    variant: (
        GossipMode,
        gossip_core::Cooling,
        gossip_core::RumorAccounting,
    ),
    points: &[&Point],
) -> Html {
    let (mode, cooling, accounting) = variant;
    let rows: Vec<(u32, &gossip_sim::summary::RumorSummary)> = points
        .iter()
        .filter_map(|p| match &p.summary {
            Summary::Rumor(s) => Some((p.x, s)),
            _ => None,
        })
        .collect();
    let table = demers_table(mode, cooling, accounting);
    let compared = table.filter(|_| nodes == DEMERS_NODES);
    let xs = sizes_of(points);
    let paper_line = |pick: fn(&crate::experiments::published::DemersRow) -> f64| {
        compared.map(|t| Line {
            label: t.name.to_owned(),
            class: "s2",
            style: Style::Published,
            points: rows
                .iter()
                .filter_map(|(k, _)| Some((f64::from(*k), pick(&t.at(*k)?))))
                .collect(),
        })
    };
    let ours = |pick: fn(&gossip_sim::summary::RumorSummary) -> Option<f64>| {
        line(
            &format!("ours, n = {nodes}"),
            "s0",
            rows.iter().map(|(k, s)| (f64::from(*k), pick(s))).collect(),
        )
    };
    let residue = Plot {
        title: "Residue: share of nodes never reached".into(),
        x_label: "k".into(),
        y_label: "residue (log scale)".into(),
        x_scale: Scale::Linear,
        y_scale: Scale::Log,
        x_ticks: xs.clone(),
        lines: std::iter::once(ours(|s| s.residue))
            .chain(paper_line(|r| r.residue))
            .collect(),
    };
    let traffic = Plot {
        title: "Traffic: update messages per node".into(),
        x_label: "k".into(),
        y_label: "messages per node".into(),
        x_scale: Scale::Linear,
        y_scale: Scale::Linear,
        x_ticks: xs,
        lines: std::iter::once(ours(|s| s.traffic))
            .chain(paper_line(|r| r.traffic))
            .collect(),
    };
    let paper = |k: u32, pick: fn(&crate::experiments::published::DemersRow) -> f64| {
        compared
            .and_then(|t| t.at(k))
            .map_or_else(|| "–".to_owned(), |row| short(pick(&row)))
    };
    let note = match (table, compared) {
        (Some(table), Some(_)) => format!(
            "Published values: {}, in the paper's synchronous model, which per-round accounting reproduces.",
            table.name
        ),
        (Some(table), None) => format!(
            "{} is for n = {DEMERS_NODES}; with n = {nodes} its values are not drawn (t_last grows with log n). \
             Set the cluster size to {DEMERS_NODES} to compare.",
            table.name
        ),
        (None, _) => "Not comparable to a published value: Demers et al. 1987 tabulate push with feedback and \
             counter (Table 1), push blind coin (Table 2) and pull with feedback and counter (Table 3), all in \
             their synchronous model (per-round accounting); this variant has no table."
            .to_owned(),
    };
    html! {
        <>
            { plot(&residue) }
            { plot(&traffic) }
            <div class="xp-table-wrap"><table class="xp-table" aria-label="Rumor results">
                <thead><tr>
                    <th scope="col">{ "k" }</th>
                    <th scope="col">{ "residue" }</th>
                    <th scope="col">{ "paper" }</th>
                    <th scope="col">{ "traffic" }</th>
                    <th scope="col">{ "paper" }</th>
                    <th scope="col">{ "t_ave" }</th>
                    <th scope="col">{ "t_last" }</th>
                    <th scope="col">{ "paper" }</th>
                </tr></thead>
                <tbody>
                    { for rows.iter().map(|(k, s)| html! {
                        <tr>
                            <th scope="row">{ k }</th>
                            <td>{ cell(s.residue) }</td>
                            <td class="paper">{ paper(*k, |r| r.residue) }</td>
                            <td>{ cell(s.traffic) }</td>
                            <td class="paper">{ paper(*k, |r| r.traffic) }</td>
                            <td>{ cell(s.t_ave) }</td>
                            <td>{ cell(s.t_last) }</td>
                            <td class="paper">{ paper(*k, |r| r.t_last) }</td>
                        </tr>
                    }) }
                </tbody>
            </table></div>
            <p class="note">{ format!("Variant: {mode}, {cooling}, {accounting} accounting. {note}") }</p>
        </>
    }
}

/// Anti-entropy's three modes against size; no published value compares (see the note).
fn anti_entropy(points: &[&Point]) -> Html {
    let modes = [
        (GossipMode::Push, "s0"),
        (GossipMode::Pull, "s1"),
        (GossipMode::PushPull, "s3"),
    ];
    let mut sizes: Vec<u32> = points.iter().map(|p| p.x).collect();
    sizes.sort_unstable();
    sizes.dedup();
    let mean_at = |mode: GossipMode, n: u32| {
        points
            .iter()
            .find(|p| p.x == n && p.series == Series::AntiEntropy(mode))
            .and_then(|p| completion_of(p)?.mean)
    };
    let figure = Plot {
        title: "Cycles until every node holds one update".into(),
        x_label: "members (log scale)".into(),
        y_label: "sync_interval cycles".into(),
        x_scale: Scale::Log,
        y_scale: Scale::Linear,
        x_ticks: sizes.iter().map(|&n| f64::from(n)).collect(),
        lines: modes
            .iter()
            .map(|&(mode, class)| {
                line(
                    mode.as_str(),
                    class,
                    sizes
                        .iter()
                        .map(|&n| (f64::from(n), mean_at(mode, n)))
                        .collect(),
                )
            })
            .collect(),
    };
    html! {
        <>
            { plot(&figure) }
            <div class="xp-table-wrap"><table class="xp-table" aria-label="Anti-entropy results">
                <thead><tr>
                    <th scope="col">{ "members" }</th>
                    { for modes.iter().map(|(mode, _)| html! { <th scope="col">{ mode.as_str() }</th> }) }
                </tr></thead>
                <tbody>
                    { for sizes.iter().map(|&n| html! {
                        <tr>
                            <th scope="row">{ n }</th>
                            { for modes.iter().map(|&(mode, _)| html! { <td>{ cell(mean_at(mode, n)) }</td> }) }
                        </tr>
                    }) }
                </tbody>
            </table></div>
            <p class="note">
                { "Mean cycles over the runs. Not comparable to a published value: Demers et al. 1987 §1.3 analyse \
                   anti-entropy in lock-step cycles (push needs about log₂ n + ln n of them, after Pittel 1987; pull \
                   squares the share still missing each cycle), whereas each of our nodes exchanges on its own timer, \
                   so an update can travel more than one hop within a cycle." }
            </p>
        </>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_seeds_of_a_study_are_said_as_its_runs_take_them() {
        assert_eq!(seeds_run(1, 100), "seeds 1–100");
        assert_eq!(seeds_run(7, 1), "seed 7");
        assert_eq!(
            seeds_run(u64::MAX - 1, 2),
            "seeds 18446744073709551614–18446744073709551615"
        );
        assert_eq!(
            seeds_run(u64::MAX - 1, 5),
            "seeds 18446744073709551614–18446744073709551615 and 0–2"
        );
    }
}
