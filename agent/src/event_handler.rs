//! `--event-handler`: a command the agent runs on each event it reports, so that a
//! script can act on the cluster's news (take a failed member out of a load balancer's
//! backends, page someone, reload a configuration), like Serf's event handlers.
//!
//! ```text
//!   agent ──events──► EventLog ──follow──► handler task ──► sh -c COMMAND   (one at a time)
//!                                                           stdin: the event as JSON
//!                                                           env:   GOSSIP_EVENT, ...
//! ```
//!
//! The handlers run on a task of their own, one run at a time, in the order of the
//! events: a slow handler delays the handlers of later events, never the node. Each run
//! is a process group of its own, killed whole if it is still going after its time
//! limit; a run that fails is logged, and the next event's handlers run regardless. A
//! task that falls more than the event log's backlog behind is told how many events it
//! missed, counts them and logs it.

use std::fmt;
use std::process::Stdio;
use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use gossip_api::{EVENT_KINDS, HandlerRunsInfo, MemberInfo, RecentEvent};
use gossip_core::{Event, NodeId};
use nix::sys::signal::{Signal, killpg};
use nix::unistd::Pid;
use serde::Serialize;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::process::Command;
use tokio::sync::broadcast::error::RecvError;
use tokio::task::JoinHandle;
use tracing::{Instrument, info, warn};

use crate::agent::{AgentHandle, EventId, FollowFrom};

/// How long a handler may run before it is killed, so that one that hangs does not
/// hold up every later event for good.
pub const TIME_LIMIT: Duration = Duration::from_secs(60);

/// After this long a run is logged as slow: later events are waiting for it.
const SLOW: Duration = Duration::from_secs(1);

/// How much of a run's output goes into the log.
const OUTPUT_LOGGED: usize = 1024;

/// How long a killed run's shell is waited for.
const AFTER_KILL: Duration = Duration::from_secs(1);

/// How long after a run exits its output is still read: what it wrote before exiting
/// is in the pipe already.
const AFTER_EXIT: Duration = Duration::from_millis(100);

/// How the agent's handler runs ended, counted as they end: the agent's statistics
/// read them while the handlers run.
#[derive(Debug, Default)]
pub struct HandlerRuns {
    succeeded: AtomicU64,
    failed: AtomicU64,
    killed: AtomicU64,
    missed: AtomicU64,
}

impl HandlerRuns {
    /// The counts so far.
    pub fn counted(&self) -> HandlerRunsInfo {
        HandlerRunsInfo {
            succeeded: self.succeeded.load(Ordering::Relaxed),
            failed: self.failed.load(Ordering::Relaxed),
            killed: self.killed.load(Ordering::Relaxed),
            missed: self.missed.load(Ordering::Relaxed),
        }
    }

    fn count(&self, outcome: Outcome) {
        let counter = match outcome {
            Outcome::Succeeded => &self.succeeded,
            Outcome::Failed => &self.failed,
            Outcome::Killed => &self.killed,
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }

    fn missed(&self, events: u64) {
        self.missed.fetch_add(events, Ordering::Relaxed);
    }
}

/// How one run ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Outcome {
    Succeeded,
    Failed,
    Killed,
}

/// One `--event-handler [KINDS=]COMMAND`: a shell command and the event kinds it runs
/// on (every kind when none is named).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EventHandler {
    /// The kinds it runs on, as the event stream names them; `None`: all of them.
    kinds: Option<Vec<&'static str>>,
    /// The names of the user events it runs on besides (`user:deploy`, as Serf writes
    /// it), where `user` is not among its kinds.
    user_events: Vec<String>,
    /// Run with `sh -c`.
    command: String,
    /// As given, `[KINDS=]COMMAND`: what names it in the log, and what `gossip
    /// cluster` passes on to each agent.
    spec: String,
}

impl EventHandler {
    /// Whether this handler runs on events of `kind`.
    pub fn runs_on(&self, kind: &str) -> bool {
        self.kinds
            .as_ref()
            .is_none_or(|kinds| kinds.contains(&kind))
    }

    /// Whether this handler runs on `event`: on its kind, or, for a user event, on its
    /// name (`user:deploy`).
    pub fn takes(&self, event: &Event) -> bool {
        self.runs_on(gossip_api::event_kind(event))
            || matches!(event, Event::UserEvent { name, .. } if self.user_events.contains(name))
    }

    /// The command, as given.
    pub fn command(&self) -> &str {
        &self.command
    }
}

/// The kinds a handler can run on: every kind of [`Event`], not `lagged`, which is the
/// stream's word to a listener rather than the node's news.
fn handled_kinds() -> impl Iterator<Item = &'static str> {
    EVENT_KINDS.into_iter().filter(|kind| *kind != "lagged")
}

/// The kind of node event named `given`, as the event stream names them; an error that
/// lists them all when there is none.
pub fn event_kind_named(given: &str) -> Result<&'static str, String> {
    handled_kinds().find(|kind| *kind == given).ok_or_else(|| {
        format!(
            "no event kind {given:?}: the kinds are {}",
            handled_kinds().collect::<Vec<_>>().join(", ")
        )
    })
}

impl FromStr for EventHandler {
    type Err = String;

    /// `COMMAND`, `*=COMMAND` or `KIND,KIND=COMMAND`. The text before the first `=` is
    /// a list of kinds when it is words between commas, as kinds are, and each must
    /// then be one: `Dead=./x.sh` or `dead, lft=./x.sh` is refused, not run as a
    /// command. Only a shell variable in capitals (`LANG=C ./log.sh`), or text that is
    /// no list of words (`./log.sh --level=2`, `echo a=b`), starts a command.
    fn from_str(spec: &str) -> Result<EventHandler, String> {
        let (kinds, command) = match spec.split_once('=') {
            Some((before, command)) if names_kinds(before) => (Some(before), command),
            Some((before, after)) => {
                if let Some(why) = misread(before, after) {
                    return Err(format!(
                        "{spec:?} {why}: write [KINDS=]COMMAND, e.g. dead,left=./on-failure.sh"
                    ));
                }
                (None, spec)
            }
            None => (None, spec),
        };
        if command.trim().is_empty() {
            return Err(
                "the command is empty: write [KINDS=]COMMAND, e.g. dead,left=./on-failure.sh"
                    .into(),
            );
        }
        let mut user_events = Vec::new();
        let kinds = match kinds {
            None => None,
            Some(kinds) => {
                let mut named: Vec<&str> = kinds.split(',').map(str::trim).collect();
                named.retain(|given| match given.strip_prefix("user:") {
                    Some(name) => {
                        user_events.push(name.to_owned());
                        false
                    }
                    None => true,
                });
                if let Some(empty) = user_events.iter().find(|name| name.is_empty()) {
                    return Err(format!(
                        "user:{empty} names no event: write user:NAME, e.g. user:deploy=./deploy.sh"
                    ));
                }
                if named.contains(&"*") {
                    None
                } else {
                    let known = named.into_iter().map(|given| {
                        event_kind_named(given).map_err(|error| {
                            let serf = serf_kind(given)
                                .map(|ours| format!(" (Serf's {given} is {ours} here)"))
                                .unwrap_or_default();
                            format!(
                                "{error}, or * for all of them{serf}; a command with `=` before its first space runs on every kind as *=COMMAND"
                            )
                        })
                    });
                    Some(known.collect::<Result<Vec<_>, _>>()?)
                }
            }
        };
        Ok(EventHandler {
            kinds,
            user_events,
            command: command.to_owned(),
            spec: spec.to_owned(),
        })
    }
}

/// Whether `before`, the text before a handler's first `=`, is meant as a list of
/// kinds: words (letters, `_`, `-`, `:`, `*`, as Serf's `member-join`) between commas,
/// spaces around them allowed, and not a shell variable in capitals. An item
/// `user:NAME` makes it one whatever else it holds: an event's name is any text
/// without control or bidirectional formatting characters (but for `,` and `=`, which
/// a handler cannot name), and a list naming one is never a command.
fn names_kinds(before: &str) -> bool {
    // An empty item (`dead,,left`) still reads as a list of kinds, and is refused.
    let word = |item: &str| {
        item.trim()
            .chars()
            .all(|c| c.is_ascii_alphabetic() || matches!(c, '_' | '-' | ':' | '*'))
    };
    let names_a_user_event = before
        .split(',')
        .any(|item| item.trim().starts_with("user:"));
    !before.trim().is_empty()
        && !is_shell_variable(before)
        && (names_a_user_event || before.split(',').all(word))
}

/// A name in capitals, as shell variables are written (`LANG`, `HTTP_PROXY`).
fn is_shell_variable(name: &str) -> bool {
    name.starts_with(|c: char| c.is_ascii_uppercase() || c == '_')
        && name
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
}

/// Why a handler whose text before the first `=` names no kinds is still not a
/// command worth running, if it is not: nothing before the `=`, a variable set for no
/// command (`DEAD=./x.sh`), or kinds written without their commas (`dead left=`).
fn misread(before: &str, after: &str) -> Option<&'static str> {
    if before.trim().is_empty() {
        return Some("names no kinds before its `=`");
    }
    if is_shell_variable(before) && !after.trim().contains(char::is_whitespace) {
        return Some("sets a shell variable and runs no command (kinds are written in lowercase)");
    }
    let first_word = before.split_whitespace().next().unwrap_or_default();
    let is_kind = |word: &str| event_kind_named(word).is_ok() || serf_kind(word).is_some();
    if before.contains(char::is_whitespace) && is_kind(first_word) {
        return Some("names kinds without commas between them");
    }
    None
}

/// Our name for one of Serf's event kinds, for the error that meets a Serf user.
fn serf_kind(serf: &str) -> Option<&'static str> {
    Some(match serf {
        "member-join" => "joined",
        "member-leave" => "left",
        "member-failed" => "dead",
        "member-update" => "updated",
        "member-reap" => "removed",
        _ => return None,
    })
}

/// As given: it reads back as the same handler.
impl fmt::Display for EventHandler {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.spec)
    }
}

/// What a run gets on standard input, as one line of JSON: the event as
/// `GET /api/events/recent` lists it, with the member it is about as `GET /api/members`
/// lists it, while the agent holds that member.
#[derive(Serialize)]
struct HandlerInput<'a> {
    #[serde(flatten)]
    event: &'a RecentEvent,
    #[serde(skip_serializing_if = "Option::is_none")]
    member: Option<&'a MemberInfo>,
}

/// Starts running `handlers` on every event `agent` reports from its start on (the
/// events it keeps, then each new one), until the agent stops. The task ends once it
/// has run the handlers of the agent's last event.
pub fn spawn(
    agent: AgentHandle,
    handlers: Vec<EventHandler>,
    time_limit: Duration,
) -> JoinHandle<()> {
    tokio::spawn(run(agent, handlers, time_limit).in_current_span())
}

async fn run(agent: AgentHandle, handlers: Vec<EventHandler>, time_limit: Duration) {
    let Ok(mut feed) = agent.follow(FollowFrom::Start).await else {
        return;
    };
    let runs = agent.handler_runs();
    if feed.missed > 0 {
        runs.missed(feed.missed);
        warn!(
            missed = feed.missed,
            "event handlers started late: the agent's first events were not handed to them"
        );
    }
    let life = feed.life;
    for event in std::mem::take(&mut feed.history) {
        handle(&agent, &handlers, life, &event, time_limit).await;
    }
    loop {
        match feed.live.recv().await {
            Ok(event) => handle(&agent, &handlers, life, &event, time_limit).await,
            Err(RecvError::Lagged(missed)) => {
                runs.missed(missed);
                warn!(
                    missed,
                    "event handlers fell behind: these events were not handed to them"
                );
            }
            Err(RecvError::Closed) => return,
        }
    }
}

/// Runs, one after the other, each handler that runs on `event`'s kind.
async fn handle(
    agent: &AgentHandle,
    handlers: &[EventHandler],
    life: u64,
    event: &RecentEvent,
    time_limit: Duration,
) {
    let chosen: Vec<&EventHandler> = handlers.iter().filter(|h| h.takes(&event.event)).collect();
    if chosen.is_empty() {
        return;
    }
    // As the agent holds it now: a member removed since is no longer there.
    let member = match event.event.member() {
        Some(name) => agent.member(name).await.ok().flatten(),
        None => None,
    };
    let input = HandlerInput {
        event,
        member: member.as_ref(),
    };
    let mut stdin = serde_json::to_vec(&input).expect("an event serialises");
    stdin.push(b'\n');
    let environment = environment(agent.name(), life, event, member.as_ref());
    for handler in chosen {
        let outcome = run_one(handler, &environment, &stdin, time_limit).await;
        agent.handler_runs().count(outcome);
    }
}

/// Every variable a run may get.
const VARIABLES: [&str; 10] = [
    "GOSSIP_EVENT",
    "GOSSIP_EVENT_ID",
    "GOSSIP_SELF_NAME",
    "GOSSIP_MEMBER",
    "GOSSIP_MEMBER_ADDRESS",
    "GOSSIP_MEMBER_STATUS",
    "GOSSIP_KEY",
    "GOSSIP_USER_EVENT",
    "GOSSIP_USER_PAYLOAD",
    "GOSSIP_USER_ORIGIN",
];

/// The variables a run gets, for a script that needs no JSON: the event's kind and id,
/// this agent's name, the member or key the event is about, and a user event's name,
/// payload and sender.
fn environment(
    own_name: &NodeId,
    life: u64,
    event: &RecentEvent,
    member: Option<&MemberInfo>,
) -> Vec<(&'static str, String)> {
    let id = EventId {
        life,
        seq: event.seq,
    };
    let mut variables = vec![
        ("GOSSIP_EVENT", event.kind.clone()),
        ("GOSSIP_EVENT_ID", id.to_string()),
        ("GOSSIP_SELF_NAME", own_name.to_string()),
    ];
    if let Some(name) = event.event.member() {
        variables.push(("GOSSIP_MEMBER", name.to_string()));
    }
    let address = match (&event.event, member) {
        (_, Some(member)) => Some(member.addr),
        (Event::MemberJoined { addr, .. }, None) => Some(*addr),
        _ => None,
    };
    if let Some(address) = address {
        variables.push(("GOSSIP_MEMBER_ADDRESS", address.to_string()));
    }
    if let Some(member) = member {
        variables.push(("GOSSIP_MEMBER_STATUS", member.status.to_string()));
    }
    if let Event::KeyChanged { key, .. } | Event::Conflict { key, .. } = &event.event {
        variables.push(("GOSSIP_KEY", key.clone()));
    }
    if let Event::UserEvent {
        origin,
        name,
        payload,
    } = &event.event
    {
        variables.push(("GOSSIP_USER_EVENT", name.clone()));
        variables.push(("GOSSIP_USER_PAYLOAD", payload.clone()));
        variables.push(("GOSSIP_USER_ORIGIN", origin.to_string()));
    }
    // The environment cannot carry a NUL (a key may hold one): such a value is left
    // out, and read from standard input instead.
    variables.retain(|(_, value)| !value.contains('\0'));
    variables
}

/// One run of one handler, in a process group of its own. Past `time_limit` the whole
/// group is killed, the shell and whatever it started; what the run printed is logged
/// either way (standard output as information, standard error beside it, or with the
/// failure). The run is over when the shell exits: a process it started in the
/// background (`daemon &`) may keep its output open and runs on, and is no reason to
/// wait.
async fn run_one(
    handler: &EventHandler,
    environment: &[(&'static str, String)],
    stdin: &[u8],
    time_limit: Duration,
) -> Outcome {
    let mut command = Command::new("sh");
    // The agent's own GOSSIP_* variables (an agent started by another's handler) would
    // pass for this event's where this one has none.
    for name in VARIABLES {
        command.env_remove(name);
    }
    let spawned = command
        .arg("-c")
        .arg(&handler.command)
        .envs(environment.iter().map(|(name, value)| (name, value)))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .spawn();
    let mut child = match spawned {
        Ok(child) => child,
        Err(error) => {
            warn!(handler = %handler, %error, "cannot start the event handler");
            return Outcome::Failed;
        }
    };
    let mut group = ProcessGroup::of(&child);
    let stdout = child.stdout.take().map(Captured::start);
    let stderr = child.stderr.take().map(Captured::start);
    let mut input = child.stdin.take();
    let finished = tokio::time::timeout(time_limit, async {
        if let Some(input) = &mut input {
            // A handler that does not read its input closes it early: its choice.
            let _ = input.write_all(stdin).await;
        }
        drop(input);
        tokio::select! {
            exited = child.wait() => exited,
            () = tokio::time::sleep(SLOW) => {
                info!(handler = %handler, "the event handler is still running; later events wait for it");
                child.wait().await
            }
        }
    })
    .await;
    let exited = match finished {
        Ok(exited) => {
            group.exited();
            Some(exited)
        }
        Err(_) => {
            group.kill();
            // The group is gone at once, unless the kill could not reach it (a setuid
            // process alone in it): the shell itself is then killed, and not waited on
            // for long.
            if tokio::time::timeout(AFTER_KILL, child.wait())
                .await
                .is_err()
            {
                let _ = child.start_kill();
                warn!(handler = %handler, "the event handler's process group could not be killed");
            }
            None
        }
    };
    let printed = output_of(stdout).await;
    let complained = output_of(stderr).await;
    match exited {
        Some(Ok(status)) if status.success() => {
            if !printed.is_empty() || !complained.is_empty() {
                info!(handler = %handler, output = %printed, stderr = %complained, "event handler output");
            }
            Outcome::Succeeded
        }
        Some(Ok(status)) => {
            warn!(handler = %handler, %status, output = %printed, stderr = %complained, "the event handler failed");
            Outcome::Failed
        }
        Some(Err(error)) => {
            warn!(handler = %handler, %error, "the event handler could not be waited for");
            Outcome::Failed
        }
        None => {
            warn!(handler = %handler, ?time_limit, output = %printed, stderr = %complained, "the event handler ran too long and was killed, with everything it started");
            Outcome::Killed
        }
    }
}

/// What a pipe brought, or nothing when it was not captured.
async fn output_of(captured: Option<Captured>) -> String {
    match captured {
        Some(captured) => captured.finish().await,
        None => String::new(),
    }
}

/// A run's process group (the shell's own, `process_group(0)`): killed if the run ends
/// by its time limit, or is dropped while its shell still runs (the agent stopping).
/// Once the shell has exited, what it left in the background is its business.
struct ProcessGroup {
    leader: Option<Pid>,
}

impl ProcessGroup {
    fn of(child: &tokio::process::Child) -> ProcessGroup {
        ProcessGroup {
            leader: child
                .id()
                .and_then(|id| i32::try_from(id).ok())
                .map(Pid::from_raw),
        }
    }

    fn kill(&mut self) {
        if let Some(leader) = self.leader.take() {
            let _ = killpg(leader, Signal::SIGKILL);
        }
    }

    fn exited(&mut self) {
        self.leader = None;
    }
}

impl Drop for ProcessGroup {
    fn drop(&mut self) {
        self.kill();
    }
}

/// What a run writes to one of its pipes, read as it comes (so the run never blocks on
/// a full pipe) and kept up to what is logged.
struct Captured {
    kept: std::sync::Arc<std::sync::Mutex<Vec<u8>>>,
    reader: JoinHandle<()>,
}

impl Captured {
    fn start(mut pipe: impl tokio::io::AsyncRead + Unpin + Send + 'static) -> Captured {
        let kept = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let into = kept.clone();
        let reader = tokio::spawn(async move {
            let mut chunk = [0u8; 4096];
            while let Ok(read @ 1..) = pipe.read(&mut chunk).await {
                let mut kept = into.lock().unwrap_or_else(|e| e.into_inner());
                let room = (OUTPUT_LOGGED + 1).saturating_sub(kept.len());
                kept.extend_from_slice(&chunk[..read.min(room)]);
            }
        });
        Captured { kept, reader }
    }

    /// The text written so far, once the pipe closes or, if a process the run left
    /// behind holds it open, a moment after the run ended. The reader then goes on
    /// draining the pipe unseen: closing it would kill that process (SIGPIPE) at its
    /// next write.
    async fn finish(mut self) -> String {
        let _ = tokio::time::timeout(AFTER_EXIT, &mut self.reader).await;
        let kept = self.kept.lock().unwrap_or_else(|e| e.into_inner());
        logged(&kept)
    }
}

/// The first [`OUTPUT_LOGGED`] bytes of a run's output, as text, without the final
/// newline.
fn logged(output: &[u8]) -> String {
    let shown = &output[..output.len().min(OUTPUT_LOGGED)];
    let mut text = String::from_utf8_lossy(shown).trim_end().to_owned();
    if output.len() > OUTPUT_LOGGED {
        text.push_str(" ...");
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(spec: &str) -> EventHandler {
        spec.parse().unwrap()
    }

    /// `user:NAME` picks the user events of that name, as in Serf; `user` takes all.
    #[test]
    fn a_handler_picks_user_events_by_name_as_serf_writes_it() {
        let event = |name: &str| Event::UserEvent {
            origin: NodeId::new("n1").unwrap(),
            name: name.into(),
            payload: String::new(),
        };
        let deploy = parsed("user:deploy,dead=./x.sh");
        assert_eq!(deploy.command(), "./x.sh");
        assert!(deploy.takes(&event("deploy")) && !deploy.takes(&event("flush")));
        let dead = Event::MemberDead {
            id: NodeId::new("n2").unwrap(),
            incarnation: 0,
        };
        assert!(deploy.takes(&dead));
        assert!(!parsed("user:deploy=./x.sh").takes(&dead));
        assert!(parsed("user=./x.sh").takes(&event("flush")));
        for name in ["deploy-v2.1", "deploy/v2", "café", "cache flush"] {
            let handler = parsed(&format!("user:{name}=./x.sh"));
            assert_eq!(handler.command(), "./x.sh", "{name}");
            assert!(
                handler.takes(&event(name)) && !handler.takes(&dead),
                "{name}"
            );
        }
        assert_eq!(parsed(&deploy.to_string()), deploy, "reads back");
        let empty = "user:=./x.sh".parse::<EventHandler>().unwrap_err();
        assert!(empty.contains("names no event"), "{empty}");
    }

    #[test]
    fn a_handler_names_its_kinds_before_the_first_equals_sign() {
        let on_failure = parsed("dead,left=./on-failure.sh --quiet");
        assert_eq!(on_failure.command(), "./on-failure.sh --quiet");
        assert!(on_failure.runs_on("dead") && on_failure.runs_on("left"));
        assert!(!on_failure.runs_on("joined"));
        assert_eq!(on_failure.to_string(), "dead,left=./on-failure.sh --quiet");

        for every in ["./log.sh", "*=./log.sh"] {
            let handler = parsed(every);
            assert_eq!(handler.command(), "./log.sh");
            assert!(handled_kinds().all(|kind| handler.runs_on(kind)), "{every}");
            assert_eq!(parsed(&handler.to_string()), handler, "reads back");
        }
        let every_with_variable = parsed("*=x=1 ./log.sh");
        assert_eq!(every_with_variable.command(), "x=1 ./log.sh");
        assert_eq!(
            parsed(&every_with_variable.to_string()),
            every_with_variable
        );
        // A variable set for the command, or text that is no list of words, is no
        // list of kinds.
        for command in [
            "FOO=1 ./log.sh a=b",
            "LANG=C ./log.sh",
            "./log.sh --level=2",
            "echo a=b",
            "curl -d x=1 http://example.invalid/",
            "env FOO=1 ./log.sh",
        ] {
            let handler = parsed(command);
            assert_eq!(handler.command(), command);
            assert!(handler.runs_on("dead"), "{command}");
        }
        assert_eq!(parsed("dead=x=1").command(), "x=1");
        let spaced = parsed("dead, left =./x.sh");
        assert!(spaced.runs_on("left") && !spaced.runs_on("joined"));
    }

    #[test]
    fn an_unknown_kind_or_an_empty_command_is_refused_clearly() {
        let error = "died=./x.sh".parse::<EventHandler>().unwrap_err();
        assert!(error.contains("no event kind \"died\""), "{error}");
        assert!(
            error.contains("joined_cluster, joined, suspected"),
            "{error}"
        );
        assert!(!error.contains("lagged"), "{error}");
        assert!("lagged=./x.sh".parse::<EventHandler>().is_err());
        assert!("dead,,left=./x.sh".parse::<EventHandler>().is_err());
        // What looks like kinds must be kinds, rather than run as a command.
        for typo in [
            "Dead=./x.sh",
            "dead, lft=./x.sh",
            "x=1 ./log.sh",
            "user:deploy,dead,lft=./x.sh",
        ] {
            let error = typo.parse::<EventHandler>().unwrap_err();
            assert!(error.contains("no event kind"), "{typo}: {error}");
            assert!(error.contains("*=COMMAND"), "{typo}: {error}");
        }
        let error = "member-join=./x.sh".parse::<EventHandler>().unwrap_err();
        assert!(
            error.contains("Serf's member-join is joined here"),
            "{error}"
        );
        for (misread, why) in [
            ("=./x.sh", "names no kinds"),
            (" =./x.sh", "names no kinds"),
            ("DEAD=./x.sh", "sets a shell variable and runs no command"),
            ("dead left=./x.sh", "without commas"),
            ("member-join member-leave=./x.sh", "without commas"),
        ] {
            let error = misread.parse::<EventHandler>().unwrap_err();
            assert!(error.contains(why), "{misread}: {error}");
        }
        for empty in ["", "  ", "dead=", "dead= "] {
            let error = empty.parse::<EventHandler>().unwrap_err();
            assert!(error.contains("the command is empty"), "{empty:?}: {error}");
        }
    }

    #[test]
    fn a_run_is_told_the_event_in_variables() {
        let own = NodeId::new("n1").unwrap();
        let recent = |event: Event| RecentEvent {
            at_unix_ms: 1,
            kind: gossip_api::event_kind(&event).to_owned(),
            seq: 7,
            event,
        };
        let n2 = NodeId::new("n2").unwrap();
        let joined = recent(Event::MemberJoined {
            id: n2.clone(),
            addr: "127.0.0.1:7947".parse().unwrap(),
        });
        assert_eq!(
            environment(&own, 0xab, &joined, None),
            [
                ("GOSSIP_EVENT", "joined".to_owned()),
                ("GOSSIP_EVENT_ID", "ab-7".to_owned()),
                ("GOSSIP_SELF_NAME", "n1".to_owned()),
                ("GOSSIP_MEMBER", "n2".to_owned()),
                ("GOSSIP_MEMBER_ADDRESS", "127.0.0.1:7947".to_owned()),
            ]
        );
        let held = MemberInfo {
            name: n2.clone(),
            addr: "127.0.0.1:8000".parse().unwrap(),
            status: gossip_core::MemberState::Dead,
            incarnation: 3,
            local_health: None,
            tags: Default::default(),
        };
        let dead = recent(Event::MemberDead {
            id: n2.clone(),
            incarnation: 3,
        });
        let variables = environment(&own, 0xab, &dead, Some(&held));
        assert_eq!(
            variables[3..],
            [
                ("GOSSIP_MEMBER", "n2".to_owned()),
                ("GOSSIP_MEMBER_ADDRESS", "127.0.0.1:8000".to_owned()),
                ("GOSSIP_MEMBER_STATUS", "dead".to_owned()),
            ]
        );
        let deploy = recent(Event::UserEvent {
            origin: n2.clone(),
            name: "deploy".into(),
            payload: "v2".into(),
        });
        assert_eq!(
            environment(&own, 0xab, &deploy, None)[3..],
            [
                ("GOSSIP_USER_EVENT", "deploy".to_owned()),
                ("GOSSIP_USER_PAYLOAD", "v2".to_owned()),
                ("GOSSIP_USER_ORIGIN", "n2".to_owned()),
            ]
        );
        let removed = recent(Event::MemberRemoved { id: n2 });
        assert_eq!(environment(&own, 0xab, &removed, None).len(), 4);
        let with_nul = recent(Event::KeyChanged {
            key: "a\0b".into(),
            value: None,
            writer: gossip_core::ReplicaId::new(own.clone(), 1),
        });
        let variables = environment(&own, 0xab, &with_nul, None);
        assert!(
            variables.iter().all(|(name, _)| *name != "GOSSIP_KEY"),
            "a NUL cannot go in the environment: {variables:?}"
        );
        let key = recent(Event::Conflict {
            key: "colour".into(),
            siblings: 2,
        });
        assert_eq!(
            environment(&own, 0xab, &key, None)[3..],
            [("GOSSIP_KEY", "colour".to_owned())]
        );
    }

    #[test]
    fn logged_output_is_cut_short() {
        assert_eq!(logged(b"done\n"), "done");
        let long = vec![b'x'; OUTPUT_LOGGED + 10];
        let text = logged(&long);
        assert!(text.ends_with(" ...") && text.len() == OUTPUT_LOGGED + 4);
    }
}
