//! Agents as separate hosts: each runs in its own Linux network namespace with its own
//! address, loopback and `/etc/hosts`, joins the others by host name, and is reached
//! only through its own HTTP API on its own 127.0.0.1. Hosts 1-2 hang off one bridge,
//! hosts 3-4 off another, and one veth pair (the trunk) joins the bridges; cutting the
//! trunk splits the cluster in two, healing it merges the halves, and a key written on
//! both sides meanwhile is held as two siblings until a later write resolves them.
//!
//! The bridges live in a "switch" namespace, so nothing touches the host's own network.
//! The test needs root and `ip` (iproute2) with `ip netns`; without them it fails.

mod support;

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use support::{eventually, terminate};

/// Every namespace (and `/etc/netns` dir) this test makes starts with this, then the
/// test process's pid.
const PREFIX: &str = "gossiphosts-";
const SUBNET: &str = "10.213.0";
const PORT: u16 = 7946;
const HTTP: &str = "127.0.0.1:9001";
const NEEDS: &str = "this test runs agents as hosts in Linux network namespaces: it needs \
     root and `ip netns` from iproute2";

/// Fast protocol settings: a 200 ms period, suspicion settled within about 2 s, and a
/// reconnect attempt every second so the healed halves find each other quickly.
const SETTINGS: &[&str] = &[
    "lifeguard=true",
    "probe_interval=200ms",
    "probe_timeout=100ms",
    "suspicion_timeout=1s",
    "suspicion_max_timeout_mult=2",
    "gossip_interval=100ms",
    "push_pull_interval=2s",
    "reconnect_interval=1s",
    "sync_interval=500ms",
];

fn run(program: &str, args: &[&str]) -> Output {
    Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("cannot run `{program}`: {e}"))
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// `ip ARGS`, which must succeed.
fn ip(args: &[&str]) {
    let out = run("ip", args);
    assert!(
        out.status.success(),
        "`ip {}` failed: {}",
        args.join(" "),
        text(&out)
    );
}

/// Namespaces named `PREFIX<pid>-...`.
fn our_namespaces() -> Vec<String> {
    let out = run("ip", &["netns", "list"]);
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|line| line.split_whitespace().next())
        .filter(|name| name.starts_with(PREFIX))
        .map(str::to_owned)
        .collect()
}

fn pid_of(name: &str) -> Option<u32> {
    name.strip_prefix(PREFIX)?.split('-').next()?.parse().ok()
}

/// Kills what still runs in namespace `ns`, deletes it and its `/etc/netns` dir.
fn remove_namespace(ns: &str) {
    let pids = run("ip", &["netns", "pids", ns]);
    for pid in String::from_utf8_lossy(&pids.stdout).split_whitespace() {
        let _ = run("kill", &["-KILL", pid]);
    }
    let _ = run("ip", &["netns", "delete", ns]);
    let _ = std::fs::remove_dir_all(Path::new("/etc/netns").join(ns));
}

/// Namespaces and `/etc/netns` dirs left by runs of this test that no longer run.
fn remove_stale() {
    let stale =
        |name: &str| pid_of(name).is_some_and(|pid| !Path::new(&format!("/proc/{pid}")).exists());
    for ns in our_namespaces().into_iter().filter(|ns| stale(ns)) {
        eprintln!("removing stale namespace {ns}");
        remove_namespace(&ns);
    }
    if let Ok(dirs) = std::fs::read_dir("/etc/netns") {
        for dir in dirs.flatten() {
            let name = dir.file_name().to_string_lossy().into_owned();
            if name.starts_with(PREFIX) && stale(&name) {
                let _ = std::fs::remove_dir_all(dir.path());
            }
        }
    }
}

/// The network and the agents; dropping it (also when an assertion fails) stops the
/// agents and removes every namespace, `/etc/netns` dir and log it made.
struct Lab {
    tag: String,
    namespaces: Vec<String>,
    agents: Vec<(String, Child)>,
    logs: PathBuf,
    seed: u64,
}

impl Lab {
    fn new() -> Lab {
        let probe = Command::new("ip").args(["netns", "list"]).output();
        assert!(
            probe.as_ref().is_ok_and(|out| out.status.success()),
            "{NEEDS}; `ip netns list` failed: {}",
            probe.map_or_else(|e| e.to_string(), |out| text(&out))
        );
        remove_stale();
        let tag = format!("{PREFIX}{}", std::process::id());
        let seed = std::env::var("GOSSIP_HOSTS_SEED")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| {
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(1, |d| d.as_secs())
            });
        let logs = std::env::temp_dir().join(&tag);
        let _ = std::fs::remove_dir_all(&logs);
        std::fs::create_dir_all(&logs).unwrap();
        let mut lab = Lab {
            tag,
            namespaces: Vec::new(),
            agents: Vec::new(),
            logs,
            seed,
        };
        let sw = lab.switch();
        let add = run("ip", &["netns", "add", &sw]);
        assert!(
            add.status.success(),
            "{NEEDS}; `ip netns add {sw}` failed: {}",
            text(&add)
        );
        lab.namespaces.push(sw.clone());
        ip(&["-n", &sw, "link", "set", "lo", "up"]);
        for bridge in ["brA", "brB"] {
            ip(&["-n", &sw, "link", "add", bridge, "type", "bridge"]);
            ip(&["-n", &sw, "link", "set", bridge, "up"]);
        }
        ip(&[
            "-n", &sw, "link", "add", "trunkA", "type", "veth", "peer", "name", "trunkB",
        ]);
        ip(&["-n", &sw, "link", "set", "trunkA", "master", "brA", "up"]);
        ip(&["-n", &sw, "link", "set", "trunkB", "master", "brB", "up"]);
        for host in 1..=4 {
            lab.add_host(host, if host <= 2 { "brA" } else { "brB" });
        }
        eprintln!(
            "namespaces: {} (switch {sw}, trunk trunkA-trunkB); GOSSIP_HOSTS_SEED={seed}; logs in {}",
            lab.namespaces[1..].join(" "),
            lab.logs.display()
        );
        lab
    }

    fn switch(&self) -> String {
        format!("{}-sw", self.tag)
    }

    fn ns(&self, host: u8) -> String {
        format!("{}-h{host}", self.tag)
    }

    /// Namespace `h<host>` with address 10.213.0.<host> on `bridge`, and an
    /// `/etc/hosts` naming host1..host4.
    fn add_host(&mut self, host: u8, bridge: &str) {
        let (ns, sw) = (self.ns(host), self.switch());
        ip(&["netns", "add", &ns]);
        self.namespaces.push(ns.clone());
        let port = format!("p{host}");
        ip(&["-n", &ns, "link", "set", "lo", "up"]);
        ip(&[
            "-n", &sw, "link", "add", &port, "type", "veth", "peer", "name", "eth0", "netns", &ns,
        ]);
        ip(&["-n", &sw, "link", "set", &port, "master", bridge, "up"]);
        ip(&[
            "-n",
            &ns,
            "addr",
            "add",
            &format!("{SUBNET}.{host}/24"),
            "dev",
            "eth0",
        ]);
        ip(&["-n", &ns, "link", "set", "eth0", "up"]);
        std::fs::create_dir_all(self.etc(host)).unwrap();
        self.write_hosts(host, "");
    }

    fn etc(&self, host: u8) -> PathBuf {
        Path::new("/etc/netns").join(self.ns(host))
    }

    /// Writes the namespace's hosts file in place (truncate and write, the same inode):
    /// `ip netns exec` bind-mounts the file when a process starts, so a running agent
    /// sees the new content, where a new file renamed over it would stay unseen.
    fn write_hosts(&self, host: u8, extra: &str) {
        let mut hosts = String::from("127.0.0.1 localhost\n");
        for h in 1..=4 {
            hosts.push_str(&format!("{SUBNET}.{h} host{h}\n"));
        }
        hosts.push_str(extra);
        std::fs::write(self.etc(host).join("hosts"), hosts).unwrap();
    }

    /// Starts `gossip agent` as `host<host>` inside its namespace.
    fn start(&mut self, host: u8, join: &str) {
        let name = format!("host{host}");
        let log = File::create(self.logs.join(format!("{name}.log"))).unwrap();
        let child = Command::new("ip")
            .args([
                "netns",
                "exec",
                &self.ns(host),
                env!("CARGO_BIN_EXE_gossip"),
            ])
            .args([
                "agent",
                "--name",
                &name,
                "--bind",
                &format!("0.0.0.0:{PORT}"),
            ])
            .args(["--advertise", &format!("{SUBNET}.{host}:{PORT}")])
            .args(["--join", join, "--http", HTTP])
            .args(["--rng-seed", &(self.seed + u64::from(host)).to_string()])
            .args(SETTINGS.iter().flat_map(|s| ["--set", s]))
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap();
        self.agents.push((name, child));
    }

    /// `gossip ARGS --http 127.0.0.1:9001` run inside host `host`'s namespace.
    fn gossip(&self, host: u8, args: &[&str]) -> Output {
        Command::new("ip")
            .args([
                "netns",
                "exec",
                &self.ns(host),
                env!("CARGO_BIN_EXE_gossip"),
            ])
            .args(args)
            .args(["--http", HTTP])
            .stdin(Stdio::null())
            .output()
            .unwrap()
    }

    fn json(&self, host: u8, args: &[&str]) -> Option<serde_json::Value> {
        let out = self.gossip(host, args);
        out.status
            .success()
            .then(|| serde_json::from_slice(&out.stdout).ok())
            .flatten()
    }

    /// `(name, address, status)` of every member host `host` knows, itself included.
    fn members(&self, host: u8) -> Vec<(String, String, String)> {
        let Some(members) = self.json(host, &["members", "--format", "json"]) else {
            return Vec::new();
        };
        members
            .as_array()
            .into_iter()
            .flatten()
            .map(|m| {
                let field = |f: &str| m[f].as_str().unwrap_or_default().to_owned();
                (field("name"), field("addr"), field("status"))
            })
            .collect()
    }

    /// The status host `host` holds `other` in.
    fn status_of(&self, host: u8, other: u8) -> Option<String> {
        let name = format!("host{other}");
        self.members(host)
            .into_iter()
            .find(|(n, _, _)| *n == name)
            .map(|(_, _, status)| status)
    }

    /// Whether host `host` holds exactly `hosts`, all alive.
    fn sees_alive(&self, host: u8, hosts: &[u8]) -> bool {
        let members = self.members(host);
        members.len() == hosts.len()
            && hosts
                .iter()
                .all(|&h| self.status_in(&members, h) == Some("alive"))
    }

    fn status_in<'a>(&self, members: &'a [(String, String, String)], host: u8) -> Option<&'a str> {
        let name = format!("host{host}");
        members
            .iter()
            .find(|(n, _, _)| *n == name)
            .map(|(_, _, s)| s.as_str())
    }

    /// The values of every version of `key` host `host` holds, sorted.
    fn versions(&self, host: u8, key: &str) -> Vec<String> {
        let Some(keys) = self.json(host, &["kv", "list", "--format", "json"]) else {
            return Vec::new();
        };
        let Some(entry) = keys
            .as_array()
            .into_iter()
            .flatten()
            .find(|k| k["key"] == key)
        else {
            return Vec::new();
        };
        let mut values: Vec<String> = entry["versions"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|v| v["value"].as_str().unwrap_or("(deleted)").to_owned())
            .collect();
        values.sort();
        values
    }

    fn put(&self, host: u8, key: &str, value: &str) {
        let out = self.gossip(host, &["kv", "put", key, value]);
        assert!(out.status.success(), "put on host{host}: {}", text(&out));
    }

    /// Every host's member table, for failure messages.
    fn tables(&self, hosts: &[u8]) -> String {
        hosts
            .iter()
            .map(|&h| format!("host{h}: {:?}", self.members(h)))
            .collect::<Vec<_>>()
            .join("\n")
    }

    fn trunk(&self, state: &str) {
        ip(&["-n", &self.switch(), "link", "set", "trunkA", state]);
    }
}

impl Drop for Lab {
    fn drop(&mut self) {
        for (_, child) in &mut self.agents {
            let _ = child.kill();
            let _ = child.wait();
        }
        if std::thread::panicking() {
            for (name, _) in &self.agents {
                let log = std::fs::read_to_string(self.logs.join(format!("{name}.log")))
                    .unwrap_or_default();
                let lines: Vec<&str> = log.lines().collect();
                eprintln!("--- last lines of {name}'s log:");
                for line in &lines[lines.len().saturating_sub(15)..] {
                    eprintln!("{line}");
                }
            }
            if !self.agents.is_empty() {
                eprintln!(
                    "(rerun with GOSSIP_HOSTS_SEED={} for the same agent seeds)",
                    self.seed
                );
            }
        }
        for ns in self.namespaces.iter().rev() {
            remove_namespace(ns);
        }
        let _ = std::fs::remove_dir_all(&self.logs);
    }
}

#[test]
fn hosts_on_two_bridges_split_and_merge_when_the_trunk_is_cut_and_healed() {
    let started = Instant::now();
    let mut lab = Lab::new();
    let all = [1, 2, 3, 4];
    for host in all {
        lab.start(host, &format!("host1:{PORT}"));
    }

    // 1. Everyone joined by host name and holds the others at their advertised
    //    addresses, not the 0.0.0.0 they are bound to.
    let joined = eventually(Duration::from_secs(10), || {
        all.iter().all(|&h| lab.sees_alive(h, &all))
    });
    assert!(joined, "four alive everywhere:\n{}", lab.tables(&all));
    for host in all {
        for (name, addr, _) in lab.members(host) {
            let n: u8 = name.trim_start_matches("host").parse().unwrap();
            assert_eq!(
                addr,
                format!("{SUBNET}.{n}:{PORT}"),
                "host{host} holds {name} at its advertised address"
            );
        }
    }
    eprintln!("[{:.1?}] joined", started.elapsed());

    // 2. A key written on host1 reaches host4, across the trunk.
    lab.put(1, "colour", "blue");
    assert!(
        eventually(Duration::from_secs(5), || lab.versions(4, "colour")
            == ["blue"]),
        "host4 reads colour: {:?}",
        lab.versions(4, "colour")
    );

    // 3. Cut the trunk: each side holds the other dead; the key is written on both.
    lab.trunk("down");
    let split = eventually(Duration::from_secs(10), || {
        let left = [1, 2].iter().all(|&h| {
            let m = lab.members(h);
            lab.status_in(&m, 3) == Some("dead") && lab.status_in(&m, 4) == Some("dead")
        });
        left && [3, 4].iter().all(|&h| {
            let m = lab.members(h);
            lab.status_in(&m, 1) == Some("dead") && lab.status_in(&m, 2) == Some("dead")
        })
    });
    assert!(
        split,
        "each side holds the other dead:\n{}",
        lab.tables(&all)
    );
    for (a, b) in [(1, 2), (2, 1), (3, 4), (4, 3)] {
        assert_eq!(
            lab.status_of(a, b).as_deref(),
            Some("alive"),
            "host{a} still holds host{b}, on its own side, alive"
        );
    }
    eprintln!("[{:.1?}] split", started.elapsed());
    lab.put(1, "colour", "left");
    lab.put(3, "colour", "right");
    let sides = eventually(Duration::from_secs(5), || {
        lab.versions(2, "colour") == ["left"] && lab.versions(4, "colour") == ["right"]
    });
    assert!(
        sides,
        "each write spread on its own side only: host2 {:?}, host4 {:?}",
        lab.versions(2, "colour"),
        lab.versions(4, "colour")
    );

    // 4. Heal: one cluster again, the two writes held as siblings everywhere, and a
    //    later write resolves them.
    lab.trunk("up");
    let merged = eventually(Duration::from_secs(15), || {
        all.iter().all(|&h| lab.sees_alive(h, &all))
    });
    assert!(merged, "one cluster again:\n{}", lab.tables(&all));
    eprintln!("[{:.1?}] merged", started.elapsed());
    let siblings = eventually(Duration::from_secs(10), || {
        all.iter()
            .all(|&h| lab.versions(h, "colour") == ["left", "right"])
    });
    assert!(
        siblings,
        "both writes held as siblings everywhere: {:?}",
        all.map(|h| lab.versions(h, "colour"))
    );
    let get = lab.gossip(2, &["kv", "get", "colour"]);
    assert!(
        text(&get).contains("colour: 2 concurrent versions (a conflict"),
        "`gossip kv get` shows the siblings: {}",
        text(&get)
    );
    lab.put(2, "colour", "purple");
    let resolved = eventually(Duration::from_secs(10), || {
        all.iter().all(|&h| lab.versions(h, "colour") == ["purple"])
    });
    assert!(
        resolved,
        "a later write resolves the siblings everywhere: {:?}",
        all.map(|h| lab.versions(h, "colour"))
    );
    eprintln!("[{:.1?}] resolved", started.elapsed());

    // 5. A seed's name is resolved again at each join retry: host5's "seed" first names
    //    an address where nothing listens, then host1's.
    lab.add_host(5, "brA");
    lab.write_hosts(5, &format!("{SUBNET}.99 seed\n"));
    lab.start(5, &format!("seed:{PORT}"));
    let retried = eventually(Duration::from_secs(5), || {
        lab.json(5, &["stats", "--format", "json"])
            .is_some_and(|s| s["messages_sent"]["sync"].as_u64().unwrap_or(0) >= 2)
    });
    assert!(
        retried,
        "host5 tries its seed more than once: {:?}",
        lab.json(5, &["stats", "--format", "json"])
    );
    assert_eq!(
        lab.members(5).len(),
        1,
        "host5 is alone while its seed names nobody: {:?}",
        lab.members(5)
    );
    lab.write_hosts(5, &format!("{SUBNET}.1 seed\n"));
    let hosts_now = Command::new("ip")
        .args(["netns", "exec", &lab.ns(5), "cat", "/etc/hosts"])
        .output()
        .unwrap();
    assert!(
        text(&hosts_now).contains(&format!("{SUBNET}.1 seed")),
        "the namespace sees the rewritten hosts file: {}",
        text(&hosts_now)
    );
    let five = [1, 2, 3, 4, 5];
    let rejoined = eventually(Duration::from_secs(10), || {
        five.iter().all(|&h| lab.sees_alive(h, &five))
    });
    assert!(
        rejoined,
        "host5 joins once its seed's name points at host1:\n{}",
        lab.tables(&five)
    );
    eprintln!(
        "[{:.1?}] host5 joined through the renamed seed",
        started.elapsed()
    );

    // Every agent leaves gracefully on SIGTERM, all at once.
    for (_, child) in &lab.agents {
        let _ = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status();
    }
    for (name, child) in &mut lab.agents {
        assert!(
            terminate(child, Duration::from_secs(5)).is_some_and(|s| s.success()),
            "{name} stops with status 0 on SIGTERM"
        );
    }
}
