//! Real agents on 127.0.0.1: UDP sockets, tokio timers, the same core.

use std::collections::BTreeSet;
use std::time::Duration as StdDuration;

use gossip_agent::agent::{Agent, AgentHandle, AgentOptions};
use gossip_core::wire::{self, Message, Packet};
use gossip_core::{Config, Duration, MemberState, NodeId};
use tokio::net::UdpSocket;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// Demo timings, ten times faster, so the test takes a second or two.
fn fast_config() -> Config {
    Config {
        probe_interval: Duration::from_millis(100),
        probe_timeout: Duration::from_millis(50),
        gossip_interval: Duration::from_millis(50),
        suspicion_timeout: Duration::from_millis(500),
        ..Config::demo()
    }
}

struct Running {
    handle: AgentHandle,
    stop: oneshot::Sender<()>,
    task: JoinHandle<std::io::Result<()>>,
}

async fn start(name: &str, join: Vec<std::net::SocketAddr>, seed: u64) -> Running {
    let socket = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let options = AgentOptions {
        name: NodeId::new(name).unwrap(),
        join: join.into_iter().map(Into::into).collect(),
        advertise: None,
        cluster_name: None,
        keyring: None,
        tags: gossip_core::Tags::none(),
        config: fast_config(),
        rng_seed: seed,
    };
    let (agent, handle) = Agent::new(socket, options).unwrap();
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(agent.run(async {
        let _ = stopped.await;
    }));
    Running { handle, stop, task }
}

async fn alive_names(handle: &AgentHandle) -> BTreeSet<String> {
    handle
        .members()
        .await
        .unwrap()
        .into_iter()
        .filter(|m| m.status == MemberState::Alive)
        .map(|m| m.name.to_string())
        .collect()
}

/// Three agents, n2 and n3 joining through n1, once every one of them sees all three
/// alive (within 10 s).
async fn three_converged(seed: u64) -> [Running; 3] {
    println!("seed {seed}");
    let n1 = start("n1", vec![], seed).await;
    let seed_addr = n1.handle.local_addr();
    let n2 = start("n2", vec![seed_addr], seed + 1).await;
    let n3 = start("n3", vec![seed_addr], seed + 2).await;
    let everyone: BTreeSet<String> = ["n1", "n2", "n3"].map(String::from).into();
    let converged = tokio::time::timeout(StdDuration::from_secs(10), async {
        loop {
            let mut all = true;
            for agent in [&n1, &n2, &n3] {
                all &= alive_names(&agent.handle).await == everyone;
            }
            if all {
                break;
            }
            tokio::time::sleep(StdDuration::from_millis(50)).await;
        }
    })
    .await;
    assert!(
        converged.is_ok(),
        "every agent sees all three alive within 10 s"
    );
    [n1, n2, n3]
}

/// Three agents, two joining through the first, each learn of the other two; when one
/// leaves, the others see it as left.
#[tokio::test]
async fn three_agents_on_loopback_find_each_other() {
    let [n1, n2, n3] = three_converged(42).await;

    n3.stop.send(()).unwrap();
    n3.task.await.unwrap().unwrap();
    let left = tokio::time::timeout(StdDuration::from_secs(5), async {
        loop {
            let members = n1.handle.members().await.unwrap();
            if members
                .iter()
                .any(|m| m.name.as_str() == "n3" && m.status == MemberState::Left)
            {
                break;
            }
            tokio::time::sleep(StdDuration::from_millis(50)).await;
        }
    })
    .await;
    assert!(left.is_ok(), "n1 sees n3 as left after its graceful leave");

    for agent in [n1, n2] {
        agent.stop.send(()).unwrap();
        agent.task.await.unwrap().unwrap();
    }
}

/// An agent killed without leaving (its task aborted: no goodbye) is suspected and then
/// declared dead by the others, who keep each other alive.
#[tokio::test]
async fn a_killed_agent_is_declared_dead() {
    let [n1, n2, n3] = three_converged(77).await;

    n3.task.abort();
    let state_of_n3 = |members: Vec<gossip_agent::agent::MemberInfo>| {
        members
            .into_iter()
            .find(|m| m.name.as_str() == "n3")
            .map(|m| m.status)
    };
    // Suspicion is 500 ms here: dead within a few probe periods of it.
    let dead = tokio::time::timeout(StdDuration::from_secs(5), async {
        loop {
            let on_n1 = state_of_n3(n1.handle.members().await.unwrap());
            let on_n2 = state_of_n3(n2.handle.members().await.unwrap());
            if on_n1 == Some(MemberState::Dead) && on_n2 == Some(MemberState::Dead) {
                break;
            }
            tokio::time::sleep(StdDuration::from_millis(50)).await;
        }
    })
    .await;
    assert!(dead.is_ok(), "n1 and n2 declare the killed n3 dead");
    assert_eq!(
        alive_names(&n1.handle).await,
        ["n1", "n2"].map(String::from).into(),
        "and keep each other alive"
    );
    for agent in [n1, n2] {
        agent.stop.send(()).unwrap();
        agent.task.await.unwrap().unwrap();
    }
}

/// What an agent sends `socket` until it has been quiet for `quiet`, decoded.
async fn received_until_quiet(socket: &UdpSocket, quiet: StdDuration) -> Vec<Packet> {
    let mut packets = Vec::new();
    let mut buf = vec![0; wire::MAX_DATAGRAM];
    while let Ok(Ok((len, _))) = tokio::time::timeout(quiet, socket.recv_from(&mut buf)).await {
        packets.push(wire::decode(&buf[..len]).unwrap());
    }
    packets
}

/// A request for an agent's full state from an address it has not heard back from is
/// answered with one ping naming the member the request claims to come from; the
/// member table follows only its ack, so a request forged in somebody else's name
/// cannot point an agent's table at them.
#[tokio::test]
async fn an_agent_sends_its_member_table_only_to_an_address_that_acked_a_check() {
    let [n1, n2, n3] = three_converged(91).await;
    let asker = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let claimed = NodeId::new("asker").unwrap();
    let packet = |message| {
        wire::encode(&Packet {
            from: claimed.clone(),
            message,
            updates: Vec::new(),
        })
    };
    let request = packet(Message::Sync {
        members: Vec::new(),
        reply: true,
    });
    asker
        .send_to(&request, n1.handle.local_addr())
        .await
        .unwrap();
    let quiet = StdDuration::from_millis(300);
    let answers = received_until_quiet(&asker, quiet).await;
    let [answer] = answers.as_slice() else {
        panic!("one datagram, the check: {answers:?}");
    };
    let Message::Ping {
        seq, ref target, ..
    } = answer.message
    else {
        panic!("a ping: {answer:?}");
    };
    assert_eq!(*target, claimed);

    asker
        .send_to(&packet(Message::Ack { seq }), n1.handle.local_addr())
        .await
        .unwrap();
    let names: BTreeSet<String> = received_until_quiet(&asker, quiet)
        .await
        .into_iter()
        .flat_map(|packet| match packet.message {
            Message::Sync { members, .. } => members,
            other => panic!("only the full state: {other:?}"),
        })
        .map(|member| member.id.to_string())
        .collect();
    assert_eq!(names, ["n1", "n2", "n3"].map(String::from).into());

    for agent in [n1, n2, n3] {
        agent.stop.send(()).unwrap();
        agent.task.await.unwrap().unwrap();
    }
}
