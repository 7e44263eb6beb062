//! User events: a name and a payload that one member asks every member to hear once, as
//! `serf event` does (a deploy to start, a cache to flush, a configuration to reload).
//! They spread as membership news does (SWIM section 4.1): each member that hears one
//! sends it on in its gossip rounds, fewest-sent first, `retransmit_mult *
//! ceil(log10(n + 1))` times. (Only on the gossip rounds' datagrams: a build from before
//! user events reads no datagram that carries one, and should lose no ping or ack to
//! them.) So they arrive within a few protocol periods, at most once each, but not
//! surely: a member away while its neighbours spread one never hears it, and nothing
//! repairs that (Serf's user events are no surer). What must reach everyone belongs in
//! the key/value store, which anti-entropy repairs.
//!
//! A member tells an event heard again from a new one by its id, 64 random bits drawn
//! by the sender, and remembers the ids it heard for [`REMEMBERED_FOR`], at most
//! [`REMEMBERED_MAX`] of them. It passes an event on for at most [`QUEUED_FOR`] after
//! hearing it (an event normally leaves within seconds): to come back to a member that
//! has forgotten it, an event would have to be held that long by each of ten members
//! in turn.

use std::collections::VecDeque;

use serde::{Deserialize, Serialize};

use crate::{Duration, Error, Instant, NodeId};

/// The most bytes a user event's name and payload take together: Serf's default
/// `UserEventSizeLimit`, small enough that several ride in one datagram with the
/// membership news.
pub const MAX_USER_EVENT_LEN: usize = 512;

/// How long a member remembers the id of an event it heard.
pub const REMEMBERED_FOR: Duration = Duration::from_secs(300);

/// How many times more than membership news a member sends each user event on: they
/// ride on gossip rounds alone, where membership news also rides on every ping and ack,
/// and in a small cluster `retransmit_mult` sends by each member miss a member now and
/// then (4 sends to random peers of 3 miss a given one with probability 0.2 each).
pub const TRANSMITS_PER_NEWS: u32 = 2;

/// The most bytes of user events a member may have waiting to leave before it takes no
/// more of its own: a gossip round carries a few datagrams' worth, and an event waiting
/// longer than [`QUEUED_FOR`] is dropped unsent. About 30 events of 500 bytes, or
/// hundreds of short ones.
pub const MAX_QUEUED_BYTES: usize = 16 * 1024;

/// How long after hearing an event a member may still pass it on.
pub const QUEUED_FOR: Duration = Duration::from_secs(30);

/// The most event ids a member remembers: a flood of events makes it forget the
/// oldest early, rather than grow without bound.
pub const REMEMBERED_MAX: usize = 4096;

/// One user event, as it travels.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct UserEvent {
    /// Drawn at random by the sender: how a member knows it heard this one already.
    pub id: u64,
    /// The member that sent it.
    pub origin: NodeId,
    /// What it is about, for a handler to pick its events by (`deploy`).
    pub name: String,
    /// Anything the handlers need; often empty.
    pub payload: String,
    /// How long ago it was sent, in milliseconds, as far as the members that passed it
    /// on know: each adds the time it held it (the network's delays are not counted).
    /// A member that joined later than that ignores it, as Serf ignores events from
    /// before a join: a member restarted moments after hearing an event would
    /// otherwise hear it again, from the others still passing it on.
    pub age_ms: u32,
}

impl UserEvent {
    /// The bytes it may take on the wire at any age: its age is written when it is
    /// sent, in as many as 5 bytes.
    pub(crate) fn room_needed(&self) -> usize {
        crate::wire::encoded_len(&UserEvent {
            age_ms: u32::MAX,
            ..self.clone()
        })
    }

    /// Checks a name and payload before they are sent: a name of at least one byte,
    /// none of the characters [`crate::misleads_in_a_name`] names (it is handed to
    /// scripts in an environment variable and shown in logs), and at most [`MAX_USER_EVENT_LEN`] bytes in all.
    pub fn check(name: &str, payload: &str) -> Result<(), Error> {
        if name.is_empty() {
            return Err(Error::BadUserEvent("an event needs a name".into()));
        }
        if name.chars().any(crate::misleads_in_a_name) {
            return Err(Error::BadUserEvent(format!(
                "an event's name has no control or bidirectional formatting characters \
                 (nor line separators): {name:?}"
            )));
        }
        let len = name.len() + payload.len();
        if len > MAX_USER_EVENT_LEN {
            return Err(Error::TooLarge {
                what: "the event's name and payload",
                len,
                max: MAX_USER_EVENT_LEN,
            });
        }
        Ok(())
    }
}

/// The ids of the events a member heard lately, oldest first.
#[derive(Clone, Debug, Default)]
pub(crate) struct HeardEvents {
    heard: VecDeque<(Instant, u64)>,
}

impl HeardEvents {
    /// Whether the event `id` is new here, and if so remembers it. Linear in the ids
    /// remembered: events are few, and a member sending many fills the memory, not the
    /// time.
    pub(crate) fn first_hearing(&mut self, now: Instant, id: u64) -> bool {
        self.forget_before(now);
        if self.heard.iter().any(|&(_, heard)| heard == id) {
            return false;
        }
        if self.heard.len() == REMEMBERED_MAX {
            self.heard.pop_front();
        }
        self.heard.push_back((now, id));
        true
    }

    /// Forgets the ids heard [`REMEMBERED_FOR`] or longer before `now`.
    pub(crate) fn forget_before(&mut self, now: Instant) {
        while let Some(&(at, _)) = self.heard.front() {
            if at + REMEMBERED_FOR > now {
                break;
            }
            self.heard.pop_front();
        }
    }

    /// When the id was first heard, if it is still remembered.
    pub(crate) fn heard_at(&self, id: u64) -> Option<Instant> {
        self.heard
            .iter()
            .find(|&&(_, heard)| heard == id)
            .map(|&(at, _)| at)
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.heard.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_event_is_new_once_until_it_is_forgotten() {
        let mut heard = HeardEvents::default();
        let t0 = Instant::from_millis(1_000);
        assert!(heard.first_hearing(t0, 7));
        assert!(!heard.first_hearing(t0, 7));
        assert!(heard.first_hearing(t0, 8));
        let almost = t0 + (REMEMBERED_FOR - Duration::from_millis(1));
        assert!(!heard.first_hearing(almost, 7), "still remembered");
        assert_eq!(heard.heard_at(7), Some(t0));
        assert!(
            heard.first_hearing(t0 + REMEMBERED_FOR, 7),
            "forgotten after five minutes"
        );
        assert_eq!(heard.len(), 1, "8 forgotten too, 7 heard anew");
    }

    #[test]
    fn a_flood_makes_the_oldest_forgotten_not_the_memory_grow() {
        let mut heard = HeardEvents::default();
        let now = Instant::from_millis(5);
        for id in 0..REMEMBERED_MAX as u64 + 10 {
            assert!(heard.first_hearing(now, id));
        }
        assert_eq!(heard.len(), REMEMBERED_MAX);
        assert!(heard.first_hearing(now, 0), "the oldest made room");
        assert!(!heard.first_hearing(now, REMEMBERED_MAX as u64 + 9));
    }

    #[test]
    fn names_and_sizes_are_checked() {
        assert!(UserEvent::check("deploy", "v1.2").is_ok());
        assert!(UserEvent::check("deploy", "").is_ok());
        assert!(matches!(
            UserEvent::check("", "x"),
            Err(Error::BadUserEvent(_))
        ));
        assert!(matches!(
            UserEvent::check("a\nb", ""),
            Err(Error::BadUserEvent(_))
        ));
        assert!(matches!(
            UserEvent::check("deploy\u{202E}", ""),
            Err(Error::BadUserEvent(_))
        ));
        assert!(UserEvent::check("déploiement", "\u{202E} in a payload is the handler's").is_ok());
        let room = "p".repeat(MAX_USER_EVENT_LEN - 6);
        assert!(UserEvent::check("deploy", &room).is_ok());
        assert_eq!(
            UserEvent::check("deploy", &format!("{room}!")),
            Err(Error::TooLarge {
                what: "the event's name and payload",
                len: MAX_USER_EVENT_LEN + 1,
                max: MAX_USER_EVENT_LEN
            })
        );
    }
}
