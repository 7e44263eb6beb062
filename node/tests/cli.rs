//! The `gossip` binary's command line: help that explains, errors that say what is wrong.

use std::process::Command;

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
}

/// Binding an address that is already taken is an error, not a panic.
#[test]
fn a_taken_port_is_a_clear_error() {
    let taken = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let (code, _, err) = gossip(&["agent", "--name", "n1", "--bind", &addr]);
    assert_eq!(code, 1);
    assert!(err.contains("cannot bind"), "{err}");
}
