//! `--event-handler` on real agents on 127.0.0.1: each handler runs on the kinds it
//! names, in the order of the events, with the event on standard input and in its
//! variables; a failing handler does not stop the next event's, one past its time
//! limit is killed with what it started, and an agent that stops lets the run of its
//! last event finish.

mod support;

use std::path::{Path, PathBuf};
use std::time::Duration;

use gossip_agent::agent::{Agent, AgentHandle, AgentOptions, Seed};
use gossip_agent::event_handler::{self, EventHandler};
use gossip_core::{Config, NodeId};
use tokio::net::UdpSocket;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

struct Running {
    handle: AgentHandle,
    stop: oneshot::Sender<()>,
    task: JoinHandle<std::io::Result<()>>,
}

/// An agent named `name` joining through `seed` (none: it starts the cluster), with
/// `handlers` killed past `time_limit`; it runs the handlers in `dir`.
async fn start(
    name: &str,
    seed: Option<std::net::SocketAddr>,
    handlers: &[&str],
    time_limit: Duration,
) -> Running {
    let socket = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let options = AgentOptions {
        name: NodeId::new(name).unwrap(),
        join: seed
            .map(|s| s.to_string().parse::<Seed>().unwrap())
            .into_iter()
            .collect(),
        advertise: None,
        cluster_name: None,
        keyring: None,
        tags: gossip_core::Tags::none(),
        config: Config::demo(),
        rng_seed: 11,
    };
    let (agent, handle) = Agent::new(socket, options).unwrap();
    let handlers: Vec<EventHandler> = handlers.iter().map(|h| h.parse().unwrap()).collect();
    if !handlers.is_empty() {
        event_handler::spawn(handle.clone(), handlers, time_limit);
    }
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(agent.run(async {
        let _ = stopped.await;
    }));
    Running { handle, stop, task }
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("gossip-handlers-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Whether the process `pid` is gone, or a zombie left for whoever inherited it to
/// reap.
fn gone(pid: &str) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat")).map_or(true, |stat| {
        stat.rsplit_once(") ")
            .is_some_and(|(_, rest)| rest.starts_with('Z'))
    })
}

fn lines(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(str::to_owned)
        .collect()
}

/// Waits (up to `limit`) until the file's lines satisfy `done`; whether they did.
async fn wait_for(path: &Path, limit: Duration, done: impl Fn(&Vec<String>) -> bool) -> bool {
    let deadline = tokio::time::Instant::now() + limit;
    while tokio::time::Instant::now() < deadline {
        if done(&lines(path)) {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    false
}

/// Waits (up to `limit`) until the file holds `count` lines or more.
async fn wait_for_lines(path: &Path, count: usize, limit: Duration) -> Vec<String> {
    wait_for(path, limit, |seen| seen.len() >= count).await;
    lines(path)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn handlers_run_on_their_kinds_in_order_and_are_told_the_event() {
    let dir = scratch("kinds");
    let all = dir.join("all.log");
    let json = dir.join("json.log");
    let gone = dir.join("gone.log");
    let every = format!(
        r#"echo "$GOSSIP_EVENT $GOSSIP_MEMBER $GOSSIP_MEMBER_ADDRESS" >> {}; cat >> {}"#,
        all.display(),
        json.display()
    );
    // It fails every time: the events after it still get their handlers.
    let on_gone = format!(
        "dead,left=echo $GOSSIP_MEMBER $GOSSIP_MEMBER_STATUS >> {}; exit 1",
        gone.display()
    );
    let a = start("a", None, &[&every, &on_gone], Duration::from_secs(10)).await;
    let a_udp = a.handle.local_addr();
    let b = start("b", Some(a_udp), &[], Duration::ZERO).await;
    let b_udp = b.handle.local_addr();
    let c = start("c", Some(a_udp), &[], Duration::ZERO).await;
    let c_udp = c.handle.local_addr();
    let joined_b = format!("joined b {b_udp}");
    let joined_c = format!("joined c {c_udp}");
    let both = wait_for(&all, Duration::from_secs(10), |seen| {
        seen.contains(&joined_b) && seen.contains(&joined_c)
    })
    .await;
    assert!(both, "{:?}", lines(&all));
    let db = gossip_core::Tags::new([("role", "db")]).unwrap();
    b.handle.set_tags(db).await.unwrap();
    let updated_b = format!("updated b {b_udp}");
    let updated = wait_for(&all, Duration::from_secs(10), |seen| {
        seen.contains(&updated_b)
    })
    .await;
    assert!(updated, "{:?}", lines(&all));

    b.task.abort();
    let _ = c.stop.send(());
    let gone_lines = wait_for_lines(&gone, 2, Duration::from_secs(30)).await;
    let mut sorted = gone_lines.clone();
    sorted.sort();
    assert_eq!(sorted, ["b dead", "c left"], "only dead and left run it");

    let seen = lines(&all);
    let position = |line: &str| seen.iter().position(|l| l == line);
    assert_eq!(seen[0], "joined_cluster  ", "{seen:?}");
    for (before, after) in [
        (format!("joined b {b_udp}"), format!("suspected b {b_udp}")),
        (format!("suspected b {b_udp}"), format!("dead b {b_udp}")),
        (format!("joined c {c_udp}"), format!("left c {c_udp}")),
    ] {
        let (Some(before_at), Some(after_at)) = (position(&before), position(&after)) else {
            panic!("{before:?} then {after:?} in {seen:?}");
        };
        assert!(
            before_at < after_at,
            "{before:?} then {after:?} in {seen:?}"
        );
    }

    // Standard input: the event as the API lists it, numbered without a gap, with the
    // member as the agent held it.
    let inputs: Vec<serde_json::Value> = lines(&json)
        .iter()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert_eq!(inputs.len(), seen.len());
    for (i, (input, line)) in inputs.iter().zip(&seen).enumerate() {
        assert_eq!(input["seq"], i + 1, "{input}");
        assert!(
            line.starts_with(input["kind"].as_str().unwrap()),
            "{input} {line}"
        );
    }
    let dead_b = inputs.iter().find(|i| i["kind"] == "dead").unwrap();
    assert_eq!(dead_b["event"]["id"], "b");
    assert_eq!(dead_b["member"]["status"], "dead");
    assert_eq!(dead_b["member"]["addr"], b_udp.to_string());
    assert!(
        inputs[0].get("member").is_none(),
        "joined_cluster is about no member"
    );
    // The failing handler's runs are counted as failed (once counted: the count
    // follows its exit), the others as succeeded.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    let mut runs = a.handle.stats().await.unwrap().event_handlers;
    while runs.failed < 2 && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
        runs = a.handle.stats().await.unwrap().event_handlers;
    }
    assert_eq!(
        (runs.failed, runs.killed, runs.missed),
        (2, 0, 0),
        "{runs:?}"
    );
    assert!(runs.succeeded >= seen.len() as u64, "{runs:?}");
    let tagged = inputs.iter().find(|i| i["kind"] == "updated").unwrap();
    assert_eq!(
        tagged["event"]["tags"],
        serde_json::json!({"role": "db"}),
        "{tagged}"
    );
    assert_eq!(tagged["member"]["tags"]["role"], "db", "{tagged}");
    let _ = a.stop.send(());
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_handler_past_its_time_limit_is_killed_and_the_next_event_runs() {
    let dir = scratch("limit");
    let log = dir.join("runs.log");
    // What the run starts dies with it: its pid is noted before it waits.
    let pids = dir.join("pids.log");
    let hangs = format!(
        "echo start $GOSSIP_EVENT >> {0}; sleep 30 & echo $! >> {1}; wait; echo end >> {0}",
        log.display(),
        pids.display()
    );
    let a = start("a", None, &[&hangs], Duration::from_secs(3)).await;
    let b = start("b", Some(a.handle.local_addr()), &[], Duration::ZERO).await;
    let runs = wait_for_lines(&log, 2, Duration::from_secs(15)).await;
    assert_eq!(runs, ["start joined_cluster", "start joined"]);
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(!lines(&log).contains(&"end".to_owned()));
    let runs = a.handle.stats().await.unwrap().event_handlers;
    assert_eq!(
        (runs.succeeded, runs.failed, runs.killed),
        (0, 0, 1),
        "{runs:?}"
    );
    let first_sleep = lines(&pids)[0].clone();
    let killed = wait_for(&pids, Duration::from_secs(5), |_| gone(&first_sleep)).await;
    assert!(killed, "the killed run's sleep {first_sleep} is gone too");
    let _ = b.stop.send(());
    let _ = a.stop.send(());
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_is_over_when_its_process_exits_even_with_one_left_in_the_background() {
    let dir = scratch("background");
    let log = dir.join("runs.log");
    let late = dir.join("late.log");
    // One process holds the output for long; another writes to it after the run, and
    // must live on to note it did.
    let leaves_one = format!(
        "sleep 20 & (sleep 1; echo late; echo $GOSSIP_EVENT >> {1}) & echo ran $GOSSIP_EVENT >> {0}",
        log.display(),
        late.display()
    );
    let a = start("a", None, &[&leaves_one], Duration::from_secs(60)).await;
    let b = start("b", Some(a.handle.local_addr()), &[], Duration::ZERO).await;
    let runs = wait_for_lines(&log, 2, Duration::from_secs(10)).await;
    assert_eq!(runs, ["ran joined_cluster", "ran joined"]);
    let survived = wait_for(&late, Duration::from_secs(5), |seen| seen.len() == 2).await;
    assert!(survived, "a late write does not kill: {:?}", lines(&late));
    let _ = b.stop.send(());
    let _ = a.stop.send(());
    let _ = std::fs::remove_dir_all(&dir);
}

/// An agent stopped (SIGTERM) while a handler of its last event runs waits for it,
/// up to its grace, then kills what still runs. Its own GOSSIP_* variables are not
/// passed on for an event's.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_agent_that_stops_lets_its_last_handler_finish() {
    let dir = scratch("exit");
    let log = dir.join("runs.log");
    let pids = dir.join("pids.log");
    let port = support::free_port();
    let slow = format!(
        "joined=sleep 3; echo $GOSSIP_MEMBER [${{GOSSIP_KEY:-}}] >> {}",
        log.display()
    );
    // Runs after the slow one, and would outlast the agent's grace.
    let hangs = format!("joined=sleep 30 & echo $! >> {}; wait", pids.display());
    let mut agent = support::Stopped(
        std::process::Command::new(env!("CARGO_BIN_EXE_gossip"))
            .args([
                "agent",
                "--name",
                "a",
                "--bind",
                &format!("127.0.0.1:{port}"),
            ])
            .args(["--event-handler", &slow, "--event-handler", &hangs])
            .env("GOSSIP_KEY", "stale")
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap(),
    );
    let seed = format!("127.0.0.1:{port}").parse().unwrap();
    let b = start("b", Some(seed), &[], Duration::ZERO).await;
    let a_name = NodeId::new("a").unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while b.handle.member(&a_name).await.unwrap().is_none() {
        assert!(tokio::time::Instant::now() < deadline, "b joins a");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // a's handler for b joining has just started: stop a now.
    let status = support::terminate(&mut agent.0, Duration::from_secs(15));
    assert!(status.is_some_and(|s| s.success()), "{status:?}");
    assert_eq!(
        lines(&log),
        ["b []"],
        "the run finished before the agent exited"
    );
    let hanging = lines(&pids);
    assert_eq!(hanging.len(), 1, "the second handler ran: {hanging:?}");
    let killed = wait_for(&pids, Duration::from_secs(3), |_| gone(&hanging[0])).await;
    assert!(killed, "what outlasted the grace was killed with the agent");
    let _ = b.stop.send(());
    let _ = std::fs::remove_dir_all(&dir);
}
