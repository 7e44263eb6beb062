//! SWIM with Lifeguard, proven on the simulator: stories with fixed seeds (each printed;
//! `GOSSIP_SEED=N` replays one).

use gossip_core::wire::MessageKind;
use gossip_core::{Config, Duration, Event, Lifeguard, MemberState, NodeStatus};
use gossip_sim::experiment::{self, RunParams};
use gossip_sim::{NetworkModel, SimBuilder, Simulation};
use gossip_tests::{names, refs, scenario_seed};

/// Runs in steps of `step` until `done` holds or `bound` has passed; returns the time it
/// took, or `None` if it never held. Prints the outcome.
fn time_until(
    sim: &mut Simulation,
    bound: Duration,
    step: Duration,
    mut done: impl FnMut(&Simulation) -> bool,
) -> Option<Duration> {
    let start = sim.now();
    loop {
        let took = sim.now().saturating_since(start);
        if done(sim) {
            println!("  held after {took} (bound {bound})");
            return Some(took);
        }
        if took >= bound {
            println!("  did not hold within {bound}");
            return None;
        }
        sim.run_for(step);
    }
}

fn cluster(seed: u64, nodes: usize, config: Config) -> SimBuilder {
    Simulation::builder().seed(seed).nodes(nodes).config(config)
}

/// Five members started together through one seed, as the original demo's were, know
/// each other within 5 periods under each of 300 seeds, even with each piece of news
/// sent only once (`retransmit_mult` 1), so that some member misses a joiner's news
/// under most seeds. The joiner pings every member within a round of probes (4 periods
/// in round-robin order, after a random offset under one), and a member that missed its
/// news learns it from that ping, which starts a full-state exchange, rather than at
/// the next push-pull, 30 s later.
#[test]
fn five_members_started_together_know_each_other_within_five_periods() {
    let first = scenario_seed(500);
    let config = Config {
        retransmit_mult: 1,
        ..Config::demo()
    };
    let bound = config.probe_interval * 5;
    let late: Vec<u64> = (first..first + 300)
        .filter(|&seed| {
            let mut sim = cluster(seed, 5, config.clone()).build().unwrap();
            let all_know_all = |s: &Simulation| {
                s.nodes().all(|n| {
                    n.node()
                        .members()
                        .filter(|m| m.state == MemberState::Alive)
                        .count()
                        == 4
                })
            };
            time_until(&mut sim, bound, Duration::from_millis(100), all_know_all).is_none()
        })
        .collect();
    assert!(late.is_empty(), "later than {bound} under seeds {late:?}");
}

/// 100 members joining through one seed all know each other as alive within 5 s
/// (measured: 2.25 s with the demo preset).
#[test]
fn a_hundred_members_joining_through_one_seed_converge() {
    let seed = scenario_seed(100);
    let mut sim = cluster(seed, 100, Config::demo()).build().unwrap();
    let everyone_joined_and_agrees = |s: &Simulation| {
        s.nodes()
            .all(|n| n.node().status() == NodeStatus::Joined && n.node().members().count() == 99)
            && s.membership_is_accurate()
    };
    let took = time_until(
        &mut sim,
        Duration::from_secs(5),
        Duration::from_millis(250),
        everyone_joined_and_agrees,
    );
    assert!(
        took.is_some(),
        "100 members did not converge within 5 s (seed {seed})"
    );
    let metrics = sim.metrics();
    assert!(
        metrics.largest_datagram <= sim.config().mtu,
        "largest datagram {} bytes",
        metrics.largest_datagram
    );
    assert_eq!(metrics.too_large, 0);
}

/// A crashed member is dead in every live member's view within the suspicion timeout
/// plus a few periods: plain SWIM (demo preset) and with Lifeguard (lan preset), whose
/// suspicion starts 6x longer but shrinks as the other probers confirm it.
#[test]
fn a_crashed_member_is_declared_dead_everywhere_in_bounded_time() {
    for (label, config, periods) in [
        ("demo", Config::demo(), 8),
        ("lan + lifeguard", Config::lan(30), 12),
    ] {
        for offset in 0..5 {
            let seed = scenario_seed(200 + offset);
            let mut sim = cluster(seed, 30, config.clone())
                .converged()
                .build()
                .unwrap();
            sim.run_for(Duration::from_secs(3));
            sim.crash("n7").unwrap();
            let bound = config.suspicion_timeout + config.probe_interval * periods;
            let took = time_until(&mut sim, bound, Duration::from_millis(100), |s| {
                s.everyone_sees("n7", MemberState::Dead)
            });
            assert!(
                took.is_some(),
                "{label}: not dead everywhere within {bound} (seed {seed})"
            );
            assert_eq!(sim.metrics().false_deaths, 0, "{label}: seed {seed}");
        }
    }
}

/// With no loss, no live member is ever declared dead (or even suspected): 100 seeds.
#[test]
fn without_loss_no_live_member_is_ever_declared_dead() {
    let first = scenario_seed(1_000);
    for seed in first..first + 100 {
        let mut sim = cluster(seed, 12, Config::lan(12)).build().unwrap();
        sim.crash("n12").unwrap();
        sim.run_for(Duration::from_secs(60));
        let metrics = sim.metrics();
        assert_eq!(metrics.false_deaths, 0, "seed {seed}");
        assert_eq!(metrics.false_suspicions, 0, "seed {seed}");
        assert!(sim.everyone_sees("n12", MemberState::Dead), "seed {seed}");
    }
}

/// Half of 100 members crash at once; the survivors agree on exactly the right
/// membership within 25 s (measured: 14.5 s with the demo preset).
#[test]
fn when_half_the_cluster_crashes_the_survivors_agree_on_who_is_left() {
    let seed = scenario_seed(300);
    let mut sim = cluster(seed, 100, Config::demo())
        .converged()
        .build()
        .unwrap();
    sim.run_for(Duration::from_secs(2));
    for name in names(51..=100) {
        sim.crash(&name).unwrap();
    }
    let took = time_until(
        &mut sim,
        Duration::from_secs(25),
        Duration::from_millis(500),
        Simulation::membership_is_accurate,
    );
    assert!(
        took.is_some(),
        "survivors disagree after 25 s (seed {seed})"
    );
    assert_eq!(sim.metrics().false_deaths, 0);
}

/// n3 cannot send for three seconds: the others suspect it, it refutes once its
/// messages get through again, and nobody is ever declared dead. This needs Lifeguard's
/// buddy system: in plain SWIM the suspicion may finish spreading while n3's refutation
/// is still being dropped, after which nothing tells n3 to refute again and it is
/// declared dead (and later refutes that).
#[test]
fn a_member_cut_off_one_way_for_a_moment_refutes_and_stays_alive() {
    let first = scenario_seed(400);
    for seed in first..first + 10 {
        let config = Config {
            lifeguard: Lifeguard::ON,
            ..Config::demo()
        };
        let mut sim = cluster(seed, 8, config).converged().build().unwrap();
        sim.run_for(Duration::from_secs(3));
        let others = names(1..=8)
            .into_iter()
            .filter(|n| n != "n3")
            .collect::<Vec<_>>();
        sim.partition_oneway(&["n3"], &refs(&others)).unwrap();
        let mut suspected = false;
        for step in 0..180 {
            if step == 30 {
                sim.repair(&["n3"], &refs(&others)).unwrap();
            }
            sim.run_for(Duration::from_millis(100));
            suspected |= others
                .iter()
                .any(|o| sim.view(o, "n3") == Some(MemberState::Suspect));
            let dead = others
                .iter()
                .any(|o| sim.view(o, "n3") == Some(MemberState::Dead));
            assert!(!dead, "n3 declared dead (seed {seed})");
        }
        assert!(
            suspected,
            "n3 was suspected while it could not send (seed {seed})"
        );
        assert!(
            sim.node("n3").unwrap().node().incarnation() > 0,
            "n3 refuted (seed {seed})"
        );
        assert!(sim.everyone_sees("n3", MemberState::Alive), "seed {seed}");
        assert_eq!(sim.metrics().false_deaths, 0, "seed {seed}");
    }
}

/// A member that leaves is seen as left by everyone and never suspected, even after it
/// stops for good.
#[test]
fn a_member_that_leaves_is_seen_as_left_and_never_suspected() {
    let seed = scenario_seed(500);
    let mut sim = cluster(seed, 10, Config::demo())
        .converged()
        .build()
        .unwrap();
    sim.run_for(Duration::from_secs(3));
    sim.leave("n4").unwrap();
    sim.run_for(Duration::from_secs(2));
    sim.crash("n4").unwrap();
    sim.run_for(Duration::from_secs(20));
    assert!(sim.everyone_sees("n4", MemberState::Left), "seed {seed}");
    let suspected = sim.log().any(|entry| matches!(&entry.event, Event::MemberSuspected { id, .. } | Event::MemberDead { id, .. } if id.as_str() == "n4"));
    assert!(
        !suspected,
        "n4 was suspected or declared dead after leaving (seed {seed})"
    );
}

/// Two halves cut apart for 60 s (long enough to declare each other dead and forget
/// each other) become one cluster again within 45 s of healing, with no manual step
/// (measured: 32.25 s; each member has to hear that the other side holds it dead
/// and refute, since late news of forgotten members is otherwise ignored).
#[test]
fn a_partition_into_halves_heals_into_one_cluster() {
    let seed = scenario_seed(600);
    let mut sim = cluster(seed, 20, Config::demo())
        .converged()
        .build()
        .unwrap();
    sim.run_for(Duration::from_secs(3));
    let (left, right) = (names(1..=10), names(11..=20));
    sim.partition(&refs(&left), &refs(&right)).unwrap();
    sim.run_for(Duration::from_secs(60));
    assert!(
        sim.everyone_sees("n15", MemberState::Dead) || sim.view("n1", "n15").is_none(),
        "the halves split (seed {seed})"
    );
    sim.repair_all();
    let took = time_until(
        &mut sim,
        Duration::from_secs(45),
        Duration::from_millis(250),
        |s| (1..=20).all(|i| s.everyone_sees(&format!("n{i}"), MemberState::Alive)),
    );
    assert!(
        took.is_some(),
        "still split 45 s after healing (seed {seed})"
    );
}

/// A partition that outlasts `reap_after` twice over, with the only seed crashed: each
/// half has forgotten the other entirely, and still they find each other again, through
/// the members each reaped while dead and keeps trying for `tombstone_grace`.
#[test]
fn a_partition_that_outlasts_forgetting_heals_with_the_seed_down() {
    let seed = scenario_seed(601);
    let mut sim = cluster(seed, 12, Config::demo())
        .converged()
        .build()
        .unwrap();
    sim.run_for(Duration::from_secs(3));
    sim.crash("n1").unwrap();
    let (left, right) = (names(2..=6), names(7..=12));
    sim.partition(&refs(&left), &refs(&right)).unwrap();
    sim.run_for(Duration::from_secs(150));
    assert!(
        sim.view("n2", "n9").is_none() && sim.view("n9", "n2").is_none(),
        "each half forgot the other (seed {seed})"
    );
    sim.repair_all();
    let took = time_until(
        &mut sim,
        Duration::from_secs(120),
        Duration::from_millis(250),
        |s| (2..=12).all(|i| s.everyone_sees(&format!("n{i}"), MemberState::Alive)),
    );
    assert!(
        took.is_some(),
        "still split 120 s after healing (seed {seed})"
    );
    println!("one cluster again {:?} after healing", took.unwrap());
}

/// After a long partition heals, the members each side forgot and found again are not
/// counted among the dead: a crash afterwards draws about one reconnect an interval
/// from the cluster, as with no partition before (Serf's rule), not one from every
/// member that once lost the other half. A reconnect to a member held dead is a ping
/// that checks its address, then a full state if it answers; nobody probes the dead, so
/// the pings to the crashed member once everyone holds it dead are the reconnects.
#[test]
fn members_found_again_after_a_partition_do_not_swell_the_reconnects() {
    let seed = scenario_seed(603);
    let config = Config::demo();
    let mut sim = cluster(seed, 20, config.clone())
        .converged()
        .history_limit(1_000_000)
        .build()
        .unwrap();
    sim.run_for(Duration::from_secs(3));
    sim.partition(&refs(&names(1..=10)), &refs(&names(11..=20)))
        .unwrap();
    sim.run_for(Duration::from_secs(150));
    sim.repair_all();
    sim.run_for(Duration::from_secs(60));
    assert!(
        (1..=20).all(|i| sim.everyone_sees(&format!("n{i}"), MemberState::Alive)),
        "one cluster again (seed {seed})"
    );
    sim.crash("n20").unwrap();
    while !sim.everyone_sees("n20", MemberState::Dead) {
        sim.run_for(Duration::from_secs(1));
    }
    let from = sim.now();
    let window = config.reconnect_interval * 6;
    sim.run_for(window);
    let to_n20 = |kind: MessageKind| {
        sim.history()
            .filter(|m| m.sent_at >= from && m.kind == kind && m.to.as_str() == "n20")
            .count()
    };
    let (tries, shares) = (to_n20(MessageKind::Ping), to_n20(MessageKind::Sync));
    println!("reconnects to the crashed n20 in {window}: {tries}");
    assert!((1..=24).contains(&tries), "{tries} (seed {seed})");
    assert_eq!(shares, 0, "nobody answered: no full state (seed {seed})");
}

/// Randomized round-robin in a running cluster: no member waits more than 2n - 1
/// periods between two probes by the same prober.
#[test]
fn round_robin_probes_every_member_within_2n_minus_1_periods() {
    let seed = scenario_seed(700);
    let config = Config::demo();
    let n = 10;
    let mut sim = cluster(seed, n, config.clone())
        .converged()
        .history_limit(1_000_000)
        .build()
        .unwrap();
    sim.run_for(Duration::from_secs(200));
    let period = config.probe_interval.as_millis();
    let bound = (2 * (n - 1) - 1) as u64 * period;
    let mut last: std::collections::BTreeMap<(String, String), u64> = Default::default();
    let mut checked = 0;
    for message in sim
        .history()
        .filter(|m| m.kind == gossip_core::wire::MessageKind::Ping)
    {
        let key = (message.from.to_string(), message.to.to_string());
        let at = message.sent_at.as_millis();
        if let Some(previous) = last.insert(key.clone(), at) {
            assert!(
                at - previous <= bound,
                "{key:?} waited {} ms > {bound} ms (seed {seed})",
                at - previous
            );
            checked += 1;
        }
    }
    assert!(checked > 1_000, "checked {checked} gaps");
}

/// The Lifeguard case: 10% loss and 5% slow members (each handling datagrams 2 s
/// late on average), 100 members, six ten-minute runs. Plain SWIM declares healthy
/// members dead; Lifeguard does so at least 5 times less often in any one such set of
/// runs, and about 10 to 20 times less often over many: for seeds 100 to 1,800 in
/// steps of 100, Lifeguard's false deaths were 0 to 3 per seed (23 in all, and 21
/// before full states waited for address checks), plain SWIM's 21 to 29 for the seeds
/// measured, so a bound of 10 fails for about one seed in four (seed 100 gives 2
/// against 21). The same figures come
/// from `gossip sim false-positives --nodes 100 --runs 6 --duration 600 --loss 0.1
/// --slow 0.05 --slow-lag-ms 2000 --seed 100 --set lifeguard=false|true`.
#[test]
fn lifeguard_cuts_false_deaths_under_loss_and_slow_members() {
    let seed = scenario_seed(100);
    let false_deaths = |lifeguard: Lifeguard| -> u64 {
        (seed..seed + 6)
            .map(|run_seed| {
                let params = RunParams {
                    nodes: 100,
                    loss: 0.10,
                    config: Config {
                        lifeguard,
                        ..Config::lan(100)
                    },
                    seed: run_seed,
                };
                let run = experiment::false_positives(
                    &params,
                    Duration::from_secs(600),
                    0.05,
                    Duration::from_millis(2000),
                )
                .unwrap();
                run.false_dead
            })
            .sum()
    };
    let (off, on) = (false_deaths(Lifeguard::OFF), false_deaths(Lifeguard::ON));
    println!("false deaths in 6 x 600 s: lifeguard off {off}, on {on}");
    assert!(
        off >= 10,
        "plain SWIM should show false deaths here (seed {seed}): {off}"
    );
    assert!(
        on * 5 <= off,
        "lifeguard on {on} vs off {off} (seed {seed})"
    );
}

/// A newcomer whose only seed has left is not let in by the departed seed's answer
/// alone (it carries nothing but the departure): it never believes itself a member
/// while it knows no live member, and the cluster stays accurate.
#[test]
fn a_seed_that_has_left_does_not_make_a_lonely_member() {
    let seed = scenario_seed(700);
    let mut sim = cluster(seed, 5, Config::demo())
        .converged()
        .build()
        .unwrap();
    sim.run_for(Duration::from_secs(2));
    sim.leave("n2").unwrap();
    sim.run_for(Duration::from_secs(10));
    sim.add_node("late", &["n2"]).unwrap();
    for _ in 0..100 {
        sim.run_for(Duration::from_millis(100));
        let late = sim.node("late").unwrap().node();
        assert!(
            late.status() != NodeStatus::Joined || late.active_members() > 0,
            "late believes itself a member of a cluster of one at {} (seed {seed})",
            sim.now()
        );
    }
    assert!(
        sim.membership_is_accurate(),
        "{:?} (seed {seed})",
        sim.membership_disagreements()
    );
}

/// A user event reaches every member exactly once through 10% loss, within a few
/// periods: it spreads as membership news does (SWIM section 4.1), and a member tells
/// the copies it hears again apart by the event's id.
#[test]
fn a_user_event_reaches_every_member_once() {
    let seed = scenario_seed(900);
    println!("seed {seed}");
    let mut sim = cluster(seed, 50, Config::default())
        .converged()
        .build()
        .unwrap();
    sim.set_network(NetworkModel {
        loss: 0.1,
        ..NetworkModel::lan()
    });
    sim.run_for(Duration::from_secs(2));
    sim.send_user_event("n7", "deploy", "v2").unwrap();
    sim.run_for(Duration::from_secs(5));
    let mut heard = std::collections::BTreeMap::<String, usize>::new();
    for entry in sim.log() {
        if let Event::UserEvent {
            origin,
            name,
            payload,
        } = &entry.event
        {
            assert_eq!(
                (origin.as_str(), &name[..], &payload[..]),
                ("n7", "deploy", "v2")
            );
            *heard.entry(entry.node.to_string()).or_default() += 1;
        }
    }
    assert_eq!(heard.len(), 50, "seed {seed}: every member: {heard:?}");
    assert!(
        heard.values().all(|&times| times == 1),
        "seed {seed}: once each: {heard:?}"
    );
}
