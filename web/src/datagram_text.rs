//! A decoded datagram in words, for the lab's tooltips and pinned datagrams: what the
//! message asks or tells, then each piggybacked update. Learners read these; Rust's
//! debug output of the same structures (`Member(MemberUpdate { id: "n3", ... })`) is
//! for programmers.

use gossip_core::MemberUpdate;
use gossip_core::Version;
use gossip_core::wire::{Message, Update};

/// At most this many entries of a list (members of a full state, versions) are named;
/// the rest are counted.
const LISTED: usize = 6;

/// The message, on one line, then a line per entry it carries.
pub fn describe_message(message: &Message) -> String {
    match message {
        Message::Ping {
            seq,
            target,
            store_fingerprint,
        } => match store_fingerprint {
            0 => format!("probe #{seq}: are you alive, {target}? (my store is empty)"),
            fingerprint => format!(
                "probe #{seq}: are you alive, {target}? (my store's fingerprint {fingerprint:08x})"
            ),
        },
        Message::Ack { seq } => format!("answer to probe #{seq}: alive"),
        Message::PingReq {
            seq,
            target,
            target_addr,
            nack,
        } => format!(
            "probe #{seq} asks for help: ping {target} ({target_addr}) for me{}",
            if *nack {
                ", and say so if it does not answer"
            } else {
                ""
            }
        ),
        Message::Nack { seq } => {
            format!("probe #{seq}: no answer from the target yet (Lifeguard's nack)")
        }
        Message::Sync { members, reply } => {
            // A table too large for one datagram is shared in several.
            let mut text = format!(
                "member table (all or part): {} member{}{}",
                members.len(),
                plural(members.len()),
                if *reply { ", send me yours" } else { "" }
            );
            list(&mut text, members.iter().map(member));
            text
        }
        Message::Gossip => "gossip: the news below".to_owned(),
        Message::Rumor {
            batch,
            versions,
            feedback,
        } => {
            let mut text = format!(
                "rumor batch #{batch}: {} write{}{}",
                versions.len(),
                plural(versions.len()),
                if *feedback {
                    ", tell me which you knew"
                } else {
                    ""
                }
            );
            list(&mut text, versions.iter().map(version));
            text
        }
        Message::RumorFeedback { batch, known } => {
            let knew = known.iter().filter(|k| **k).count();
            format!(
                "feedback on rumor batch #{batch}: knew {knew} of {} already",
                known.len()
            )
        }
        Message::RumorPull => "asks for the rumors that are hot".to_owned(),
        Message::Digest {
            summary,
            send_deltas,
            send_digest,
        } => {
            let asks = match (send_deltas, send_digest) {
                (true, true) => ": send me what I lack, and your digest",
                (true, false) => ": send me what I lack",
                (false, true) => ": send me your digest",
                (false, false) => "",
            };
            format!("store digest {summary}{asks}")
        }
        Message::Deltas { versions, ranges } => {
            let mut text = format!(
                "deltas: {} write{} (covering {} range{})",
                versions.len(),
                plural(versions.len()),
                ranges.len(),
                plural(ranges.len())
            );
            list(&mut text, versions.iter().map(version));
            text
        }
        Message::SyncOffer { fingerprint } => format!(
            "push-pull offer: my full state's fingerprint is {fingerprint:016x} (if yours differs, we exchange full states)"
        ),
    }
}

/// A piggybacked update, on one line.
pub fn describe_update(update: &Update) -> String {
    match update {
        Update::Member(update) => format!("+ {}", member(update)),
        Update::Kv(written) => format!("+ {}", version(written)),
        Update::User(event) if event.payload.is_empty() => {
            format!("+ event {:?} from {}", event.name, event.origin)
        }
        Update::User(event) => format!(
            "+ event {:?} from {}: {:?}",
            event.name, event.origin, event.payload
        ),
    }
}

fn member(update: &MemberUpdate) -> String {
    let mut text = format!(
        "{} {} (inc {}) at {}",
        update.id, update.state, update.incarnation, update.addr
    );
    if let Some(accuser) = &update.accuser {
        text.push_str(&format!(", suspected by {accuser}"));
    }
    if !update.tags.is_empty() {
        text.push_str(&format!(", tags {}", update.tags));
    }
    text
}

fn version(written: &Version) -> String {
    match &written.value {
        Some(value) => format!(
            "{} = {value:?} by {} {}",
            written.key, written.writer, written.clock
        ),
        None => format!(
            "{} deleted by {} {}",
            written.key, written.writer, written.clock
        ),
    }
}

/// Adds the first [`LISTED`] `entries` as lines, and a count of the rest.
fn list(text: &mut String, entries: impl ExactSizeIterator<Item = String>) {
    let count = entries.len();
    for entry in entries.take(LISTED) {
        text.push_str("\n  ");
        text.push_str(&entry);
    }
    if count > LISTED {
        text.push_str(&format!("\n  and {} more", count - LISTED));
    }
}

fn plural(count: usize) -> &'static str {
    if count == 1 { "" } else { "s" }
}

#[cfg(test)]
mod tests {
    use super::*;
    use gossip_core::{MemberState, NodeId, Tags};

    fn member_update(name: &str, state: MemberState) -> MemberUpdate {
        MemberUpdate {
            id: NodeId::new(name).unwrap(),
            addr: "10.0.0.3:7946".parse().unwrap(),
            incarnation: 2,
            state,
            accuser: None,
            tags: Tags::none(),
        }
    }

    #[test]
    fn messages_and_updates_read_as_words() {
        let ping = |store_fingerprint| {
            describe_message(&Message::Ping {
                seq: 7,
                target: NodeId::new("n3").unwrap(),
                store_fingerprint,
            })
        };
        assert_eq!(ping(0), "probe #7: are you alive, n3? (my store is empty)");
        assert_eq!(
            ping(0x5eed),
            "probe #7: are you alive, n3? (my store's fingerprint 00005eed)"
        );
        let update = Update::Member(member_update("n3", MemberState::Suspect));
        assert_eq!(
            describe_update(&update),
            "+ n3 suspect (inc 2) at 10.0.0.3:7946"
        );
        let members = (1..=8)
            .map(|i| member_update(&format!("n{i}"), MemberState::Alive))
            .collect();
        let sync = describe_message(&Message::Sync {
            members,
            reply: true,
        });
        let lines: Vec<&str> = sync.lines().collect();
        assert_eq!(
            lines[0],
            "member table (all or part): 8 members, send me yours"
        );
        assert_eq!(lines[1], "  n1 alive (inc 2) at 10.0.0.3:7946");
        assert_eq!(lines.len(), 1 + LISTED + 1);
        assert_eq!(lines[LISTED + 1], "  and 2 more");
    }
}
