//! `gossip datagrams`: every datagram an agent sends and receives, one line each as it
//! goes or comes (`GET /api/datagrams`), with the peer's name (as the agent gives it,
//! or looked up in its member table from an agent that does not): the protocol's
//! traffic, readable, without a packet sniffer.

use std::collections::HashMap;
use std::io::Write;
use std::net::SocketAddr;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use gossip_core::wire::MessageKind;

use crate::cli::{DatagramsArgs, StreamFormat};
use crate::client::{Client, ClientError, read_events, time_of_day};
use crate::view::{DatagramInfo, MemberInfo};

/// How often, at most, the member table is read again to name a peer not in it.
const NAMES_REFRESH: std::time::Duration = std::time::Duration::from_secs(1);

/// The kinds `--kind` takes: the counters' names of the message kinds.
pub fn parse_kind(text: &str) -> Result<String, String> {
    MessageKind::ALL
        .iter()
        .map(|kind| kind.as_str())
        .find(|kind| *kind == text)
        .map(str::to_owned)
        .ok_or_else(|| {
            let names: Vec<&str> = MessageKind::ALL.iter().map(|k| k.as_str()).collect();
            format!("no kind {text:?}: one of {}", names.join(", "))
        })
}

/// Member names by address, read from the agent when a peer is not among them (no
/// more than once a second).
struct Names {
    by_addr: HashMap<SocketAddr, String>,
    read_at: Option<Instant>,
}

impl Names {
    fn of(&mut self, client: &Client, peer: SocketAddr) -> Option<&str> {
        let stale = self.read_at.is_none_or(|at| at.elapsed() >= NAMES_REFRESH);
        if !self.by_addr.contains_key(&peer)
            && stale
            && let Ok(members) = client.call::<Vec<MemberInfo>>("GET", "/api/members", None)
        {
            self.by_addr = members
                .into_iter()
                .map(|m| (m.addr, m.name.to_string()))
                .collect();
            self.read_at = Some(Instant::now());
        }
        self.by_addr.get(&peer).map(String::as_str)
    }
}

/// `gossip datagrams`: prints each datagram the agent sends or receives, until the
/// agent stops or the output is closed: as words (`06:12:03.412  sent      ping  → n2
/// (127.0.0.1:7947)  23 bytes`) or as a JSON line.
pub fn datagrams(args: &DatagramsArgs, out: &mut impl Write) -> Result<(), ClientError> {
    let client = Client::streaming(args.client.http, args.client.timeout);
    let names_client = Client::of(&args.client);
    let mut names = Names {
        by_addr: HashMap::new(),
        read_at: None,
    };
    let stream = client.stream("/api/datagrams")?;
    let mut reading = true;
    read_events(stream, |direction, data| {
        let line = match serde_json::from_str::<DatagramInfo>(data) {
            Ok(datagram) if args.kind.is_empty() || args.kind.contains(&datagram.kind) => {
                let name = match &datagram.peer_name {
                    Some(name) => Some(name.as_str()),
                    None => names.of(&names_client, datagram.peer),
                };
                let at = SystemTime::now();
                match args.format {
                    StreamFormat::Text => in_words(at, direction, &datagram, name),
                    StreamFormat::Json => as_json(at, direction, &datagram, name),
                }
            }
            Ok(_) => return true,
            Err(_) if direction == "lagged" => format!(
                "{}  missed {data} datagrams: this reader fell behind the agent",
                time_of_day(SystemTime::now())
            ),
            // From an agent newer than this client: shown as it came.
            Err(_) => format!("{}  {direction} {data}", time_of_day(SystemTime::now())),
        };
        reading = writeln!(out, "{line}").and_then(|()| out.flush()).is_ok();
        reading
    });
    if reading {
        eprintln!(
            "the agent at http://{} ended its datagram stream (it stopped or left)",
            args.client.http
        );
    }
    Ok(())
}

/// One datagram as a person reads it: when, which way, its kind, the peer (by name
/// when the agent knows it), its size and the news on it.
fn in_words(
    at: SystemTime,
    direction: &str,
    datagram: &DatagramInfo,
    name: Option<&str>,
) -> String {
    let arrow = if direction == "sent" { "→" } else { "←" };
    let peer = match name {
        Some(name) => format!("{name} ({})", datagram.peer),
        None => datagram.peer.to_string(),
    };
    let news = match datagram.updates {
        0 => String::new(),
        1 => ", 1 update".to_owned(),
        n => format!(", {n} updates"),
    };
    format!(
        "{}  {direction:<9} {:<14} {arrow} {peer}  {} bytes{news}",
        time_of_day(at),
        datagram.kind,
        datagram.bytes
    )
}

/// One datagram as a JSON object on one line, with `at_unix_ms`, `direction` and
/// `peer_name` (null when the agent does not know the address) beside its fields.
fn as_json(at: SystemTime, direction: &str, datagram: &DatagramInfo, name: Option<&str>) -> String {
    let at_unix_ms = at
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_millis() as u64;
    serde_json::json!({
        "at_unix_ms": at_unix_ms,
        "direction": direction,
        "peer": datagram.peer,
        "peer_name": name,
        "kind": datagram.kind,
        "updates": datagram.updates,
        "bytes": datagram.bytes,
    })
    .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ping(updates: usize) -> DatagramInfo {
        DatagramInfo {
            peer: "127.0.0.1:7947".parse().unwrap(),
            peer_name: None,
            kind: "ping".to_owned(),
            updates,
            bytes: 23,
        }
    }

    #[test]
    fn a_datagram_reads_as_words_with_its_peer_named_when_known() {
        let at = UNIX_EPOCH + std::time::Duration::from_millis(3_723_004);
        assert_eq!(
            in_words(at, "sent", &ping(0), Some("n2")),
            "01:02:03.004  sent      ping           → n2 (127.0.0.1:7947)  23 bytes"
        );
        assert_eq!(
            in_words(at, "received", &ping(2), None),
            "01:02:03.004  received  ping           ← 127.0.0.1:7947  23 bytes, 2 updates"
        );
    }

    #[test]
    fn a_datagram_as_json_keeps_every_field() {
        let line = as_json(UNIX_EPOCH, "received", &ping(1), Some("n2"));
        let value: serde_json::Value = serde_json::from_str(&line).unwrap();
        assert_eq!(value["direction"], "received");
        assert_eq!(value["peer"], "127.0.0.1:7947");
        assert_eq!(value["peer_name"], "n2");
        assert_eq!(value["kind"], "ping");
        assert_eq!(value["updates"], 1);
        assert_eq!(value["bytes"], 23);
        let unnamed = as_json(UNIX_EPOCH, "sent", &ping(1), None);
        assert!(unnamed.contains("\"peer_name\":null"), "{unnamed}");
    }

    #[test]
    fn only_the_counters_kinds_are_taken() {
        assert_eq!(parse_kind("ping-req").as_deref(), Ok("ping-req"));
        let refused = parse_kind("pong").unwrap_err();
        assert!(
            refused.contains("\"pong\"") && refused.contains("sync-offer"),
            "{refused}"
        );
    }
}
