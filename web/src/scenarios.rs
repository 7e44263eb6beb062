//! Guided scenarios: a few lines of explanation, scripted commands at set times, and
//! "what to watch" checkpoints that tick off, in order, as the simulation reaches them.
//! Plain data and functions over the simulation, no Yew, so every scenario is run to
//! its last checkpoint by a native test.

use gossip_core::{Config, Duration, Event, Instant, Lifeguard, MemberState, NodeId};
use gossip_sim::Simulation;

use crate::cluster::lab_config;

/// One scripted thing done to the cluster.
#[derive(Clone, Copy, Debug)]
pub enum Step {
    Crash(&'static str),
    Restart(&'static str),
    Leave(&'static str),
    Pause(&'static str),
    Resume(&'static str),
    /// Average processing lag, in milliseconds.
    Slow(&'static str, u64),
    Partition(&'static [&'static str], &'static [&'static str]),
    HealAll,
    Put(&'static str, &'static str, &'static str),
}

/// Something to watch for, and how the page knows it happened.
#[derive(Clone, Copy)]
pub struct Checkpoint {
    pub text: &'static str,
    pub reached: fn(&Simulation) -> bool,
}

impl std::fmt::Debug for Checkpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.text)
    }
}

/// A guided scenario.
#[derive(Clone, Copy, Debug)]
pub struct Scenario {
    pub id: &'static str,
    pub title: &'static str,
    pub explanation: &'static str,
    pub nodes: usize,
    /// Lifeguard on or off (the rest is the demo's configuration).
    pub lifeguard: bool,
    /// Steps at milliseconds of simulated time after the start.
    pub script: &'static [(u64, Step)],
    pub checkpoints: &'static [Checkpoint],
}

impl Scenario {
    /// The configuration the scenario runs with.
    pub fn config(&self) -> Config {
        Config {
            lifeguard: if self.lifeguard {
                Lifeguard::ON
            } else {
                Lifeguard::OFF
            },
            ..lab_config()
        }
    }
}

/// A scenario under way: which steps were done and which checkpoints reached (when).
#[derive(Clone, Debug, PartialEq)]
pub struct ScenarioRun {
    pub id: &'static str,
    next_step: usize,
    pub reached: Vec<Instant>,
}

impl ScenarioRun {
    pub fn new(scenario: &Scenario) -> ScenarioRun {
        ScenarioRun {
            id: scenario.id,
            next_step: 0,
            reached: Vec::new(),
        }
    }

    pub fn scenario(&self) -> &'static Scenario {
        SCENARIOS
            .iter()
            .find(|s| s.id == self.id)
            .unwrap_or(&SCENARIOS[0])
    }

    /// Runs `sim` to `target`, doing each step at its exact time on the way (so a run
    /// of a scenario from a seed is the same run however the frames fall), and ticks
    /// the checkpoints reached, in order.
    pub fn advance_to(&mut self, sim: &mut Simulation, target: Instant) {
        let scenario = self.scenario();
        while let Some((at, step)) = scenario.script.get(self.next_step) {
            let at = Instant::from_millis(*at);
            if at > target {
                break;
            }
            if at > sim.now() {
                sim.run_until(at);
            }
            // A step that cannot apply (the node already down) is skipped.
            let _ = perform(sim, *step);
            self.next_step += 1;
        }
        if target > sim.now() {
            sim.run_until(target);
        }
        while let Some(checkpoint) = scenario.checkpoints.get(self.reached.len()) {
            if !(checkpoint.reached)(sim) {
                break;
            }
            self.reached.push(sim.now());
        }
    }

    /// Back to simulated time `at` (a rewind): the steps after it are to do again and
    /// the checkpoints reached after it to reach again.
    pub fn rewind(&mut self, at: Instant) {
        let scenario = self.scenario();
        self.next_step = scenario
            .script
            .iter()
            .take_while(|(step_at, _)| Instant::from_millis(*step_at) <= at)
            .count();
        self.reached.retain(|reached| *reached <= at);
    }

    /// A run taken up at `now` in a replayed simulation (a shared link): the steps
    /// before now are in its commands already; checkpoints are ticked again as they
    /// are checked.
    pub fn resumed(id: &str, now: Instant) -> Option<ScenarioRun> {
        let scenario = SCENARIOS.iter().find(|s| s.id == id)?;
        let mut run = ScenarioRun::new(scenario);
        run.rewind(now);
        run.reached.clear();
        Some(run)
    }

    /// Whether every checkpoint was reached.
    pub fn finished(&self) -> bool {
        self.reached.len() == self.scenario().checkpoints.len()
    }
}

fn perform(sim: &mut Simulation, step: Step) -> Result<(), gossip_sim::Error> {
    match step {
        Step::Crash(n) => sim.crash(n),
        Step::Restart(n) => sim.restart(n),
        Step::Leave(n) => sim.leave(n),
        Step::Pause(n) => sim.pause(n),
        Step::Resume(n) => sim.resume(n),
        Step::Slow(n, ms) => sim.slow(n, Duration::from_millis(ms)),
        Step::Partition(a, b) => sim.partition(a, b),
        Step::HealAll => {
            sim.repair_all();
            Ok(())
        }
        Step::Put(n, key, value) => sim.put(n, key, value),
    }
}

fn id(name: &str) -> NodeId {
    NodeId::new(name).unwrap_or_else(|_| NodeId::new("n1").expect("a valid name"))
}

/// What `observer` holds about `subject`.
fn view(sim: &Simulation, observer: &str, subject: &str) -> Option<MemberState> {
    sim.node(observer)?.node().member_state(&id(subject))
}

/// Every running node other than `subject` holds it in `state`.
fn all_hold(sim: &Simulation, subject: &str, state: MemberState) -> bool {
    let mut others = sim
        .nodes()
        .filter(|n| n.is_up() && n.id().as_str() != subject)
        .peekable();
    others.peek().is_some() && others.all(|n| n.node().member_state(&id(subject)) == Some(state))
}

/// Some running node other than `subject` holds it in `state`.
fn any_holds(sim: &Simulation, subject: &str, state: MemberState) -> bool {
    sim.nodes()
        .filter(|n| n.is_up() && n.id().as_str() != subject)
        .any(|n| n.node().member_state(&id(subject)) == Some(state))
}

/// Every running node holds every other running node alive.
fn all_alive(sim: &Simulation) -> bool {
    let up: Vec<String> = sim
        .nodes()
        .filter(|n| n.is_up())
        .map(|n| n.id().to_string())
        .collect();
    up.iter().all(|a| {
        up.iter()
            .filter(|b| *b != a)
            .all(|b| view(sim, a, b) == Some(MemberState::Alive))
    })
}

/// How many versions of `key` each running node holds, and their values.
fn versions_everywhere(sim: &Simulation, key: &str) -> Vec<Vec<Option<String>>> {
    sim.nodes()
        .filter(|n| n.is_up())
        .map(|n| {
            n.node()
                .store()
                .versions(key)
                .map(|vs| vs.iter().map(|v| v.value.clone()).collect())
                .unwrap_or_default()
        })
        .collect()
}

fn ever_declared_dead(sim: &Simulation, subject: &str) -> bool {
    sim.log()
        .any(|e| matches!(&e.event, Event::MemberDead { id, .. } if id.as_str() == subject))
}

const SIDE_A: &[&str] = &["n1", "n2"];
const SIDE_B: &[&str] = &["n3", "n4", "n5"];
const JAVA_A: &[&str] = &["n1"];
const JAVA_B: &[&str] = &["n2", "n3"];

/// Every scenario, in the menu's order.
pub static SCENARIOS: &[Scenario] = &[
    Scenario {
        id: "failure-detection",
        title: "Failure detection",
        explanation: "n3 crashes at 4 s. Its probers get no ack, ask witnesses to try \
            (ping-req), then suspect it; when the suspicion timeout (5 s) runs out \
            unrefuted, n3 is declared dead, and the news spreads by gossip.",
        nodes: 5,
        lifeguard: false,
        script: &[(4_000, Step::Crash("n3"))],
        checkpoints: &[
            Checkpoint {
                text: "a node suspects n3",
                reached: |sim| any_holds(sim, "n3", MemberState::Suspect),
            },
            Checkpoint {
                text: "every other node holds n3 dead",
                reached: |sim| all_hold(sim, "n3", MemberState::Dead),
            },
        ],
    },
    Scenario {
        id: "false-suspicion",
        title: "False suspicion and refutation",
        explanation: "n2 freezes for 4 s at 4 s (a long pause, say garbage collection): \
            it misses probes and is suspected. Once it runs again it hears the suspicion, \
            raises its incarnation and says it is alive, which overrides the suspicion \
            everywhere.",
        nodes: 5,
        lifeguard: false,
        script: &[(4_000, Step::Pause("n2")), (8_000, Step::Resume("n2"))],
        checkpoints: &[
            Checkpoint {
                text: "a node suspects n2",
                reached: |sim| any_holds(sim, "n2", MemberState::Suspect),
            },
            Checkpoint {
                text: "n2 refutes: its incarnation goes up",
                reached: |sim| sim.node("n2").is_some_and(|n| n.node().incarnation() > 0),
            },
            Checkpoint {
                text: "everyone holds n2 alive again",
                reached: all_alive,
            },
        ],
    },
    Scenario {
        id: "partition",
        title: "Partition and heal",
        explanation: "At 4 s the network splits n1 and n2 from n3, n4 and n5. Each side \
            declares the other dead. At 25 s the network heals; reconnection attempts \
            (gossip to the dead, full-state exchanges with seeds) find the other side, \
            which refutes its death, and the halves merge.",
        nodes: 5,
        lifeguard: false,
        script: &[
            (4_000, Step::Partition(SIDE_A, SIDE_B)),
            (25_000, Step::HealAll),
        ],
        checkpoints: &[
            Checkpoint {
                text: "n1 holds n3 dead, and n3 holds n1 dead",
                reached: |sim| {
                    view(sim, "n1", "n3") == Some(MemberState::Dead)
                        && view(sim, "n3", "n1") == Some(MemberState::Dead)
                },
            },
            Checkpoint {
                text: "healed: every node holds every other alive",
                reached: |sim| sim.now() > Instant::from_millis(25_000) && all_alive(sim),
            },
        ],
    },
    Scenario {
        id: "graceful-leave",
        title: "Graceful leave",
        explanation: "n4 leaves at 4 s: it tells the others before it goes, so they hold \
            it left, never suspect, never dead.",
        nodes: 5,
        lifeguard: false,
        script: &[(4_000, Step::Leave("n4"))],
        checkpoints: &[Checkpoint {
            text: "every other node holds n4 left, and nobody declared it dead",
            reached: |sim| all_hold(sim, "n4", MemberState::Left) && !ever_declared_dead(sim, "n4"),
        }],
    },
    Scenario {
        id: "restart",
        title: "Restart with a higher incarnation",
        explanation: "n2 crashes at 4 s and is declared dead. At 16 s it restarts with a \
            fresh state: it joins, hears that it is held dead, and refutes with a higher \
            incarnation, which wins over the death.",
        nodes: 5,
        lifeguard: false,
        script: &[(4_000, Step::Crash("n2")), (16_000, Step::Restart("n2"))],
        checkpoints: &[
            Checkpoint {
                text: "every other node holds n2 dead",
                reached: |sim| all_hold(sim, "n2", MemberState::Dead),
            },
            Checkpoint {
                text: "n2 is alive everywhere again, at a higher incarnation",
                reached: |sim| {
                    all_hold(sim, "n2", MemberState::Alive)
                        && sim.node("n2").is_some_and(|n| n.node().incarnation() > 0)
                },
            },
        ],
    },
    Scenario {
        id: "rumor",
        title: "A rumor spreads and cools",
        explanation: "At 4 s n1 writes colour = blue. The write spreads as a hot rumor: \
            each holder pushes it to others, and each time it meets a node that already \
            had it, its excitement cools, until nobody spreads it any more (Demers et al. \
            1987). Under each disc, \"rumor 3/4\" is the excitement a node has left.",
        nodes: 5,
        lifeguard: false,
        script: &[(4_000, Step::Put("n1", "colour", "blue"))],
        checkpoints: &[
            Checkpoint {
                text: "the rumor is hot: n1 spreads it",
                reached: |sim| sim.node("n1").is_some_and(|n| n.node().hot_rumors() > 0),
            },
            Checkpoint {
                text: "every node holds colour = blue",
                reached: |sim| {
                    versions_everywhere(sim, "colour")
                        .iter()
                        .all(|v| v == &[Some("blue".to_owned())])
                },
            },
            Checkpoint {
                text: "it has cooled: no node spreads it any more",
                reached: |sim| sim.nodes().all(|n| n.node().hot_rumors() == 0),
            },
        ],
    },
    Scenario {
        id: "conflict",
        title: "Conflicting writes on two sides of a partition",
        explanation: "The network splits at 4 s; at 6 s n1 writes colour = red on one \
            side and n4 writes colour = blue on the other, neither seeing the other's. \
            After the heal at 10 s both versions are kept side by side (siblings) on \
            every node; n2's write at 30 s has seen both and replaces them.",
        nodes: 5,
        lifeguard: false,
        script: &[
            (4_000, Step::Partition(SIDE_A, SIDE_B)),
            (6_000, Step::Put("n1", "colour", "red")),
            (6_000, Step::Put("n4", "colour", "blue")),
            (10_000, Step::HealAll),
            (30_000, Step::Put("n2", "colour", "green")),
        ],
        checkpoints: &[
            Checkpoint {
                text: "each side holds its own value",
                reached: |sim| {
                    let value = |n: &str| {
                        sim.node(n)
                            .and_then(|n| n.node().store().get("colour").map(str::to_owned))
                    };
                    value("n2").as_deref() == Some("red") && value("n5").as_deref() == Some("blue")
                },
            },
            Checkpoint {
                text: "after the heal every node holds both, as siblings",
                reached: |sim| {
                    versions_everywhere(sim, "colour")
                        .iter()
                        .all(|v| v.len() == 2)
                },
            },
            Checkpoint {
                text: "a later write resolves them: one version everywhere",
                reached: |sim| {
                    versions_everywhere(sim, "colour")
                        .iter()
                        .all(|v| v == &[Some("green".to_owned())])
                },
            },
        ],
    },
    Scenario {
        id: "slow-node",
        title: "A slow node, without Lifeguard",
        explanation: "At 4 s n5 becomes slow: it handles each datagram 0.8 s late on \
            average, as a node short of CPU would. Its own probes time out before it \
            reads the acks, so it suspects healthy nodes: false positives caused by the \
            prober, not the probed.",
        nodes: 5,
        lifeguard: false,
        script: &[(4_000, Step::Slow("n5", 800))],
        checkpoints: &[Checkpoint {
            text: "the slow n5 suspects a healthy node",
            reached: |sim| {
                ["n1", "n2", "n3", "n4"]
                    .iter()
                    .any(|n| view(sim, "n5", n) == Some(MemberState::Suspect))
            },
        }],
    },
    Scenario {
        id: "slow-node-lifeguard",
        title: "A slow node, with Lifeguard",
        explanation: "The same slow n5, now with Lifeguard (Dadgar et al. 2018): missed \
            nacks tell n5 that the problem is itself, so its local health score rises \
            and stretches its own timeouts, and it accuses others less.",
        nodes: 5,
        lifeguard: true,
        script: &[(4_000, Step::Slow("n5", 800))],
        checkpoints: &[Checkpoint {
            text: "n5's local health score rises: it doubts itself",
            reached: |sim| sim.node("n5").is_some_and(|n| n.node().local_health() > 0),
        }],
    },
    Scenario {
        id: "java-seeds",
        title: "Java module: three nodes join through a seed",
        explanation: "The Java gossip module's first scenario: three nodes, n2 and n3 \
            joining through the seed n1, until each knows the other two.",
        nodes: 3,
        lifeguard: false,
        script: &[],
        checkpoints: &[Checkpoint {
            text: "each of the three holds the other two alive",
            reached: |sim| sim.nodes().count() == 3 && all_alive(sim),
        }],
    },
    Scenario {
        id: "java-kill-restart",
        title: "Java module: kill, suspected, dead, restart, alive",
        explanation: "The Java module's second scenario: n3 is killed at 4 s, suspected, \
            declared dead, restarted at 16 s, and alive again.",
        nodes: 3,
        lifeguard: false,
        script: &[(4_000, Step::Crash("n3")), (16_000, Step::Restart("n3"))],
        checkpoints: &[
            Checkpoint {
                text: "n3 suspected",
                reached: |sim| any_holds(sim, "n3", MemberState::Suspect),
            },
            Checkpoint {
                text: "n3 dead",
                reached: |sim| all_hold(sim, "n3", MemberState::Dead),
            },
            Checkpoint {
                text: "n3 alive again",
                reached: |sim| {
                    sim.node("n3").is_some_and(|n| n.is_up())
                        && all_hold(sim, "n3", MemberState::Alive)
                },
            },
        ],
    },
    Scenario {
        id: "java-partition",
        title: "Java module: partition and heal",
        explanation: "The Java module's third scenario: n1 is cut off from n2 and n3 at \
            4 s; each side declares the other dead; the network heals at 20 s and the \
            three are one cluster again.",
        nodes: 3,
        lifeguard: false,
        script: &[
            (4_000, Step::Partition(JAVA_A, JAVA_B)),
            (20_000, Step::HealAll),
        ],
        checkpoints: &[
            Checkpoint {
                text: "n1 holds n2 dead, and n2 holds n1 dead",
                reached: |sim| {
                    view(sim, "n1", "n2") == Some(MemberState::Dead)
                        && view(sim, "n2", "n1") == Some(MemberState::Dead)
                },
            },
            Checkpoint {
                text: "healed: one cluster again",
                reached: |sim| sim.now() > Instant::from_millis(20_000) && all_alive(sim),
            },
        ],
    },
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::new_simulation;

    /// Every scenario, run headless from a few seeds, reaches its last checkpoint in
    /// order within two simulated minutes.
    #[test]
    fn every_scenario_reaches_its_last_checkpoint() {
        for scenario in SCENARIOS {
            for seed in [1, 2, 3] {
                let mut sim = new_simulation(seed, scenario.config(), scenario.nodes);
                let mut run = ScenarioRun::new(scenario);
                while !run.finished() && sim.now() < Instant::from_millis(120_000) {
                    let target = sim.now() + Duration::from_millis(100);
                    run.advance_to(&mut sim, target);
                }
                assert!(
                    run.finished(),
                    "{} (seed {seed}) stopped before {:?} at {}",
                    scenario.id,
                    scenario.checkpoints.get(run.reached.len()),
                    sim.now()
                );
                assert!(run.reached.windows(2).all(|w| w[0] <= w[1]));
            }
        }
    }

    #[test]
    fn scenario_ids_are_unique() {
        let mut ids: Vec<&str> = SCENARIOS.iter().map(|s| s.id).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), SCENARIOS.len());
    }
}
