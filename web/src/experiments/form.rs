//! The Experiments tab's form: what a person typed, read into a [`Plan`] within the
//! page's bounds, or the field that is wrong and why. Nothing typed here can panic the
//! page or the worker; a plan too big for a browser tab is refused with the
//! `gossip sim` command line that runs it natively instead.

use std::str::FromStr;

use gossip_core::{Cooling, GossipMode, RumorAccounting};

use super::study::{Plan, Study};

/// The experiments, in the order the tab lists them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Choice {
    Detection,
    Dissemination,
    FalsePositives,
    Rumor,
    AntiEntropy,
}

impl Choice {
    pub const ALL: [Choice; 5] = [
        Choice::Detection,
        Choice::Dissemination,
        Choice::FalsePositives,
        Choice::Rumor,
        Choice::AntiEntropy,
    ];

    /// The value of its option in the form.
    pub fn id(self) -> &'static str {
        match self {
            Choice::Detection => "detection",
            Choice::Dissemination => "dissemination",
            Choice::FalsePositives => "false-positives",
            Choice::Rumor => "rumor",
            Choice::AntiEntropy => "anti-entropy",
        }
    }

    /// What a person picks.
    pub fn label(self) -> &'static str {
        match self {
            Choice::Detection => "Failure detection time against cluster size",
            Choice::Dissemination => "Dissemination time against cluster size",
            Choice::FalsePositives => "False positives without and with Lifeguard",
            Choice::Rumor => "Rumor variants against k (Demers)",
            Choice::AntiEntropy => "Anti-entropy modes against cluster size",
        }
    }

    pub fn from_id(id: &str) -> Option<Choice> {
        Choice::ALL.into_iter().find(|c| c.id() == id)
    }
}

/// The fields a person can change. Which ones apply depends on [`Form::choice`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Field {
    Sizes,
    Nodes,
    Ks,
    Runs,
    Seed,
    Slow,
    SlowLag,
    Duration,
    Loss,
}

/// What is typed, as typed.
#[derive(Clone, Debug, PartialEq)]
pub struct Form {
    pub choice: Choice,
    pub sizes: String,
    pub nodes: String,
    pub ks: String,
    pub runs: String,
    pub seed: String,
    /// Percent of members that are slow.
    pub slow: String,
    pub slow_lag_ms: String,
    pub duration_secs: String,
    /// Percent of datagrams lost.
    pub loss: String,
    pub mode: GossipMode,
    pub cooling: Cooling,
    pub accounting: RumorAccounting,
}

/// Bounds that keep a plan to seconds, or at most a minute or two, in a browser tab.
pub const MAX_NODES: u32 = 1000;
pub const MAX_POINTS: usize = 8;
pub const MAX_RUNS: u32 = 100;
pub const MAX_K: u32 = 20;
/// Cluster size times runs, summed over every point; the false-positive study counts
/// each simulated minute as one.
pub const MAX_NODE_RUNS: u64 = 200_000;

impl Form {
    /// The defaults of `choice`: each finishes in a few seconds in the page.
    pub fn new(choice: Choice) -> Form {
        let mut form = Form {
            choice,
            sizes: "10, 20, 50, 100, 200".into(),
            nodes: "20".into(),
            ks: "1, 2, 3, 4, 5".into(),
            runs: "5".into(),
            seed: "1".into(),
            slow: "10".into(),
            slow_lag_ms: "2000".into(),
            duration_secs: "120".into(),
            loss: "5".into(),
            mode: GossipMode::Push,
            cooling: Cooling::FeedbackCounter,
            accounting: RumorAccounting::PerRound,
        };
        match choice {
            Choice::Rumor => {
                // Demers' tables are at n = 1000: the default compares like with like.
                form.nodes = super::published::DEMERS_NODES.to_string();
                form.runs = "3".into();
            }
            Choice::FalsePositives => form.runs = "3".into(),
            Choice::AntiEntropy => {
                form.sizes = "10, 50, 100, 200, 500".into();
                form.runs = "3".into();
            }
            Choice::Detection | Choice::Dissemination => {}
        }
        form
    }

    /// The fields `choice` uses, in the order the form shows them.
    pub fn fields(&self) -> &'static [Field] {
        match self.choice {
            Choice::Detection | Choice::Dissemination | Choice::AntiEntropy => {
                &[Field::Sizes, Field::Runs, Field::Seed]
            }
            Choice::FalsePositives => &[
                Field::Nodes,
                Field::Slow,
                Field::SlowLag,
                Field::Loss,
                Field::Duration,
                Field::Runs,
                Field::Seed,
            ],
            Choice::Rumor => &[Field::Nodes, Field::Ks, Field::Runs, Field::Seed],
        }
    }

    pub fn text(&self, field: Field) -> &str {
        match field {
            Field::Sizes => &self.sizes,
            Field::Nodes => &self.nodes,
            Field::Ks => &self.ks,
            Field::Runs => &self.runs,
            Field::Seed => &self.seed,
            Field::Slow => &self.slow,
            Field::SlowLag => &self.slow_lag_ms,
            Field::Duration => &self.duration_secs,
            Field::Loss => &self.loss,
        }
    }

    pub fn text_mut(&mut self, field: Field) -> &mut String {
        match field {
            Field::Sizes => &mut self.sizes,
            Field::Nodes => &mut self.nodes,
            Field::Ks => &mut self.ks,
            Field::Runs => &mut self.runs,
            Field::Seed => &mut self.seed,
            Field::Slow => &mut self.slow,
            Field::SlowLag => &mut self.slow_lag_ms,
            Field::Duration => &mut self.duration_secs,
            Field::Loss => &mut self.loss,
        }
    }

    /// The plan typed, or every field that is wrong with what is wrong with it (the
    /// whole plan's size is reported on [`Field::Runs`]).
    pub fn plan(&self) -> Result<Plan, Vec<(Field, String)>> {
        let mut errors = Errors(Vec::new());
        let text = |field: Field| self.text(field).trim();
        let runs = errors.take(Field::Runs, number(text(Field::Runs), 1, MAX_RUNS));
        let seed = errors.take(
            Field::Seed,
            text(Field::Seed)
                .parse::<u64>()
                .map_err(|_| "a seed is a whole number from 0 to 18446744073709551615".into()),
        );
        let study = match self.choice {
            Choice::Detection | Choice::Dissemination | Choice::AntiEntropy => errors
                .take(Field::Sizes, list(text(Field::Sizes), 2, MAX_NODES))
                .map(|sizes| match self.choice {
                    Choice::Detection => Study::Detection { sizes },
                    Choice::Dissemination => Study::Dissemination { sizes },
                    _ => Study::AntiEntropy { sizes },
                }),
            Choice::FalsePositives => {
                let nodes = errors.take(Field::Nodes, number(text(Field::Nodes), 3, MAX_NODES));
                let slow = errors.take(Field::Slow, percent(text(Field::Slow), 100.0));
                let lag = errors.take(Field::SlowLag, number(text(Field::SlowLag), 0, 10_000));
                let loss = errors.take(Field::Loss, percent(text(Field::Loss), 50.0));
                let duration =
                    errors.take(Field::Duration, number(text(Field::Duration), 10, 1800));
                match (nodes, slow, lag, loss, duration) {
                    (Some(nodes), Some(slow), Some(lag), Some(loss), Some(duration)) => {
                        Some(Study::FalsePositives {
                            nodes,
                            slow,
                            slow_lag_ms: u64::from(lag),
                            duration_secs: u64::from(duration),
                            loss,
                        })
                    }
                    _ => None,
                }
            }
            Choice::Rumor => {
                let nodes = errors.take(Field::Nodes, number(text(Field::Nodes), 2, MAX_NODES));
                let ks = errors.take(Field::Ks, list(text(Field::Ks), 1, MAX_K));
                match (nodes, ks) {
                    (Some(nodes), Some(ks)) => Some(Study::Rumor {
                        nodes,
                        ks,
                        mode: self.mode,
                        cooling: self.cooling,
                        accounting: self.accounting,
                    }),
                    _ => None,
                }
            }
        };
        let (Some(study), Some(runs), Some(seed)) = (study, runs, seed) else {
            return Err(errors.0);
        };
        let plan = Plan { study, runs, seed };
        let work = node_runs(&plan);
        if work > MAX_NODE_RUNS {
            return Err(vec![(
                Field::Runs,
                format!(
                    "{work} node-runs is more than this page runs (at most {MAX_NODE_RUNS}); \
                     fewer runs or smaller sizes, or `{}` natively",
                    command_line(&plan)
                ),
            )]);
        }
        Ok(plan)
    }
}

/// The plan's size: cluster size times runs over every point (a false-positive run
/// counts once per simulated minute).
pub fn node_runs(plan: &Plan) -> u64 {
    let per_point = |n: u32| u64::from(n) * u64::from(plan.runs);
    match &plan.study {
        Study::Rumor { nodes, ks, .. } => per_point(*nodes) * ks.len() as u64,
        Study::FalsePositives {
            nodes,
            duration_secs,
            ..
        } => 2 * per_point(*nodes) * duration_secs.div_ceil(60),
        Study::AntiEntropy { sizes } => 3 * sizes.iter().map(|&n| per_point(n)).sum::<u64>(),
        Study::Detection { sizes } | Study::Dissemination { sizes } => {
            sizes.iter().map(|&n| per_point(n)).sum()
        }
    }
}

/// The `gossip sim` command that runs the plan's first point natively.
pub fn command_line(plan: &Plan) -> String {
    let common = format!("--runs {} --seed {}", plan.runs, plan.seed);
    match &plan.study {
        Study::Detection { sizes } => {
            format!("gossip sim detection --nodes {} {common}", first(sizes))
        }
        Study::Dissemination { sizes } => {
            format!("gossip sim dissemination --nodes {} {common}", first(sizes))
        }
        Study::AntiEntropy { sizes } => format!(
            "gossip sim anti-entropy --nodes {} {common} --mode push",
            first(sizes)
        ),
        Study::FalsePositives {
            nodes,
            slow,
            slow_lag_ms,
            duration_secs,
            loss,
        } => format!(
            "gossip sim false-positives --nodes {nodes} {common} --slow {slow} \
             --slow-lag-ms {slow_lag_ms} --duration {duration_secs} --loss {loss} \
             --set lifeguard=false"
        ),
        Study::Rumor {
            nodes,
            ks,
            mode,
            cooling,
            accounting,
        } => format!(
            "gossip sim rumor --nodes {nodes} {common} --mode {mode} --cooling {cooling} \
             --accounting {accounting} --k {}",
            first(ks)
        ),
    }
}

fn first(values: &[u32]) -> u32 {
    values.first().copied().unwrap_or_default()
}

/// The wrong fields found so far, in the order they were read.
struct Errors(Vec<(Field, String)>);

impl Errors {
    /// The value, or `None` with the error noted against `field`.
    fn take<T>(&mut self, field: Field, read: Result<T, String>) -> Option<T> {
        read.map_err(|error| self.0.push((field, error))).ok()
    }
}

fn number(text: &str, min: u32, max: u32) -> Result<u32, String> {
    match text.parse::<u32>() {
        Ok(value) if (min..=max).contains(&value) => Ok(value),
        _ => Err(format!("a whole number from {min} to {max}")),
    }
}

/// Whole numbers separated by commas or spaces, each in `min..=max`, at most
/// [`MAX_POINTS`], sorted and without repeats (the plot's x runs left to right).
fn list(text: &str, min: u32, max: u32) -> Result<Vec<u32>, String> {
    let wanted =
        || format!("up to {MAX_POINTS} whole numbers from {min} to {max}, separated by commas");
    let mut values = text
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|part| !part.is_empty())
        .map(|part| number(part, min, max))
        .collect::<Result<Vec<u32>, String>>()
        .map_err(|_| wanted())?;
    values.sort_unstable();
    values.dedup();
    if values.is_empty() || values.len() > MAX_POINTS {
        return Err(wanted());
    }
    Ok(values)
}

/// A percentage (a `%` may follow), as a fraction.
fn percent(text: &str, max: f64) -> Result<f64, String> {
    match f64::from_str(text.trim_end_matches('%').trim()) {
        Ok(value) if (0.0..=max).contains(&value) => Ok(value / 100.0),
        _ => Err(format!("a percentage from 0 to {max}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_default_plan_is_valid_and_small() {
        for choice in Choice::ALL {
            let plan = Form::new(choice).plan().unwrap();
            assert!(
                node_runs(&plan) <= 20_000,
                "{choice:?}: {}",
                node_runs(&plan)
            );
            assert_eq!(Choice::from_id(choice.id()), Some(choice));
        }
        let rumor = Form::new(Choice::Rumor).plan().unwrap();
        assert_eq!(rumor.total_runs(), 15);
        assert_eq!(rumor.points().len(), 5);
    }

    #[test]
    fn lists_are_read_sorted_and_bounded() {
        let mut form = Form::new(Choice::Detection);
        form.sizes = "50,10 20, 10".into();
        let plan = form.plan().unwrap();
        assert_eq!(
            plan.study,
            Study::Detection {
                sizes: vec![10, 20, 50]
            }
        );
        for bad in ["", "1", "10, x", "5000", "1,2,3,4,5,6,7,8,9", "-3", "2.5"] {
            form.sizes = bad.into();
            let errors = form.plan().unwrap_err();
            assert_eq!(errors.len(), 1, "{bad:?}: {errors:?}");
            assert_eq!(errors[0].0, Field::Sizes);
        }
    }

    #[test]
    fn every_wrong_field_is_named_and_huge_plans_are_refused() {
        let mut form = Form::new(Choice::FalsePositives);
        form.slow = "120".into();
        form.loss = "abc".into();
        form.seed = "-1".into();
        let fields: Vec<Field> = form.plan().unwrap_err().into_iter().map(|e| e.0).collect();
        assert_eq!(fields, vec![Field::Seed, Field::Slow, Field::Loss]);

        let mut form = Form::new(Choice::Rumor);
        form.runs = "100".into();
        form.ks = "1, 2, 3".into();
        let errors = form.plan().unwrap_err();
        assert_eq!(errors[0].0, Field::Runs);
        assert!(
            errors[0].1.contains("300000 node-runs")
                && errors[0]
                    .1
                    .contains("gossip sim rumor --nodes 1000 --runs 100 --seed 1"),
            "{errors:?}"
        );
        form.runs = "0".into();
        assert_eq!(form.plan().unwrap_err()[0].0, Field::Runs);
    }

    #[test]
    fn percentages_become_fractions() {
        let mut form = Form::new(Choice::FalsePositives);
        form.slow = "25%".into();
        let Study::FalsePositives { slow, loss, .. } = form.plan().unwrap().study else {
            panic!("a false-positive plan");
        };
        assert_eq!((slow, loss), (0.25, 0.05));
    }
}
