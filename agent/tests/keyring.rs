//! Sealed clusters, with real agents on 127.0.0.1: agents sharing a key and a cluster
//! name form a cluster; one with another key or another name never gets in; tampered
//! and replayed datagrams are refused and counted; and the key is rotated live
//! (install, use, remove on every agent) without a single member being suspected.

mod support;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use gossip_agent::envelope::Envelope;
use gossip_agent::keyring::KeyringFile;
use gossip_core::NodeId;
use gossip_core::wire::{Message, Packet, encode};
use serde_json::Value;
use support::{eventually, free_port, terminate};

const GOSSIP: &str = env!("CARGO_BIN_EXE_gossip");
/// Quick enough for a test, slack enough that a busy machine does not make a member
/// look failed (the rotation must cause no suspicion at all).
const SETTINGS: &[&str] = &[
    "probe_interval=400ms",
    "probe_timeout=300ms",
    "suspicion_timeout=2s",
    "gossip_interval=100ms",
    "reconnect_interval=1s",
];

fn gossip(args: &[&str]) -> Output {
    Command::new(GOSSIP)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("the gossip binary runs")
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// One agent process, stopped when the test ends however it ends.
struct Running {
    name: String,
    udp: u16,
    http: String,
    child: Child,
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A port no agent of this test has taken yet (an agent just spawned may not have
/// bound its ports when the next one's are picked).
fn unused_port() -> u16 {
    static TAKEN: Mutex<Vec<u16>> = Mutex::new(Vec::new());
    let mut taken = TAKEN.lock().unwrap();
    loop {
        let port = free_port();
        if !taken.contains(&port) {
            taken.push(port);
            return port;
        }
    }
}

fn start(name: &str, keyring: &Path, cluster: &str, join: Option<u16>) -> Running {
    let (udp, http) = (unused_port(), unused_port());
    let http = format!("127.0.0.1:{http}");
    let mut args = vec![
        "agent".to_owned(),
        "--name".into(),
        name.into(),
        "--bind".into(),
        format!("127.0.0.1:{udp}"),
        "--http".into(),
        http.clone(),
        "--keyring".into(),
        keyring.display().to_string(),
        "--cluster-name".into(),
        cluster.into(),
    ];
    for setting in SETTINGS {
        args.extend(["--set".into(), (*setting).into()]);
    }
    if let Some(seed) = join {
        args.extend(["--join".into(), format!("127.0.0.1:{seed}")]);
    }
    let child = Command::new(GOSSIP)
        .args(&args)
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("the agent starts");
    Running {
        name: name.into(),
        udp,
        http,
        child,
    }
}

/// (name, status) of every member `agent` lists, itself included.
fn members(http: &str) -> Vec<(String, String)> {
    let out = gossip(&["members", "--http", http, "--format", "json"]);
    let list: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap_or_default();
    list.iter()
        .map(|m| {
            (
                m["name"].as_str().unwrap_or_default().to_owned(),
                m["status"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

fn refused(http: &str) -> Value {
    let out = gossip(&["stats", "--http", http, "--format", "json"]);
    let stats: Value = serde_json::from_slice(&out.stdout).unwrap_or_default();
    stats["refused"].clone()
}

fn all_alive(agent: &Running, names: &[&str]) -> bool {
    let seen = members(&agent.http);
    seen.len() == names.len()
        && names.iter().all(|n| {
            seen.iter()
                .any(|(name, status)| name == n && status == "alive")
        })
}

fn scratch_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("gossip-keyring-test-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn sealed_clusters_keep_strangers_out_and_rotate_keys_live() {
    let dir = scratch_dir();
    let ring = |name: &str| dir.join(format!("{name}.json"));
    let made = gossip(&["keygen", "--keyring", ring("k1").to_str().unwrap()]);
    assert!(made.status.success(), "{made:?}");
    for copy in ["k2", "k3", "other-name"] {
        std::fs::copy(ring("k1"), ring(copy)).unwrap();
    }
    assert!(
        gossip(&["keygen", "--keyring", ring("stranger").to_str().unwrap()])
            .status
            .success()
    );
    let again = gossip(&["keygen", "--keyring", ring("k1").to_str().unwrap()]);
    assert!(!again.status.success(), "a keyring is never overwritten");

    let k1 = start("k1", &ring("k1"), "lab", None);
    let k2 = start("k2", &ring("k2"), "lab", Some(k1.udp));
    let k3 = start("k3", &ring("k3"), "lab", Some(k1.udp));
    let stranger = start("stranger", &ring("stranger"), "lab", Some(k1.udp));
    let other_name = start("other-name", &ring("other-name"), "elsewhere", Some(k1.udp));
    let cluster = ["k1", "k2", "k3"];
    let agents = [&k1, &k2, &k3];
    assert!(
        eventually(Duration::from_secs(15), || agents
            .iter()
            .all(|a| all_alive(a, &cluster))),
        "the three with the key form a cluster: {:?}",
        agents.iter().map(|a| members(&a.http)).collect::<Vec<_>>()
    );
    // Give the outsiders several join attempts; they stay alone.
    std::thread::sleep(Duration::from_secs(2));
    for agent in agents {
        assert!(
            all_alive(agent, &cluster),
            "{}: {:?}",
            agent.name,
            members(&agent.http)
        );
    }
    for outsider in [&stranger, &other_name] {
        assert_eq!(
            members(&outsider.http),
            vec![(outsider.name.clone(), "alive".to_owned())],
            "{} is kept out",
            outsider.name
        );
    }
    let counted = refused(&k1.http);
    assert!(
        counted["unauthenticated"].as_u64().unwrap_or(0) > 0,
        "the outsiders' datagrams are counted: {counted}"
    );
    // The outsiders stop, so what follows is counted exactly.
    for mut outsider in [stranger, other_name] {
        terminate(&mut outsider.child, Duration::from_secs(5));
    }
    std::thread::sleep(Duration::from_millis(500));
    let before = refused(&k1.http);
    let count = |stats: &Value, reason: &str| stats[reason].as_u64().unwrap_or(0);

    // A datagram sealed right, sent twice, and a tampered copy.
    let keys = KeyringFile::load(&ring("k1")).unwrap().ring;
    let envelope = Envelope::new(Some("lab".into()), Some(keys));
    let packet = Packet {
        from: NodeId::new("intruder").unwrap(),
        message: Message::Gossip,
        updates: Vec::new(),
    };
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64;
    let sealed = envelope.seal(&encode(&packet), now_ms);
    let mut tampered = sealed.clone();
    let last = tampered.len() - 1;
    tampered[last] ^= 1;
    let socket = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    for datagram in [&sealed, &sealed, &tampered] {
        socket.send_to(datagram, ("127.0.0.1", k1.udp)).unwrap();
    }
    let expected = |now: &Value| {
        count(now, "replayed") == count(&before, "replayed") + 1
            && count(now, "unauthenticated") == count(&before, "unauthenticated") + 1
    };
    assert!(
        eventually(Duration::from_secs(3), || expected(&refused(&k1.http))),
        "one replay and one tampered datagram counted: before {before}, after {}",
        refused(&k1.http)
    );
    std::thread::sleep(Duration::from_millis(300));
    assert!(
        expected(&refused(&k1.http)),
        "and nothing more: {}",
        refused(&k1.http)
    );

    // Rotate the key live while watching every member's state.
    let watching = Arc::new(AtomicBool::new(true));
    let suspicions = Arc::new(Mutex::new(Vec::new()));
    let watcher = {
        let (watching, suspicions) = (watching.clone(), suspicions.clone());
        let https: Vec<String> = agents.iter().map(|a| a.http.clone()).collect();
        std::thread::spawn(move || {
            while watching.load(Ordering::Relaxed) {
                for http in &https {
                    for (name, status) in members(http) {
                        if status != "alive" {
                            suspicions
                                .lock()
                                .unwrap()
                                .push(format!("{http}: {name} {status}"));
                        }
                    }
                }
                std::thread::sleep(Duration::from_millis(150));
            }
        })
    };
    let old = stdout(&gossip(&["keys", "list", "--http", &k1.http]))
        .split_whitespace()
        .next()
        .unwrap()
        .to_owned();
    let listed: serde_json::Value = serde_json::from_str(&stdout(&gossip(&[
        "keys", "--format", "json", "list", "--http", &k1.http,
    ])))
    .unwrap();
    assert_eq!(listed["primary"], old.as_str(), "{listed}");
    assert_eq!(listed["keys"][0], old.as_str(), "{listed}");
    let new = stdout(&gossip(&["keygen"])).trim().to_owned();
    for step in ["install", "use"] {
        for agent in agents {
            let out = gossip(&["keys", step, &new, "--http", &agent.http]);
            assert!(
                out.status.success(),
                "keys {step} on {}: {out:?}",
                agent.name
            );
            // Gossip a little between agents, as an operator's loop would.
            std::thread::sleep(Duration::from_millis(300));
        }
    }
    let refused_primary = gossip(&["keys", "remove", &new, "--http", &k1.http]);
    assert_eq!(refused_primary.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&refused_primary.stderr).contains("primary"));
    for agent in agents {
        let out = gossip(&["keys", "remove", &old, "--http", &agent.http]);
        assert!(
            out.status.success(),
            "keys remove on {}: {out:?}",
            agent.name
        );
    }
    std::thread::sleep(Duration::from_secs(2));
    watching.store(false, Ordering::Relaxed);
    watcher.join().unwrap();
    assert_eq!(
        *suspicions.lock().unwrap(),
        Vec::<String>::new(),
        "no member was suspected during the rotation"
    );
    for agent in agents {
        assert!(
            all_alive(agent, &cluster),
            "{}: {:?}",
            agent.name,
            members(&agent.http)
        );
        assert_eq!(
            stdout(&gossip(&["keys", "list", "--http", &agent.http])).trim(),
            format!("{new}  (primary)")
        );
    }
    let saved = KeyringFile::load(&ring("k2")).unwrap().ring;
    assert_eq!(
        saved.primary().to_base64(),
        new,
        "key changes are saved to the file"
    );
    assert_eq!(saved.keys().len(), 1);

    let bad = gossip(&["keys", "install", "not-a-key", "--http", &k1.http]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("base64"));

    for mut agent in [k1, k2, k3] {
        terminate(&mut agent.child, Duration::from_secs(5));
    }
    let _ = std::fs::remove_dir_all(dir);
}
