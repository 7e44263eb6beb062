//! The client subcommands (`gossip members`, `kv`, `stats`, `events`, `leave`, `join`,
//! `force-leave`, `keys`): each talks to one agent's HTTP API and prints what it
//! answered, for a person (tables) or a program (`--format json`). Failures are one
//! line: the agent cannot be reached, or what the agent said was wrong.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::SocketAddr;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::de::DeserializeOwned;

use std::collections::BTreeMap;

use crate::cli::{
    ClientArgs, EventArgs, EventsArgs, ForceLeaveArgs, JoinArgs, KeysAction, KeysArgs, KvAction,
    KvArgs, ListFormat, MembersArgs, StatsArgs, StreamFormat, TagsArgs,
};
use crate::event_feed::EventId;
use crate::view::{JoinInfo, KeyInfo, KeysInfo, MemberInfo, RecentEvent, StatsInfo};

/// A failed request, ready to print.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ClientError(String);

/// The HTTP API of the agent at `addr`.
#[derive(Debug)]
pub struct Client {
    base: String,
    /// How long the agent has to answer.
    answer: Duration,
    http: ureq::Agent,
}

/// How long an agent has to answer a request unless `--timeout` says otherwise (a
/// paused or overloaded agent would keep the command waiting for ever).
const ANSWER_TIMEOUT: Duration = Duration::from_secs(10);

impl Client {
    /// A client whose requests must be answered, body and all, within
    /// [`ANSWER_TIMEOUT`].
    pub fn new(addr: SocketAddr) -> Client {
        Client::with_timeouts(addr, ANSWER_TIMEOUT, Some(ANSWER_TIMEOUT))
    }

    /// The client a command's flags ask for.
    pub(crate) fn of(args: &ClientArgs) -> Client {
        Client::with_timeouts(args.http, args.timeout, Some(args.timeout))
    }

    /// A client for a stream: the answer must begin within `timeout`, and its body may
    /// go on for as long as the agent runs.
    pub(crate) fn streaming(addr: SocketAddr, timeout: Duration) -> Client {
        Client::with_timeouts(addr, timeout, None)
    }

    fn with_timeouts(addr: SocketAddr, answer: Duration, body: Option<Duration>) -> Client {
        let config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_connect(Some(answer.min(Duration::from_secs(3))))
            .timeout_send_request(Some(answer))
            .timeout_send_body(Some(answer))
            .timeout_recv_response(Some(answer))
            .timeout_recv_body(body)
            .build();
        Client {
            base: format!("http://{addr}"),
            answer,
            http: config.into(),
        }
    }

    fn unreachable(&self, error: ureq::Error) -> ClientError {
        match error {
            ureq::Error::Timeout(_) => ClientError(format!(
                "the agent at {} did not answer within {} s (is it paused, or overloaded?)",
                self.base,
                self.answer.as_secs_f64()
            )),
            error @ (ureq::Error::Io(_)
            | ureq::Error::ConnectionFailed
            | ureq::Error::HostNotFound
            | ureq::Error::Protocol(_)) => ClientError(format!(
                "cannot reach the agent at {}: {error} (does an agent run there, started with --http at that address?)",
                self.base
            )),
            // The request itself could not be made (a path too long for HTTP, say):
            // the agent is not at fault, nor out of reach.
            error => ClientError(format!(
                "cannot send this request to the agent at {}: {error}",
                self.base
            )),
        }
    }

    /// What an answer that is not the API's says: the address may be another server's,
    /// or an agent of another version.
    fn not_the_api(&self, what: &str) -> ClientError {
        ClientError(format!(
            "{} answered {what}, not as this version's agent API does: is it an agent's --http address, and of this version (gossip version)?",
            self.base
        ))
    }

    /// Sends a request and reads a JSON answer, or the API's error message.
    pub(crate) fn call<T: DeserializeOwned>(
        &self,
        method: &str,
        path: &str,
        body: Option<&str>,
    ) -> Result<T, ClientError> {
        let url = format!("{}{path}", self.base);
        let sent = match (method, body) {
            ("GET", _) => self.http.get(&url).call(),
            ("DELETE", _) => self.http.delete(&url).call(),
            ("POST", None) => self.http.post(&url).send_empty(),
            ("POST", Some(body)) => self.http.post(&url).send(body),
            ("PATCH", body) => self.http.patch(&url).send(body.unwrap_or_default()),
            (_, body) => self.http.put(&url).send(body.unwrap_or_default()),
        };
        let mut response = sent.map_err(|e| self.unreachable(e))?;
        let status = response.status();
        let text = response
            .body_mut()
            .read_to_string()
            .map_err(|e| self.unreachable(e))?;
        if !status.is_success() {
            let message = serde_json::from_str::<serde_json::Value>(&text)
                .ok()
                .and_then(|v| v["error"].as_str().map(str::to_owned));
            return Err(message.map_or_else(
                || self.not_the_api(&format!("{status} without the API's error")),
                ClientError,
            ));
        }
        serde_json::from_str(&text)
            .map_err(|e| self.not_the_api(&format!("{status} with what it cannot read ({e})")))
    }
}

/// The member list's path, narrowed by the agent as `--status`, `--name` and `--tag` ask.
fn members_path(args: &MembersArgs) -> String {
    let query: Vec<String> = args
        .statuses
        .iter()
        .map(|status| format!("status={}", encode_path(status)))
        .chain(
            args.name
                .iter()
                .map(|name| format!("name={}", encode_path(name))),
        )
        .chain(
            args.tags
                .iter()
                .map(|(key, value)| format!("tag={}", encode_path(&format!("{key}={value}")))),
        )
        .collect();
    if query.is_empty() {
        "/api/members".to_owned()
    } else {
        format!("/api/members?{}", query.join("&"))
    }
}

/// `gossip members`.
pub fn members(args: &MembersArgs) -> Result<String, ClientError> {
    let client = Client::of(&args.client);
    let members: Vec<MemberInfo> = client.call("GET", &members_path(args), None)?;
    Ok(match args.format {
        ListFormat::Json => serde_json::to_string(&members).unwrap_or_default(),
        ListFormat::Table => {
            let rows: Vec<[String; 6]> = members
                .iter()
                .map(|m| {
                    [
                        m.name.to_string(),
                        m.addr.to_string(),
                        m.status.to_string(),
                        m.incarnation.to_string(),
                        m.local_health.map_or("-".into(), |h| h.to_string()),
                        m.tags
                            .iter()
                            .map(|(k, v)| format!("{k}={v}"))
                            .collect::<Vec<_>>()
                            .join(","),
                    ]
                })
                .collect();
            table(
                &[
                    "name",
                    "address",
                    "status",
                    "incarnation",
                    "local health",
                    "tags",
                ],
                &rows,
            )
        }
    })
}

/// The value argument of `kv put` that says "read the value from standard input", as
/// with `consul kv put`.
pub const VALUE_FROM_STDIN: &str = "-";

/// The most `kv put -` reads: a value travels in one UDP datagram, which holds at most
/// this many bytes, so more is a mistake (the wrong file) better said than sent.
const STDIN_VALUE_LIMIT: usize = 65_507;

/// The value `kv put` writes: its argument, or for `-` all of standard input, byte for
/// byte, so that a file or another command's output is stored as it is (a trailing
/// newline included, as `consul kv put` and `etcdctl put` keep it).
fn value_to_put(given: &str, stdin: impl Read) -> Result<String, ClientError> {
    let limit = StdinLimit {
        bytes: STDIN_VALUE_LIMIT,
        why: "a value travels in one datagram".into(),
    };
    given_or_read(given, "value", &limit, stdin)
}

/// The payload `event` sends: its argument, or for `-` all of standard input, which
/// may hold what the name leaves of [`gossip_core::MAX_USER_EVENT_LEN`].
fn payload_to_send(name: &str, given: &str, stdin: impl Read) -> Result<String, ClientError> {
    let max = gossip_core::MAX_USER_EVENT_LEN;
    let limit = StdinLimit {
        bytes: max.saturating_sub(name.len()),
        why: format!("an event's name and payload together take at most {max} bytes"),
    };
    given_or_read(given, "payload", &limit, stdin)
}

/// How much of standard input a command takes, and why no more.
struct StdinLimit {
    bytes: usize,
    why: String,
}

/// `given`, or for `-` all of standard input, byte for byte: `what` names it in the
/// complaints.
fn given_or_read(
    given: &str,
    what: &str,
    limit: &StdinLimit,
    stdin: impl Read,
) -> Result<String, ClientError> {
    if given != VALUE_FROM_STDIN {
        return Ok(given.to_owned());
    }
    let mut bytes = Vec::new();
    stdin
        .take(limit.bytes as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(|error| {
            ClientError(format!(
                "cannot read the {what} from standard input: {error}"
            ))
        })?;
    if bytes.len() > limit.bytes {
        return Err(ClientError(format!(
            "standard input holds over {} bytes: {}",
            limit.bytes, limit.why
        )));
    }
    String::from_utf8(bytes).map_err(|error| {
        ClientError(format!(
            "the {what} on standard input is not UTF-8 text (byte {} is not)",
            error.utf8_error().valid_up_to()
        ))
    })
}

/// `gossip kv ...`.
pub fn kv(args: &KvArgs) -> Result<String, ClientError> {
    let client = Client::of(&args.client);
    let path = |key: &str| format!("/api/kv/{}", encode_path(key));
    Ok(match &args.action {
        KvAction::Put { key, value } => {
            let stdin = std::io::stdin();
            if value == VALUE_FROM_STDIN && std::io::IsTerminal::is_terminal(&stdin) {
                // Said, or the command would seem to hang.
                eprintln!("reading the value from standard input: end it with Ctrl-D");
            }
            let value = value_to_put(value, stdin.lock())?;
            let written: KeyInfo = client.call("PUT", &path(key), Some(&value))?;
            format!(
                "{} = {} {}",
                printable(key),
                printable(&value),
                clock_of(&written)
            )
        }
        KvAction::Get { key, format } => {
            let info: KeyInfo = client.call("GET", &path(key), None)?;
            // As JSON, a deleted key is its tombstone (`"value": null`), as the API
            // gives it: a program reads that, where a person is told.
            if is_deleted(&info) && *format == ListFormat::Table {
                // As good as missing, which is status 2; its tombstone says by whom.
                let tombstone = &info.versions[0];
                return Err(ClientError(format!(
                    "no key {}: deleted by {} {}",
                    printable(key),
                    tombstone.writer,
                    clock_text(&tombstone.clock)
                )));
            }
            match format {
                ListFormat::Json => serde_json::to_string(&info).unwrap_or_default(),
                ListFormat::Table => show_key(&info),
            }
        }
        KvAction::Delete { key } => {
            let tombstone: KeyInfo = client.call("DELETE", &path(key), None)?;
            format!("{} deleted {}", printable(key), clock_of(&tombstone))
        }
        KvAction::List { format, deleted } => {
            let mut keys: Vec<KeyInfo> = client.call("GET", "/api/kv", None)?;
            if !deleted {
                keys.retain(|info| !is_deleted(info));
            }
            match format {
                ListFormat::Json => serde_json::to_string(&keys).unwrap_or_default(),
                ListFormat::Table => keys.iter().map(show_key).collect::<Vec<_>>().join("\n"),
            }
        }
    })
}

/// `gossip stats`: a summary and the messages by kind, or every counter as JSON.
pub fn stats(args: &StatsArgs) -> Result<String, ClientError> {
    let stats: StatsInfo = Client::of(&args.client).call("GET", "/api/stats", None)?;
    Ok(match args.format {
        ListFormat::Json => serde_json::to_string_pretty(&stats).unwrap_or_default(),
        ListFormat::Table => stats_in_words(&stats),
    })
}

/// An agent's counters for a person: what the page's statistics panel shows.
fn stats_in_words(stats: &StatsInfo) -> String {
    let facts = [
        ("node", format!("{} ({})", stats.name, stats.status)),
        ("members", stats.members_in_words()),
        ("incarnation", stats.incarnation.to_string()),
        ("local health", stats.local_health.to_string()),
        (
            "probes",
            format!(
                "{}; {}",
                stats.probes_in_words(),
                stats.round_trip_in_words()
            ),
        ),
        ("refutations", stats.refutations.to_string()),
        ("keys", stats.keys_in_words()),
        ("rumors spread", printable(&stats.rumors_in_words())),
        ("datagrams", stats.datagrams_in_words()),
        ("address checks", stats.address_checks_in_words()),
        ("uptime", format!("{:.0} s", stats.uptime_seconds)),
    ];
    let runs = stats.event_handlers;
    let handlers = (runs != Default::default()).then(|| ("event handlers", runs.in_words()));
    let events = stats.user_events;
    let events = (events != Default::default()).then(|| ("user events", events.in_words()));
    let facts: Vec<(&str, String)> = facts.into_iter().chain(handlers).chain(events).collect();
    let width = facts.iter().map(|(name, _)| name.len()).max().unwrap_or(0);
    let mut text: Vec<String> = facts
        .iter()
        .map(|(name, value)| format!("{name:<width$}  {value}"))
        .collect();
    let rows: Vec<[String; 5]> = stats
        .by_kind()
        .into_iter()
        .map(|(kind, [sent, received, bytes_out, bytes_in])| {
            [
                kind.to_owned(),
                sent.to_string(),
                received.to_string(),
                bytes_out.to_string(),
                bytes_in.to_string(),
            ]
        })
        .collect();
    text.push(String::new());
    if rows.is_empty() {
        text.push("no messages yet".to_owned());
    } else {
        text.push(table(
            &["kind", "sent", "received", "bytes out", "bytes in"],
            &rows,
        ));
    }
    text.join("\n")
}

/// `gossip tags [--set K=V]... [--delete K]...`: the agent's tags after the change.
pub fn tags(args: &TagsArgs) -> Result<String, ClientError> {
    let set_keys: Vec<&str> = args.set.iter().map(|(key, _)| key.as_str()).collect();
    if let Some(key) = set_keys
        .iter()
        .enumerate()
        .find(|(i, key)| set_keys[..*i].contains(key))
        .map(|(_, key)| key)
    {
        return Err(ClientError(format!(
            "the tag {key:?} is set twice: give it once"
        )));
    }
    if let Some(key) = args
        .delete
        .iter()
        .find(|k| args.set.iter().any(|(s, _)| s == *k))
    {
        return Err(ClientError(format!(
            "the tag {key:?} is both set and deleted: give it once"
        )));
    }
    let client = Client::of(&args.client);
    let tags: BTreeMap<String, String> = if args.set.is_empty() && args.delete.is_empty() {
        client.call("GET", "/api/tags", None)?
    } else {
        // Only the change goes: tags changed meanwhile through another client stay.
        let patch: BTreeMap<&str, Option<&str>> = args
            .delete
            .iter()
            .map(|key| (key.as_str(), None))
            .chain(
                args.set
                    .iter()
                    .map(|(key, value)| (key.as_str(), Some(value.as_str()))),
            )
            .collect();
        let body = serde_json::to_string(&patch).unwrap_or_default();
        client.call("PATCH", "/api/tags", Some(&body))?
    };
    Ok(match args.format {
        ListFormat::Table => tags
            .iter()
            .map(|(key, value)| format!("{key}={value}"))
            .collect::<Vec<_>>()
            .join("\n"),
        ListFormat::Json => serde_json::to_string(&tags).unwrap_or_default(),
    })
}

/// `gossip keys ...`: the keyring after the change, the primary marked.
pub fn keys(args: &KeysArgs) -> Result<String, ClientError> {
    let client = Client::of(&args.client);
    let ring: KeysInfo = match &args.action {
        KeysAction::List => client.call("GET", "/api/keys", None)?,
        KeysAction::Install { key } => client.call("POST", "/api/keys/install", Some(key))?,
        KeysAction::Use { key } => client.call("POST", "/api/keys/use", Some(key))?,
        KeysAction::Remove { key } => client.call("POST", "/api/keys/remove", Some(key))?,
    };
    if args.format == ListFormat::Json {
        return Ok(serde_json::to_string(&ring).unwrap_or_default());
    }
    Ok(ring
        .keys
        .iter()
        .map(|key| {
            let mark = if *key == ring.primary {
                "  (primary)"
            } else {
                ""
            };
            format!("{key}{mark}")
        })
        .collect::<Vec<_>>()
        .join("\n"))
}

/// `gossip leave`.
pub fn leave(args: &ClientArgs) -> Result<String, ClientError> {
    let answer: serde_json::Value = Client::of(args).call("POST", "/api/leave", None)?;
    Ok(format!(
        "{} is leaving the cluster",
        answer["leaving"].as_str().unwrap_or("the agent")
    ))
}

/// `gossip force-leave`.
pub fn force_leave(args: &ForceLeaveArgs) -> Result<String, ClientError> {
    let answer: serde_json::Value =
        Client::of(&args.client).call("POST", "/api/force-leave", Some(&args.name))?;
    Ok(if answer["already"] == true {
        format!("{} had left already", args.name)
    } else {
        format!(
            "{} is declared left: the cluster hears it with the agent's next gossip",
            args.name
        )
    })
}

/// `gossip event`: sends it through the agent, which hears it first.
pub fn event(args: &EventArgs) -> Result<String, ClientError> {
    let payload = payload_to_send(&args.name, &args.payload, std::io::stdin().lock())?;
    let path = format!("/api/user-events/{}", encode_path(&args.name));
    let _: serde_json::Value = Client::of(&args.client).call("POST", &path, Some(&payload))?;
    Ok(format!(
        "event {:?} sent: every member hears it within a few protocol periods",
        args.name
    ))
}

/// `gossip join`: a line per address that answered (`joined n2 at 10.0.0.7:7946`),
/// then one naming those that did not. Fails when none answered.
pub fn join(args: &JoinArgs) -> Result<String, ClientError> {
    let addrs: Vec<String> = args.addrs.iter().map(ToString::to_string).collect();
    let body = serde_json::to_string(&addrs).unwrap_or_default();
    let report: JoinInfo = Client::of(&args.client).call("POST", "/api/join", Some(&body))?;
    Ok(report.in_words().join("\n"))
}

/// `gossip events`: prints each event of the stream as it comes, until the agent stops
/// or the output is closed: as words (`06:12:03.412  suspected  suspects n3 (inc 0)`)
/// or, for programs, as a JSON line with the event's id, the one `Last-Event-ID`
/// takes (`{"id":"5f3a-12","kind":"suspected","event":{...}}`).
pub fn events(args: &EventsArgs, out: &mut impl Write) -> Result<(), ClientError> {
    let client = Client::streaming(args.client.http, args.client.timeout);
    let line = |at: SystemTime, kind: &str, id: Option<&str>, data: &str| match args.format {
        StreamFormat::Text => event_in_words(time_of_day(at), kind, data),
        StreamFormat::Json => event_as_json(at, kind, id, data),
    };
    // A reader that falls behind is told so whatever it asked for.
    let shown = |kind: &str, event: Option<&gossip_core::Event>| {
        args.kind.is_empty()
            || kind == "lagged"
            || args
                .kind
                .iter()
                .any(|wanted| wanted_event(wanted, kind, event))
    };
    let mut reading = true;
    read_events_with_ids(client.subscribe(args.recent)?, |kind, id, data| {
        let lines = match (kind, serde_json::from_str::<Vec<RecentEvent>>(data)) {
            // The events kept, each from when the agent reported it, with its id in
            // the life the history's own id (its last event's) names.
            ("history", Ok(history)) => {
                let life = id
                    .and_then(|id| id.parse::<EventId>().ok())
                    .map(|id| id.life);
                history
                    .iter()
                    .filter(|earlier| shown(&earlier.kind, Some(&earlier.event)))
                    .map(|earlier| {
                        let at = UNIX_EPOCH + Duration::from_millis(earlier.at_unix_ms);
                        let data = serde_json::to_string(&earlier.event).unwrap_or_default();
                        let id = life.map(|life| {
                            EventId {
                                life,
                                seq: earlier.seq,
                            }
                            .to_string()
                        });
                        line(at, &earlier.kind, id.as_deref(), &data)
                    })
                    .collect()
            }
            // Only a user event is read here: its name may be what was asked for.
            _ if shown(
                kind,
                (kind == "user")
                    .then(|| serde_json::from_str(data).ok())
                    .flatten()
                    .as_ref(),
            ) =>
            {
                vec![line(SystemTime::now(), kind, id, data)]
            }
            _ => Vec::new(),
        };
        reading = lines
            .iter()
            .try_for_each(|line| writeln!(out, "{line}"))
            .and_then(|()| out.flush())
            .is_ok();
        reading
    });
    if reading {
        // Not the reader's doing (a closed pipe): the agent ended the stream.
        eprintln!(
            "the agent at {} ended its event stream (it stopped or left)",
            client.base
        );
    }
    Ok(())
}

/// One event of the stream as a person reads it: when it arrived, its kind, and what
/// happened in the agent's words.
fn event_in_words(time: String, kind: &str, data: &str) -> String {
    let words = match serde_json::from_str::<gossip_core::Event>(data) {
        Ok(event) => event.to_string(),
        Err(_) if kind == "lagged" => {
            format!("missed {data} events: this reader fell behind the agent")
        }
        // From an agent newer than this client: shown as it came.
        Err(_) => data.to_owned(),
    };
    format!("{time}  {kind:<14} {}", printable(&words))
}

/// Whether `events --kind WANTED` shows an event of `kind`: `wanted` is a kind, or
/// `user:NAME` for the user events of that name.
fn wanted_event(wanted: &str, kind: &str, event: Option<&gossip_core::Event>) -> bool {
    match wanted.strip_prefix("user:") {
        Some(name) => {
            matches!(event, Some(gossip_core::Event::UserEvent { name: heard, .. }) if heard == name)
        }
        None => wanted == kind,
    }
}

/// One event of the stream as a JSON object on one line: `at_unix_ms`, `kind`, `id`
/// (as `Last-Event-ID` takes it; none on `lagged`), and `event` as the agent sent it
/// (for `lagged`, the number of events missed).
fn event_as_json(at: SystemTime, kind: &str, id: Option<&str>, data: &str) -> String {
    let event = serde_json::from_str::<serde_json::Value>(data)
        .unwrap_or_else(|_| serde_json::Value::String(data.to_owned()));
    let at_unix_ms = at
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_millis() as u64;
    let mut line = serde_json::json!({ "at_unix_ms": at_unix_ms, "kind": kind, "event": event });
    if let Some(id) = id {
        line["id"] = id.into();
    }
    line.to_string()
}

/// `time` as hours, minutes, seconds and milliseconds of its day in UTC, the time zone
/// of the agents' logs.
pub(crate) fn time_of_day(time: SystemTime) -> String {
    let since_epoch = time.duration_since(UNIX_EPOCH).unwrap_or_default();
    let seconds = since_epoch.as_secs() % 86_400;
    format!(
        "{:02}:{:02}:{:02}.{:03}",
        seconds / 3_600,
        seconds / 60 % 60,
        seconds % 60,
        since_epoch.subsec_millis()
    )
}

/// The event stream of the agent at `addr`, subscribed: every event from now on is in
/// it.
pub fn open_events(addr: SocketAddr) -> Result<impl BufRead, ClientError> {
    Client::streaming(addr, ANSWER_TIMEOUT).subscribe(false)
}

impl Client {
    /// This agent's event stream, subscribed; with `recent`, it starts with the events
    /// the agent kept (`event: history`).
    fn subscribe(&self, recent: bool) -> Result<impl BufRead + use<>, ClientError> {
        self.stream(&format!("/api/events?recent={recent}"))
    }

    /// The server-sent events at `path`, as they come.
    pub(crate) fn stream(&self, path: &str) -> Result<impl BufRead + use<>, ClientError> {
        let url = format!("{}{path}", self.base);
        let response = self
            .http
            .get(&url)
            .call()
            .map_err(|e| self.unreachable(e))?;
        Ok(BufReader::new(response.into_body().into_reader()))
    }
}

/// Calls `on_event(kind, json)` for each event of `reader` (server-sent events) until
/// it ends or `on_event` answers false.
pub fn read_events(reader: impl BufRead, mut on_event: impl FnMut(&str, &str) -> bool) {
    read_events_with_ids(reader, |kind, _, data| on_event(kind, data));
}

/// [`read_events`], handing each event its own id too, if it has one. An event is
/// taken at the blank line that ends it, as the HTML standard's server-sent events
/// are, so its fields may come in any order (the agent writes a history's id after
/// its data) and several `data` lines make one, joined by newlines.
pub fn read_events_with_ids(
    reader: impl BufRead,
    mut on_event: impl FnMut(&str, Option<&str>, &str) -> bool,
) {
    let (mut kind, mut id, mut data) = (String::new(), None::<String>, None::<String>);
    for line in reader.lines() {
        let Ok(line) = line else { break };
        if line.is_empty() {
            if let Some(data) = data.take()
                && !on_event(&kind, id.as_deref(), &data)
            {
                break;
            }
            kind.clear();
            id = None;
        } else if let Some(name) = line.strip_prefix("event: ") {
            name.clone_into(&mut kind);
        } else if let Some(value) = line.strip_prefix("id: ") {
            id = Some(value.to_owned());
        } else if let Some(value) = line.strip_prefix("data: ") {
            match &mut data {
                Some(data) => {
                    data.push('\n');
                    data.push_str(value);
                }
                None => data = Some(value.to_owned()),
            }
        }
    }
}

/// Asks the agent at `addr` to leave if it is the one named `name`: `gossip cluster`
/// stopping an agent it did not start (one started again by hand from its hint).
/// Answers whether it asked.
pub fn leave_if_named(addr: SocketAddr, name: &str) -> bool {
    let quick = Duration::from_secs(2);
    let client = Client::with_timeouts(addr, quick, Some(quick));
    let named = client
        .call::<StatsInfo>("GET", "/api/stats", None)
        .is_ok_and(|stats| stats.name.as_str() == name);
    named
        && client
            .call::<serde_json::Value>("POST", "/api/leave", None)
            .is_ok()
}

/// The agent's member table, for a caller that is not a person (`gossip cluster
/// --record`).
pub fn member_list(addr: SocketAddr) -> Result<Vec<MemberInfo>, ClientError> {
    Client::new(addr).call("GET", "/api/members", None)
}

fn clock_of(info: &KeyInfo) -> String {
    info.versions
        .first()
        .map(|v| clock_text(&v.clock))
        .unwrap_or_default()
}

/// A vector clock as `{n1.1f21557e: 2, n2.67853af3: 1}`.
fn clock_text(clock: &BTreeMap<String, u64>) -> String {
    let entries: Vec<String> = clock
        .iter()
        .map(|(writer, count)| format!("{writer}: {count}"))
        .collect();
    format!("{{{}}}", entries.join(", "))
}

/// Whether every version of the key is a tombstone: deleted, with no concurrent value.
fn is_deleted(info: &KeyInfo) -> bool {
    info.versions.iter().all(|version| version.value.is_none())
}

/// A key for a terminal: `key = value`, or its concurrent versions one per line. Keys
/// and values are shown escaped where they hold control characters, so that a value
/// cannot move the cursor, change colours or break the one-line-per-key form.
fn show_key(info: &KeyInfo) -> String {
    let value = |v: &Option<String>| {
        v.as_deref()
            .map_or_else(|| "(deleted)".to_owned(), printable)
    };
    let key = printable(&info.key);
    if info.versions.len() <= 1 {
        return format!("{key} = {}", value(&info.value));
    }
    let mut text = format!(
        "{key}: {} concurrent versions (a conflict: reads give the first; the next write of the key settles it)",
        info.versions.len()
    );
    for version in &info.versions {
        text.push_str(&format!(
            "\n    {} by {} {}",
            value(&version.value),
            version.writer,
            clock_text(&version.clock)
        ));
    }
    text
}

/// `text` as it is, unless it could be misread: then quoted and escaped. That is text
/// holding control characters (a terminal would act on them), empty text and text with
/// spaces at either end (invisible as it is), and text starting with a quote (which
/// would read as an escaped one).
fn printable(text: &str) -> String {
    let misread = text.is_empty()
        || text.starts_with('"')
        || text.starts_with(char::is_whitespace)
        || text.ends_with(char::is_whitespace)
        || text.chars().any(char::is_control);
    if misread {
        format!("{text:?}")
    } else {
        text.to_owned()
    }
}

/// Percent-encodes everything but unreserved characters, so any key is one path segment.
fn encode_path(key: &str) -> String {
    key.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            other => format!("%{other:02X}"),
        })
        .collect()
}

/// Columns padded to their widest cell.
fn table<const N: usize>(header: &[&str; N], rows: &[[String; N]]) -> String {
    let mut widths = header.map(str::len);
    for row in rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.len());
        }
    }
    let line = |cells: Vec<&str>| {
        cells
            .iter()
            .zip(widths)
            .map(|(cell, width)| format!("{cell:width$}"))
            .collect::<Vec<_>>()
            .join("  ")
            .trim_end()
            .to_owned()
    };
    std::iter::once(line(header.to_vec()))
        .chain(
            rows.iter()
                .map(|row| line(row.iter().map(String::as_str).collect())),
        )
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    /// `--status`, `--name` and `--tag` go to the agent as the member list's query,
    /// each value encoded (a tag's `=`, and any `&`, `|` or `+` in a pattern too).
    #[test]
    fn member_filters_become_the_query() {
        let path = |flags: &[&str]| -> String {
            let cli =
                crate::cli::Cli::try_parse_from(["gossip", "members"].iter().chain(flags)).unwrap();
            let crate::cli::Command::Members(args) = cli.command else {
                panic!("parsed as members");
            };
            members_path(&args)
        };
        assert_eq!(path(&[]), "/api/members");
        assert_eq!(
            path(&["--tag", "role=web", "--tag", "dc=a&b", "--status", "dead"]),
            "/api/members?status=dead&tag=role%3Dweb&tag=dc%3Da%26b"
        );
        assert_eq!(
            path(&["--name", "n+|m", "--status", "alive", "--status", "left"]),
            "/api/members?status=alive&status=left&name=n%2B%7Cm"
        );
        let refused = |flags: &[&str]| {
            crate::cli::Cli::try_parse_from(["gossip", "members"].iter().chain(flags))
                .unwrap_err()
                .to_string()
        };
        assert!(refused(&["--name", "n("]).contains("not a usable regular expression"));
        assert!(refused(&["--tag", "role=("]).contains("not a usable regular expression"));
        assert!(refused(&["--tag", "role"]).contains("KEY=REGEX"));
    }

    /// A server that is not an agent (another program on the port) is said to be one,
    /// in one line, without echoing the page it sent.
    #[test]
    fn an_answer_that_is_not_the_api_is_said_to_be_so() {
        use std::io::{Read, Write};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        std::thread::spawn(move || {
            for page in ["HTTP/1.1 404 Not Found", "HTTP/1.1 200 OK"] {
                let (mut stream, _) = listener.accept().unwrap();
                let mut request = [0; 1024];
                let _ = stream.read(&mut request);
                let body = "<!DOCTYPE HTML>\n<html>directory listing</html>";
                let _ = write!(
                    stream,
                    "{page}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
            }
        });
        let client = Client::new(addr);
        for _ in 0..2 {
            let error = client
                .call::<serde_json::Value>("GET", "/api/members", None)
                .unwrap_err()
                .to_string();
            assert!(error.contains("is it an agent's --http address"), "{error}");
            assert!(!error.contains("<html") && !error.contains('\n'), "{error}");
        }
    }

    /// `kv put KEY -` takes standard input whole, newlines and all; anything else is
    /// the value itself. Too much input and bytes that are not UTF-8 are refused.
    #[test]
    fn a_dash_reads_the_value_from_standard_input() {
        let input = "two lines\nof text\n".as_bytes();
        assert_eq!(value_to_put("-", input).unwrap(), "two lines\nof text\n");
        assert_eq!(value_to_put("blue", input).unwrap(), "blue");
        assert_eq!(value_to_put("-", &b""[..]).unwrap(), "");
        let largest = vec![b'x'; STDIN_VALUE_LIMIT];
        assert_eq!(
            value_to_put("-", &largest[..]).unwrap().len(),
            STDIN_VALUE_LIMIT
        );
        let over = vec![b'x'; STDIN_VALUE_LIMIT + 1];
        let refused = value_to_put("-", &over[..]).unwrap_err().to_string();
        assert!(refused.contains("over 65507 bytes"), "{refused}");
        let latin1 = value_to_put("-", &b"caf\xe9"[..]).unwrap_err().to_string();
        assert!(latin1.contains("not UTF-8 text (byte 3"), "{latin1}");
    }

    /// `events --kind user:deploy` shows the user events named deploy and no others.
    #[test]
    fn events_of_a_kind_or_user_events_of_a_name_are_picked() {
        let origin = gossip_core::NodeId::new("n1").unwrap();
        let user = |name: &str| gossip_core::Event::UserEvent {
            origin: origin.clone(),
            name: name.into(),
            payload: String::new(),
        };
        let (deploy, restart) = (user("deploy"), user("restart"));
        assert!(wanted_event("user:deploy", "user", Some(&deploy)));
        assert!(!wanted_event("user:deploy", "user", Some(&restart)));
        assert!(!wanted_event("user:deploy", "user", None));
        assert!(wanted_event("user", "user", Some(&restart)));
        assert!(wanted_event("dead", "dead", None));
        assert!(!wanted_event("dead", "user", Some(&deploy)));
    }

    /// `event NAME -` reads what the name leaves of the 512 bytes an event may take.
    #[test]
    fn an_event_payload_from_standard_input_takes_what_the_name_leaves() {
        let name = "deploy";
        let room = gossip_core::MAX_USER_EVENT_LEN - name.len();
        let fits = vec![b'x'; room];
        assert_eq!(payload_to_send(name, "-", &fits[..]).unwrap().len(), room);
        let over = vec![b'x'; room + 1];
        let refused = payload_to_send(name, "-", &over[..])
            .unwrap_err()
            .to_string();
        assert!(refused.contains(&format!("over {room} bytes")), "{refused}");
        assert!(refused.contains("at most 512 bytes"), "{refused}");
        assert_eq!(payload_to_send(name, "v2", &over[..]).unwrap(), "v2");
    }

    /// Event handler runs are counted in words once there were any.
    #[test]
    fn stats_in_words_count_event_handler_runs_once_any_ran() {
        let node = gossip_core::Node::new(
            gossip_core::NodeId::new("n1").unwrap(),
            "127.0.0.1:7946".parse().unwrap(),
            gossip_core::Config::demo(),
            1,
        )
        .unwrap();
        let mut stats = StatsInfo::of(&node, 3.0);
        assert!(!stats_in_words(&stats).contains("event handlers"));
        stats.event_handlers.succeeded = 5;
        stats.event_handlers.failed = 1;
        let words = stats_in_words(&stats);
        assert!(
            words.contains("event handlers  5 succeeded, 1 failed, 0 killed\n"),
            "{words}"
        );
        assert!(
            !words.contains("user events"),
            "none sent or heard: {words}"
        );
        stats.user_events.sent = 1;
        stats.user_events.heard = 4;
        let words = stats_in_words(&stats);
        assert!(
            words.contains("user events     1 sent, 4 heard\n"),
            "{words}"
        );
        stats.user_events.expired = 2;
        let words = stats_in_words(&stats);
        assert!(
            words.contains("user events     1 sent, 4 heard, 2 dropped unsent\n"),
            "{words}"
        );
        stats.event_handlers.missed = 2;
        assert!(stats_in_words(&stats).contains("0 killed; 2 events missed"));
    }

    #[test]
    fn an_event_reads_as_words_with_its_time_and_kind() {
        let data = r#"{"kind":"suspected","id":"n3","incarnation":2}"#;
        assert_eq!(
            event_in_words("06:12:03.412".into(), "suspected", data),
            "06:12:03.412  suspected      suspects n3 (inc 2)"
        );
        let data =
            r#"{"kind":"updated","id":"n3","incarnation":4,"tags":{"dc":"east","role":"db"}}"#;
        assert_eq!(
            event_in_words("06:12:03.412".into(), "updated", data),
            "06:12:03.412  updated        sees n3 tagged dc=east,role=db"
        );
        // A control character in a key or value reaches the terminal escaped.
        let escape =
            r#"{"kind":"key_changed","key":"k\u001b[2J","value":"\u001b[31mred","writer":"n1.1"}"#;
        let line = event_in_words("06:12:03.412".into(), "key_changed", escape);
        assert!(!line.contains('\u{1b}'), "{line}");
        assert!(
            line.contains(r"k\u{1b}[2J") && line.contains(r"\u{1b}[31mred"),
            "{line}"
        );
        assert_eq!(
            event_in_words("06:12:03.412".into(), "lagged", "7"),
            "06:12:03.412  lagged         missed 7 events: this reader fell behind the agent"
        );
        assert_eq!(
            event_in_words("06:12:03.412".into(), "newer", r#"{"Unknown":1}"#),
            r#"06:12:03.412  newer          {"Unknown":1}"#
        );
    }

    /// Text that would read as other text is quoted: empty, spaced at an end, or
    /// starting with a quote; other text is shown as it is.
    #[test]
    fn text_that_could_be_misread_is_quoted() {
        assert_eq!(printable("blue sky"), "blue sky");
        assert_eq!(printable("a\"b"), "a\"b");
        assert_eq!(printable("a\nb"), r#""a\nb""#);
        assert_eq!(printable(r#""a\nb""#), r#""\"a\\nb\"""#);
        assert_eq!(printable(""), r#""""#);
        assert_eq!(printable(" "), r#"" ""#);
        assert_eq!(printable("x "), r#""x ""#);
    }

    /// Server-sent events as the agent writes them: a history's id after its data, a
    /// live event's before, `lagged` with none, keep-alive comments between.
    #[test]
    fn server_sent_events_are_read_whole_with_their_own_ids() {
        let stream = "event: history\ndata: []\nid: 5f3a-2\n\n:\n\n\
                      event: left\nid: 5f3a-3\ndata: {\"a\":\ndata: 1}\n\n\
                      event: lagged\ndata: 7\n\n\
                      event: left\nid: 5f3a-4\ndata: {}\n\n";
        let mut seen = Vec::new();
        read_events_with_ids(stream.as_bytes(), |kind, id, data| {
            seen.push((kind.to_owned(), id.map(str::to_owned), data.to_owned()));
            seen.len() < 3
        });
        let own = |s: &str| s.to_owned();
        assert_eq!(
            seen,
            [
                (own("history"), Some(own("5f3a-2")), own("[]")),
                (own("left"), Some(own("5f3a-3")), own("{\"a\":\n1}")),
                (own("lagged"), None, own("7")),
            ],
            "the fourth is not read: the reader said stop"
        );
    }

    #[test]
    fn an_event_as_json_is_one_object_with_its_kind() {
        let data = r#"{"kind":"left","id":"n3"}"#;
        let at = UNIX_EPOCH + Duration::from_millis(1_796_105_523_412);
        let line: serde_json::Value =
            serde_json::from_str(&event_as_json(at, "left", Some("5f3a-12"), data)).unwrap();
        assert_eq!(line["at_unix_ms"], 1_796_105_523_412u64);
        assert_eq!(line["kind"], "left");
        assert_eq!(line["id"], "5f3a-12");
        assert_eq!(line["event"]["id"], "n3");
        let lagged: serde_json::Value =
            serde_json::from_str(&event_as_json(at, "lagged", None, "7")).unwrap();
        assert_eq!(lagged["event"], 7);
        assert!(lagged.get("id").is_none(), "{lagged}");
    }

    fn version(value: Option<&str>, writer: &str, count: u64) -> crate::view::VersionInfo {
        crate::view::VersionInfo {
            value: value.map(str::to_owned),
            writer: writer.to_owned(),
            clock: BTreeMap::from([(writer.to_owned(), count)]),
        }
    }

    #[test]
    fn a_key_shows_its_value_or_its_conflict_and_never_raw_control_characters() {
        let plain = KeyInfo {
            key: "colour".into(),
            value: Some("blue".into()),
            versions: vec![version(Some("blue"), "n1.1f", 3)],
        };
        assert_eq!(show_key(&plain), "colour = blue");
        assert!(!is_deleted(&plain));
        let escape = KeyInfo {
            key: "k".into(),
            value: Some("\u{1b}[31mred\nline".into()),
            versions: vec![version(Some("\u{1b}[31mred\nline"), "n1.1f", 1)],
        };
        assert_eq!(show_key(&escape), r#"k = "\u{1b}[31mred\nline""#);
        let conflict = KeyInfo {
            key: "e".into(),
            value: None,
            versions: vec![version(None, "n2.67", 4), version(Some("two"), "n4.d2", 2)],
        };
        assert!(
            !is_deleted(&conflict),
            "a value stands beside the tombstone"
        );
        assert_eq!(
            show_key(&conflict),
            "e: 2 concurrent versions (a conflict: reads give the first; the next write of the key settles it)\n    \
             (deleted) by n2.67 {n2.67: 4}\n    two by n4.d2 {n4.d2: 2}"
        );
        let deleted = KeyInfo {
            key: "gone".into(),
            value: None,
            versions: vec![version(None, "n2.67", 5)],
        };
        assert!(is_deleted(&deleted));
    }

    #[test]
    fn the_time_of_day_is_utc_to_the_millisecond() {
        // 2026-12-01 06:12:03.412 UTC.
        let time = UNIX_EPOCH + Duration::from_millis(1_796_105_523_412);
        assert_eq!(time_of_day(time), "06:12:03.412");
        assert_eq!(time_of_day(UNIX_EPOCH), "00:00:00.000");
    }
}
