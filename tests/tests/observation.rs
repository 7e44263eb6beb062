//! What the lab draws over time: traffic by kind, members believed alive per view, and
//! how far each key has spread.

use gossip_core::wire::MessageKind;
use gossip_core::{Config, Duration};
use gossip_sim::{MetricsSeries, Simulation};
use gossip_tests::scenario_seed;

fn run(sim: &mut Simulation, series: &mut MetricsSeries, span: Duration) {
    let end = sim.now() + span;
    while sim.now() < end {
        sim.run_for(Duration::from_millis(100));
        series.observe(sim);
    }
}

#[test]
fn the_series_follows_traffic_views_and_key_spread() {
    let seed = scenario_seed(81);
    let mut sim = Simulation::builder()
        .seed(seed)
        .nodes(5)
        .config(Config::demo())
        .converged()
        .build()
        .unwrap();
    let mut series = MetricsSeries::new(Duration::from_secs(1), 1000);
    series.observe(&sim);
    run(&mut sim, &mut series, Duration::from_secs(10));
    assert_eq!(series.samples().len(), 10);
    let sent_before = sim.metrics().datagrams_sent;
    let bytes_before = sim.metrics().bytes_sent;
    let rumor_bytes_before = sim.metrics().bytes_by_kind[MessageKind::Rumor.index()];
    let last = series.samples().last().unwrap().clone();
    // Five nodes probe once a second each: five pings and five acks a second.
    let ping = last.messages_per_sec[MessageKind::Ping.index()];
    assert!((4.0..=6.0).contains(&ping), "{ping} pings/s (seed {seed})");
    assert_eq!(last.alive_in_view, vec![Some(5); 5]);
    assert!(last.converged);
    assert_eq!(
        series.converged_since(),
        series.samples().next().map(|s| s.at),
        "converged from the first sample"
    );
    assert!(last.key_coverage.is_empty());

    sim.put("n2", "colour", "blue").unwrap();
    sim.crash("n5").unwrap();
    run(&mut sim, &mut series, Duration::from_secs(20));
    let samples: Vec<_> = series.samples().collect();
    let total: f64 = samples[10..]
        .iter()
        .map(|s| s.messages_per_sec.iter().sum::<f64>())
        .sum();
    let sent = sim.metrics().datagrams_sent - sent_before;
    assert!(
        (total - sent as f64).abs() <= 1.0,
        "rates over 1 s samples add up to the datagrams sent: {total} vs {sent}"
    );
    let bytes: f64 = samples[10..].iter().map(|s| s.total_bytes_per_sec()).sum();
    let bytes_sent = (sim.metrics().bytes_sent - bytes_before) as f64;
    assert!(
        (bytes - bytes_sent).abs() <= 1.0,
        "byte rates add up to the bytes sent: {bytes} vs {bytes_sent}"
    );
    let rumor_bytes: f64 = samples[10..]
        .iter()
        .map(|s| s.bytes_per_sec[MessageKind::Rumor.index()])
        .sum();
    let rumors = sim.metrics().bytes_by_kind[MessageKind::Rumor.index()] - rumor_bytes_before;
    assert!(
        rumor_bytes > 0.0 && (rumor_bytes - rumors as f64).abs() <= 1.0,
        "the write's rumors show up under their own kind: {rumor_bytes} vs {rumors}"
    );
    let end = samples.last().unwrap();
    assert_eq!(end.key_coverage.get("colour"), Some(&1.0));
    assert_eq!(
        end.alive_in_view,
        vec![Some(4), Some(4), Some(4), Some(4), None]
    );
    assert!(
        samples[10]
            .key_coverage
            .get("colour")
            .is_some_and(|&c| c < 1.0)
            || samples[10].alive_in_view[0] == Some(5),
        "the sample right after the write and the crash shows them in progress"
    );

    assert!(end.converged, "n5 held dead everywhere, the key everywhere");
    let since = series.converged_since().unwrap();
    assert!(
        since > samples[10].at && since <= failure_seen_dead(&sim),
        "converged again once n5 was dead everywhere (since {since})"
    );
    let failure = &sim.failures()[0];
    assert_eq!(failure.node.as_str(), "n5");
    let (suspected, dead) = (failure.time_to_suspicion(), failure.time_to_detection());
    println!("n5 suspected after {suspected:?}, dead everywhere after {dead:?}");
    assert!(suspected.is_some() && suspected <= dead, "seed {seed}");
    assert!(dead.unwrap() <= sim.completeness_bound(), "seed {seed}");
    assert_eq!(sim.failures().len(), 1);

    series.rewind(gossip_core::Instant::from_millis(
        sim.now().as_millis() - 5_000,
    ));
    assert_eq!(series.samples().len(), 25);
}

fn failure_seen_dead(sim: &Simulation) -> gossip_core::Instant {
    let dead_at = sim.failures()[0].dead_everywhere_at.expect("detected");
    // The first sample at or after that moment (samples fall on whole seconds here).
    gossip_core::Instant::from_millis(dead_at.as_millis().div_ceil(1000) * 1000)
}
