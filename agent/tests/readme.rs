//! Every `gossip ...` command that README.md shows runs as a user would copy it: the
//! commands are read from the README itself, so a new example is covered the moment it
//! is written. Experiment sizes are scaled down to keep the test quick; each command
//! must exit 0 and print the result fields the README's experiment table documents.
//! Agent commands are started together (on free ports), then its `join` commands run,
//! and they must find each other and leave gracefully on SIGTERM (the one with an event
//! handler keeping its list of the others as they come and go). The `cluster`
//! command is started (on free ports), and every client command (`members`, `kv`,
//! `stats`, `events`, `tags`, `event`, `join`, `leave`) is run against it in the README's order.

mod support;

use std::collections::BTreeMap;
use std::io::Read;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use support::{Stopped, free_port, free_run, terminate};

const README: &str = include_str!("../../README.md");

/// The arguments of every `gossip` command in the README's shell blocks, in order:
/// `cargo run -p gossip-agent --release -- ARGS` and `gossip ARGS` alike, with
/// continuation lines joined and comments dropped.
fn readme_commands() -> Vec<Vec<String>> {
    let mut commands = Vec::new();
    let mut in_shell = false;
    let mut pending = String::new();
    for line in README.lines() {
        let trimmed = line.trim();
        if trimmed.starts_with("```") {
            in_shell = !in_shell && trimmed == "```sh";
            continue;
        }
        if !in_shell {
            continue;
        }
        let code = trimmed.split(" #").next().unwrap_or("").trim();
        if let Some(continued) = code.strip_suffix('\\') {
            pending.push_str(continued);
            pending.push(' ');
            continue;
        }
        pending.push_str(code);
        let full = std::mem::take(&mut pending);
        let args =
            if let Some((_, args)) = full.split_once("cargo run -p gossip-agent --release -- ") {
                args.to_owned()
            } else if let Some(args) = full.strip_prefix("gossip ") {
                args.to_owned()
            } else {
                continue;
            };
        assert!(
            !args.contains(['"', '\'', '$', '|', '>', '<']),
            "README commands are plain words: {args}"
        );
        commands.push(args.split_whitespace().map(str::to_owned).collect());
    }
    commands
}

/// The result fields the README's experiment table documents, by experiment: the
/// backticked names in each row's last column.
fn documented_fields() -> BTreeMap<String, Vec<String>> {
    let mut fields = BTreeMap::new();
    for line in README.lines() {
        let cells: Vec<&str> = line.split(" | ").collect();
        if !line.starts_with("| `") || cells.len() < 3 {
            continue;
        }
        let name = cells[0]
            .trim_start_matches("| ")
            .trim_matches('`')
            .to_owned();
        let last = cells[cells.len() - 1];
        let names: Vec<String> = last
            .split('`')
            .skip(1)
            .step_by(2)
            .filter(|word| {
                !word.is_empty()
                    && word
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
            })
            .map(str::to_owned)
            .collect();
        fields.insert(name, names);
    }
    fields
}

/// The flags whose values make an experiment long, and the most this test runs.
const SCALE_DOWN: [(&str, u64); 6] = [
    ("--nodes", 30),
    ("--runs", 2),
    ("--duration", 60),
    ("--periods", 5),
    ("--schedules", 2),
    ("--steps", 10),
];

fn scaled(args: &[String]) -> Vec<String> {
    let mut out = args.to_vec();
    for i in 1..out.len() {
        let flag = out[i - 1].clone();
        if let Some((_, most)) = SCALE_DOWN.iter().find(|(f, _)| *f == flag)
            && let Ok(value) = out[i].parse::<u64>()
        {
            out[i] = value.min(*most).to_string();
        }
    }
    out
}

fn gossip() -> Command {
    Command::new(env!("CARGO_BIN_EXE_gossip"))
}

#[test]
fn the_readme_shows_commands_and_documents_fields() {
    let commands = readme_commands();
    assert!(commands.iter().any(|c| c[0] == "agent"), "{commands:?}");
    assert!(
        commands.iter().filter(|c| c[0] == "sim").count() >= 4,
        "{commands:?}"
    );
    let fields = documented_fields();
    for experiment in [
        "detection",
        "dissemination",
        "false-positives",
        "rumor",
        "anti-entropy",
    ] {
        assert!(
            fields.get(experiment).is_some_and(|f| !f.is_empty()),
            "the README documents the results of {experiment}: {fields:?}"
        );
    }
}

/// The README's configuration table names every setting a node has, as the field that
/// `--set`, config files and the lab's settings panel take.
#[test]
fn the_readme_configuration_table_names_every_setting() {
    let table: Vec<&str> = README
        .lines()
        .skip_while(|line| !line.starts_with("| field | demo | lan(n) | wan(n) |"))
        .take_while(|line| line.starts_with('|'))
        .collect();
    assert!(!table.is_empty(), "the README has a configuration table");
    for field in gossip_core::Config::FIELDS {
        let named = format!("`{}`", field.name);
        assert!(
            table.iter().any(|row| {
                let first_cell = row.split('|').nth(1).unwrap_or_default();
                first_cell.contains(&named)
            }),
            "the README's configuration table names {named}"
        );
    }
}

#[test]
fn every_readme_experiment_runs_and_prints_its_documented_fields() {
    let fields = documented_fields();
    // Files a command writes (a chaos trace) land here, where the next command finds them.
    let dir = std::env::temp_dir().join(format!("gossip-readme-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for args in readme_commands().iter().filter(|c| c[0] == "sim") {
        let args = scaled(args);
        let out = gossip().args(&args).current_dir(&dir).output().unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "gossip {}: {}{}",
            args.join(" "),
            stdout,
            String::from_utf8_lossy(&out.stderr)
        );
        for field in fields.get(&args[1]).into_iter().flatten() {
            assert!(
                stdout.contains(field.as_str()),
                "gossip {} prints {field}:\n{stdout}",
                args.join(" ")
            );
        }
    }
    std::fs::remove_dir_all(&dir).ok();
}

fn stop(child: &mut Child) -> (bool, String) {
    let exited_ok = terminate(child, Duration::from_secs(10)).is_some_and(|s| s.success());
    let mut log = String::new();
    if let Some(mut stderr) = child.stderr.take() {
        let _ = stderr.read_to_string(&mut log);
    }
    (exited_ok, log)
}

/// The README's agents, started together in one directory after its `keygen`
/// commands ran there, form their clusters (an agent belongs to the cluster of the
/// agent it joins through) and answer its `keys` commands; SIGTERM makes each leave
/// gracefully (exit 0), and each cluster's first agent hears the others leave rather
/// than die, and never hears of another cluster's agents.
#[test]
fn the_readme_agents_form_a_cluster_and_leave_on_sigterm() {
    let commands = readme_commands();
    let agents: Vec<Vec<String>> = commands
        .iter()
        .filter(|c| c[0] == "agent")
        .cloned()
        .collect();
    assert!(agents.len() >= 2, "{agents:?}");
    let dir = std::env::temp_dir().join(format!("gossip-readme-agents-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    // Event handlers are named from the source tree's root, as the README runs them.
    std::os::unix::fs::symlink(
        concat!(env!("CARGO_MANIFEST_DIR"), "/../examples"),
        dir.join("examples"),
    )
    .unwrap();
    for keygen in commands.iter().filter(|c| c[0] == "keygen") {
        let out = gossip().args(keygen).current_dir(&dir).output().unwrap();
        assert!(out.status.success(), "gossip {}: {out:?}", keygen.join(" "));
    }
    // Each address the README uses gets a free port of its own.
    let mut ports: BTreeMap<String, String> = BTreeMap::new();
    let mut localised = |args: &[String]| -> Vec<String> {
        args.iter()
            .map(|arg| match arg.strip_prefix("127.0.0.1:") {
                Some(_) => ports
                    .entry(arg.clone())
                    .or_insert_with(|| format!("127.0.0.1:{}", free_port()))
                    .clone(),
                None => arg.clone(),
            })
            .collect()
    };
    // Which cluster each agent is in: the one of the agent it joins through, at start
    // (`--join`) or later (`join ADDR --http ITS_API`).
    let flag = |args: &[String], name: &str| {
        let at = args.iter().position(|a| a == name)?;
        args.get(at + 1).cloned()
    };
    let joins: Vec<&Vec<String>> = commands.iter().filter(|c| c[0] == "join").collect();
    let mut cluster_of: BTreeMap<String, usize> = BTreeMap::new();
    let clusters: Vec<usize> = agents
        .iter()
        .enumerate()
        .map(|(i, args)| {
            let joined_later = joins
                .iter()
                .find(|join| flag(join, "--http") == flag(args, "--http"))
                .map(|join| join[1].clone());
            let cluster = flag(args, "--join")
                .or(joined_later)
                .and_then(|seed| cluster_of.get(&seed).copied())
                .unwrap_or(i);
            cluster_of.insert(flag(args, "--bind").unwrap_or_default(), cluster);
            cluster
        })
        .collect();
    let mut children: Vec<Stopped> = agents
        .iter()
        .map(|args| {
            let child = gossip()
                .args(localised(args))
                .current_dir(&dir)
                .env("RUST_LOG", "info")
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap();
            std::thread::sleep(Duration::from_millis(300));
            Stopped(child)
        })
        .collect();
    // Demo timings: a join takes a gossip round or two.
    std::thread::sleep(Duration::from_secs(4));
    for join in &joins {
        let out = gossip().args(localised(join)).output().unwrap();
        assert!(
            out.status.success() && String::from_utf8_lossy(&out.stdout).starts_with("joined "),
            "gossip {}: {out:?}",
            join.join(" ")
        );
    }
    if !joins.is_empty() {
        std::thread::sleep(Duration::from_secs(2));
    }
    for keys in commands.iter().filter(|c| c[0] == "keys") {
        let out = gossip().args(localised(keys)).output().unwrap();
        assert!(
            out.status.success(),
            "gossip {}: {}",
            keys.join(" "),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    // The agent running examples/upstreams.sh lists the others of its cluster, alive.
    let keeps_upstreams = agents.iter().position(|args| {
        flag(args, "--event-handler").is_some_and(|h| h.ends_with("examples/upstreams.sh"))
    });
    let upstreams = dir.join("upstreams");
    let listed = || {
        let mut lines: Vec<String> = std::fs::read_to_string(&upstreams)
            .unwrap_or_default()
            .lines()
            .map(str::to_owned)
            .collect();
        lines.sort();
        lines
    };
    let keeper = keeps_upstreams.expect("a README agent runs examples/upstreams.sh");
    {
        let mut expected: Vec<String> = (0..agents.len())
            .filter(|&i| i != keeper && clusters[i] == clusters[keeper])
            .map(|i| {
                let bind = localised(&[flag(&agents[i], "--bind").unwrap()]).remove(0);
                format!("{} {bind}", flag(&agents[i], "--name").unwrap())
            })
            .collect();
        expected.sort();
        assert!(!expected.is_empty());
        assert!(
            support::eventually(Duration::from_secs(10), || listed() == expected),
            "upstreams lists {expected:?}: {:?}",
            listed()
        );
    }
    let mut logs: Vec<String> = vec![String::new(); children.len()];
    for (i, child) in children.iter_mut().enumerate().rev() {
        let (exited_ok, log) = stop(&mut child.0);
        assert!(exited_ok, "an agent exits 0 on SIGTERM:\n{log}");
        logs[i] = log;
    }
    assert_eq!(listed(), [] as [String; 0], "the others left before it");
    for (first, log) in logs.iter().enumerate() {
        if clusters[first] != first {
            continue;
        }
        let others = clusters.iter().filter(|c| **c == first).count() - 1;
        assert!(others > 0, "{:?} starts a cluster of one", agents[first]);
        let joined = log.matches("member joined").count();
        assert_eq!(
            joined, others,
            "the first agent saw the others join:\n{log}"
        );
        let left = log.matches("member left").count();
        assert_eq!(left, others, "and leave, not die:\n{log}");
        assert!(!log.contains("member dead"), "{log}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// `GET /` of the agent whose HTTP API is on `port`: the whole answer.
fn get_page(port: u16) -> String {
    use std::io::Write;
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream
        .write_all(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer);
    answer
}

/// The client commands, each aimed at the launched cluster: the README's
/// `--http 127.0.0.1:900N` becomes the cluster's N-th API, a command without
/// `--http` gets the first, and the UDP address of the README cluster's N-th agent,
/// `127.0.0.1:7945+N` (as `join` takes), becomes the launched cluster's N-th.
fn aimed(args: &[String], http_base: u16, udp: std::ops::Range<u16>) -> Vec<String> {
    let mut out = Vec::new();
    let mut aimed = false;
    let mut iter = args.iter().peekable();
    while let Some(arg) = iter.next() {
        if arg == "--http" {
            let readme_port: u16 = iter
                .next()
                .and_then(|a| a.rsplit(':').next()?.parse().ok())
                .expect("--http takes an address");
            out.push(arg.clone());
            out.push(format!("127.0.0.1:{}", http_base + (readme_port - 9001)));
            aimed = true;
        } else if let Some(offset) = arg
            .strip_prefix("127.0.0.1:")
            .and_then(|port| port.parse::<u16>().ok()?.checked_sub(7946))
            .filter(|&offset| offset < udp.len() as u16)
        {
            out.push(format!("127.0.0.1:{}", udp.start + offset));
        } else {
            out.push(arg.clone());
        }
    }
    if !aimed {
        // `--http` belongs to the subcommand that talks to the agent (`kv`, not `put`).
        out.insert(1, format!("127.0.0.1:{http_base}"));
        out.insert(1, "--http".into());
    }
    out
}

/// The README's `cluster` command starts, and every client command it shows then runs
/// against it and exits 0.
#[test]
fn the_readme_cluster_answers_every_client_command() {
    let commands = readme_commands();
    let cluster = commands
        .iter()
        .find(|c| c[0] == "cluster")
        .expect("the README shows `gossip cluster`");
    let nodes: u16 = cluster
        .iter()
        .position(|a| a == "--nodes")
        .and_then(|i| cluster.get(i + 1)?.parse().ok())
        .unwrap_or(5);
    let pid = std::process::id() as u16;
    let udp = free_run(30_000 + pid % 10_000, nodes);
    let http = free_run(udp + nodes, nodes);
    let mut launcher = Stopped(
        gossip()
            .args(cluster)
            .args([
                "--base-port",
                &udp.to_string(),
                "--http-base",
                &http.to_string(),
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    // Everyone alive at the first agent before the story starts.
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let out = gossip()
            .args([
                "members",
                "--http",
                &format!("127.0.0.1:{http}"),
                "--status",
                "alive",
            ])
            .output()
            .unwrap();
        let alive = String::from_utf8_lossy(&out.stdout)
            .lines()
            .count()
            .saturating_sub(1);
        if alive == usize::from(nodes) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the cluster formed: {alive} alive"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    // Every agent's page answers (the build, or the page saying how to make it).
    for port in http..http + nodes {
        let page = get_page(port);
        assert!(
            page.starts_with("HTTP/1.1 200") && page.contains("<html"),
            "the page on {port}: {page}"
        );
    }
    let clients = [
        "members", "kv", "stats", "events", "tags", "event", "join", "leave",
    ];
    for args in commands.iter().filter(|c| clients.contains(&c[0].as_str())) {
        let args = aimed(args, http, udp..udp + nodes);
        // A key read right after it was written elsewhere may still be spreading.
        let deadline = Instant::now() + Duration::from_secs(5);
        let mut out = gossip().args(&args).output().unwrap();
        while !out.status.success() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(200));
            out = gossip().args(&args).output().unwrap();
        }
        assert!(
            out.status.success(),
            "gossip {}: {}{}",
            args.join(" "),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let (stopped_ok, _) = stop(&mut launcher.0);
    assert!(
        stopped_ok,
        "the launcher stops its agents and exits 0 on SIGTERM"
    );
    let mut printed = String::new();
    if let Some(mut stdout) = launcher.0.stdout.take() {
        let _ = stdout.read_to_string(&mut printed);
    }
    assert!(
        printed.contains(&format!("http://127.0.0.1:{http}/")),
        "the launcher prints each agent's address: {printed}"
    );
}
