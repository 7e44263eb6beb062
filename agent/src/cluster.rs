//! `gossip cluster`: a local cluster for trying things, as the original demo's launcher
//! was: N agents as child processes of this one, UDP on 7946.., the HTTP API on
//! 9001.., each joining through the first. Stopping the launcher (Ctrl-C, SIGTERM) stops
//! every agent gracefully, so each leaves the cluster rather than dying in it.

use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use tokio::process::{Child, Command};

use crate::cli::ClusterArgs;
use crate::record::Recorder;

/// One agent of the cluster: its name and where it answers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Member {
    pub name: String,
    pub udp_port: u16,
    pub http_port: u16,
}

/// The agents `args` describes, first to last.
pub fn members(args: &ClusterArgs) -> Result<Vec<Member>, String> {
    (0..args.nodes)
        .map(|i| {
            let port = |base: u16, what: &str| {
                base.checked_add(i)
                    .ok_or_else(|| format!("{what} {base} + {i} is past the last port"))
            };
            Ok(Member {
                name: format!("n{}", i + 1),
                udp_port: port(args.base_port, "--base-port")?,
                http_port: port(args.http_base, "--http-base")?,
            })
        })
        .collect()
}

/// Starts the agents, prints where each answers, and waits for `shutdown` (or for an
/// agent to end on its own, which is an error); then stops them all gracefully.
pub async fn run(args: &ClusterArgs, shutdown: impl Future<Output = ()>) -> Result<(), String> {
    let members = members(args)?;
    let program = std::env::current_exe().map_err(|e| format!("cannot find this program: {e}"))?;
    // The recording's file is made first: if it cannot be, no agent has started.
    let recorder = match &args.record {
        Some(path) => {
            let nodes: Vec<_> = members
                .iter()
                .map(|m| {
                    let local = |port| SocketAddr::from(([127, 0, 0, 1], port));
                    (m.name.clone(), local(m.udp_port), local(m.http_port))
                })
                .collect();
            let recorder = Recorder::start(path, &nodes, args.preset.name())?;
            say(&format!(
                "recording every agent's events to {}",
                path.display()
            ));
            Some((recorder, path.clone()))
        }
        None => None,
    };
    let mut children: Vec<(Member, Child)> = Vec::new();
    for member in &members {
        let mut command = Command::new(&program);
        command
            .arg("agent")
            .args(["--name", &member.name])
            .args(["--bind", &format!("127.0.0.1:{}", member.udp_port)])
            .args(["--http", &format!("127.0.0.1:{}", member.http_port)])
            // Every page links to the others' through this tag.
            .args(["--tag", &format!("http=127.0.0.1:{}", member.http_port)])
            .args(["--preset", args.preset.name()])
            .args(["--cluster-size", &args.nodes.to_string()])
            .kill_on_drop(true);
        if member.udp_port != args.base_port {
            command.args(["--join", &format!("127.0.0.1:{}", args.base_port)]);
        }
        for (field, value) in &args.settings {
            command.args(["--set", &format!("{field}={value}")]);
        }
        let child = command
            .spawn()
            .map_err(|e| format!("cannot start agent {}: {e}", member.name))?;
        say(&format!(
            "{}: page http://127.0.0.1:{}/ (API under /api/), udp 127.0.0.1:{}",
            member.name, member.http_port, member.udp_port
        ));
        children.push((member.clone(), child));
    }
    say(&format!(
        "{} agents running; Ctrl-C stops them all",
        children.len()
    ));
    // An agent that leaves (`gossip leave`) ends with status 0 and the others go on; one
    // that fails ends the whole cluster.
    let failed = {
        let watch = async {
            let mut running = children.len();
            loop {
                for (member, child) in children.iter_mut() {
                    match child.try_wait() {
                        Ok(Some(status)) if status.success() => {
                            running -= 1;
                            say(&format!("{} left the cluster", member.name));
                        }
                        Ok(Some(status)) => {
                            return Some(format!("agent {} failed ({status})", member.name));
                        }
                        _ => {}
                    }
                }
                children.retain_mut(|(_, child)| !matches!(child.try_wait(), Ok(Some(_))));
                if running == 0 {
                    return None;
                }
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        };
        tokio::select! {
            () = shutdown => None,
            failed = watch => failed,
        }
    };
    stop_all(&mut children).await;
    if let Some((recorder, path)) = recorder {
        match tokio::task::spawn_blocking(move || recorder.finish()).await {
            Ok(Ok(lines)) => say(&format!("recorded {lines} lines to {}", path.display())),
            Ok(Err(error)) => eprintln!("the recording {} is incomplete: {error}", path.display()),
            Err(error) => eprintln!("the recording {} is incomplete: {error}", path.display()),
        }
    }
    match failed {
        Some(why) => Err(why),
        None => Ok(()),
    }
}

/// A line on stdout; a closed stdout (`| head`) is no reason to stop the agents.
fn say(line: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stdout(), "{line}");
}

/// SIGTERM to every agent (each leaves gracefully), then waits up to 5 s for them all;
/// any still running after that is killed.
async fn stop_all(children: &mut [(Member, Child)]) {
    for (_, child) in children.iter() {
        if let Some(pid) = child.id().and_then(|id| i32::try_from(id).ok()) {
            let _ = kill(Pid::from_raw(pid), Signal::SIGTERM);
        }
    }
    for (member, child) in children.iter_mut() {
        match tokio::time::timeout(Duration::from_secs(5), child.wait()).await {
            Ok(Ok(status)) if status.success() => {}
            Ok(Ok(status)) => eprintln!("agent {} stopped: {status}", member.name),
            _ => {
                eprintln!("agent {} did not stop in 5 s; killing it", member.name);
                let _ = child.kill().await;
            }
        }
    }
}
