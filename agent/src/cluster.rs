//! `gossip cluster`: a local cluster for trying things, as the original demo's launcher
//! was: N agents as child processes of this one, UDP on 7946.., the HTTP API on
//! 9001.., each joining through the first. Stopping the launcher (Ctrl-C, SIGTERM) stops
//! every agent gracefully, so each leaves the cluster rather than dying in it; killing
//! one agent crashes it alone, for the others to detect.

use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use tokio::process::{Child, Command};

use crate::cli::{ClusterArgs, LogFormat};
use crate::client;
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

/// How long an agent may take to answer on its HTTP port once started. One that ends
/// or stays silent before that (bad settings, a port in use) stops the cluster: the
/// rest would wait for it to join.
const START_TIMEOUT: Duration = Duration::from_secs(15);

/// How many other agents a restart hint joins through.
const HINT_SEEDS: usize = 3;

/// Why a cluster did not run.
#[derive(Debug, thiserror::Error)]
pub enum ClusterError {
    /// Flags or settings no agent would take, refused before any started.
    #[error("{0}")]
    Refused(String),
    /// Anything else: a port in use, an agent that failed.
    #[error("{0}")]
    Failed(String),
}

impl From<crate::settings::SettingsError> for ClusterError {
    fn from(refused: crate::settings::SettingsError) -> ClusterError {
        ClusterError::Refused(refused.to_string())
    }
}

impl From<String> for ClusterError {
    fn from(message: String) -> ClusterError {
        ClusterError::Failed(message)
    }
}

/// Starts the agents, waits until each answers, prints where each does, and watches
/// them until `shutdown`; then stops those still running gracefully. An agent that
/// leaves (`gossip leave`) or is killed (`kill -9`, to watch the others find it dead)
/// ends alone, and the launcher says how to start it again; one that fails to start
/// ends the whole cluster.
pub async fn run(
    args: &ClusterArgs,
    log_format: LogFormat,
    shutdown: impl Future<Output = ()>,
) -> Result<(), ClusterError> {
    let members = members(args).map_err(ClusterError::Refused)?;
    // Settings every agent would refuse are refused once, before any starts; each
    // agent reads them again (the same file, environment and flags) as it starts.
    crate::settings::layered(
        args.preset.config(usize::from(args.nodes)),
        args.config.as_deref(),
        crate::settings::environment(),
        &args.settings,
    )?;
    let program = std::env::current_exe().map_err(|e| format!("cannot find this program: {e}"))?;
    // A port in use (another cluster on the same ports, say) is found before any agent
    // starts: once one has, something else answering on its port could pass for it.
    ports_free(&members)?;
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
            // A recording of an earlier run is not written over, as `keygen` writes
            // over no keyring.
            if path.exists() {
                return Err(ClusterError::Refused(format!(
                    "{} exists already: record to a new file, or remove it first",
                    path.display()
                )));
            }
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
    let outcome = {
        let work = async {
            for member in &members {
                // Each joins through the first.
                let seed: &[u16] = if member.udp_port == args.base_port {
                    &[]
                } else {
                    &[args.base_port]
                };
                let child = Command::new(&program)
                    .args(agent_args(args, member, log_format, seed))
                    // The agent's standard input is a pipe only this launcher holds:
                    // should it be killed outright, the pipe closes and the agent leaves.
                    .arg("--stop-when-stdin-closes")
                    .stdin(std::process::Stdio::piped())
                    .kill_on_drop(true)
                    .spawn()
                    .map_err(|e| format!("cannot start agent {}: {e}", member.name))?;
                children.push((member.clone(), child));
                // The first answering before the others start: a join sent before its
                // port was bound would be lost, and retried only two periods later.
                if children.len() == 1 {
                    started(&mut children).await?;
                }
            }
            started(&mut children).await?;
            for (member, child) in &children {
                say(&format!(
                    "{}: page http://127.0.0.1:{}/ (API under /api/), udp 127.0.0.1:{}, pid {}",
                    member.name,
                    member.http_port,
                    member.udp_port,
                    child.id().unwrap_or_default()
                ));
            }
            say(&format!(
                "{} running; Ctrl-C stops them all, `kill -9 PID` crashes one",
                plural(children.len(), "agent", "agents")
            ));
            watch(&mut children, |member| {
                restart_hint(&program, args, &members, member, log_format)
            })
            .await
        };
        tokio::select! {
            () = shutdown => Ok(()),
            outcome = work => outcome,
        }
    };
    stop_all(&mut children).await;
    // An agent that stopped and was started again by hand from its hint is not a child
    // of this launcher; stopping "them all" includes it.
    for member in members
        .iter()
        .filter(|m| !children.iter().any(|(child, _)| child.name == m.name))
    {
        let (addr, name) = (
            SocketAddr::from(([127, 0, 0, 1], member.http_port)),
            member.name.clone(),
        );
        if let Ok(true) =
            tokio::task::spawn_blocking(move || client::leave_if_named(addr, &name)).await
        {
            say(&format!(
                "{} (started by hand) was asked to leave too",
                member.name
            ));
        }
    }
    if let Some((recorder, path)) = recorder {
        match tokio::task::spawn_blocking(move || recorder.finish()).await {
            Ok(Ok(lines)) => say(&format!(
                "recorded a header and {lines} lines to {}",
                path.display()
            )),
            Ok(Err(error)) => eprintln!("the recording {} is incomplete: {error}", path.display()),
            Err(error) => eprintln!("the recording {} is incomplete: {error}", path.display()),
        }
    }
    outcome.map_err(ClusterError::Failed)
}

/// Whether every agent's UDP and HTTP ports can be taken on 127.0.0.1.
fn ports_free(members: &[Member]) -> Result<(), String> {
    for member in members {
        let taken = |what: &str, port: u16| {
            format!(
                "{what} port {port} of agent {} is in use (is another cluster running?); \
                 choose others with --base-port and --http-base",
                member.name
            )
        };
        std::net::UdpSocket::bind(("127.0.0.1", member.udp_port))
            .map_err(|_| taken("UDP", member.udp_port))?;
        std::net::TcpListener::bind(("127.0.0.1", member.http_port))
            .map_err(|_| taken("HTTP", member.http_port))?;
    }
    Ok(())
}

/// The flags `gossip agent` is started with for `member`, joining through the agents
/// on UDP ports `seeds`.
fn agent_args(
    args: &ClusterArgs,
    member: &Member,
    log_format: LogFormat,
    seeds: &[u16],
) -> Vec<String> {
    let mut flags: Vec<String> = vec![
        "agent".into(),
        "--name".into(),
        member.name.clone(),
        "--bind".into(),
        format!("127.0.0.1:{}", member.udp_port),
        "--http".into(),
        format!("127.0.0.1:{}", member.http_port),
        "--preset".into(),
        args.preset.name().into(),
        "--cluster-size".into(),
        args.nodes.to_string(),
        "--log-format".into(),
        log_format.name().into(),
    ];
    for port in seeds {
        flags.extend(["--join".into(), format!("127.0.0.1:{port}")]);
    }
    for (field, value) in &args.settings {
        flags.extend(["--set".into(), format!("{field}={value}")]);
    }
    let path = |path: &std::path::Path| path.display().to_string();
    if let Some(file) = &args.config {
        flags.extend(["--config".into(), path(file)]);
    }
    if let Some(dir) = &args.data_dir {
        flags.extend(["--data-dir".into(), path(&dir.join(&member.name))]);
    }
    if let Some(dir) = &args.ui_dir {
        flags.extend(["--ui-dir".into(), path(dir)]);
    }
    for handler in &args.event_handlers {
        flags.extend(["--event-handler".into(), handler.to_string()]);
    }
    flags
}

/// Waits until every agent answers on its HTTP port. One that ends first, or is still
/// silent after [`START_TIMEOUT`], failed to start; its own error is above.
async fn started(children: &mut [(Member, Child)]) -> Result<(), String> {
    let deadline = tokio::time::Instant::now() + START_TIMEOUT;
    for (member, child) in children.iter_mut() {
        loop {
            if let Ok(Some(status)) = child.try_wait() {
                return Err(format!(
                    "agent {} failed to start ({status}); the cluster is stopped",
                    member.name
                ));
            }
            let address = SocketAddr::from(([127, 0, 0, 1], member.http_port));
            if tokio::net::TcpStream::connect(address).await.is_ok() {
                break;
            }
            if tokio::time::Instant::now() >= deadline {
                return Err(format!(
                    "agent {} did not answer on http://{address} within {} s; the cluster is stopped",
                    member.name,
                    START_TIMEOUT.as_secs()
                ));
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    Ok(())
}

/// Watches the agents until none is left: one that leaves, or is killed, ends alone
/// and the others go on (they find it gone, or dead, as a real cluster would). Ends
/// with an error if the last agent did not leave gracefully.
async fn watch(
    children: &mut Vec<(Member, Child)>,
    hint: impl Fn(&Member) -> String,
) -> Result<(), String> {
    loop {
        let mut last_failed = false;
        children.retain_mut(|(member, child)| match child.try_wait() {
            Ok(Some(status)) if status.success() => {
                say(&format!("{} left the cluster", member.name));
                false
            }
            Ok(Some(status)) => {
                say(&format!(
                    "{} stopped ({status}); the others go on, and will suspect it, then \
                     declare it dead. Start it again with:\n  {}",
                    member.name,
                    hint(member)
                ));
                last_failed = true;
                false
            }
            _ => true,
        });
        if children.is_empty() {
            return if last_failed {
                Err("every agent has stopped".to_owned())
            } else {
                Ok(())
            };
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// The command line that starts `member` again by hand, shell-quoted: it joins
/// through up to [`HINT_SEEDS`] other agents of the cluster, since one may have
/// stopped too.
fn restart_hint(
    program: &std::path::Path,
    args: &ClusterArgs,
    members: &[Member],
    member: &Member,
    log_format: LogFormat,
) -> String {
    let seeds: Vec<u16> = members
        .iter()
        .filter(|other| other.name != member.name)
        .map(|other| other.udp_port)
        .take(HINT_SEEDS)
        .collect();
    std::iter::once(program.display().to_string())
        .chain(agent_args(args, member, log_format, &seeds))
        .map(|word| shell_quoted(&word))
        .collect::<Vec<_>>()
        .join(" ")
}

/// `word` as a POSIX shell reads it back: as it is when it holds nothing the shell
/// treats specially, else in single quotes.
fn shell_quoted(word: &str) -> String {
    let plain = !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:=,@+%".contains(c));
    if plain {
        word.to_owned()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

fn plural(count: usize, one: &str, many: &str) -> String {
    format!("{count} {}", if count == 1 { one } else { many })
}

/// A line on stdout; a closed stdout (`| head`) is no reason to stop the agents.
fn say(line: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stdout(), "{line}");
}

/// SIGTERM to every agent (each leaves gracefully), then waits up to 5 s for them all;
/// any still running after that is killed.
async fn stop_all(children: &mut [(Member, Child)]) {
    for (_, child) in children.iter_mut() {
        // Closed now, so that no agent waits on it.
        drop(child.stdin.take());
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
