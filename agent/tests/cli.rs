//! The `gossip` binary's command line: help that explains, errors that say what is wrong.

mod support;

use std::process::Command;
use std::time::Duration;

fn gossip(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_gossip"))
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// `gossip --help` lists the agent subcommand and `gossip agent --help` every flag.
#[test]
fn help_explains_subcommands_and_flags() {
    let (code, out, _) = gossip(&["--help"]);
    assert_eq!(code, 0);
    assert!(out.contains("agent"), "{out}");
    let (code, out, _) = gossip(&["agent", "--help"]);
    assert_eq!(code, 0);
    for flag in [
        "--name",
        "--bind",
        "--join",
        "--preset",
        "--cluster-size",
        "--rng-seed",
    ] {
        assert!(out.contains(flag), "agent help mentions {flag}");
    }
}

/// `gossip version` names the build and the wire protocol it speaks.
#[test]
fn version_names_the_build_and_its_wire_protocol() {
    let (code, out, _) = gossip(&["version"]);
    assert_eq!(code, 0);
    assert_eq!(
        out,
        format!(
            "gossip {}\nwire protocol version {}\n",
            env!("CARGO_PKG_VERSION"),
            gossip_core::wire::WIRE_VERSION
        )
    );
}

/// Wrong flags fail with exit code 2 and name the offending value.
#[test]
fn bad_flags_are_rejected_clearly() {
    let (code, _, err) = gossip(&["agent", "--name", "n1", "--bind", "not-an-address"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("--bind") && err.contains("not-an-address"),
        "{err}"
    );

    let (code, _, err) = gossip(&["agent", "--name", ""]);
    assert_eq!(code, 2);
    assert!(err.contains("node name"), "{err}");

    let (code, _, err) = gossip(&["agent", "--name", "n1", "--preset", "galaxy"]);
    assert_eq!(code, 2);
    assert!(err.contains("galaxy"), "{err}");

    let (code, _, err) = gossip(&["agent", "--name", "n1", "--join", "seed-without-port"]);
    assert_eq!(code, 2);
    assert!(err.contains("HOST:PORT"), "{err}");

    let (code, _, err) = gossip(&["agent", "--name", "n1", "--http-host", "http://n1:80"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("--http-host") && err.contains("not a host name"),
        "{err}"
    );

    let (code, _, err) = gossip(&["events", "--kind", "died"]);
    assert_eq!(code, 2);
    assert!(err.contains("no event kind \"died\""), "{err}");
    let (code, _, err) = gossip(&["events", "--kind", "user:"]);
    assert_eq!(code, 2);
    assert!(err.contains("user: names no event"), "{err}");
    let (code, _, err) = gossip(&["events", "--kind", "user:a\tb"]);
    assert_eq!(code, 2);
    assert!(err.contains("control"), "no event has such a name: {err}");
    let (code, _, err) = gossip(&["agent", "--name", "n1\u{202E}gnp.exe"]);
    assert_eq!(code, 2);
    assert!(err.contains("bidirectional formatting"), "{err}");

    let (code, _, err) = gossip(&["agent", "--name", "n1", "--event-handler", "died=./x.sh"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("--event-handler") && err.contains("no event kind \"died\""),
        "{err}"
    );
}

/// What a person types wrong or writes differently is read or refused by name: an
/// empty key, a negative loss, a cluster of none, an address written as a page's URL or
/// a host name, a recording given for a trace.
#[test]
fn values_as_people_write_them_are_read_or_refused_by_name() {
    let (code, _, err) = gossip(&["kv", "put", "", "x"]);
    assert_eq!(code, 2);
    assert!(err.contains("a key cannot be empty"), "{err}");
    let (code, _, err) = gossip(&["sim", "dissemination", "--loss", "-0.1"]);
    assert_eq!(code, 2);
    assert!(err.contains("\"-0.1\" is not a probability"), "{err}");
    let (code, _, err) = gossip(&["agent", "--name", "a", "--cluster-size", "0"]);
    assert_eq!(code, 2);
    assert!(err.contains("'0' is not a cluster size"), "{err}");
    let (code, _, err) = gossip(&["members", "--http", "nohost"]);
    assert_eq!(code, 2);
    assert!(err.contains("no port"), "{err}");
    let (code, _, err) = gossip(&["members", "--http", "https://127.0.0.1:1"]);
    assert_eq!(code, 2);
    assert!(err.contains("plain HTTP"), "{err}");
    let (code, _, err) = gossip(&["agent", "--name", "a", "--http", "https://127.0.0.1:9001"]);
    assert_eq!(code, 2);
    assert!(err.contains("plain HTTP"), "{err}");
    let (code, _, err) = gossip(&["agent", "--name", "a", "--http", "localhost:9001"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("not IP:PORT") && err.contains("not a name"),
        "{err}"
    );
    let (code, _, err) = gossip(&["members", "--http", "http://127.0.0.1:9001/api/"]);
    assert_eq!(code, 2);
    assert!(err.contains("has a path"), "{err}");
    let (code, _, err) = gossip(&[
        "tags",
        "--set",
        "a=b",
        "--delete",
        "a",
        "--http",
        "127.0.0.1:1",
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("\"a\" is both set and deleted"), "{err}");
    // Read as the address they name: nobody answers there.
    for written in ["http://127.0.0.1:1/", "localhost:1"] {
        let (code, _, err) = gossip(&["members", "--http", written, "--timeout", "2"]);
        assert_eq!(code, 2, "{written}");
        assert!(
            err.contains("cannot reach the agent at http://"),
            "{written}: {err}"
        );
        assert!(err.contains(":1:"), "{written}: {err}");
    }

    let dir = std::env::temp_dir().join(format!("gossip-cli-recording-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("rec.jsonl");
    std::fs::write(
        &file,
        "{\"recording\":1,\"started_unix_ms\":0,\"nodes\":[{\"name\":\"n1\",\"udp\":\"127.0.0.1:7946\",\"http\":\"127.0.0.1:9001\"}],\"preset\":\"demo\"}\n",
    )
    .unwrap();
    let (code, _, err) = gossip(&["sim", "replay", file.to_str().unwrap()]);
    let _ = std::fs::remove_dir_all(&dir);
    assert_ne!(code, 0);
    assert!(err.contains("is a recording of a real cluster"), "{err}");
}

/// A node listening on every interface must say which address reaches it: without
/// `--advertise` the others would be told 0.0.0.0.
#[test]
fn an_unspecified_bind_needs_an_advertised_address() {
    let (code, _, err) = gossip(&["agent", "--name", "n1", "--bind", "0.0.0.0:0"]);
    assert_eq!(code, 2);
    assert!(err.contains("--advertise"), "{err}");
    let (code, _, err) = gossip(&[
        "agent",
        "--name",
        "n1",
        "--bind",
        "127.0.0.1:0",
        "--advertise",
        "0.0.0.0:7946",
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("--advertise"), "{err}");
}

/// What a person gave wrong exits 2 as a wrong flag does, whichever layer it came
/// through; what failed while running (a port taken, below) exits 1.
#[test]
fn settings_an_agent_cannot_take_exit_as_a_wrong_flag_does() {
    let agent = |more: &[&str]| {
        let args = [
            &["agent", "--name", "n1", "--bind", "127.0.0.1:0"][..],
            more,
        ]
        .concat();
        gossip(&args)
    };
    let (code, _, err) = agent(&["--set", "fanout=0"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("fanout must be at least 1"), "{err}");
    let (code, _, err) = agent(&["--set", "fanuot=3"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("fanuot"), "{err}");
    let (code, _, err) = agent(&["--config", "/nonexistent/gossip.toml"]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("cannot read /nonexistent/gossip.toml"),
        "{err}"
    );
    let (code, _, err) = gossip(&["cluster", "--nodes", "3", "--base-port", "65535"]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("--base-port 65535 + 1 is past the last port"),
        "{err}"
    );
}

/// Binding an address that is already taken is an error, not a panic.
#[test]
fn a_taken_port_is_a_clear_error() {
    let taken = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let (code, _, err) = gossip(&["agent", "--name", "n1", "--bind", &addr]);
    assert_eq!(code, 1);
    assert!(err.contains("cannot bind"), "{err}");

    // A seed address the socket cannot send to is refused before the agent starts.
    let (code, _, err) = gossip(&[
        "agent",
        "--name",
        "n1",
        "--bind",
        "127.0.0.1:0",
        "--join",
        "[::1]:7946",
        "--stop-when-stdin-closes",
    ]);
    assert_eq!(code, 2, "flags that do not fit together: {err}");
    assert!(
        err.contains("--join [::1]:7946") && err.contains("IPv4 (127.0.0.1:"),
        "{err}"
    );

    // The API's address as the page's is written: read as the address it names.
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let page = format!("http://{}/", taken.local_addr().unwrap());
    let (code, _, err) = gossip(&[
        "agent",
        "--name",
        "n1",
        "--bind",
        "127.0.0.1:0",
        "--http",
        &page,
    ]);
    assert_eq!(code, 1);
    assert!(
        err.contains(&format!(
            "cannot bind the HTTP API to {}",
            taken.local_addr().unwrap()
        )),
        "{err}"
    );
}

/// A chaos schedule written to a trace file replays through the CLI as the same run,
/// for several seeds (their fault schedules draw loss and duplication as floats, which
/// must survive the file exactly); a file that is not a trace is a clear error.
#[test]
fn chaos_traces_replay_as_the_same_run_through_the_file() {
    let dir = std::env::temp_dir().join(format!("gossip-cli-trace-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let trace = dir.join("trace.json");
    let trace_arg = trace.to_str().unwrap();
    for seed in ["1", "2", "3", "9"] {
        let chaos = [
            "sim",
            "chaos",
            "--schedules",
            "3",
            "--nodes",
            "10",
            "--seed",
            seed,
            "--trace",
            trace_arg,
        ];
        let (code, out, err) = gossip(&chaos);
        assert_eq!(code, 0, "seed {seed}: {out}{err}");
        let (code, out, err) = gossip(&[
            "sim", "replay", trace_arg, "--events", "3", "--format", "json",
        ]);
        assert_eq!(code, 0, "seed {seed}: {err}");
        let report: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
        assert_eq!(report["experiment"], "replay");
        assert_eq!(
            report["results"]["same_run"], true,
            "seed {seed}: {}",
            report["results"]
        );
        assert_eq!(
            report["results"]["digest"], report["results"]["trace_digest"],
            "seed {seed}"
        );
        assert_eq!(report["results"]["events"].as_array().unwrap().len(), 3);
    }

    // A trace that would never finish is refused before anything runs.
    let mut endless: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&trace).unwrap()).unwrap();
    endless["until"] = serde_json::json!(u64::MAX);
    let endless_path = dir.join("endless.json");
    std::fs::write(&endless_path, endless.to_string()).unwrap();
    let (code, _, err) = gossip(&["sim", "replay", endless_path.to_str().unwrap()]);
    assert_eq!(
        code, 2,
        "the trace given is at fault, as a wrong flag would be"
    );
    assert!(
        err.contains("invalid trace") && err.contains("past the"),
        "{err}"
    );

    let bad = dir.join("bad.json");
    std::fs::write(&bad, "{\"not\": \"a trace\"}").unwrap();
    let (code, _, err) = gossip(&["sim", "replay", bad.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(
        err.starts_with("error: ") && err.contains("is not a trace"),
        "{err}"
    );
    let (code, _, err) = gossip(&["sim", "replay", dir.join("missing.json").to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(err.contains("cannot read"), "{err}");
    std::fs::remove_dir_all(&dir).ok();
}

/// Values at the edge of their types are clear refusals or plain runs, never a panic.
#[test]
fn extreme_values_do_not_panic() {
    let cases: [&[&str]; 4] = [
        &[
            "sim",
            "detection",
            "--nodes",
            "4",
            "--runs",
            "1",
            "--set",
            "max_value_len=18446744073709551615",
        ],
        &[
            "sim",
            "detection",
            "--nodes",
            "4",
            "--runs",
            "1",
            "--set",
            "fanout=18446744073709551615",
        ],
        &[
            "sim",
            "detection",
            "--nodes",
            "4",
            "--runs",
            "1",
            "--set",
            "indirect_checks=18446744073709551615",
        ],
        &[
            "sim",
            "false-positives",
            "--nodes",
            "4",
            "--runs",
            "1",
            "--duration",
            "18446744073709551615",
        ],
    ];
    for args in cases {
        let (code, out, err) = gossip(args);
        assert!(!err.contains("panicked"), "{args:?}: {err}");
        assert!(
            code == 0 || code == 1 || code == 2,
            "{args:?}: {code} {out}{err}"
        );
    }
    let (code, _, err) = gossip(cases[0]);
    assert_eq!(code, 2, "settings that break a rule, as a wrong flag");
    assert!(err.contains("max_key_len + max_value_len"), "{err}");
    let (code, _, err) = gossip(cases[3]);
    assert_eq!(code, 2, "{err}");
}

/// `--log-format json` writes each log line as one JSON object (on stderr).
#[test]
fn logs_can_be_json_lines() {
    let taken = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let free = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let addr = free.local_addr().unwrap().to_string();
    drop(free);
    let mut agent = Command::new(env!("CARGO_BIN_EXE_gossip"))
        .args([
            "--log-format",
            "json",
            "agent",
            "--name",
            "n1",
            "--bind",
            &addr,
        ])
        .args(["--join", &taken.local_addr().unwrap().to_string()])
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Stopped once it is running (it has said so), not after a guessed wait.
    let log = support::Collected::from(agent.stderr.take().unwrap());
    log.wait_for(Duration::from_secs(10), |log| log.contains("starting"));
    let status = support::terminate(&mut agent, Duration::from_secs(10));
    let log = log.finish();
    let lines: Vec<&str> = log.lines().collect();
    assert!(!lines.is_empty(), "{log}");
    for line in &lines {
        let entry: serde_json::Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"));
        assert!(
            entry["level"].is_string() && entry["fields"].is_object(),
            "{line}"
        );
    }
    assert!(log.contains("starting"), "{log}");
    assert!(status.is_some_and(|s| s.success()), "{status:?}");
}

/// An agent whose seed never answers says so, and what to check, while it keeps asking.
#[test]
fn a_join_nobody_answers_is_reported_with_what_to_check() {
    use std::io::BufRead;
    let quiet = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let seed = quiet.local_addr().unwrap().to_string();
    let mut agent = Command::new(env!("CARGO_BIN_EXE_gossip"))
        .args([
            "agent",
            "--name",
            "lonely",
            "--bind",
            "127.0.0.1:0",
            "--join",
            &seed,
        ])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Should the warning never come, stderr ends when the agent is stopped anyway
    // (unless the test is done with it by then).
    let pid = agent.id().to_string();
    let (done, finished) = std::sync::mpsc::channel::<()>();
    std::thread::spawn(move || {
        if finished
            .recv_timeout(std::time::Duration::from_secs(30))
            .is_err()
        {
            let _ = Command::new("kill").args(["-KILL", &pid]).status();
        }
    });
    let stderr = std::io::BufReader::new(agent.stderr.take().unwrap());
    let warning = stderr
        .lines()
        .map_while(Result::ok)
        .find(|line| line.contains("WARN"));
    let _ = agent.kill();
    let _ = agent.wait();
    let _ = done.send(());
    let warning = warning.expect("a warning before stderr ends");
    assert!(warning.contains("no seed has answered yet"), "{warning}");
    assert!(warning.contains("--cluster-name"), "{warning}");
    assert!(warning.contains(&seed), "names the seed: {warning}");
}
