//! Two or three nodes wired by hand: the protocol step by step.

use super::*;
use crate::wire::{Packet, Update};
use crate::{CoveredRange, GossipMode, VectorClock};

pub(super) fn node(name: &str, port: u16) -> Node {
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    Node::new(NodeId::new(name).unwrap(), addr, Config::demo(), 1).unwrap()
}

/// Delivers everything `from` wants to send to `to` (and only to `to`).
pub(super) fn deliver(now: Instant, from: &mut Node, to: &mut Node) -> usize {
    let mut count = 0;
    while let Some(transmit) = from.poll_transmit() {
        if transmit.to == to.addr() {
            to.handle_packet(now, from.addr(), &transmit.payload)
                .unwrap();
            count += 1;
        }
    }
    count
}

/// Delivers between `a` and `b`, both ways, until neither has anything more for the
/// other; the kinds delivered, in order, each with whether `a` sent it.
fn converse(now: Instant, a: &mut Node, b: &mut Node) -> Vec<(bool, MessageKind)> {
    let mut delivered = Vec::new();
    for _ in 0..16 {
        let mut quiet = true;
        for a_sends in [true, false] {
            let (from, to) = if a_sends {
                (&mut *a, &mut *b)
            } else {
                (&mut *b, &mut *a)
            };
            let to_addr = to.addr();
            let outgoing: Vec<Transmit> = std::iter::from_fn(|| from.poll_transmit())
                .filter(|t| t.to == to_addr)
                .collect();
            for transmit in outgoing {
                quiet = false;
                delivered.push((a_sends, transmit.kind));
                to.handle_packet(now, from.addr(), &transmit.payload)
                    .unwrap();
            }
        }
        if quiet {
            return delivered;
        }
    }
    panic!("still talking after 16 rounds: {delivered:?}");
}

/// A datagram holding `message` from the member named `from`, nothing piggybacked.
fn datagram_from(from: &NodeId, message: Message) -> Vec<u8> {
    wire::encode(&Packet {
        from: from.clone(),
        message,
        updates: Vec::new(),
    })
}

/// `joiner` joins through `seed`: every datagram between them delivered.
pub(super) fn join_through(now: Instant, joiner: &mut Node, seed: &mut Node) {
    joiner.join(now, &[seed.addr()]);
    converse(now, joiner, seed);
}

/// `a` and `b`, `b` joined through `a`, each holding the other alive.
pub(super) fn joined_pair() -> (Node, Node) {
    let mut a = node("a", 1);
    let mut b = node("b", 2);
    a.join(Instant::ZERO, &[]);
    join_through(Instant::ZERO, &mut b, &mut a);
    (a, b)
}

/// SWIM section 4.1's gossip pushes news; a round whose first peers took the last
/// transmissions of every piece sends the rest nothing rather than empty datagrams.
#[test]
fn a_gossip_round_stops_once_the_news_is_spent() {
    let mut config = Config::demo();
    // Four members: each piece of news goes out once, to one of the three peers.
    config.retransmit_mult = 1;
    config.fanout = 3;
    let member = |name: &str, port: u16| {
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        Node::new(NodeId::new(name).unwrap(), addr, config.clone(), 1).unwrap()
    };
    let mut a = member("a", 1);
    a.join(Instant::ZERO, &[]);
    for (name, port) in [("b", 2), ("c", 3), ("d", 4)] {
        join_through(Instant::ZERO, &mut member(name, port), &mut a);
    }
    while a.poll_transmit().is_some() {}
    a.set_tags(Tags::new([("role", "db")]).unwrap());
    let mut updates_per_gossip = Vec::new();
    let mut now = Instant::ZERO;
    for _ in 0..10 {
        now += config.gossip_interval;
        a.handle_timeout(now);
        while let Some(transmit) = a.poll_transmit() {
            if transmit.kind == MessageKind::Gossip {
                let packet = wire::decode(&transmit.payload).unwrap();
                updates_per_gossip.push(packet.updates.len());
            }
        }
    }
    // The first peer takes every piece (the tags and the joins before them) once.
    assert!(
        matches!(updates_per_gossip[..], [n] if n > 0),
        "one gossip datagram, with the news: {updates_per_gossip:?}"
    );
}

#[test]
fn joining_through_a_seed_exchanges_full_state_both_ways() {
    let now = Instant::ZERO;
    let mut seed = node("seed", 1);
    let mut joiner = node("joiner", 2);
    seed.join(now, &[]);
    assert_eq!(seed.status(), NodeStatus::Joined);
    joiner.join(now, &[seed.addr()]);
    assert_eq!(joiner.status(), NodeStatus::Joining);
    // The joiner's share asks for the seed's; the seed first checks that the joiner is
    // at the address its request came from (`address_check`).
    assert_eq!(
        converse(now, &mut joiner, &mut seed),
        [
            (true, MessageKind::Sync),
            (false, MessageKind::Ping),
            (true, MessageKind::Ack),
            (false, MessageKind::Sync)
        ]
    );
    assert_eq!(joiner.status(), NodeStatus::Joined);
    assert_eq!(seed.member_state(joiner.id()), Some(MemberState::Alive));
    assert_eq!(joiner.member_state(seed.id()), Some(MemberState::Alive));
    let joined: Vec<Event> = std::iter::from_fn(|| joiner.poll_event()).collect();
    assert!(joined.contains(&Event::JoinedCluster), "{joined:?}");
}

/// A member that pings this one without being known here (its news went elsewhere)
/// gets the ack and a full-state exchange, from which each learns what the other lacks;
/// a second ping in the same push-pull round does not start another.
#[test]
fn a_ping_from_a_member_not_held_starts_a_full_state_exchange() {
    let now = Instant::ZERO;
    let mut seed = node("seed", 1);
    let mut early = node("early", 2);
    let mut late = node("late", 3);
    seed.join(now, &[]);
    for joiner in [&mut early, &mut late] {
        join_through(now, joiner, &mut seed);
    }
    while seed.poll_transmit().is_some() {}
    assert_eq!(late.member_state(early.id()), Some(MemberState::Alive));
    assert_eq!(early.member_state(late.id()), None, "its news has not come");

    let ping = Packet {
        from: late.id().clone(),
        message: Message::Ping {
            seq: 7,
            target: early.id().clone(),
            store_fingerprint: 0,
        },
        updates: Vec::new(),
    };
    early
        .handle_packet(now, late.addr(), &wire::encode(&ping))
        .unwrap();
    let answers: Vec<Transmit> = std::iter::from_fn(|| early.poll_transmit()).collect();
    let kinds: Vec<MessageKind> = answers.iter().map(|t| t.kind).collect();
    assert_eq!(
        kinds,
        [MessageKind::Ack, MessageKind::Ping],
        "the ack, and a check of the address before the full state: {answers:?}"
    );
    assert!(answers.iter().all(|t| t.to == late.addr()));
    for answer in &answers {
        late.handle_packet(now, early.addr(), &answer.payload)
            .unwrap();
    }
    assert_eq!(
        converse(now, &mut late, &mut early),
        [
            (true, MessageKind::Ack),
            (false, MessageKind::Sync),
            (true, MessageKind::Ping),
            (false, MessageKind::Ack),
            (true, MessageKind::Sync),
        ],
        "each checks the other before sending its full state"
    );
    assert_eq!(early.member_state(late.id()), Some(MemberState::Alive));
    // A member held pings without more ado; a joining node answers anyone with the
    // one exchange joining starts.
    let from_seed = Packet {
        from: seed.id().clone(),
        ..ping.clone()
    };
    early
        .handle_packet(now, seed.addr(), &wire::encode(&from_seed))
        .unwrap();
    let mut joining = node("joining", 5);
    joining.join(now, &[seed.addr()]);
    while joining.poll_transmit().is_some() {}
    let to_joining = Packet {
        message: Message::Ping {
            seq: 8,
            target: joining.id().clone(),
            store_fingerprint: 0,
        },
        ..ping.clone()
    };
    joining
        .handle_packet(now, late.addr(), &wire::encode(&to_joining))
        .unwrap();
    let kinds_from = |answering: &mut Node| -> Vec<MessageKind> {
        std::iter::from_fn(|| answering.poll_transmit())
            .map(|t| t.kind)
            .collect()
    };
    assert_eq!(kinds_from(&mut early), [MessageKind::Ack]);
    assert_eq!(
        kinds_from(&mut joining),
        [MessageKind::Ack, MessageKind::Sync]
    );

    // Once per sender per round: a sender this node cannot answer costs one check.
    let mut stranger = node("stranger", 4);
    stranger.join(now, &[]);
    let from_stranger = Packet {
        from: stranger.id().clone(),
        ..ping
    };
    for _ in 0..2 {
        early
            .handle_packet(now, stranger.addr(), &wire::encode(&from_stranger))
            .unwrap();
    }
    let kinds: Vec<MessageKind> = std::iter::from_fn(|| early.poll_transmit())
        .map(|t| t.kind)
        .collect();
    assert_eq!(
        kinds,
        [MessageKind::Ack, MessageKind::Ping, MessageKind::Ack],
        "one check for two pings"
    );
    // The next round, another.
    let next_round = now + early.config().push_pull_interval;
    early.handle_timeout(next_round);
    early
        .handle_packet(next_round, stranger.addr(), &wire::encode(&from_stranger))
        .unwrap();
    let to_stranger: Vec<MessageKind> = std::iter::from_fn(|| early.poll_transmit())
        .filter(|t| t.to == stranger.addr())
        .map(|t| t.kind)
        .collect();
    assert_eq!(to_stranger, [MessageKind::Ack, MessageKind::Ping]);

    // Pings under made-up names, from addresses of their own: every one acked, a few
    // answered with a check towards a full-state exchange.
    for i in 0..20 {
        let made_up = Packet {
            from: NodeId::new(&format!("made-up-{i}")).unwrap(),
            ..from_stranger.clone()
        };
        let addr = SocketAddr::from(([127, 0, 0, 1], 100 + i));
        early
            .handle_packet(next_round, addr, &wire::encode(&made_up))
            .unwrap();
    }
    let kinds: Vec<MessageKind> = std::iter::from_fn(|| early.poll_transmit())
        .map(|t| t.kind)
        .collect();
    let count = |kind| kinds.iter().filter(|k| **k == kind).count();
    assert_eq!(
        (count(MessageKind::Ack), count(MessageKind::Ping)),
        (20, 7),
        "8 senders a round, the stranger among them"
    );
}

/// A request for the full state from an address that has not shown it receives this
/// node's datagrams (here, a forged one naming a bystander) costs that address one
/// ping no larger than the request; the full state goes only to whoever acks it.
#[test]
fn a_full_state_goes_only_to_an_address_that_answered_a_check() {
    let now = Instant::ZERO;
    let mut seed = node("seed", 1);
    let members: Vec<MemberUpdate> = (0..300)
        .map(|i| MemberUpdate {
            id: NodeId::new(&format!("member-{i:03}")).unwrap(),
            addr: SocketAddr::from(([10, 0, (i / 250) as u8, (i % 250) as u8], 7946)),
            incarnation: 1,
            state: MemberState::Alive,
            accuser: None,
            tags: Tags::none(),
        })
        .collect();
    seed.restore_members(now, MemberSnapshot::from_updates(members));
    seed.join(now, &[]);
    // News waiting to be piggybacked: a check carries none of it.
    seed.put(now, "key", "a value that would ride on any datagram")
        .unwrap();
    while seed.poll_transmit().is_some() {}

    let bystander = SocketAddr::from(([192, 0, 2, 7], 7946));
    let claimed = NodeId::new("claimed").unwrap();
    let forged = |message: Message| datagram_from(&claimed, message);
    let join_request = forged(Message::Sync {
        members: Vec::new(),
        reply: true,
    });
    let offer = forged(Message::SyncOffer { fingerprint: 1 });
    let ping_from_unknown = forged(Message::Ping {
        seq: 1,
        target: seed.id().clone(),
        store_fingerprint: 0,
    });
    let mut check_seq = None;
    for request in [&join_request, &offer, &ping_from_unknown] {
        seed.handle_packet(now, bystander, request).unwrap();
        let sent: Vec<Transmit> = std::iter::from_fn(|| seed.poll_transmit()).collect();
        assert!(sent.iter().all(|t| t.to == bystander));
        assert!(
            sent.iter().all(|t| t.kind != MessageKind::Sync),
            "no full state yet: {sent:?}"
        );
        // The check is no larger than the request (a ping is acked as SWIM acks any,
        // news piggybacked: at most one datagram).
        let checks = sent.iter().filter(|t| t.kind == MessageKind::Ping);
        assert!(
            checks.map(|t| t.payload.len()).sum::<usize>() <= request.len() + 16,
            "no larger than the request: {sent:?}"
        );
        for transmit in sent {
            let packet = wire::decode(&transmit.payload).unwrap();
            if let Message::Ping { seq, target, .. } = packet.message {
                assert_eq!(target, claimed, "the check names the member claimed");
                assert!(check_seq.is_none(), "one check of one address at a time");
                check_seq = Some(seq);
            }
        }
    }
    let check_seq = check_seq.expect("the first request starts a check");
    assert_eq!(seed.stats().address_checks, 1);

    let ack = |seq: u32| forged(Message::Ack { seq });
    // An ack from elsewhere, or with another number, passes nothing.
    let elsewhere = SocketAddr::from(([192, 0, 2, 8], 7946));
    seed.handle_packet(now, elsewhere, &ack(check_seq)).unwrap();
    seed.handle_packet(now, bystander, &ack(check_seq.wrapping_add(1)))
        .unwrap();
    assert_eq!(seed.poll_transmit(), None);

    seed.handle_packet(now, bystander, &ack(check_seq)).unwrap();
    let shares: Vec<Transmit> = std::iter::from_fn(|| seed.poll_transmit()).collect();
    assert!(
        shares.iter().map(|t| t.payload.len()).sum::<usize>() > 100 * join_request.len(),
        "300 members"
    );
    assert!(
        shares
            .iter()
            .all(|t| t.to == bystander && t.kind == MessageKind::Sync)
    );
    let asks = shares.iter().any(|t| {
        matches!(
            wire::decode(&t.payload).unwrap().message,
            Message::Sync { reply: true, .. }
        )
    });
    assert!(asks, "the offer asked for an exchange: the share asks back");
    assert_eq!(seed.stats().address_checks_passed, 1);

    // The proof was used up: the next request is checked again, and a request while
    // that check is out is answered, a probe interval on, with the same ping again.
    seed.handle_packet(now, bystander, &join_request).unwrap();
    let again: Vec<Transmit> = std::iter::from_fn(|| seed.poll_transmit()).collect();
    assert_eq!(
        again.iter().map(|t| t.kind).collect::<Vec<_>>(),
        [MessageKind::Ping]
    );
    seed.handle_packet(now, bystander, &join_request).unwrap();
    assert_eq!(seed.poll_transmit(), None, "the check is out");
    let later = now + seed.config().probe_interval;
    seed.handle_packet(later, bystander, &join_request).unwrap();
    let repeated = seed.poll_transmit().expect("the check again");
    assert_eq!(repeated.payload, again[0].payload, "the same ping");
}

#[test]
fn a_probe_is_acked_and_an_unanswered_one_makes_the_target_suspect() {
    let (mut a, mut b) = joined_pair();

    let period = a.config().probe_interval;
    let t1 = Instant::ZERO + period;
    a.handle_timeout(t1);
    let ping = a.poll_transmit().expect("a pings b");
    assert_eq!(ping.kind, MessageKind::Ping);
    b.handle_packet(t1, a.addr(), &ping.payload).unwrap();
    let ack = b.poll_transmit().expect("b acks");
    assert_eq!(ack.kind, MessageKind::Ack);
    let rtt = Duration::from_millis(7);
    a.handle_packet(t1 + rtt, b.addr(), &ack.payload).unwrap();
    a.handle_packet(t1 + rtt * 2, b.addr(), &ack.payload)
        .unwrap();
    assert_eq!(
        (a.stats().probe_rtt.count, a.stats().probe_rtt.sum),
        (1, rtt),
        "the first ack times the probe; a repeated one does not"
    );
    assert_eq!(a.stats().probe_rtt.buckets[3], 1, "7 ms falls in (5, 10]");
    a.handle_timeout(t1 + period);
    assert_eq!(a.stats().failed_probes, 0);
    assert_eq!(a.member_state(b.id()), Some(MemberState::Alive));

    // From now on b is silent: the next probe fails.
    while a.poll_transmit().is_some() {}
    a.handle_timeout(t1 + period * 2);
    assert_eq!(a.stats().failed_probes, 1);
    assert_eq!(a.member_state(b.id()), Some(MemberState::Suspect));
    let deadline = a.suspicion_deadline(b.id()).unwrap();
    a.handle_timeout(deadline);
    assert_eq!(a.member_state(b.id()), Some(MemberState::Dead));
    assert_eq!(a.member_counts(), [0, 0, 1, 0]);
    assert_eq!(a.active_members(), 0);
}

/// The next wake-up counts running suspicions, not only the protocol's timers.
#[test]
fn the_next_wake_up_counts_a_suspicion_as_well_as_the_timers() {
    let (mut a, b) = joined_pair();
    assert_eq!(
        a.poll_timeout(),
        a.timers.next_deadline(),
        "nothing else yet"
    );

    // b stays silent: a's probe of it fails, and a suspects it.
    let period = a.config().probe_interval;
    for periods in 1..=2 {
        a.handle_timeout(Instant::ZERO + period * periods);
        while a.poll_transmit().is_some() {}
    }
    assert_eq!(a.member_state(b.id()), Some(MemberState::Suspect));
    let deadline = a.suspicion_deadline(b.id()).unwrap();
    for timer in [
        Timer::Probe,
        Timer::ProbeTimeout,
        Timer::Gossip,
        Timer::JoinRetry,
        Timer::Reap,
        Timer::Sync,
        Timer::PushPull,
        Timer::Reconnect,
    ] {
        a.timers.stop(timer);
    }
    assert_eq!(a.poll_timeout(), Some(deadline));
}

#[test]
fn a_ping_for_someone_else_is_not_acked() {
    let mut a = node("a", 1);
    let b = node("b", 2);
    a.join(Instant::ZERO, &[]);
    let ping = Packet {
        from: b.id().clone(),
        message: Message::Ping {
            seq: 1,
            target: NodeId::new("c").unwrap(),
            store_fingerprint: 0,
        },
        updates: Vec::new(),
    };
    a.handle_packet(Instant::ZERO, b.addr(), &wire::encode(&ping))
        .unwrap();
    assert!(a.poll_transmit().is_none());
}

#[test]
fn malformed_datagrams_are_counted_and_change_nothing() {
    let mut a = node("a", 1);
    a.join(Instant::ZERO, &[]);
    let before = a.poll_timeout();
    for garbage in [
        &[][..],
        &[0xff, 1, 2][..],
        &[wire::WIRE_VERSION, 0xff, 0xff][..],
    ] {
        assert!(a.handle_packet(Instant::ZERO, a.addr(), garbage).is_err());
    }
    assert_eq!(a.stats().decode_errors, 3);
    assert_eq!(a.members().count(), 0);
    assert!(a.poll_transmit().is_none());
    assert_eq!(a.poll_timeout(), before);
}

#[test]
fn hearing_itself_suspected_raises_the_incarnation() {
    let mut a = node("a", 1);
    a.join(Instant::ZERO, &[]);
    let rumour = Packet {
        from: NodeId::new("b").unwrap(),
        message: Message::Gossip,
        updates: vec![Update::Member(MemberUpdate {
            id: a.id().clone(),
            addr: a.addr(),
            incarnation: 0,
            state: MemberState::Suspect,
            accuser: Some(NodeId::new("b").unwrap()),
            tags: Tags::none(),
        })],
    };
    a.handle_packet(
        Instant::ZERO,
        "127.0.0.1:2".parse().unwrap(),
        &wire::encode(&rumour),
    )
    .unwrap();
    assert_eq!(a.incarnation(), 1);
    assert_eq!(a.stats().refutations, 1);
}

/// News no honest member can send (an incarnation or a write counter at its maximum)
/// is dropped: adopted, it could never be refuted or written past.
#[test]
fn news_at_the_last_incarnation_or_counter_is_dropped() {
    let (mut a, _b) = joined_pair();
    let from = NodeId::new("b").unwrap();
    let b_addr = SocketAddr::from(([127, 0, 0, 1], 2));
    let member = |id: &NodeId, addr, state| {
        Update::Member(MemberUpdate {
            id: id.clone(),
            addr,
            incarnation: Incarnation::MAX,
            state,
            accuser: Some(from.clone()),
            tags: Tags::none(),
        })
    };
    let mut forged_clock = VectorClock::default();
    let forger = ReplicaId::new(NodeId::new("c").unwrap(), 1);
    forged_clock.observe(&forger, u64::MAX);
    let forged_version = Update::Kv(crate::Version {
        key: "k".into(),
        value: Some("v".into()),
        clock: forged_clock,
        writer: forger,
    });
    let packet = Packet {
        from: from.clone(),
        message: Message::Gossip,
        updates: vec![
            member(a.id(), a.addr(), MemberState::Suspect),
            member(&from, b_addr, MemberState::Dead),
            forged_version,
        ],
    };
    a.handle_packet(Instant::ZERO, b_addr, &wire::encode(&packet))
        .unwrap();
    assert_eq!(a.incarnation(), 0, "no refutation of the unrefutable");
    assert_eq!(a.stats().refutations, 0);
    assert_eq!(
        a.members().find(|m| m.id == from).map(|m| m.state),
        Some(MemberState::Alive),
        "b stays alive"
    );
    assert_eq!(a.store().get("k"), None, "the forged version is not kept");

    // Nor are ranges that claim a's own writes, or reach the counter's end.
    let other = ReplicaId::new(NodeId::new("d").unwrap(), 1);
    let range = |writer: &ReplicaId, to| crate::store::CoveredRange {
        writer: writer.clone(),
        from: 0,
        to,
    };
    let deltas = Packet {
        from: from.clone(),
        message: Message::Deltas {
            versions: Vec::new(),
            ranges: vec![range(a.replica(), 1_000), range(&other, u64::MAX)],
        },
        updates: Vec::new(),
    };
    a.handle_packet(Instant::ZERO, b_addr, &wire::encode(&deltas))
        .unwrap();
    assert_eq!(a.store().summary().get(&other), 0);
    let own = a.put(Instant::ZERO, "own", "x").unwrap();
    assert_eq!(own.seq(), 1, "a numbers its own writes itself");
}

/// A write whose version (its vector clock grown with every writer of the key) would
/// not fit in a datagram is refused, rather than stored where nobody else can get it;
/// every write accepted reaches a peer.
#[test]
fn a_version_too_large_for_a_datagram_is_refused_and_every_accepted_one_travels() {
    let config = Config {
        mtu: 512,
        max_key_len: 64,
        max_value_len: 128,
        ..Config::demo()
    };
    let make = |name: &str, port: u16| {
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        Node::new(NodeId::new(name).unwrap(), addr, config.clone(), 1).unwrap()
    };
    let (mut a, mut b) = (make("a", 1), make("b", 2));
    let mut now = Instant::ZERO;
    a.join(now, &[]);
    b.join(now, &[a.addr()]);
    deliver(now, &mut b, &mut a);
    deliver(now, &mut a, &mut b);
    let mut accepted = 0;
    for n in 1..20 {
        // Another writer of `k`, with a long name, supersedes what `a` holds.
        let writer = ReplicaId::new(
            NodeId::new(&format!("writer-{n:02}-{}", "x".repeat(50))).unwrap(),
            1,
        );
        let mut clock = a
            .store()
            .versions("k")
            .map_or_else(VectorClock::default, |v| v[0].clock.clone());
        clock.observe(&writer, 1);
        let heard = Update::Kv(crate::Version {
            key: "k".into(),
            value: Some(format!("from {n}")),
            clock,
            writer,
        });
        let packet = Packet {
            from: b.id().clone(),
            message: Message::Gossip,
            updates: vec![heard],
        };
        a.handle_packet(now, b.addr(), &wire::encode(&packet))
            .unwrap();
        let before = a.store().get("k").map(str::to_owned);
        match a.put(now, "k", &format!("mine {n}")) {
            Ok(_) => {
                accepted += 1;
                now += Duration::from_secs(5);
                run_pair(&mut a, &mut b, now);
                assert_eq!(
                    b.store().get("k"),
                    Some(format!("mine {n}").as_str()),
                    "{n}"
                );
            }
            Err(Error::TooLarge { len, max, .. }) => {
                assert!(len > max && max < 512);
                assert_eq!(
                    a.store().get("k").map(str::to_owned),
                    before,
                    "nothing stored"
                );
                assert!(
                    accepted > 0 && n > 2,
                    "refused only once the clock had grown: {n}"
                );
                return;
            }
            Err(other) => panic!("{other}"),
        }
    }
    panic!("the clock of 19 long-named writers still fit in 512 bytes");
}

#[test]
fn oversized_writes_are_rejected_and_store_nothing() {
    let mut a = node("a", 1);
    a.join(Instant::ZERO, &[]);
    let big = "x".repeat(a.config().max_value_len + 1);
    assert!(matches!(
        a.put(Instant::ZERO, "k", &big),
        Err(Error::TooLarge { what: "value", .. })
    ));
    assert!(a.store().is_empty());
    assert_eq!(a.put(Instant::ZERO, "", "v"), Err(Error::EmptyKey));
    assert_eq!(a.delete(Instant::ZERO, ""), Err(Error::EmptyKey));
    assert!(a.store().is_empty());
    a.put(Instant::ZERO, "k", "v").unwrap();
    assert_eq!(a.store().get("k"), Some("v"));
}

/// `max_value_len` limits the writes a node takes, not what its peers wrote: a member
/// set tighter than the writer still stores the value, so the store converges.
#[test]
fn a_peers_value_over_this_nodes_limit_is_taken_as_it_comes() {
    let tight = Config {
        max_value_len: 16,
        ..Config::demo()
    };
    let (mut a, mut b) = (
        node("a", 1),
        Node::new(
            NodeId::new("b").unwrap(),
            SocketAddr::from(([127, 0, 0, 1], 2)),
            tight,
            1,
        )
        .unwrap(),
    );
    let mut now = Instant::ZERO;
    a.join(now, &[]);
    b.join(now, &[a.addr()]);
    deliver(now, &mut b, &mut a);
    deliver(now, &mut a, &mut b);
    let long = "x".repeat(400);
    a.put(now, "k", &long).unwrap();
    assert!(matches!(
        b.put(now, "mine", &long),
        Err(Error::TooLarge { what: "value", .. })
    ));
    now += Duration::from_secs(5);
    run_pair(&mut a, &mut b, now);
    assert_eq!(b.store().get("k"), Some(long.as_str()));
}

/// memberlist's push-pull stretch: up to 32 members the full-state exchange runs every
/// `push_pull_interval`; beyond, every `ceil(log2(n / 32)) + 1` intervals, so its
/// cluster-wide O(n²) cost grows near linearly. A snapshot restored into a node gives it
/// n - 1 others.
#[test]
fn push_pull_stretches_beyond_32_members() {
    let period_with = |members: usize| {
        let mut a = node("a", 1);
        let others = (0..members - 1).map(|i| MemberUpdate {
            id: NodeId::new(&format!("m{i}")).unwrap(),
            addr: SocketAddr::from(([10, 0, (i / 250) as u8, (i % 250) as u8], 7946)),
            incarnation: 0,
            state: MemberState::Alive,
            accuser: None,
            tags: Tags::none(),
        });
        a.restore_members(Instant::ZERO, MemberSnapshot::from_updates(others));
        assert_eq!(a.active_members(), members - 1);
        a.push_pull_period()
    };
    let interval = Config::demo().push_pull_interval;
    assert_eq!(period_with(2), interval);
    assert_eq!(period_with(32), interval);
    assert_eq!(period_with(33), interval * 2);
    assert_eq!(period_with(100), interval * 3);
    assert_eq!(period_with(1000), interval * 6);
}

/// A node started from another's snapshot holds that node and everyone it knew, not
/// itself, and is a member at once, spreading nothing.
#[test]
fn a_node_restored_from_a_snapshot_joins_at_once_with_that_view() {
    let now = Instant::ZERO;
    let mut a = node("a", 1);
    let mut b = node("b", 2);
    let mut c = node("c", 3);
    a.join(now, &[]);
    b.join(now, &[a.addr()]);
    deliver(now, &mut b, &mut a);
    deliver(now, &mut a, &mut b);
    assert_eq!(a.active_members(), 1);
    let snapshot = a.member_snapshot();
    assert_eq!(snapshot.len(), 2, "a itself and b");
    c.restore_members(now, snapshot);
    c.join(now, &[]);
    assert_eq!(c.status(), NodeStatus::Joined);
    let mut known: Vec<String> = c.members().map(|m| m.id.to_string()).collect();
    known.sort();
    assert_eq!(known, ["a", "b"]);
    assert!(
        c.poll_transmit().is_none(),
        "nothing to send before its first probe"
    );
    let stranger = MemberUpdate {
        id: NodeId::new("z").unwrap(),
        addr: SocketAddr::from(([127, 0, 0, 1], 26)),
        incarnation: 0,
        state: MemberState::Alive,
        accuser: None,
        tags: Tags::none(),
    };
    b.restore_members(now, MemberSnapshot::from_updates([stranger]));
    assert!(
        b.members().all(|m| m.id.as_str() != "z"),
        "a node already joined keeps its own view"
    );
}

/// Nodes built in one registry intern every name and address they hold into it, also
/// when their view is restored from a list (as from disk) or from another's table.
#[test]
fn nodes_sharing_a_registry_store_each_name_once() {
    let now = Instant::ZERO;
    let registry = Registry::new();
    let make = |name: &str, port: u16| {
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        Node::new_in(
            &registry,
            NodeId::new(name).unwrap(),
            addr,
            Config::demo(),
            1,
        )
        .unwrap()
    };
    let everyone: Vec<MemberUpdate> = (1..=4)
        .map(|i| MemberUpdate {
            id: NodeId::new(&format!("m{i}")).unwrap(),
            addr: SocketAddr::from(([127, 0, 0, 1], i)),
            incarnation: 0,
            state: MemberState::Alive,
            accuser: None,
            tags: Tags::none(),
        })
        .collect();
    let mut first = make("m1", 1);
    first.restore_members(now, MemberSnapshot::from_updates(everyone.iter().cloned()));
    let mut second = make("m2", 2);
    second.restore_members(now, first.member_snapshot());
    assert_eq!(first.members().count(), 3);
    assert_eq!(second.members().count(), 3);
    assert_eq!(
        first.full_state_fingerprint(),
        second.full_state_fingerprint(),
        "a restored table keeps its fingerprint"
    );
    assert_eq!(
        registry.footprint().0,
        4 + 4 + 4,
        "four names, four addresses and four pairs of them, once each"
    );
}

/// A member that leaves hands what only it holds to a peer on its way out, whatever
/// the anti-entropy mode, and more than one datagram of it.
#[test]
fn a_leaving_member_hands_off_writes_nobody_else_holds() {
    let now = Instant::ZERO;
    for mode in [GossipMode::Push, GossipMode::Pull, GossipMode::PushPull] {
        let config = Config {
            rumor_mongering: false,
            anti_entropy_mode: mode,
            ..Config::demo()
        };
        let make = |name: &str, port: u16| {
            let addr = SocketAddr::from(([127, 0, 0, 1], port));
            Node::new(NodeId::new(name).unwrap(), addr, config.clone(), 1).unwrap()
        };
        let (mut leaving, mut staying) = (make("leaving", 1), make("staying", 2));
        leaving.join(now, &[]);
        join_through(now, &mut staying, &mut leaving);
        // More than one datagram of deltas.
        for i in 0..40 {
            leaving
                .put(now, &format!("key-{i}"), &"v".repeat(100))
                .unwrap();
        }
        leaving.leave(now);
        while deliver(now, &mut leaving, &mut staying) + deliver(now, &mut staying, &mut leaving)
            > 0
        {}
        assert_eq!(staying.store().len(), 40, "{mode}");
    }
}

/// Anti-entropy's modes (Demers et al. 1987, section 1.3): in one exchange started by
/// the node that has a write, push hands it over and pull does not (pull only fetches
/// what the starter lacks); started by the node that lacks it, pull fetches it and push
/// does not; push-pull does both.
#[test]
fn anti_entropy_push_gives_and_pull_fetches() {
    let now = Instant::ZERO;
    let pair = |mode: GossipMode| {
        let config = Config {
            rumor_mongering: false,
            anti_entropy_mode: mode,
            ..Config::demo()
        };
        let make = |name: &str, port: u16| {
            let addr = SocketAddr::from(([127, 0, 0, 1], port));
            Node::new(NodeId::new(name).unwrap(), addr, config.clone(), 1).unwrap()
        };
        let (mut has, mut lacks) = (make("has", 1), make("lacks", 2));
        has.join(now, &[]);
        lacks.join(now, &[has.addr()]);
        deliver(now, &mut lacks, &mut has);
        deliver(now, &mut has, &mut lacks);
        has.put(now, "k", "v").unwrap();
        (has, lacks)
    };
    let exchange = |a: &mut Node, b: &mut Node| {
        while deliver(now, a, b) + deliver(now, b, a) > 0 {}
    };
    let after_round_started_by = |mode: GossipMode, by_holder: bool| {
        let (mut has, mut lacks) = pair(mode);
        exchange(&mut has, &mut lacks);
        assert_eq!(
            lacks.store().get("k"),
            None,
            "{mode}: nothing spread it yet"
        );
        // The starter hears the other's ping, whose store fingerprint differs.
        let (starter, other) = if by_holder {
            (&mut has, &mut lacks)
        } else {
            (&mut lacks, &mut has)
        };
        other.start_probe(now);
        exchange(starter, other);
        starter.sync_round(now);
        exchange(&mut has, &mut lacks);
        lacks.store().get("k").is_some()
    };
    assert!(after_round_started_by(GossipMode::Push, true));
    assert!(!after_round_started_by(GossipMode::Push, false));
    assert!(!after_round_started_by(GossipMode::Pull, true));
    assert!(after_round_started_by(GossipMode::Pull, false));
    assert!(after_round_started_by(GossipMode::PushPull, true));
    assert!(after_round_started_by(GossipMode::PushPull, false));
}

/// Anti-entropy runs where there is something to repair (Demers et al. 1987, section
/// 1.3): a round goes to the member whose ping showed a different store summary, and
/// without one it runs only every `quiet_sync_every`th round, or while a tombstone
/// waits for collection.
#[test]
fn anti_entropy_runs_where_a_ping_shows_a_different_store() {
    let now = Instant::ZERO;
    let (mut a, b) = joined_pair();
    let mut c = node("c", 3);
    c.join(now, &[a.addr()]);
    deliver(now, &mut c, &mut a);
    deliver(now, &mut a, &mut c);
    let digests_to = |node: &mut Node| -> Vec<SocketAddr> {
        std::iter::from_fn(|| node.poll_transmit())
            .filter(|t| t.kind == MessageKind::Digest)
            .map(|t| t.to)
            .collect()
    };
    let ping = |to: &mut Node, from: &Node, store_fingerprint: u32| {
        let packet = Packet {
            from: from.id().clone(),
            message: Message::Ping {
                seq: 1,
                target: to.id().clone(),
                store_fingerprint,
            },
            updates: Vec::new(),
        };
        to.handle_packet(now, from.addr(), &wire::encode(&packet))
            .unwrap();
    };
    digests_to(&mut a);
    let every = a.config().quiet_sync_every;
    assert!(every > 3);

    // Every store empty, every ping alike: one round in `quiet_sync_every` runs.
    for round in 1..=2 * every {
        ping(&mut a, &b, b.store().summary_fingerprint());
        a.sync_round(now);
        let expected = usize::from(round % every == 0);
        assert_eq!(digests_to(&mut a).len(), expected, "round {round}");
    }

    for _ in 0..3 {
        a.sync_round(now);
        assert_eq!(digests_to(&mut a), vec![]);
    }

    // c wrote (its rumor lost): its ping shows it, and a's next round goes to c.
    c.put(now, "k", "v").unwrap();
    ping(&mut a, &c, c.store().summary_fingerprint());
    a.sync_round(now);
    assert_eq!(digests_to(&mut a), vec![c.addr()]);
    // One difference heard, one round: the next unprompted one is a whole
    // `quiet_sync_every` rounds later.
    for round in 1..=every {
        a.sync_round(now);
        let expected = usize::from(round == every);
        assert_eq!(
            digests_to(&mut a).len(),
            expected,
            "round {round} after c's"
        );
    }

    // A tombstone waiting for every member's summary keeps the rounds going ...
    a.put(now, "gone", "v").unwrap();
    a.delete(now, "gone").unwrap();
    for _ in 0..3 {
        a.sync_round(now);
        assert_eq!(digests_to(&mut a).len(), 1);
    }
    // ... until a later write replaces it: it will never be collected, and the rounds
    // go quiet again once a sweep has seen that.
    a.put(now, "gone", "back").unwrap();
    a.sync_round(now);
    digests_to(&mut a);
    for round in 1..every {
        a.sync_round(now);
        assert_eq!(
            digests_to(&mut a),
            vec![],
            "round {round} after the rewrite"
        );
    }

    // Nor does a tombstone beside a concurrent value, which stays as long as the value.
    a.put(now, "both", "a's").unwrap();
    c.put(now, "both", "c's").unwrap();
    let tombstone = c.delete(now, "both").unwrap().unwrap();
    a.apply_version(now, tombstone, false);
    assert_eq!(a.store().versions("both").map(<[_]>::len), Some(2));
    a.sync_round(now);
    digests_to(&mut a);
    for round in 1..every {
        a.sync_round(now);
        assert_eq!(digests_to(&mut a), vec![], "round {round} beside a value");
    }
}

/// A tombstone restored from disk with the store (no arrival time saved) is noted by
/// the first sweep, so that it is collected in time rather than never.
#[test]
fn a_restored_tombstone_is_noted_by_the_first_sweep() {
    let now = Instant::ZERO;
    let mut before = node("a", 1);
    before.put(now, "gone", "v").unwrap();
    before.delete(now, "gone").unwrap();
    let mut again = node("a", 1);
    assert_eq!(
        again.restore(before.persisted(), Some(Duration::ZERO)),
        Restored::Whole
    );
    assert!(again.anti_entropy.tombstones_seen.is_empty());
    again.sync_round(now);
    assert_eq!(again.anti_entropy.tombstones_seen.len(), 1);
}

/// Rounds kept up for what they need of the peers' summaries (a tombstone's collection,
/// a store held aside) run every round and ask for the peer's summary, even when
/// anti-entropy only pulls (whose digest alone would not bring it back).
#[test]
fn anti_entropy_asks_for_summaries_while_it_waits_on_them() {
    let now = Instant::ZERO;
    let config = Config {
        anti_entropy_mode: GossipMode::Pull,
        ..Config::demo()
    };
    let make = |name: &str, port: u16| {
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        Node::new(NodeId::new(name).unwrap(), addr, config.clone(), 1).unwrap()
    };
    let pair = |a: &mut Node| {
        let mut b = make("b", 2);
        b.join(now, &[]);
        join_through(now, a, &mut b);
        std::iter::from_fn(|| a.poll_transmit()).count();
    };
    let digests_asking = |node: &mut Node| -> Vec<bool> {
        std::iter::from_fn(|| node.poll_transmit())
            .filter_map(|t| match wire::decode(&t.payload).unwrap().message {
                Message::Digest { send_digest, .. } => Some(send_digest),
                _ => None,
            })
            .collect()
    };

    // A tombstone waiting for collection.
    let mut a = make("a", 1);
    pair(&mut a);
    a.put(now, "gone", "v").unwrap();
    a.delete(now, "gone").unwrap();
    for _ in 0..3 {
        a.sync_round(now);
        assert_eq!(digests_asking(&mut a), vec![true]);
    }

    // A store held aside.
    let (_, state) = state_with_one_key();
    let mut a = make("a", 1);
    let away = config.tombstone_grace * 2;
    assert_eq!(a.restore(state, Some(away)), Restored::Aside { keys: 1 });
    pair(&mut a);
    assert!(a.holds_store_aside());
    for _ in 0..3 {
        a.sync_round(now);
        assert_eq!(digests_asking(&mut a), vec![true]);
    }

    // Nothing awaited: a pull round prompted by a difference asks only for deltas.
    let mut a = make("a", 1);
    pair(&mut a);
    a.compare_store_fingerprint(&NodeId::new("b").unwrap(), 1);
    a.sync_round(now);
    assert_eq!(digests_asking(&mut a), vec![false]);
}

#[test]
fn tags_travel_with_alive_news_and_a_change_raises_the_incarnation() {
    let now = Instant::ZERO;
    let mut a = node("a", 1);
    let mut b = node("b", 2);
    let web = Tags::new([("role", "web"), ("http", "127.0.0.1:9001")]).unwrap();
    a.set_tags(web.clone());
    assert_eq!(a.incarnation(), 0, "tags set before starting cost nothing");
    a.join(now, &[]);
    join_through(now, &mut b, &mut a);
    assert_eq!(
        b.member_tags(a.id()),
        Some(&web),
        "the full state carries them"
    );
    assert_eq!(a.member_tags(b.id()), None, "b has none");
    let updates = |node: &mut Node| -> Vec<Event> {
        std::iter::from_fn(|| node.poll_event())
            .filter(|e| matches!(e, Event::MemberUpdated { .. }))
            .collect()
    };
    assert_eq!(
        updates(&mut b),
        [],
        "a member new here is joined, not updated"
    );

    let db = Tags::new([("role", "db")]).unwrap();
    a.set_tags(db.clone());
    assert_eq!(a.incarnation(), 1);
    a.set_tags(db.clone());
    assert_eq!(a.incarnation(), 1, "the same tags again change nothing");
    let t = now + a.config().gossip_interval;
    a.handle_timeout(t);
    deliver(t, &mut a, &mut b);
    assert_eq!(
        b.member_tags(a.id()),
        Some(&db),
        "gossip carries the change"
    );
    assert_eq!(
        updates(&mut b),
        [Event::MemberUpdated {
            id: a.id().clone(),
            incarnation: 1,
            tags: db.clone()
        }]
    );
    assert_eq!(updates(&mut a), [], "a node does not report its own");

    // News without tags at the same incarnation does not erase them.
    let suspicion = MemberUpdate {
        id: a.id().clone(),
        addr: a.addr(),
        incarnation: 1,
        state: MemberState::Suspect,
        accuser: None,
        tags: Tags::none(),
    };
    b.apply_member_update(t, suspicion);
    assert_eq!(b.member_tags(a.id()), Some(&db));
    // Its refutation carries the same tags: no change to report.
    let t = t + a.config().gossip_interval;
    b.handle_timeout(t);
    deliver(t, &mut b, &mut a);
    assert_eq!(a.incarnation(), 2, "a refuted");
    a.handle_timeout(t);
    deliver(t, &mut a, &mut b);
    assert_eq!(b.member_state(a.id()), Some(MemberState::Alive));
    assert_eq!(updates(&mut b), []);
}

#[test]
fn a_full_state_that_holds_a_live_member_dead_only_makes_it_suspect() {
    let now = Instant::ZERO;
    let mut a = node("a", 1);
    let mut b = node("b", 2);
    a.join(now, &[]);
    b.join(now, &[a.addr()]);
    deliver(now, &mut b, &mut a);
    deliver(now, &mut a, &mut b);
    let dead = |name: &str, port: u16| MemberUpdate {
        id: NodeId::new(name).unwrap(),
        addr: SocketAddr::from(([127, 0, 0, 1], port)),
        incarnation: 0,
        state: MemberState::Dead,
        accuser: None,
        tags: Tags::none(),
    };
    let sync = Packet {
        from: NodeId::new("c").unwrap(),
        message: Message::Sync {
            members: vec![dead("b", 2), dead("ghost", 9)],
            reply: false,
        },
        updates: Vec::new(),
    };
    let c_addr = SocketAddr::from(([127, 0, 0, 1], 3));
    a.handle_packet(now, c_addr, &wire::encode(&sync)).unwrap();
    assert_eq!(
        a.member_state(b.id()),
        Some(MemberState::Suspect),
        "b gets its suspicion timeout to refute"
    );
    assert_eq!(
        a.member_state(&NodeId::new("ghost").unwrap()),
        None,
        "a member this node never held is not brought in"
    );
}

#[test]
fn tags_are_adopted_at_the_same_incarnation_cleared_by_newer_news_and_reaped() {
    let now = Instant::ZERO;
    let mut a = node("a", 1);
    a.join(now, &[]);
    let web = Tags::new([("role", "web")]).unwrap();
    let news = |state, incarnation, tags: &Tags| MemberUpdate {
        id: NodeId::new("b").unwrap(),
        addr: SocketAddr::from(([127, 0, 0, 1], 2)),
        incarnation,
        state,
        accuser: None,
        tags: tags.clone(),
    };
    let b = NodeId::new("b").unwrap();
    let tags_reported = |a: &mut Node| -> Vec<(u32, Tags)> {
        std::iter::from_fn(|| a.poll_event())
            .filter_map(|e| match e {
                Event::MemberUpdated {
                    incarnation, tags, ..
                } => Some((incarnation, tags)),
                _ => None,
            })
            .collect()
    };
    // First heard of through a suspicion, which carries no tags ...
    a.apply_member_update(now, news(MemberState::Suspect, 3, &Tags::none()));
    assert_eq!(a.member_tags(&b), None);
    assert_eq!(tags_reported(&mut a), []);
    // ... then alive news at the same incarnation (a full state) brings them.
    a.apply_member_update(now, news(MemberState::Alive, 3, &web));
    assert_eq!(a.member_tags(&b), Some(&web));
    assert_eq!(tags_reported(&mut a), [(3, web.clone())], "learned");
    // Alive news at a newer incarnation without tags: they were removed.
    a.apply_member_update(now, news(MemberState::Alive, 4, &Tags::none()));
    assert_eq!(a.member_tags(&b), None);
    assert_eq!(tags_reported(&mut a), [(4, Tags::none())], "removed");
    a.apply_member_update(now, news(MemberState::Alive, 5, &web));
    assert_eq!(a.member_tags(&b), Some(&web));
    assert_eq!(tags_reported(&mut a), [(5, web.clone())]);
    // Newer alive news with the same tags, and older alive news with other tags,
    // change nothing.
    a.apply_member_update(now, news(MemberState::Alive, 6, &web));
    let old = Tags::new([("role", "old")]).unwrap();
    a.apply_member_update(now, news(MemberState::Alive, 4, &old));
    assert_eq!(a.member_tags(&b), Some(&web));
    assert_eq!(tags_reported(&mut a), []);
    // Suspected, then refuted with other tags: alive again first, then the tags.
    let db = Tags::new([("role", "db")]).unwrap();
    a.apply_member_update(now, news(MemberState::Suspect, 6, &Tags::none()));
    a.apply_member_update(now, news(MemberState::Alive, 7, &db));
    let reported: Vec<Event> = std::iter::from_fn(|| a.poll_event()).collect();
    assert_eq!(
        reported[1..],
        [
            Event::MemberAlive {
                id: b.clone(),
                incarnation: 7
            },
            Event::MemberUpdated {
                id: b.clone(),
                incarnation: 7,
                tags: db.clone()
            }
        ]
    );
    // A member without tags that refutes a suspicion has no tags to report.
    let untagged = |state, incarnation| MemberUpdate {
        id: NodeId::new("u").unwrap(),
        addr: SocketAddr::from(([127, 0, 0, 1], 4)),
        incarnation,
        state,
        accuser: None,
        tags: Tags::none(),
    };
    a.apply_member_update(now, untagged(MemberState::Alive, 1));
    a.apply_member_update(now, untagged(MemberState::Suspect, 1));
    a.apply_member_update(now, untagged(MemberState::Alive, 2));
    assert_eq!(tags_reported(&mut a), []);
    // Tags learned for a member held dead are kept, not reported: it is not back.
    let c_news = |state, tags: &Tags| MemberUpdate {
        id: NodeId::new("c").unwrap(),
        addr: SocketAddr::from(([127, 0, 0, 1], 3)),
        incarnation: 3,
        state,
        accuser: None,
        tags: tags.clone(),
    };
    a.apply_member_update(now, c_news(MemberState::Suspect, &Tags::none()));
    a.apply_member_update(now, c_news(MemberState::Dead, &Tags::none()));
    a.apply_member_update(now, c_news(MemberState::Alive, &web));
    assert_eq!(tags_reported(&mut a), []);
    assert_eq!(
        a.member_state(&NodeId::new("c").unwrap()),
        Some(MemberState::Dead)
    );
    // Dead, then reaped: the tags go with the member.
    a.apply_member_update(now, news(MemberState::Dead, 7, &Tags::none()));
    let later = now + a.config().reap_after + Duration::from_secs(1);
    a.handle_timeout(later);
    a.handle_timeout(later + a.config().probe_interval);
    assert_eq!(a.member_state(&b), None, "reaped");
    assert!(!a.membership.tags.contains_key(&b), "its tags are gone too");
}

/// A member's store summary is kept while it is in the table, an empty one not at all,
/// and it goes with the member when the member is reaped.
#[test]
fn a_peer_summary_is_kept_while_its_member_is_and_an_empty_one_never() {
    let now = Instant::ZERO;
    let mut a = node("a", 1);
    a.join(now, &[]);
    let b = NodeId::new("b").unwrap();
    let b_addr = SocketAddr::from(([127, 0, 0, 1], 2));
    a.apply_member_update(
        now,
        MemberUpdate {
            id: b.clone(),
            addr: b_addr,
            incarnation: 1,
            state: MemberState::Alive,
            accuser: None,
            tags: Tags::none(),
        },
    );
    a.handle_digest(b.clone(), VectorClock::default(), false, false);
    assert_eq!(a.anti_entropy.peer_summaries.len(), 0, "an empty summary");
    let mut summary = VectorClock::default();
    summary.observe(&ReplicaId::new(b.clone(), 9), 4);
    a.handle_digest(b.clone(), summary, false, false);
    assert_eq!(a.anti_entropy.peer_summaries.len(), 1);
    assert!(a.peer_summary_bytes() > 0);

    let death = MemberUpdate {
        state: MemberState::Dead,
        ..MemberUpdate::from(&a.membership.members.get(&b).unwrap())
    };
    a.apply_member_update(now, death);
    a.handle_timeout(now + a.config().probe_interval);
    assert_eq!(a.anti_entropy.peer_summaries.len(), 1, "dead, still held");
    let later = now + a.config().reap_after + Duration::from_secs(1);
    a.handle_timeout(later);
    a.handle_timeout(later + a.config().probe_interval);
    assert_eq!(a.member_state(&b), None, "reaped");
    assert_eq!(a.anti_entropy.peer_summaries.len(), 0, "reaped with it");
}

/// Runs `a` and `b`, wired to each other, until `until`; returns how many pings `a`
/// sent.
pub(super) fn run_pair(a: &mut Node, b: &mut Node, until: Instant) -> usize {
    let mut pings = 0;
    while let Some(now) = [a.poll_timeout(), b.poll_timeout()]
        .into_iter()
        .flatten()
        .min()
    {
        if now > until {
            break;
        }
        for node in [&mut *a, &mut *b] {
            if node.poll_timeout() == Some(now) {
                node.handle_timeout(now);
            }
        }
        let mut sent = Vec::new();
        while let Some(t) = a.poll_transmit() {
            pings += usize::from(t.kind == MessageKind::Ping);
            sent.push((true, t));
        }
        while let Some(t) = b.poll_transmit() {
            sent.push((false, t));
        }
        for (from_a, t) in sent {
            let (from, to) = if from_a {
                (&*a, &mut *b)
            } else {
                (&*b, &mut *a)
            };
            let from = from.addr();
            to.handle_packet(now, from, &t.payload).unwrap();
            // Replies go out on the next turn of the loop, at the same instant.
        }
    }
    pings
}

#[test]
fn a_running_node_takes_on_live_settings_and_refuses_the_others() {
    let (mut a, mut b) = joined_pair();
    let period = a.config().probe_interval;
    let span = period * 20;
    let before = run_pair(&mut a, &mut b, Instant::ZERO + span);
    assert!((19..=21).contains(&before), "one ping a period: {before}");

    let mut slower = a.config().clone();
    slower.probe_interval = period * 4;
    a.reconfigure(slower.clone()).unwrap();
    assert_eq!(a.config(), &slower);
    let after = run_pair(&mut a, &mut b, Instant::ZERO + span * 2);
    assert!(
        (4..=7).contains(&after),
        "one ping every four periods: {after}"
    );

    let mut fixed = slower.clone();
    fixed.mtu += 100;
    fixed.fanout += 1;
    let refused = a.reconfigure(fixed).unwrap_err().to_string();
    assert!(
        refused.contains("mtu") && !refused.contains("fanout"),
        "{refused}"
    );
    assert_eq!(a.config(), &slower, "nothing taken on");
    let mut invalid = slower.clone();
    invalid.probe_timeout = invalid.probe_interval * 2;
    assert!(a.reconfigure(invalid).is_err());
    assert_eq!(a.config(), &slower);
}

/// Push-pull is offered first: a member sends a fingerprint of its full state, and the
/// peer starts the exchange only when its own full state differs. Both then hold the
/// union; a member that left answers an offer with its departure.
#[test]
fn push_pull_exchanges_full_states_only_when_their_fingerprints_differ() {
    let now = Instant::ZERO;
    let (mut a, mut b) = joined_pair();
    let sent = |node: &mut Node| -> Vec<(SocketAddr, MessageKind)> {
        std::iter::from_fn(|| node.poll_transmit())
            .map(|t| (t.to, t.kind))
            .collect()
    };
    sent(&mut a);
    sent(&mut b);
    assert_eq!(a.full_state_fingerprint(), b.full_state_fingerprint());

    // a takes tags; the news rides on its offer, so b holds them by the time it compares.
    a.set_tags(Tags::new([("role", "web")]).unwrap());
    a.push_pull();
    assert_eq!(
        a.transmits
            .iter()
            .map(|t| (t.to, t.kind))
            .collect::<Vec<_>>(),
        [(b.addr(), MessageKind::SyncOffer)]
    );
    deliver(now, &mut a, &mut b);
    assert_eq!(b.member_tags(a.id()), Some(a.tags()));
    assert_eq!(sent(&mut b), [], "the same full state: nothing to exchange");

    // a hears of c, suspected (so that b stays a's only live peer); b does not.
    let c = NodeId::new("c").unwrap();
    a.apply_member_update(
        now,
        MemberUpdate {
            id: c.clone(),
            addr: SocketAddr::from(([127, 0, 0, 1], 3)),
            incarnation: 4,
            state: MemberState::Suspect,
            accuser: None,
            tags: Tags::none(),
        },
    );
    sent(&mut a);
    // The news has been piggybacked all it will be, and b missed it.
    a.broadcasts = BroadcastQueue::default();
    assert_ne!(a.full_state_fingerprint(), b.full_state_fingerprint());
    a.push_pull();
    assert_eq!(
        converse(now, &mut a, &mut b),
        [
            (true, MessageKind::SyncOffer),
            (false, MessageKind::Ping),
            (true, MessageKind::Ack),
            (false, MessageKind::Sync),
            (true, MessageKind::Sync),
        ],
        "b checks a's address, sends its full state asking for a's, and a, which \
         invited it, answers at once"
    );
    assert_eq!(b.member_state(&c), Some(MemberState::Suspect));
    assert_eq!(a.full_state_fingerprint(), b.full_state_fingerprint());
    sent(&mut b);

    b.leave(now);
    sent(&mut b);
    a.push_pull();
    deliver(now, &mut a, &mut b);
    deliver(now, &mut b, &mut a);
    assert_eq!(a.member_state(b.id()), Some(MemberState::Left));
}

/// A ping relayed for another goes wherever a ping-req says, and anyone can forge one:
/// its ack proves nothing, and a request from that address is still checked.
#[test]
fn the_ack_of_a_ping_relayed_on_a_ping_req_proves_nothing() {
    let now = Instant::ZERO;
    let (mut a, _b) = joined_pair();
    while a.poll_transmit().is_some() {}
    let victim = SocketAddr::from(([192, 0, 2, 9], 7946));
    let name = NodeId::new("victim").unwrap();
    let forged = |message: Message| datagram_from(&name, message);
    let requester = SocketAddr::from(([192, 0, 2, 10], 7946));
    let ping_req = forged(Message::PingReq {
        seq: 1,
        target: name.clone(),
        target_addr: victim,
        nack: false,
    });
    a.handle_packet(now, requester, &ping_req).unwrap();
    let relayed = a
        .poll_transmit()
        .expect("a pings the victim for the requester");
    assert_eq!((relayed.to, relayed.kind), (victim, MessageKind::Ping));
    let Message::Ping { seq, .. } = wire::decode(&relayed.payload).unwrap().message else {
        panic!("a ping");
    };
    a.handle_packet(now, victim, &forged(Message::Ack { seq }))
        .unwrap();
    while a.poll_transmit().is_some() {}

    a.handle_packet(now, victim, &forged(Message::SyncOffer { fingerprint: 1 }))
        .unwrap();
    let answers: Vec<MessageKind> = std::iter::from_fn(|| a.poll_transmit())
        .map(|t| t.kind)
        .collect();
    assert_eq!(answers, [MessageKind::Ping], "checked, not answered");
}

/// News rides only to members' addresses. A ping forged from a bystander's address,
/// or a ping-req naming one, sends the bystander no more than the forgery's size,
/// however much news waits, and a forged digest nothing; a member's ping is answered
/// with the news, and its digest with deltas.
#[test]
fn news_rides_only_to_members_so_a_forgery_is_answered_no_larger() {
    let now = Instant::ZERO;
    let (mut a, b) = joined_pair();
    a.put(now, "key", &"v".repeat(400)).unwrap();
    while a.poll_transmit().is_some() {}
    let bystander = SocketAddr::from(([192, 0, 2, 7], 7946));
    let claimed = NodeId::new("claimed").unwrap();
    let sent_for = |a: &mut Node, from: SocketAddr, request: &[u8], kind: MessageKind| {
        a.handle_packet(now, from, request).unwrap();
        let sent: Vec<Transmit> = std::iter::from_fn(|| a.poll_transmit()).collect();
        sent.into_iter()
            .find(|t| t.kind == kind)
            .unwrap_or_else(|| panic!("no {kind:?} for the request"))
    };

    let ping = |target: &NodeId| Message::Ping {
        seq: 1,
        target: target.clone(),
        store_fingerprint: 0,
    };
    let forged_ping = datagram_from(&claimed, ping(a.id()));
    let ack = sent_for(&mut a, bystander, &forged_ping, MessageKind::Ack);
    assert_eq!(ack.to, bystander);
    assert!(ack.payload.len() <= forged_ping.len(), "{ack:?}");

    let relay_to_bystander = datagram_from(
        &claimed,
        Message::PingReq {
            seq: 2,
            target: claimed.clone(),
            target_addr: bystander,
            nack: false,
        },
    );
    let requester = SocketAddr::from(([192, 0, 2, 10], 7946));
    let relayed = sent_for(&mut a, requester, &relay_to_bystander, MessageKind::Ping);
    assert_eq!(relayed.to, bystander);
    assert!(
        relayed.payload.len() <= relay_to_bystander.len(),
        "{relayed:?}"
    );

    let about_itself = datagram_from(
        &claimed,
        Message::PingReq {
            seq: 3,
            target: a.id().clone(),
            target_addr: a.addr(),
            nack: false,
        },
    );
    let ack = sent_for(&mut a, bystander, &about_itself, MessageKind::Ack);
    assert!(ack.payload.len() <= about_itself.len(), "{ack:?}");

    let from_member = datagram_from(b.id(), ping(a.id()));
    let ack = sent_for(&mut a, b.addr(), &from_member, MessageKind::Ack);
    assert!(
        ack.payload.len() > 400,
        "the member hears the news: {ack:?}"
    );

    // Anti-entropy answers members alone: a digest asking for deltas and a digest
    // back draws nothing at a bystander, and what the member asks it gets.
    let digest = |from: &NodeId| {
        datagram_from(
            from,
            Message::Digest {
                summary: VectorClock::default(),
                send_deltas: true,
                send_digest: true,
            },
        )
    };
    a.handle_packet(now, bystander, &digest(&claimed)).unwrap();
    assert_eq!(a.poll_transmit(), None, "nothing for the bystander");
    let deltas = sent_for(&mut a, b.addr(), &digest(b.id()), MessageKind::Deltas);
    assert!(deltas.payload.len() > 400, "{deltas:?}");
    // A forged ping's store fingerprint that differs from a's draws no digest either.
    a.handle_packet(now, bystander, &forged_ping).unwrap();
    while a.poll_transmit().is_some() {}
    let later = now + a.config().sync_interval * 2;
    a.handle_timeout(later);
    let sent: Vec<Transmit> = std::iter::from_fn(|| a.poll_transmit()).collect();
    assert!(sent.iter().all(|t| t.to != bystander), "{sent:?}");
}

/// Answers larger than their request go to the address held for the member the
/// request names, not to its source: a member whose datagrams leave from another
/// address than the one it advertises (NAT) is answered where it listens, a forgery
/// naming a member draws nothing at the bystander. And a member held suspect hears its
/// suspicion on the ack to any ping, wherever it pings from (restarted elsewhere).
#[test]
fn answers_go_where_the_sender_is_held_and_its_suspicion_rides_on_every_ack() {
    let now = Instant::ZERO;
    let (mut a, b) = joined_pair();
    a.put(now, "key", &"v".repeat(400)).unwrap();
    while a.poll_transmit().is_some() {}
    let elsewhere = SocketAddr::from(([192, 0, 2, 20], 40_000));
    let answers = |a: &mut Node, request: &[u8]| -> Vec<Transmit> {
        a.handle_packet(now, elsewhere, request).unwrap();
        std::iter::from_fn(|| a.poll_transmit()).collect()
    };

    let digest = datagram_from(
        b.id(),
        Message::Digest {
            summary: VectorClock::default(),
            send_deltas: true,
            send_digest: true,
        },
    );
    let sent = answers(&mut a, &digest);
    let kinds: Vec<(SocketAddr, MessageKind)> = sent.iter().map(|t| (t.to, t.kind)).collect();
    assert_eq!(
        kinds,
        [
            (b.addr(), MessageKind::Deltas),
            (b.addr(), MessageKind::Digest)
        ]
    );
    let pull = datagram_from(b.id(), Message::RumorPull);
    let sent = answers(&mut a, &pull);
    assert!(
        !sent.is_empty() && sent.iter().all(|t| t.to == b.addr()),
        "{sent:?}"
    );
    let stranger = NodeId::new("stranger").unwrap();
    assert!(answers(&mut a, &datagram_from(&stranger, Message::RumorPull)).is_empty());

    // b is suspected here; it pings from a new address, not held: the ack carries its
    // suspicion (and nothing else), and b refutes.
    let suspicion = MemberUpdate {
        id: b.id().clone(),
        addr: b.addr(),
        incarnation: 0,
        state: MemberState::Suspect,
        accuser: Some(a.id().clone()),
        tags: Tags::none(),
    };
    a.apply_member_update(now, suspicion);
    while a.poll_transmit().is_some() {}
    let ping = datagram_from(
        b.id(),
        Message::Ping {
            seq: 9,
            target: a.id().clone(),
            store_fingerprint: 0,
        },
    );
    let ack = answers(&mut a, &ping)
        .into_iter()
        .find(|t| t.kind == MessageKind::Ack)
        .expect("acked");
    assert_eq!(ack.to, elsewhere);
    let packet = wire::decode(&ack.payload).unwrap();
    let charged: Vec<(&NodeId, MemberState)> = packet
        .updates
        .iter()
        .filter_map(|u| match u {
            Update::Member(m) => Some((&m.id, m.state)),
            Update::Kv(_) | Update::User(_) => None,
        })
        .collect();
    assert_eq!(charged, [(b.id(), MemberState::Suspect)]);
    assert_eq!(
        packet.updates.len(),
        1,
        "the value stays for held addresses"
    );
}

/// A check that passes after the node left is answered with the departure alone: the
/// table of a member that left is going stale.
#[test]
fn a_check_passed_after_leaving_gets_the_departure_only() {
    let now = Instant::ZERO;
    let mut seed = node("seed", 1);
    let mut joiner = node("joiner", 2);
    seed.join(now, &[]);
    joiner.join(now, &[seed.addr()]);
    deliver(now, &mut joiner, &mut seed);
    let check = seed.poll_transmit().expect("the check");
    assert_eq!(check.kind, MessageKind::Ping);
    seed.leave(now);
    while seed.poll_transmit().is_some() {}
    joiner
        .handle_packet(now, seed.addr(), &check.payload)
        .unwrap();
    deliver(now, &mut joiner, &mut seed);
    let answers: Vec<Transmit> = std::iter::from_fn(|| seed.poll_transmit()).collect();
    let [answer] = answers.as_slice() else {
        panic!("one datagram: {answers:?}");
    };
    let Message::Sync { members, .. } = wire::decode(&answer.payload).unwrap().message else {
        panic!("a share: {answer:?}");
    };
    assert_eq!(
        members
            .iter()
            .map(|m| (m.id.as_str(), m.state))
            .collect::<Vec<_>>(),
        [("seed", MemberState::Left)]
    );
}

/// A member whose address acked one of this node's probes, however late, has shown it
/// receives this node's datagrams: its push-pull offer is answered without a check.
#[test]
fn an_offer_from_an_address_that_acked_a_probe_is_answered_without_a_check() {
    let (mut a, mut b) = joined_pair();
    let t1 = Instant::ZERO + b.config().probe_interval;
    b.handle_timeout(t1);
    let probe = std::iter::from_fn(|| b.poll_transmit())
        .find(|t| t.kind == MessageKind::Ping)
        .expect("b probes a");
    a.handle_packet(t1, b.addr(), &probe.payload).unwrap();
    // The ack comes two periods late.
    let late = t1 + b.config().probe_interval * 2;
    b.handle_timeout(late);
    let ack = std::iter::from_fn(|| a.poll_transmit())
        .find(|t| t.kind == MessageKind::Ack)
        .expect("a acks");
    b.handle_packet(late, a.addr(), &ack.payload).unwrap();
    while b.poll_transmit().is_some() {}

    a.set_tags(Tags::new([("role", "web")]).unwrap());
    a.broadcasts = BroadcastQueue::default();
    a.push_pull();
    assert_eq!(
        converse(late, &mut a, &mut b),
        [
            (true, MessageKind::SyncOffer),
            (false, MessageKind::Sync),
            (true, MessageKind::Sync),
        ]
    );
    assert_eq!(b.member_tags(a.id()), Some(a.tags()));
}

#[cfg(not(target_arch = "wasm32"))]
mod full_state_in_place {
    use super::*;
    use crate::wire::full_state::SyncView;
    use proptest::prelude::*;

    /// News about a handful of members, the receiver ("a") among them, so that shares
    /// overlap what the receiver holds.
    fn news() -> impl Strategy<Value = MemberUpdate> {
        (
            prop::sample::select(vec!["a", "b", "c", "d", "e", "f"]),
            1u16..4,
            0u32..4,
            0usize..4,
            proptest::option::weighted(0.2, prop::sample::select(vec!["b", "c", "z"])),
            proptest::option::weighted(0.2, "[a-z]{1,3}"),
        )
            .prop_map(
                |(name, port, incarnation, state, accuser, tag)| MemberUpdate {
                    id: NodeId::new(name).unwrap(),
                    addr: SocketAddr::from(([10, 0, 0, 1], port)),
                    incarnation,
                    state: MemberState::ALL[state],
                    accuser: accuser.map(|a| NodeId::new(a).unwrap()),
                    tags: tag.map_or(Tags::none(), |t| Tags::new([("role", t)]).unwrap()),
                },
            )
    }

    fn share(members: Vec<MemberUpdate>, reply: bool) -> Vec<u8> {
        wire::encode(&Packet {
            from: NodeId::new("z").unwrap(),
            message: Message::Sync { members, reply },
            updates: vec![],
        })
    }

    /// The plain definition of receiving a full-state share: decode it, then apply every
    /// entry as news (a "dead" about a member held active only raising a suspicion),
    /// then answer.
    fn merge_plainly(node: &mut Node, now: Instant, from: SocketAddr, bytes: &[u8]) {
        let packet = wire::decode(bytes).unwrap();
        node.stats.received.count(MessageKind::Sync, bytes.len());
        let Message::Sync { members, reply } = packet.message else {
            panic!("a full-state share");
        };
        for mut member in members {
            let held_active = node
                .membership
                .members
                .get(&member.id)
                .is_some_and(|m| m.state.is_active());
            if member.state == MemberState::Dead && held_active {
                member.state = MemberState::Suspect;
            }
            node.apply_member_update(now, member);
        }
        node.answer_full_state(now, from, &packet.from, reply);
        node.after_packet(now, from);
    }

    /// A node named "a" with `config` that heard `news` in a share, in order (then, with
    /// `reaped`, let suspicions run out and reaped the dead: forgotten members), and the
    /// time it got to.
    fn heard_with(config: Config, news: Vec<MemberUpdate>, reaped: bool) -> (Node, Instant) {
        let from = SocketAddr::from(([10, 0, 0, 9], 1));
        let mut now = Instant::ZERO;
        let mut node = Node::new(
            NodeId::new("a").unwrap(),
            SocketAddr::from(([10, 0, 0, 1], 7)),
            config,
            1,
        )
        .unwrap();
        node.join(now, &[]);
        let first = share(news, false);
        node.handle_decoded(now, from, wire::decode(&first).unwrap(), first.len());
        if reaped {
            now += Duration::from_secs(120);
            node.handle_timeout(now);
            now += node.config().reap_after + Duration::from_secs(1);
            node.handle_timeout(now);
        }
        (node, now)
    }

    /// [`heard_with`] the demo settings, the node alone.
    fn hearing(news: Vec<MemberUpdate>, reaped: bool) -> Node {
        heard_with(Config::demo(), news, reaped).0
    }

    /// Every entry of `node`'s full state as its share carries it, decoded and sorted.
    fn full_state_entries(node: &mut Node) -> Vec<String> {
        while node.poll_transmit().is_some() {}
        node.send_full_state(SocketAddr::from(([10, 0, 0, 9], 1)), false);
        let mut entries: Vec<String> = std::iter::from_fn(|| node.poll_transmit())
            .flat_map(
                |transmit| match wire::decode(&transmit.payload).unwrap().message {
                    Message::Sync { members, .. } => members,
                    other => panic!("a full-state share, not {other:?}"),
                },
            )
            .map(|member| format!("{member:?}"))
            .collect();
        entries.sort();
        entries
    }

    /// What a fingerprint counts is what a share carries: tags only while their member
    /// is held alive at their incarnation, and a member forgotten on one side as the dead
    /// member the other still holds.
    #[test]
    fn fingerprints_count_what_a_share_carries() {
        let x = |state, tags| MemberUpdate {
            id: NodeId::new("x").unwrap(),
            addr: SocketAddr::from(([10, 0, 0, 1], 2)),
            incarnation: 0,
            state,
            accuser: None,
            tags,
        };
        let tagged = Tags::new([("role", "db")]).unwrap();
        let mut heard_tags = hearing(
            vec![
                x(MemberState::Alive, tagged),
                x(MemberState::Suspect, Tags::none()),
            ],
            false,
        );
        let mut only_suspect = hearing(vec![x(MemberState::Suspect, Tags::none())], false);
        assert_eq!(
            full_state_entries(&mut heard_tags),
            full_state_entries(&mut only_suspect)
        );
        assert_eq!(
            heard_tags.full_state_fingerprint(),
            only_suspect.full_state_fingerprint()
        );

        let mut forgot = hearing(vec![x(MemberState::Suspect, Tags::none())], true);
        let mut holds_dead = only_suspect;
        holds_dead.handle_timeout(Instant::ZERO + Duration::from_secs(120));
        assert_eq!(
            holds_dead.member_state(&NodeId::new("x").unwrap()),
            Some(MemberState::Dead)
        );
        assert_eq!(forgot.member_state(&NodeId::new("x").unwrap()), None);
        assert_eq!(
            full_state_entries(&mut forgot),
            full_state_entries(&mut holds_dead)
        );
        assert_eq!(
            forgot.full_state_fingerprint(),
            holds_dead.full_state_fingerprint()
        );
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(400))]

        /// Two full-state fingerprints are equal exactly when the two shares carry the
        /// same entries, whatever order each node learned them in.
        #[test]
        fn fingerprints_agree_exactly_when_full_states_do(
            news in proptest::collection::vec(news(), 0..10),
            other in proptest::collection::vec(news(), 0..10),
            reaped in any::<bool>(),
            other_reaped in any::<bool>(),
            alike in 0..4,
            tweak in (any::<prop::sample::Index>(), 0..3),
        ) {
            let mut first = hearing(news.clone(), reaped);
            let other = match alike {
                0 => news,
                1 => news.into_iter().rev().collect(),
                // One field of one piece of news otherwise.
                2 if !news.is_empty() => {
                    let mut news = news;
                    let at = tweak.0.index(news.len());
                    let member = &mut news[at];
                    match tweak.1 {
                        0 => member.addr.set_port(member.addr.port() % 3 + 1),
                        1 => {
                            // Another value of the same length.
                            let len = member.tags.iter().next().map_or(1, |(_, v)| v.len());
                            let other = if member.tags.iter().any(|(_, v)| v.starts_with('x')) { "y" } else { "x" };
                            member.tags = Tags::new([("role", other.repeat(len))]).unwrap();
                        }
                        _ => member.incarnation += 1,
                    }
                    news
                }
                _ => other,
            };
            let mut second = hearing(other, other_reaped);
            let same = full_state_entries(&mut first) == full_state_entries(&mut second);
            prop_assert_eq!(first.full_state_fingerprint() == second.full_state_fingerprint(), same);
        }

        /// A full-state share merged in place, old news skipped, leaves the node exactly
        /// as the same share decoded and applied entry by entry does: the same table,
        /// suspicions, tags, news to spread, events, replies and statistics.
        #[test]
        fn changes_the_node_as_decoding_it_does(
            before in proptest::collection::vec(news(), 0..12),
            reaped in any::<bool>(),
            members in proptest::collection::vec(news(), 0..12),
            reply in any::<bool>(),
            lifeguard in any::<bool>(),
        ) {
            let from = SocketAddr::from(([10, 0, 0, 9], 1));
            let config = Config {
                // With Lifeguard, a suspicion repeated by another accuser is news.
                lifeguard: if lifeguard { crate::Lifeguard::ON } else { crate::Lifeguard::OFF },
                ..Config::demo()
            };
            let (node, now) = heard_with(config, before, reaped);
            let bytes = share(members, reply);
            prop_assert!(SyncView::parse(&bytes).is_some());
            let mut in_place = node.clone();
            in_place.handle_packet(now, from, &bytes).unwrap();
            let mut plain = node;
            merge_plainly(&mut plain, now, from, &bytes);
            prop_assert_eq!(format!("{in_place:?}"), format!("{plain:?}"));
        }
    }
}

/// Reconnecting to a member held dead (or reaped while dead and still tried) checks the
/// address first, since others told of it: where nobody answers (a forged address) it
/// gets one ping, no larger than a request; a member that is back answers, is sent the
/// full state, and refutes.
#[test]
fn reconnecting_to_the_dead_sends_the_table_once_the_address_answers() {
    let now = Instant::ZERO;
    let mut lone = node("lone", 1);
    lone.join(now, &[]);
    let ghost = hold(&mut lone, "ghost", 9, MemberState::Alive);
    hold(&mut lone, "ghost", 9, MemberState::Dead);
    while lone.poll_transmit().is_some() {}
    lone.reconnect(now);
    let sent: Vec<Transmit> = std::iter::from_fn(|| lone.poll_transmit()).collect();
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_eq!(sent[0].kind, MessageKind::Ping);
    assert_eq!(sent[0].to.port(), 9);
    assert!(
        sent[0].payload.len() < 64,
        "{} bytes",
        sent[0].payload.len()
    );
    assert_eq!(lone.member_state(&ghost), Some(MemberState::Dead));

    // Reaped while dead, and still tried: checked the same way.
    let later = now + Config::demo().reap_after + Duration::from_millis(1);
    lone.reap(later);
    assert!(lone.membership.lost.contains_key(&ghost), "still tried");
    assert_eq!(lone.member_state(&ghost), None, "reaped");
    while lone.poll_transmit().is_some() {}
    lone.reconnect(later + Duration::from_secs(60));
    let sent: Vec<Transmit> = std::iter::from_fn(|| lone.poll_transmit()).collect();
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_eq!((sent[0].kind, sent[0].to.port()), (MessageKind::Ping, 9));

    // b acked a probe of a's a moment before it was held dead: an ack from before the
    // death proves nothing of who answers at b's address now.
    let (mut a, mut b) = joined_pair();
    let now = now + Config::demo().probe_interval;
    a.handle_timeout(now);
    assert!(deliver(now, &mut a, &mut b) >= 1, "a probes b");
    assert!(deliver(now, &mut b, &mut a) >= 1, "b acks");
    let dead = MemberUpdate {
        id: b.id().clone(),
        addr: b.addr(),
        incarnation: b.incarnation(),
        state: MemberState::Dead,
        accuser: None,
        tags: Tags::none(),
    };
    a.apply_member_update(now, dead);
    while a.poll_transmit().is_some() {}
    a.reconnect(now);
    let kinds = converse(now, &mut a, &mut b);
    assert_eq!(
        kinds[..3],
        [
            (true, MessageKind::Ping),
            (false, MessageKind::Ack),
            (true, MessageKind::Sync)
        ],
        "{kinds:?}"
    );
    assert_eq!(
        a.member_state(b.id()),
        Some(MemberState::Alive),
        "{kinds:?}"
    );
}

/// Reconnecting to the dead (Serf's `reconnect`): a member tries with probability
/// dead / alive (itself counted), so that a large cluster reaches one crashed member
/// about once an interval instead of every member sending it its whole table; with at
/// least as many dead as alive, every member tries every time. Members that left are
/// never tried. A try is a ping that checks the dead member's address (nobody answers
/// here), which a full state would follow.
#[test]
fn members_reconnect_to_the_dead_in_proportion_to_how_many_are_dead() {
    let seed = 3;
    println!("seed {seed}");
    let config = Config {
        // No push-pulls, anti-entropy, deaths or reaping in the 4,000 s watched: only
        // reconnecting, and probes of the alive, whose failures leave them suspect. A
        // probe period as long as a reconnect interval lets each try ping again a dead
        // member whose last check went unanswered.
        probe_interval: Config::demo().reconnect_interval,
        suspicion_timeout: Duration::from_secs(7_200),
        reap_after: Duration::from_secs(36_000),
        tombstone_grace: Duration::from_secs(36_000),
        push_pull_interval: Duration::from_secs(7_200),
        sync_interval: Duration::from_secs(7_200),
        ..Config::demo()
    };
    let at = |i: u16| SocketAddr::from(([127, 0, 0, 2], i));
    // 20 others: ports 1..=dead dead, the next `left` left, the rest alive.
    let count_reconnections = |dead: u16, left: u16| {
        let mut node = Node::new(NodeId::new("me").unwrap(), at(0), config.clone(), seed).unwrap();
        let members = (1..=20).map(|i| MemberUpdate {
            id: NodeId::new(&format!("m{i}")).unwrap(),
            addr: at(i),
            incarnation: 0,
            state: match i {
                i if i <= dead => MemberState::Dead,
                i if i <= dead + left => MemberState::Left,
                _ => MemberState::Alive,
            },
            accuser: None,
            tags: Tags::none(),
        });
        node.restore_members(Instant::ZERO, MemberSnapshot::from_updates(members));
        node.join(Instant::ZERO, &[]);
        let mut now = Instant::ZERO;
        let mut to_the_dead = 0;
        for _ in 0..400 {
            now += node.config().reconnect_interval;
            node.handle_timeout(now);
            while let Some(transmit) = node.poll_transmit() {
                let port = transmit.to.port();
                if (1..=dead).contains(&port) {
                    assert_eq!(transmit.kind, MessageKind::Ping, "a check first");
                    to_the_dead += 1;
                }
                assert!(
                    !(dead + 1..=dead + left).contains(&port),
                    "{:?} to a member that left",
                    transmit.kind
                );
            }
        }
        to_the_dead
    };
    // 1 dead, 19 others alive and this node: p = 1/20, about 20 of 400.
    let one = count_reconnections(1, 0);
    assert!((10..=32).contains(&one), "{one} of 400");
    // 1 dead, 3 left, 16 alive and this node: p = 1/17, about 24 of 400.
    let with_left = count_reconnections(1, 3);
    assert!((12..=38).contains(&with_left), "{with_left} of 400");
    // 10 dead, 10 alive and this node: p = 10/11, about 364 of 400.
    let ten = count_reconnections(10, 0);
    assert!((340..=390).contains(&ten), "{ten} of 400");
    // More dead than alive, or all of them: every time.
    assert_eq!(count_reconnections(15, 0), 400);
    assert_eq!(count_reconnections(20, 0), 400);
}

/// A node with a registry of its own (an agent) does not keep every name it ever heard
/// of: members come, die and are reaped, round after round, and the registry holds
/// about what the table holds, while the node goes on finding its members.
#[test]
fn an_own_registry_forgets_the_names_reaping_left_behind() {
    let (mut a, mut b) = joined_pair();
    let c_addr = SocketAddr::from(([127, 0, 0, 1], 3));
    let mut now = Instant::ZERO;
    let mut most = 0;
    for round in 0..40u16 {
        // Heard of alive from one peer, then of dead.
        let ghosts = |state| {
            (0..25).map(move |i| MemberUpdate {
                id: NodeId::new(&format!("ghost-{round}-{i}")).unwrap(),
                addr: SocketAddr::from(([10, 0, (round % 250) as u8, 1], 7000 + i)),
                incarnation: 0,
                state,
                accuser: None,
                tags: Tags::none(),
            })
        };
        let sync = Packet {
            from: NodeId::new("c").unwrap(),
            message: Message::Sync {
                members: ghosts(MemberState::Alive).collect(),
                reply: false,
            },
            updates: Vec::new(),
        };
        a.handle_packet(now, c_addr, &wire::encode(&sync)).unwrap();
        let deaths = Packet {
            from: NodeId::new("c").unwrap(),
            message: Message::Gossip,
            updates: ghosts(MemberState::Dead).map(Update::Member).collect(),
        };
        a.handle_packet(now, c_addr, &wire::encode(&deaths))
            .unwrap();
        let dead = a.members().filter(|m| m.state == MemberState::Dead);
        assert_eq!(dead.count(), 25, "round {round}: the ghosts are held dead");
        now += a.config().reap_after + a.config().probe_interval;
        a.handle_timeout(now);
        // b answers, so that it stays alive.
        while deliver(now, &mut a, &mut b) + deliver(now, &mut b, &mut a) > 0 {}
        most = most.max(a.registry_footprint().0);
    }
    let held: Vec<String> = a.members().map(|m| m.id.to_string()).collect();
    assert!(held.iter().all(|id| !id.starts_with("ghost")), "{held:?}");
    assert_eq!(a.member_state(b.id()), Some(MemberState::Alive));
    // 40 rounds of 25 ghosts: 3,000 names, addresses and pairs without renumbering.
    assert!(most < 600, "the registry grew to {most} entries");
}

/// A node restored from another node's table (a different registry, as between two
/// agents) numbers that table in its own registry, which its peer summaries share:
/// collecting a tombstone asks the summaries about the table's members by number.
#[test]
fn a_table_restored_from_another_registry_is_numbered_in_the_nodes_own() {
    let (a, _) = joined_pair();
    // Members are still held (suspect or dead, not reaped) past the tombstone's grace.
    let config = Config {
        suspicion_timeout: Duration::from_secs(600),
        reap_after: Duration::from_secs(600),
        tombstone_grace: Duration::from_secs(600),
        ..Config::demo()
    };
    let c_addr = SocketAddr::from(([127, 0, 0, 1], 3));
    let mut c = Node::new(NodeId::new("c").unwrap(), c_addr, config, 1).unwrap();
    c.restore_members(Instant::ZERO, a.member_snapshot());
    c.join(Instant::ZERO, &[]);
    assert_eq!(c.members().count(), 2, "a and b");
    c.put(Instant::ZERO, "k", "v").unwrap();
    c.delete(Instant::ZERO, "k").unwrap();
    let mut now = Instant::ZERO;
    let until = Instant::ZERO + c.config().tombstone_grace + Duration::from_secs(100);
    while now < until {
        now += c.config().probe_interval;
        c.handle_timeout(now);
        while c.poll_transmit().is_some() {}
    }
    assert_eq!(c.members().count(), 2, "a and b, still held");
    assert!(
        c.store()
            .versions("k")
            .is_some_and(|v| v.iter().all(Version::is_tombstone)),
        "members that never reported a summary hold no tombstone: it stays"
    );
}

/// A second process using a member's name never takes its place: its claims, at any
/// incarnation, and its departure are dropped while the member held runs, and each
/// claim is reported once; only a member found dead moves to a new address.
#[test]
fn a_name_claimed_from_a_second_address_is_reported_once_and_the_held_one_kept() {
    let (mut a, _b) = joined_pair();
    let mut impostor = node("b", 3);
    let (held, claimed) = (SocketAddr::from(([127, 0, 0, 1], 2)), impostor.addr());
    let now = Instant::ZERO + Duration::from_millis(10);
    let conflicts = |node: &mut Node| -> Vec<Event> {
        std::iter::from_fn(|| node.poll_event())
            .filter(|e| matches!(e, Event::NameConflict { .. }))
            .collect()
    };
    // The second "b" joins through a: each hears the other's claim in a full state,
    // a hears it twice.
    impostor.join(now, &[a.addr()]);
    let share = impostor.poll_transmit().expect("a full state for its seed");
    for _ in 0..2 {
        a.handle_packet(now, impostor.addr(), &share.payload)
            .unwrap();
    }
    // a checks the newcomer's address, then sends its full state.
    converse(now, &mut a, &mut impostor);
    let id = NodeId::new("b").unwrap();
    assert_eq!(
        conflicts(&mut a),
        vec![Event::NameConflict {
            id: id.clone(),
            held,
            claimed,
        }],
        "a member sees the name claimed from a second address, once"
    );
    assert_eq!(
        conflicts(&mut impostor),
        vec![Event::NameConflict {
            id: id.clone(),
            held: claimed,
            claimed: held,
        }],
        "and so does the newcomer, about its own name"
    );
    let held_at = |a: &Node| a.members().find(|m| m.id == id).map(|m| m.addr);
    assert_eq!(held_at(&a), Some(held), "the address held is kept");
    assert_eq!(impostor.incarnation(), 0, "the newcomer does not refute it");

    // The same claim as gossip, one incarnation higher, and the newcomer's departure:
    // none is reported again, and none moves b or makes it seem to have left.
    let claim = |incarnation, state| MemberUpdate {
        id: id.clone(),
        addr: claimed,
        incarnation,
        state,
        accuser: None,
        tags: Tags::none(),
    };
    a.apply_member_update(now, claim(0, MemberState::Alive));
    a.apply_member_update(now, claim(1, MemberState::Alive));
    a.apply_member_update(now, claim(1, MemberState::Left));
    assert_eq!(conflicts(&mut a), vec![]);
    assert_eq!(held_at(&a), Some(held), "b stays where it runs");
    assert_eq!(a.member_state(&id), Some(MemberState::Alive));

    // Once the b held is found dead, a member by that name elsewhere is a restart
    // there: its refutation moves b.
    let mut dead = claim(0, MemberState::Dead);
    dead.addr = held;
    a.apply_member_update(now, dead);
    a.apply_member_update(now, claim(1, MemberState::Alive));
    assert_eq!(held_at(&a), Some(claimed), "a dead member moves");
    assert_eq!(a.member_state(&id), Some(MemberState::Alive));
}

/// `a`'s state after writing `k = v`, with an incarnation to recognise.
fn state_with_one_key() -> (Node, PersistedState) {
    let mut before = node("a", 1);
    before.put(Instant::ZERO, "k", "v").unwrap();
    let mut state = before.persisted();
    state.incarnation = 3;
    (before, state)
}

/// `node` holding `name` (at `port`) in `state`, as news from the cluster would have it.
fn hold(node: &mut Node, name: &str, port: u16, state: MemberState) -> NodeId {
    let id = NodeId::new(name).unwrap();
    node.apply_member_update(
        Instant::ZERO,
        MemberUpdate {
            id: id.clone(),
            addr: SocketAddr::from(([127, 0, 0, 1], port)),
            incarnation: 0,
            state,
            accuser: None,
            tags: Tags::none(),
        },
    );
    id
}

fn taken_back(node: &mut Node) -> Vec<Event> {
    std::iter::from_fn(|| node.poll_event())
        .filter(|e| matches!(e, Event::StoreTakenBack { .. }))
        .collect()
}

/// A persisted state comes back whole unless the node last heard from the cluster
/// `tombstone_grace` ago or more; then its store is held aside, and the node writes as
/// another writer (even where the seed drew the old writer's epoch again).
#[test]
fn a_state_away_for_the_tombstone_grace_has_its_store_held_aside() {
    let (before, state) = state_with_one_key();
    let grace = Config::demo().tombstone_grace;
    for away in [
        None,
        Some(Duration::ZERO),
        Some(grace - Duration::from_millis(1)),
    ] {
        let mut again = node("a", 1);
        assert_eq!(again.restore(state.clone(), away), Restored::Whole);
        assert_eq!(again.replica(), before.replica(), "{away:?}");
        assert_eq!(again.store().get("k"), Some("v"), "{away:?}");
        assert_eq!(again.incarnation(), 3);
        assert!(!again.holds_store_aside());
    }
    for away in [grace, grace * 10] {
        let mut again = node("a", 1);
        assert_eq!(
            again.replica(),
            before.replica(),
            "the same seed, the same epoch"
        );
        assert_eq!(
            again.restore(state.clone(), Some(away)),
            Restored::Aside { keys: 1 }
        );
        assert_ne!(again.replica(), before.replica(), "{away}");
        assert_eq!(again.store().len(), 0);
        assert_eq!(again.incarnation(), 3);
        assert!(again.holds_store_aside());
        // Saved meanwhile, it is still aside after the next restart, however soon.
        let saved = again.persisted();
        assert!(saved.aside.is_some());
        let mut third = node("a", 1);
        assert_eq!(third.restore(saved, None), Restored::Aside { keys: 1 });
        assert_eq!(third.replica(), again.replica(), "this life's writer");
    }
}

/// The store aside comes back once the node's summary covers the one its peer (here
/// the only member, as after a whole cluster restarted) reported: a version the cluster
/// covers but no longer holds (a key deleted, its tombstone collected) stays out; with a
/// peer that knows nothing, everything comes back and spreads from here.
#[test]
fn the_store_aside_comes_back_without_what_the_cluster_deleted_and_forgot() {
    let (before, state) = state_with_one_key();
    let grace = Config::demo().tombstone_grace;
    let now = Instant::ZERO;

    let mut forgot = node("a", 1);
    forgot.restore(state.clone(), Some(grace));
    let mut peer_summary = VectorClock::default();
    peer_summary.observe(before.replica(), 1);
    let peer = hold(&mut forgot, "b", 2, MemberState::Alive);
    forgot.catch_up_with(now, Some((&peer, &peer_summary)));
    assert!(forgot.holds_store_aside(), "not caught up yet");
    let range = CoveredRange {
        writer: before.replica().clone(),
        from: 0,
        to: 1,
    };
    forgot.handle_deltas(now, Vec::new(), &[range]);
    forgot.catch_up_with(now, None);
    assert!(!forgot.holds_store_aside(), "caught up");
    assert_eq!(
        forgot.store().versions("k"),
        None,
        "the delete is not undone"
    );
    assert_eq!(
        taken_back(&mut forgot),
        [Event::StoreTakenBack {
            added: 0,
            forgotten: 1
        }]
    );

    let mut nobody_knew = node("a", 1);
    nobody_knew.restore(state, Some(grace));
    hold(&mut nobody_knew, "b", 2, MemberState::Alive);
    nobody_knew.catch_up_with(now, Some((&peer, &VectorClock::default())));
    assert_eq!(nobody_knew.store().get("k"), Some("v"));
    assert_eq!(nobody_knew.store().summary().get(before.replica()), 1);
    assert_eq!(
        taken_back(&mut nobody_knew),
        [Event::StoreTakenBack {
            added: 1,
            forgotten: 0
        }]
    );
}

/// A write or a delete made while the old store is aside supersedes its versions of
/// the key, so they do not come back beside it as a conflict or undo the delete; a
/// node started with no seeds has nobody to catch up with and takes its store back at
/// once.
#[test]
fn writes_made_while_the_store_is_aside_supersede_it() {
    let (_, mut state) = state_with_one_key();
    let mut before = node("a", 1);
    before.restore(state.clone(), None);
    before.put(Instant::ZERO, "gone", "v").unwrap();
    state.store = before.persisted().store;
    let grace = Config::demo().tombstone_grace;
    let now = Instant::ZERO;

    let mut again = node("a", 1);
    again.restore(state.clone(), Some(grace));
    again.put(now, "k", "w").unwrap();
    assert!(again.delete(now, "gone").unwrap().is_some(), "held aside");
    let peer = hold(&mut again, "b", 2, MemberState::Alive);
    again.catch_up_with(now, Some((&peer, &VectorClock::default())));
    assert_eq!(again.store().versions("k").map(<[_]>::len), Some(1));
    assert_eq!(again.store().get("k"), Some("w"));
    assert_eq!(again.store().get("gone"), None);

    let mut alone = node("a", 1);
    alone.restore(state, Some(grace));
    alone.join(now, &[]);
    assert!(!alone.holds_store_aside());
    assert_eq!(alone.store().get("k"), Some("v"));
}

/// A node that knows several members catches up with the summaries of several before
/// taking its store back: a single one may be a newcomer's that covers nothing yet.
/// Only members it holds count.
#[test]
fn the_store_aside_waits_for_several_peers() {
    let (_, state) = state_with_one_key();
    let now = Instant::ZERO;
    let mut b = node("b", 2);
    b.join(now, &[]);
    for (name, port) in [("c", 3), ("d", 4)] {
        let mut other = node(name, port);
        join_through(now, &mut other, &mut b);
    }
    let mut again = node("a", 1);
    again.restore(state, Some(Config::demo().tombstone_grace));
    join_through(now, &mut again, &mut b);
    assert_eq!(again.membership.members.active(), 3);

    let nothing = VectorClock::default();
    for name in ["stranger", "b", "b", "c"] {
        let peer = NodeId::new(name).unwrap();
        again.catch_up_with(now, Some((&peer, &nothing)));
        assert!(again.holds_store_aside(), "after {name}");
    }
    again.catch_up_with(now, Some((&NodeId::new("d").unwrap(), &nothing)));
    assert!(
        !again.holds_store_aside(),
        "three members heard, all covered"
    );
    assert_eq!(again.store().get("k"), Some("v"));
}

/// Only summaries of members held active count: with one member to catch up with, a
/// digest from a stranger (a member not heard of yet, or a forger) does not bring the
/// store back. And three summaries are enough: a fourth peer's, heard while the first
/// is not covered yet, is not waited for.
#[test]
fn the_store_aside_counts_three_members_held_active() {
    let (_, state) = state_with_one_key();
    let now = Instant::ZERO;
    let nothing = VectorClock::default();
    let mut again = node("a", 1);
    again.restore(state.clone(), Some(Config::demo().tombstone_grace));
    let b = hold(&mut again, "b", 2, MemberState::Alive);
    again.catch_up_with(now, Some((&NodeId::new("stranger").unwrap(), &nothing)));
    assert!(again.holds_store_aside(), "a stranger's summary");
    again.catch_up_with(now, Some((&b, &nothing)));
    assert!(!again.holds_store_aside(), "the one member's");

    let mut again = node("a", 1);
    again.restore(state, Some(Config::demo().tombstone_grace));
    let peers: Vec<NodeId> = ["b", "c", "d", "e"]
        .iter()
        .zip(2..)
        .map(|(name, port)| hold(&mut again, name, port, MemberState::Alive))
        .collect();
    let writes_of = |peer: &NodeId| {
        let mut summary = VectorClock::default();
        summary.observe(&ReplicaId::new(peer.clone(), 1), 2);
        summary
    };
    for peer in &peers {
        again.catch_up_with(now, Some((peer, &writes_of(peer))));
    }
    assert!(again.holds_store_aside(), "b's writes have not come");
    for peer in &peers[..3] {
        let range = CoveredRange {
            writer: ReplicaId::new(peer.clone(), 1),
            from: 0,
            to: 2,
        };
        again.handle_deltas(now, Vec::new(), &[range]);
    }
    again.catch_up_with(now, None);
    assert!(
        !again.holds_store_aside(),
        "b, c and d covered; e's summary was not kept"
    );
}

/// A peer heard from that leaves (or dies) before this node has caught up with it no
/// longer counts, nor does what only it held: the store comes back once the members
/// still here are covered, rather than at the next restart.
#[test]
fn a_peer_gone_before_the_store_aside_came_back_no_longer_holds_it() {
    let (_, state) = state_with_one_key();
    let now = Instant::ZERO;
    let mut again = node("a", 1);
    again.restore(state, Some(Config::demo().tombstone_grace));
    let (b, c) = (
        hold(&mut again, "b", 2, MemberState::Alive),
        hold(&mut again, "c", 3, MemberState::Alive),
    );
    let mut only_b_held = VectorClock::default();
    only_b_held.observe(&ReplicaId::new(b.clone(), 1), 4);
    again.catch_up_with(now, Some((&b, &only_b_held)));
    again.catch_up_with(now, Some((&c, &VectorClock::default())));
    assert!(again.holds_store_aside(), "b's writes have not come");

    hold(&mut again, "b", 2, MemberState::Left);
    again.catch_up_with(now, None);
    assert!(
        !again.holds_store_aside(),
        "c is covered, and the only one here"
    );
    assert_eq!(again.store().get("k"), Some("v"));
}

/// A tombstone goes only once every member covers its whole clock: the versions it
/// replaced too, not just the delete. Else a member that held a replaced version, away
/// meanwhile, could not tell it from one nobody knew of (`store_aside`).
#[test]
fn a_tombstone_is_collected_only_once_every_member_covers_what_it_replaced() {
    let (mut a, b) = joined_pair();
    let now = Instant::ZERO;
    let other = ReplicaId::new(NodeId::new("w").unwrap(), 7);
    let mut clock = VectorClock::default();
    clock.observe(&other, 5);
    let written = Version {
        key: "k".into(),
        value: Some("v".into()),
        clock,
        writer: other.clone(),
    };
    a.apply_version(now, written, false);
    let tombstone = a.delete(now, "k").unwrap().unwrap();
    let after_grace = now + a.config().tombstone_grace + Duration::from_secs(1);
    let own = a.replica().clone();
    let reported = |seq_of_other: u64| {
        let mut summary = VectorClock::default();
        summary.observe(&own, tombstone.seq());
        summary.observe(&other, seq_of_other);
        summary
    };

    let below = reported(4);
    a.handle_digest(b.id().clone(), below, false, false);
    a.collect_tombstones(after_grace);
    assert!(a.store().versions("k").is_some(), "b does not cover w's 5");
    let covering = reported(5);
    a.handle_digest(b.id().clone(), covering, false, false);
    a.collect_tombstones(after_grace);
    assert!(a.store().versions("k").is_none(), "collected");
}

/// The case `sim/tests/wasm.rs` runs in wasm32, natively: the same writes give the same
/// store fingerprint on both.
#[test]
fn a_store_fingerprint_is_the_one_wasm32_gives() {
    let addr = "10.0.0.1:7946".parse().unwrap();
    let mut node = Node::new(NodeId::new("n1").unwrap(), addr, Config::demo(), 7).unwrap();
    node.put(Instant::ZERO, "k", "v").unwrap();
    node.put(Instant::ZERO, "k", "w").unwrap();
    assert_eq!(node.store().summary_fingerprint(), 338_081_350);
}

/// Two clusters started apart merge when a member of one contacts a member of the
/// other: each side takes the other's members as news, to spread in its own cluster.
#[test]
fn contacting_another_cluster_while_running_merges_the_two() {
    let now = Instant::ZERO;
    let (mut a, mut b) = joined_pair();
    let mut c = node("c", 3);
    let mut d = node("d", 4);
    c.join(now, &[]);
    join_through(now, &mut d, &mut c);
    for n in [&mut a, &mut b, &mut c, &mut d] {
        while n.poll_transmit().is_some() {}
        while n.poll_event().is_some() {}
    }

    let contacted = a.contact(now, &[c.addr(), a.addr(), c.addr()]).unwrap();
    assert_eq!(
        contacted,
        vec![c.addr()],
        "its own address and repeats are left out"
    );
    assert_eq!(
        converse(now, &mut a, &mut c),
        [
            (true, MessageKind::Sync),
            (false, MessageKind::Ping),
            (true, MessageKind::Ack),
            (false, MessageKind::Sync)
        ],
        "a's table in one datagram; c checks a's address, then answers with its own"
    );
    for (holder, others) in [(&a, [&c, &d]), (&c, [&a, &b])] {
        for other in others {
            assert_eq!(
                holder.member_state(other.id()),
                Some(MemberState::Alive),
                "{} holds {}",
                holder.id(),
                other.id()
            );
        }
    }
    let joined: Vec<Event> = std::iter::from_fn(|| c.poll_event()).collect();
    assert!(
        [&a, &b]
            .iter()
            .all(|n| joined.contains(&Event::MemberJoined {
                id: n.id().clone(),
                addr: n.addr()
            })),
        "{joined:?}"
    );
    // The merge spreads: d hears of a and b from c's gossip.
    c.handle_timeout(now + c.config().gossip_interval);
    deliver(now, &mut c, &mut d);
    assert_eq!(d.member_state(a.id()), Some(MemberState::Alive));
    assert_eq!(d.member_state(b.id()), Some(MemberState::Alive));
}

/// An idle node joins through the addresses it is given; one still joining asks them
/// at once and keeps them as seeds; one that has left refuses and sends nothing.
#[test]
fn contacting_follows_the_node_s_status() {
    let now = Instant::ZERO;
    let mut seed = node("seed", 1);
    seed.join(now, &[]);

    let mut idle = node("idle", 2);
    assert_eq!(idle.contact(now, &[idle.addr()]), Ok(vec![]));
    assert_eq!(idle.status(), NodeStatus::Idle, "not a cluster of its own");
    assert!(idle.poll_transmit().is_none());
    assert_eq!(
        idle.contact(now, &[seed.addr()]).unwrap(),
        vec![seed.addr()]
    );
    assert_eq!(idle.status(), NodeStatus::Joining);
    assert_eq!(converse(now, &mut idle, &mut seed).len(), 4);
    assert_eq!(idle.status(), NodeStatus::Joined);

    let gone = SocketAddr::from(([127, 0, 0, 1], 9));
    let mut joining = node("joining", 3);
    joining.join(now, &[gone]);
    while joining.poll_transmit().is_some() {}
    joining.contact(now, &[seed.addr()]).unwrap();
    assert_eq!(joining.seeds().collect::<Vec<_>>(), vec![gone, seed.addr()]);
    assert_eq!(
        converse(now, &mut joining, &mut seed).first(),
        Some(&(true, MessageKind::Sync)),
        "asked at once"
    );
    assert_eq!(joining.status(), NodeStatus::Joined);

    joining.leave(now);
    while joining.poll_transmit().is_some() {}
    assert_eq!(joining.contact(now, &[seed.addr()]), Err(Error::Left));
    assert!(joining.poll_transmit().is_none());
}

/// A member held dead is declared left on its behalf, and the news spreads; one that
/// still runs refutes it. Anyone not dead here is refused, with nothing changed.
#[test]
fn a_dead_member_is_made_to_leave_and_a_running_one_refutes() {
    let now = Instant::ZERO;
    let (mut a, mut b) = joined_pair();
    let mut c = node("c", 3);
    join_through(now, &mut c, &mut a);
    for n in [&mut a, &mut b, &mut c] {
        while n.poll_transmit().is_some() {}
        while n.poll_event().is_some() {}
    }
    let unknown = NodeId::new("nobody").unwrap();
    assert_eq!(
        a.force_leave(now, &unknown),
        Err(Error::UnknownMember("nobody".into()))
    );
    for running in [c.id().clone(), a.id().clone()] {
        assert_eq!(
            a.force_leave(now, &running),
            Err(Error::NotDead(running.to_string()))
        );
    }
    hold(&mut a, "d", 4, MemberState::Suspect);
    while a.poll_event().is_some() {}
    a.broadcasts.select(usize::MAX, 1);
    assert_eq!(
        a.force_leave(now, &NodeId::new("d").unwrap()),
        Err(Error::NotDead("d".into()))
    );
    assert!(
        a.poll_event().is_none() && a.broadcasts.is_empty(),
        "nothing changed"
    );

    hold(&mut a, "c", 3, MemberState::Dead);
    hold(&mut b, "c", 3, MemberState::Alive);
    while a.poll_event().is_some() {}
    assert_eq!(a.force_leave(now, c.id()), Ok(true));
    assert_eq!(a.member_state(c.id()), Some(MemberState::Left));
    assert_eq!(
        std::iter::from_fn(|| a.poll_event()).collect::<Vec<_>>(),
        [Event::MemberLeft { id: c.id().clone() }]
    );
    assert_eq!(a.force_leave(now, c.id()), Ok(false), "left already");
    assert!(a.poll_event().is_none(), "once is enough");

    // The departure travels with a's next message, to b as to c itself.
    for to in [&mut b, &mut c] {
        a.handle_timeout(now + a.config().gossip_interval);
        a.send(to.addr(), Message::Gossip);
        deliver(now, &mut a, to);
    }
    assert_eq!(b.member_state(c.id()), Some(MemberState::Left));
    assert_eq!(c.incarnation(), 1, "c runs, and refutes its departure");
    c.send(b.addr(), Message::Gossip);
    deliver(now, &mut c, &mut b);
    assert_eq!(
        b.member_state(c.id()),
        Some(MemberState::Alive),
        "and is back"
    );
}

/// A member reaped while dead is still tried by reconnects for a while; made to leave,
/// it is given up on by the node that was told and by the others as the news comes.
#[test]
fn a_member_reaped_while_dead_is_given_up_on_when_made_to_leave() {
    let now = Instant::ZERO;
    let (mut a, mut b) = joined_pair();
    let gone = NodeId::new("gone").unwrap();
    let later = now + Config::demo().reap_after + Duration::from_millis(1);
    for n in [&mut a, &mut b] {
        hold(n, "gone", 9, MemberState::Alive);
        hold(n, "gone", 9, MemberState::Dead);
        n.reap(later);
        assert!(n.membership.lost.contains_key(&gone), "still tried");
        while n.poll_transmit().is_some() {}
        n.broadcasts.select(usize::MAX, 1);
    }
    assert_eq!(a.member_state(&gone), None, "reaped");

    assert_eq!(a.force_leave(later, &gone), Ok(true));
    assert!(!a.membership.lost.contains_key(&gone), "given up on");
    assert_eq!(
        a.force_leave(later, &gone),
        Err(Error::UnknownMember("gone".into())),
        "and then unknown"
    );
    a.send(b.addr(), Message::Gossip);
    deliver(later, &mut a, &mut b);
    assert!(!b.membership.lost.contains_key(&gone), "the news reached b");
    assert!(!b.broadcasts.is_empty(), "which passes it on");
    assert_eq!(b.member_state(&gone), None, "without bringing it back");
}

/// News far above the incarnation held is dropped: a forgery cannot bring a member near
/// the last incarnation in one datagram. News within the bound is taken and refuted,
/// and a member near the top can still be accused.
#[test]
fn news_far_above_the_incarnation_held_is_dropped() {
    let (mut a, mut b) = joined_pair();
    let now = Instant::ZERO;
    let x = NodeId::new("x").unwrap();
    let (a_id, a_addr) = (a.id().clone(), a.addr());
    let accusation = |incarnation| {
        wire::encode(&Packet {
            from: x.clone(),
            message: Message::Gossip,
            updates: vec![Update::Member(MemberUpdate {
                id: a_id.clone(),
                addr: a_addr,
                incarnation,
                state: MemberState::Suspect,
                accuser: Some(x.clone()),
                tags: Tags::none(),
            })],
        })
    };
    let nowhere = SocketAddr::from(([127, 0, 0, 1], 9));
    let far = accusation(Incarnation::MAX - 1);
    b.handle_packet(now, nowhere, &far).unwrap();
    a.handle_packet(now, nowhere, &far).unwrap();
    assert_eq!(b.member_state(a.id()), Some(MemberState::Alive), "dropped");
    assert_eq!(a.incarnation(), 0, "nothing to refute");
    let over = accusation(membership::MAX_INCARNATION_JUMP + 1);
    b.handle_packet(now, nowhere, &over).unwrap();
    assert_eq!(b.member_state(a.id()), Some(MemberState::Alive), "dropped");

    let within = accusation(membership::MAX_INCARNATION_JUMP);
    b.handle_packet(now, nowhere, &within).unwrap();
    a.handle_packet(now, nowhere, &within).unwrap();
    assert_eq!(b.member_state(a.id()), Some(MemberState::Suspect));
    assert_eq!(
        a.incarnation(),
        membership::MAX_INCARNATION_JUMP + 1,
        "refuted"
    );
    let refutation = wire::encode(&Packet {
        from: a.id().clone(),
        message: Message::Gossip,
        updates: vec![Update::Member(a.own_update(MemberState::Alive))],
    });
    b.handle_packet(now, a.addr(), &refutation).unwrap();
    assert_eq!(b.member_state(a.id()), Some(MemberState::Alive));

    // Held near the top (after many refutations), a member can still be accused.
    let near_top = Incarnation::MAX - 2;
    b.membership.members.upsert(crate::Member {
        incarnation: near_top,
        ..b.member(a.id()).unwrap()
    });
    b.handle_packet(now, nowhere, &accusation(near_top + 1))
        .unwrap();
    assert_eq!(b.member_state(a.id()), Some(MemberState::Suspect));
}

/// A version whose clock counts far more of this node's own writes than it made is
/// dropped: adopted, a count near the counter's end would pass into this node's next
/// writes and leave them numbers its peers hold already. A few more are taken back.
#[test]
fn a_clock_claiming_more_of_a_nodes_own_writes_than_it_made_is_dropped() {
    let (mut a, mut b) = joined_pair();
    let x = NodeId::new("x").unwrap();
    let forger = ReplicaId::new(x.clone(), 1);
    let mut clock = VectorClock::default();
    clock.observe(&forger, 1);
    clock.observe(a.replica(), u64::MAX - 1);
    let forged = wire::encode(&Packet {
        from: x,
        message: Message::Rumor {
            batch: 1,
            versions: vec![crate::Version {
                key: "k".into(),
                value: Some("forged".into()),
                clock,
                writer: forger,
            }],
            feedback: false,
        },
        updates: Vec::new(),
    });
    let nowhere = SocketAddr::from(([127, 0, 0, 1], 9));
    a.handle_packet(Instant::ZERO, nowhere, &forged).unwrap();
    assert_eq!(a.store().versions("k"), None, "dropped");
    let mine = a.put(Instant::ZERO, "k", "mine").unwrap();
    let next = a.put(Instant::ZERO, "other", "also mine").unwrap();
    assert_eq!((mine.seq(), next.seq()), (1, 2));
    assert!(matches!(b.store.apply(mine), crate::Applied::New { .. }));
    assert!(matches!(b.store.apply(next), crate::Applied::New { .. }));

    // Writes of a's spread before a restart from an older copy of its store: a takes
    // them back, and numbers its next writes after them.
    let mut ahead = VectorClock::default();
    ahead.observe(a.replica(), 5);
    let spread = crate::Version {
        key: "lost".into(),
        value: Some("spread".into()),
        clock: ahead,
        writer: a.replica().clone(),
    };
    a.apply_version(Instant::ZERO, spread, false);
    assert!(a.store().versions("lost").is_some(), "taken back");
    assert_eq!(a.put(Instant::ZERO, "lost", "new").unwrap().seq(), 6);
}

/// A node woken late, after both its probe's timeout and its period's end, asks the
/// witnesses about that probe and gives them the rest of a period before judging it:
/// nobody is suspected on a direct probe alone, and no witness is asked about a probe
/// whose ping has just left.
#[test]
fn a_late_wake_up_asks_the_witnesses_before_anyone_is_suspected() {
    let mut a = node("a", 1);
    a.join(Instant::ZERO, &[]);
    for (name, port) in [("b", 2), ("c", 3), ("d", 4)] {
        join_through(Instant::ZERO, &mut node(name, port), &mut a);
    }
    while a.poll_transmit().is_some() {}
    let start = a.timers.get(Timer::Probe).unwrap();
    a.handle_timeout(start);
    let ping = std::iter::from_fn(|| a.poll_transmit())
        .find(|t| t.kind == MessageKind::Ping)
        .expect("a probe");
    let Message::Ping { target, .. } = wire::decode(&ping.payload).unwrap().message else {
        panic!("a ping");
    };
    // Paused until the period's end: the probe's timeout passed unseen.
    let late = a.timers.get(Timer::Probe).unwrap();
    assert!(a.timers.get(Timer::ProbeTimeout).unwrap() < late);
    a.handle_timeout(late);
    let probing = |a: &mut Node| -> Vec<MessageKind> {
        std::iter::from_fn(|| a.poll_transmit())
            .map(|t| t.kind)
            .filter(|kind| matches!(kind, MessageKind::Ping | MessageKind::PingReq))
            .collect()
    };
    let kinds = probing(&mut a);
    assert_eq!(
        kinds,
        [MessageKind::PingReq; 2],
        "witnesses asked, no new probe"
    );
    assert_eq!(
        a.member_state(&target),
        Some(MemberState::Alive),
        "not suspected yet"
    );
    let judged = a.timers.get(Timer::Probe).unwrap();
    let config = Config::demo();
    assert_eq!(
        judged,
        late + (config.probe_interval - config.probe_timeout),
        "the witnesses get the rest of a period"
    );
    a.handle_timeout(judged);
    assert_eq!(a.member_state(&target), Some(MemberState::Suspect));
    let kinds = probing(&mut a);
    assert!(
        kinds.contains(&MessageKind::Ping) && !kinds.contains(&MessageKind::PingReq),
        "the next probe starts, its witnesses asked at its own timeout: {kinds:?}"
    );
}

/// A member restored as suspect is suspected afresh: without that, nothing would ever
/// declare it dead (its failed probes and the others' news at its incarnation are old
/// news about a suspect).
#[test]
fn a_member_restored_as_suspect_is_declared_dead_in_time() {
    let now = Instant::ZERO;
    let mut a = node("a", 1);
    let b = NodeId::new("b").unwrap();
    a.restore_members(
        now,
        MemberSnapshot::from_updates([MemberUpdate {
            id: b.clone(),
            addr: SocketAddr::from(([127, 0, 0, 1], 2)),
            incarnation: 0,
            state: MemberState::Suspect,
            accuser: None,
            tags: Tags::none(),
        }]),
    );
    a.join(now, &[]);
    assert_eq!(
        a.suspicion_deadline(&b),
        Some(now + a.config().suspicion_timeout)
    );
    let end = now + a.config().suspicion_timeout + a.config().probe_interval;
    while let Some(next) = a.poll_timeout().filter(|&t| t <= end) {
        a.handle_timeout(next);
        while a.poll_transmit().is_some() {}
    }
    assert_eq!(a.member_state(&b), Some(MemberState::Dead));
}

/// A value standing beside a concurrent delete that reads first is still a value:
/// deleting the key settles the conflict with a tombstone over both.
#[test]
fn deleting_a_key_whose_delete_reads_first_removes_the_value_beside_it() {
    let mut a = node("a", 1);
    a.join(Instant::ZERO, &[]);
    let version = |writer: &str, value: Option<&str>| {
        let writer = ReplicaId::new(NodeId::new(writer).unwrap(), 1);
        let mut clock = VectorClock::default();
        clock.observe(&writer, 1);
        crate::Version {
            key: "k".into(),
            value: value.map(str::to_owned),
            clock,
            writer,
        }
    };
    a.store.apply(version("b", Some("v")));
    a.store.apply(version("z", None));
    assert_eq!(a.store().get("k"), None, "the delete reads first");
    let tombstone = a.delete(Instant::ZERO, "k").unwrap().expect("a tombstone");
    assert!(tombstone.is_tombstone());
    assert_eq!(a.store().versions("k").unwrap(), [tombstone]);
    assert_eq!(
        a.delete(Instant::ZERO, "k"),
        Ok(None),
        "nothing left to delete"
    );
}

/// What forged news can make a node hold is bounded: the name claims it remembers
/// having reported, and the pings it relays for others at once.
#[test]
fn forged_claims_and_relay_requests_fill_bounded_memories() {
    let (mut a, b) = joined_pair();
    let now = Instant::ZERO;
    let x = NodeId::new("x").unwrap();
    let nowhere = SocketAddr::from(([127, 0, 0, 1], 9));
    let claim = |port: u16| {
        wire::encode(&Packet {
            from: x.clone(),
            message: Message::Gossip,
            updates: vec![Update::Member(MemberUpdate {
                id: b.id().clone(),
                addr: SocketAddr::from(([10, 0, 0, 1], port)),
                incarnation: 0,
                state: MemberState::Alive,
                accuser: None,
                tags: Tags::none(),
            })],
        })
    };
    while a.poll_event().is_some() {}
    for port in 1..=200 {
        a.handle_packet(now, nowhere, &claim(port)).unwrap();
        assert!(a.membership.name_claims.len() <= 64);
    }
    let reported = std::iter::from_fn(|| a.poll_event())
        .filter(|e| matches!(e, Event::NameConflict { .. }))
        .count();
    assert_eq!(reported, 200, "each distinct claim reported");
    a.handle_packet(now, nowhere, &claim(200)).unwrap();
    assert!(
        a.poll_event().is_none(),
        "a claim remembered is not reported again"
    );
    assert_eq!(
        a.member(b.id()).unwrap().addr,
        b.addr(),
        "b stays where it is"
    );

    while a.poll_transmit().is_some() {}
    for seq in 0..100 {
        let request = datagram_from(
            &x,
            Message::PingReq {
                seq,
                target: NodeId::new("t").unwrap(),
                target_addr: SocketAddr::from(([10, 0, 0, 2], 1)),
                nack: true,
            },
        );
        a.handle_packet(now, nowhere, &request).unwrap();
    }
    let sent: Vec<MessageKind> = std::iter::from_fn(|| a.poll_transmit())
        .map(|t| t.kind)
        .collect();
    let count = |kind| sent.iter().filter(|&&k| k == kind).count();
    assert_eq!(count(MessageKind::Ping), 64, "relayed up to the bound");
    assert_eq!(a.detection.relays.len(), 64);
    assert_eq!(
        count(MessageKind::Nack),
        36,
        "the rest nacked at once: the probers' links are fine"
    );
    let unasked = datagram_from(
        &x,
        Message::PingReq {
            seq: 100,
            target: NodeId::new("t").unwrap(),
            target_addr: SocketAddr::from(([10, 0, 0, 2], 1)),
            nack: false,
        },
    );
    a.handle_packet(now, nowhere, &unasked).unwrap();
    assert!(
        a.poll_transmit().is_none(),
        "no nack where none was asked for"
    );
}
