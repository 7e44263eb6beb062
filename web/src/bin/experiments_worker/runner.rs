//! Runs a [`Plan`] in the worker: point by point, run by run, each run seeded
//! [`seed_of_run`]`(seed, i)` and each point added up by `gossip_sim::summary`, exactly
//! as `gossip sim` does with the lan preset, posting progress after every run.

use gossip_core::{Config, Duration, Lifeguard};
use gossip_sim::experiment::{self, RunParams};
use gossip_sim::summary::{
    CompletionSummary, DetectionSummary, FalsePositiveSummary, RumorSummary, seed_of_run,
};

use crate::study::{Plan, Point, Reply, Request, Series, Study, Summary};

/// The cluster size of a point at `x`.
fn nodes_at(plan: &Plan, x: u32) -> u32 {
    match &plan.study {
        Study::Rumor { nodes, .. } => *nodes,
        _ => x,
    }
}

/// The configuration a point runs with: the lan preset scaled to its size (as
/// `gossip sim` by default), with what the study sets.
fn config_at(plan: &Plan, x: u32, series: Series) -> Result<Config, String> {
    let mut config = Config::lan(nodes_at(plan, x) as usize);
    match (&plan.study, series) {
        (Study::FalsePositives { .. }, Series::Lifeguard(on)) => {
            config.lifeguard = if on { Lifeguard::ON } else { Lifeguard::OFF };
        }
        (
            Study::Rumor {
                mode,
                cooling,
                accounting,
                ..
            },
            _,
        ) => {
            config.rumor_mode = *mode;
            config.rumor_cooling = *cooling;
            config.max_excitement = x;
            config.rumor_accounting = *accounting;
        }
        (Study::AntiEntropy { .. }, Series::AntiEntropy(mode)) => {
            config.anti_entropy_mode = mode;
        }
        _ => {}
    }
    config.validate().map_err(|error| error.to_string())?;
    Ok(config)
}

/// Runs one point, calling `after_run` after each of its runs.
fn run_point(
    plan: &Plan,
    x: u32,
    series: Series,
    mut after_run: impl FnMut(),
) -> Result<Point, String> {
    let config = config_at(plan, x, series)?;
    let nodes = nodes_at(plan, x);
    let loss = match &plan.study {
        Study::FalsePositives { loss, .. } => *loss,
        _ => 0.0,
    };
    let params = RunParams {
        nodes: nodes as usize,
        loss,
        config,
        seed: plan.seed,
    };
    let runs = Runs {
        params: &params,
        count: plan.runs,
    };
    let after_run = &mut after_run;
    let summary = match &plan.study {
        Study::Detection { .. } => Summary::Detection(DetectionSummary::of(
            &runs.all(experiment::detection, after_run)?,
        )),
        Study::Dissemination { .. } => Summary::Completion(CompletionSummary::of(
            &runs.all(experiment::dissemination, after_run)?,
        )),
        Study::AntiEntropy { .. } => Summary::Completion(CompletionSummary::of(
            &runs.all(experiment::anti_entropy, after_run)?,
        )),
        Study::FalsePositives {
            slow,
            slow_lag_ms,
            duration_secs,
            ..
        } => {
            let duration = Duration::from_secs(*duration_secs);
            let lag = Duration::from_millis(*slow_lag_ms);
            let job = |p: &RunParams| experiment::false_positives(p, duration, *slow, lag);
            Summary::FalsePositives(FalsePositiveSummary::of(&runs.all(job, after_run)?))
        }
        Study::Rumor { .. } => Summary::Rumor(RumorSummary::of(
            u64::from(nodes),
            &runs.all(experiment::rumor, after_run)?,
        )),
    };
    Ok(Point { x, series, summary })
}

/// The seeded runs of one point.
struct Runs<'a> {
    /// The point's parameters, seeded with the plan's first seed.
    params: &'a RunParams,
    count: u32,
}

impl Runs<'_> {
    /// Every run of `job`, seeded [`seed_of_run`]`(seed, i)`, in order.
    fn all<T>(
        &self,
        job: impl Fn(&RunParams) -> Result<T, gossip_sim::Error>,
        after_run: &mut impl FnMut(),
    ) -> Result<Vec<T>, String> {
        (0..self.count)
            .map(|run| {
                let params = RunParams {
                    seed: seed_of_run(self.params.seed, run),
                    ..self.params.clone()
                };
                let outcome = job(&params).map_err(|error| error.to_string())?;
                after_run();
                Ok(outcome)
            })
            .collect()
    }
}

/// Runs `request`'s plan to the end, telling `post` of every run and point as it
/// goes; a run that fails ends it with [`Reply::Failed`].
pub fn execute(request: &Request, mut post: impl FnMut(Reply)) {
    let Request { id, plan } = request;
    let id = *id;
    let points = plan.points();
    let total = plan.total_runs();
    let mut done = 0;
    for (index, &(x, series)) in points.iter().enumerate() {
        let outcome = run_point(plan, x, series, || {
            done += 1;
            post(Reply::Progress {
                id,
                done,
                total,
                point: index + 1,
                points: points.len(),
            });
        });
        match outcome {
            Ok(point) => post(Reply::Point { id, index, point }),
            Err(error) => {
                post(Reply::Failed { id, error });
                return;
            }
        }
    }
    post(Reply::Finished { id });
}

#[cfg(test)]
mod tests {
    use gossip_core::{Cooling, GossipMode, RumorAccounting};

    use super::*;

    fn replies_of(plan: &Plan) -> Vec<Reply> {
        let mut replies = Vec::new();
        execute(
            &Request {
                id: 4,
                plan: plan.clone(),
            },
            |reply| replies.push(reply),
        );
        replies
    }

    /// Two sizes of two runs: progress after each run, a point after each size, then
    /// the end; each point is what `gossip sim detection --nodes N --runs 2 --seed 11`
    /// adds up from the same seeds.
    #[test]
    fn a_plan_reports_every_run_and_point_with_the_clis_figures() {
        let plan = Plan {
            study: Study::Detection { sizes: vec![5, 8] },
            runs: 2,
            seed: 11,
        };
        let replies = replies_of(&plan);
        let progress: Vec<(u32, usize)> = replies
            .iter()
            .filter_map(|r| match r {
                Reply::Progress {
                    id: 4,
                    done,
                    total: 4,
                    point,
                    points: 2,
                } => Some((*done, *point)),
                _ => None,
            })
            .collect();
        assert_eq!(progress, vec![(1, 1), (2, 1), (3, 2), (4, 2)]);
        assert_eq!(replies.len(), 7, "{replies:?}");
        assert_eq!(replies.last(), Some(&Reply::Finished { id: 4 }));
        let Reply::Point {
            id: 4,
            index: 1,
            point,
        } = &replies[5]
        else {
            panic!("the second point after its runs: {replies:?}");
        };
        let runs: Vec<_> = [11, 12]
            .iter()
            .map(|&seed| {
                let params = RunParams {
                    nodes: 8,
                    loss: 0.0,
                    config: Config::lan(8),
                    seed,
                };
                experiment::detection(&params).unwrap()
            })
            .collect();
        assert_eq!(point.x, 8);
        assert_eq!(
            point.summary,
            Summary::Detection(DetectionSummary::of(&runs))
        );
        let Summary::Detection(summary) = &point.summary else {
            unreachable!()
        };
        assert_eq!(summary.detected_runs, 2);
        assert!((0.5..=3.0).contains(&summary.first_detection_mean.unwrap()));
    }

    /// Lifeguard off, then on, at one size and over the same seeds.
    #[test]
    fn false_positives_compare_lifeguard_off_and_on() {
        let plan = Plan {
            study: Study::FalsePositives {
                nodes: 10,
                slow: 0.2,
                slow_lag_ms: 2000,
                duration_secs: 60,
                loss: 0.05,
            },
            runs: 1,
            seed: 3,
        };
        let points: Vec<Point> = replies_of(&plan)
            .into_iter()
            .filter_map(|r| match r {
                Reply::Point { point, .. } => Some(point),
                _ => None,
            })
            .collect();
        let series: Vec<Series> = points.iter().map(|p| p.series).collect();
        assert_eq!(
            series,
            vec![Series::Lifeguard(false), Series::Lifeguard(true)]
        );
        let suspicions: Vec<u64> = points
            .iter()
            .map(|p| match &p.summary {
                Summary::FalsePositives(s) => {
                    assert_eq!(s.member_hours, 10.0 * 60.0 / 3600.0);
                    s.false_suspicions
                }
                other => panic!("{other:?}"),
            })
            .collect();
        assert!(suspicions[0] > suspicions[1], "{suspicions:?}");
    }

    /// A variant the configuration refuses ends the plan with the reason, not a panic.
    #[test]
    fn a_refused_configuration_fails_the_plan() {
        let plan = Plan {
            study: Study::Rumor {
                nodes: 20,
                ks: vec![0],
                mode: GossipMode::Push,
                cooling: Cooling::FeedbackCounter,
                accounting: RumorAccounting::PerRound,
            },
            runs: 1,
            seed: 1,
        };
        let replies = replies_of(&plan);
        assert!(
            matches!(replies.as_slice(), [Reply::Failed { id: 4, error }] if error.contains("max_excitement")),
            "{replies:?}"
        );
    }

    /// Each anti-entropy mode runs at each size, push first.
    #[test]
    fn anti_entropy_runs_every_mode() {
        let plan = Plan {
            study: Study::AntiEntropy { sizes: vec![10] },
            runs: 1,
            seed: 1,
        };
        let modes: Vec<Series> = replies_of(&plan)
            .iter()
            .filter_map(|r| match r {
                Reply::Point { point, .. } => {
                    let Summary::Completion(s) = &point.summary else {
                        panic!("{point:?}");
                    };
                    assert_eq!(s.finished_runs, 1);
                    Some(point.series)
                }
                _ => None,
            })
            .collect();
        assert_eq!(
            modes,
            [GossipMode::Push, GossipMode::Pull, GossipMode::PushPull].map(Series::AntiEntropy)
        );
    }
}
