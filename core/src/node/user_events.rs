//! User events ([`crate::user_event`]): sent from here, heard once, passed on.

use super::{Node, NodeStatus};
use crate::dissemination::BroadcastQueue;
use crate::user_event::{HeardEvents, MAX_QUEUED_BYTES, QUEUED_FOR, UserEvent};
use crate::wire::{self, Message, PacketRef};
use crate::{Error, Event, Instant};

/// The user events this node is spreading, and the ids of those it heard lately.
#[derive(Clone, Debug, Default)]
pub(super) struct UserEvents {
    pub(super) queue: BroadcastQueue<UserEvent>,
    heard: HeardEvents,
    /// When this life of the node joined: events sent before are not its to hear.
    pub(super) joined_at: Option<Instant>,
    /// The time of the gossip round being sent, which the events' ages are counted to.
    now: Instant,
}

impl UserEvents {
    /// Drops unsent the queued events heard [`QUEUED_FOR`] ago or more (or whose ids
    /// are forgotten), and returns how many: an event normally leaves within seconds,
    /// and one passed on much later could reach a member that has forgotten it and
    /// would hear it again.
    pub(super) fn expire(&mut self, now: Instant) -> usize {
        self.now = now;
        if self.queue.is_empty() {
            return 0;
        }
        self.heard.forget_before(now);
        let heard = &self.heard;
        self.queue.drop_where(|event| {
            heard
                .heard_at(event.id)
                .is_none_or(|at| at + QUEUED_FOR <= now)
        })
    }
}

impl UserEvents {
    /// `events`, each aged by the time this node has held it, as it goes out in this
    /// gossip round.
    pub(super) fn aged(&self, mut events: Vec<UserEvent>) -> Vec<UserEvent> {
        for event in &mut events {
            let held = self
                .heard
                .heard_at(event.id)
                .map_or(0, |at| self.now.saturating_since(at).as_millis());
            let held = u32::try_from(held).unwrap_or(u32::MAX);
            event.age_ms = event.age_ms.saturating_add(held);
        }
        events
    }
}

impl Node {
    /// Sends a user event to every member: `name` for handlers to pick it by and a
    /// `payload` for them to act on. This node hears it too ([`Event::UserEvent`], at
    /// once), as every member does once, within a few protocol periods. Refused, with
    /// nothing sent, for a node that left, an empty name, one with characters that
    /// make it read as another ([`crate::misleads_in_a_name`]), more than
    /// [`MAX_USER_EVENT_LEN`](crate::MAX_USER_EVENT_LEN) bytes in all, or while
    /// [`MAX_QUEUED_BYTES`] of events wait to leave ([`Error::Busy`]: the events
    /// already sent would otherwise wait past their time and be dropped).
    pub fn send_user_event(
        &mut self,
        now: Instant,
        name: &str,
        payload: &str,
    ) -> Result<(), Error> {
        if self.status == NodeStatus::Left {
            return Err(Error::Left);
        }
        UserEvent::check(name, payload)?;
        // The seeded generator gives a restart with the same seed the same numbers:
        // this life's writer epoch, drawn afresh, keeps its ids apart from the last
        // life's, which the others may still remember.
        let life = u64::from(self.replica.epoch).rotate_left(32);
        let event = UserEvent {
            id: self.next_random_u64() ^ life,
            origin: self.id.clone(),
            name: name.to_owned(),
            payload: payload.to_owned(),
            age_ms: 0,
        };
        let room = self.user_event_room();
        let len = event.room_needed() + 1;
        if len > room {
            return Err(Error::TooLarge {
                what: "the event with its sender's name and id",
                len,
                max: room,
            });
        }
        if self.user_events.queue.bytes() + len > MAX_QUEUED_BYTES {
            return Err(Error::Busy(format!(
                "{} bytes of user events are still waiting to leave this node: send again once they have gone (a few protocol periods)",
                self.user_events.queue.bytes()
            )));
        }
        self.hear_user_event(now, event);
        self.stats.user_events_sent += 1;
        self.rearm_idle_timers(now);
        Ok(())
    }

    /// The most bytes a user event may take in a gossip datagram of this node's, alone
    /// beside the message: one that does not fit would never leave.
    fn user_event_room(&self) -> usize {
        let bare = 1 + wire::encoded_len(&PacketRef {
            from: &self.id,
            message: &Message::Gossip,
            updates: &[],
        });
        self.config
            .mtu
            .saturating_sub(bare + super::gossip::UPDATE_COUNT_RESERVE)
    }

    /// A user event heard from a peer (or sent from here): reported and passed on the
    /// first time, ignored after. One that breaks the rules a sender checks is dropped:
    /// forged, or from a build with other limits. One sent before this node joined is
    /// remembered and not reported or passed on (Serf's `eventJoinIgnore`): a node
    /// restarted moments after hearing an event would hear it again from the others.
    pub(super) fn hear_user_event(&mut self, now: Instant, event: UserEvent) {
        if self.status == NodeStatus::Left
            || UserEvent::check(&event.name, &event.payload).is_err()
            || !self.user_events.heard.first_hearing(now, event.id)
        {
            return;
        }
        let sent_before_joining = self.user_events.joined_at.is_some_and(|joined| {
            now.saturating_since(joined) < crate::Duration::from_millis(event.age_ms.into())
        });
        if sent_before_joining {
            return;
        }
        self.stats.user_events_heard += 1;
        self.events.push_back(Event::UserEvent {
            origin: event.origin.clone(),
            name: event.name.clone(),
            payload: event.payload.clone(),
        });
        self.user_events.queue.push(event);
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{deliver, join_through, joined_pair, node, run_pair};
    use super::*;
    use crate::user_event::QUEUED_FOR;
    use crate::wire::{self, Message, Packet, Update};
    use crate::{Duration, MAX_USER_EVENT_LEN};

    /// The user events `node` reported, as (origin, name, payload).
    fn heard(node: &mut Node) -> Vec<(String, String, String)> {
        std::iter::from_fn(|| node.poll_event())
            .filter_map(|event| match event {
                Event::UserEvent {
                    origin,
                    name,
                    payload,
                } => Some((origin.to_string(), name, payload)),
                _ => None,
            })
            .collect()
    }

    fn one(origin: &str, name: &str, payload: &str) -> Vec<(String, String, String)> {
        vec![(origin.into(), name.into(), payload.into())]
    }

    #[test]
    fn an_event_is_heard_once_by_its_sender_and_by_every_member() {
        let (mut a, mut b) = joined_pair();
        let now = Instant::ZERO;
        heard(&mut a);
        heard(&mut b);
        a.send_user_event(now, "deploy", "v2").unwrap();
        assert_eq!(heard(&mut a), one("a", "deploy", "v2"), "at once");
        run_pair(&mut a, &mut b, now + Duration::from_secs(10));
        assert_eq!(heard(&mut b), one("a", "deploy", "v2"));
        assert!(heard(&mut a).is_empty(), "not again when b passes it back");
        let counted = |node: &Node| {
            let stats = node.stats();
            (
                stats.user_events_sent,
                stats.user_events_heard,
                stats.user_events_expired,
            )
        };
        assert_eq!((counted(&a), counted(&b)), ((1, 1, 0), (0, 1, 0)));
        assert!(
            a.user_events.queue.is_empty() && b.user_events.queue.is_empty(),
            "each sent it as often as news is sent, then stopped"
        );
    }

    /// An event sent before a node joined is not its to hear (Serf's eventJoinIgnore):
    /// one restarted moments after hearing it does not hear it again from the others
    /// still passing it on. Its age is counted by those that held it; one sent after
    /// the node joined is heard.
    #[test]
    fn an_event_sent_before_a_node_joined_is_not_heard_after_a_restart() {
        let (mut a, b) = joined_pair();
        let start = Instant::ZERO;
        a.send_user_event(start, "deploy", "").unwrap();
        let later = start + Duration::from_secs(2);
        let mut b = {
            drop(b);
            let mut again = node("b", 2);
            join_through(later, &mut again, &mut a);
            again
        };
        heard(&mut b);
        let gossip_to_b = |a: &mut Node, b: &mut Node, at: Instant| {
            while a.poll_transmit().is_some() {}
            a.user_events.expire(at);
            a.send(b.addr(), Message::Gossip);
            deliver(at, a, b);
        };
        while a.poll_transmit().is_some() {}
        a.user_events.expire(later);
        a.send(b.addr(), Message::Gossip);
        let sent = a.poll_transmit().unwrap();
        let ages: Vec<u32> = wire::decode(&sent.payload)
            .unwrap()
            .updates
            .iter()
            .filter_map(|update| match update {
                Update::User(event) => Some(event.age_ms),
                _ => None,
            })
            .collect();
        assert_eq!(ages, [2_000], "aged by the time a held it");
        b.handle_packet(later, a.addr(), &sent.payload).unwrap();
        assert!(heard(&mut b).is_empty(), "sent before b joined");
        let after = later + Duration::from_millis(100);
        a.send_user_event(after, "flush", "").unwrap();
        gossip_to_b(&mut a, &mut b, after + Duration::from_millis(50));
        assert_eq!(heard(&mut b), one("a", "flush", ""));
    }

    /// A node takes no more of its own events while too many wait to leave, and says
    /// so, rather than let them wait past their time; once they have gone it takes
    /// more.
    #[test]
    fn a_node_with_too_many_events_waiting_refuses_more_until_they_leave() {
        let (mut a, mut b) = joined_pair();
        let payload = "p".repeat(400);
        let mut sent = 0;
        let refused = loop {
            match a.send_user_event(Instant::ZERO, "big", &payload) {
                Ok(()) => sent += 1,
                Err(error) => break error,
            }
            assert!(sent < 1_000, "never refused");
        };
        assert!(matches!(refused, Error::Busy(_)), "{refused}");
        assert!(a.user_events.queue.bytes() <= crate::user_event::MAX_QUEUED_BYTES);
        assert!(sent >= 30, "{sent} taken first");
        let drained = Instant::ZERO + QUEUED_FOR + Duration::from_secs(1);
        run_pair(&mut a, &mut b, drained);
        assert_eq!(heard(&mut b).len(), sent, "every event taken reached b");
        assert!(
            a.send_user_event(Instant::ZERO + Duration::from_secs(20), "big", &payload)
                .is_ok()
        );
    }

    /// Events ride on gossip rounds' datagrams alone: a build from before them drops a
    /// datagram that carries one, and must not lose pings and acks to them.
    #[test]
    fn events_ride_on_gossip_datagrams_alone() {
        let (mut a, b) = joined_pair();
        while a.poll_transmit().is_some() {}
        a.send_user_event(Instant::ZERO, "deploy", "").unwrap();
        let carries_event = |a: &mut Node, message: Message| {
            a.send(b.addr(), message);
            let sent = a.poll_transmit().expect("a datagram");
            wire::decode(&sent.payload)
                .unwrap()
                .updates
                .iter()
                .any(|update| matches!(update, Update::User(_)))
        };
        assert!(!carries_event(&mut a, Message::Ack { seq: 7 }));
        assert!(carries_event(&mut a, Message::Gossip));
    }

    #[test]
    fn what_a_sender_refuses_is_refused_and_dropped_when_heard() {
        let (mut a, mut b) = joined_pair();
        let now = Instant::ZERO;
        heard(&mut b);
        assert!(matches!(
            a.send_user_event(now, "", "x"),
            Err(Error::BadUserEvent(_))
        ));
        let too_long = "p".repeat(MAX_USER_EVENT_LEN);
        assert!(matches!(
            a.send_user_event(now, "deploy", &too_long),
            Err(Error::TooLarge { .. })
        ));
        assert!(a.user_events.queue.is_empty(), "nothing sent");

        // Forged or foreign events beside a good one, in one datagram: the good one is
        // heard, the others dropped, and a second hearing of it is no news.
        let event = |id: u64, name: &str, payload: &str| {
            Update::User(UserEvent {
                id,
                origin: a.id().clone(),
                name: name.into(),
                payload: payload.into(),
                age_ms: 0,
            })
        };
        let datagram = wire::encode(&Packet {
            from: a.id().clone(),
            message: Message::Gossip,
            updates: vec![
                event(1, "two\nlines", ""),
                event(2, "big", &too_long),
                event(3, "", ""),
                event(4, "flush", "cache"),
            ],
        });
        b.handle_packet(now, a.addr(), &datagram).unwrap();
        assert_eq!(heard(&mut b), one("a", "flush", "cache"));
        b.handle_packet(now, a.addr(), &datagram).unwrap();
        assert!(heard(&mut b).is_empty(), "heard already");

        b.leave(now);
        assert_eq!(b.send_user_event(now, "bye", ""), Err(Error::Left));
    }

    #[test]
    fn an_event_held_past_its_time_is_dropped_unsent() {
        let mut a = node("a", 1);
        a.join(Instant::ZERO, &[]);
        a.send_user_event(Instant::ZERO, "deploy", "").unwrap();
        // Alone, a has nobody to send it to; its gossip timer runs while it waits.
        let mut waited_until = Instant::ZERO;
        while let Some(next) = a.poll_timeout() {
            if next >= Instant::ZERO + QUEUED_FOR {
                break;
            }
            waited_until = next;
            a.handle_timeout(next);
            while a.poll_transmit().is_some() {}
        }
        assert!(!a.user_events.queue.is_empty(), "kept at {waited_until}");
        a.handle_timeout(Instant::ZERO + QUEUED_FOR + Duration::from_secs(1));
        assert!(a.user_events.queue.is_empty(), "dropped");
        assert_eq!(
            a.stats().user_events_expired,
            0,
            "not counted: alone, a had nobody to pass it to"
        );
        assert!(
            a.user_events.heard.heard_at(0).is_none() && a.user_events.heard.len() == 1,
            "its id still remembered"
        );
    }

    /// An event dropped unsent while the node had members to pass it to is counted: a
    /// sign that some may not hear it.
    #[test]
    fn an_event_dropped_unsent_beside_members_is_counted() {
        let (mut a, _b) = joined_pair();
        a.send_user_event(Instant::ZERO, "deploy", "").unwrap();
        // The next gossip round comes only past the event's time: it goes unsent.
        a.handle_timeout(Instant::ZERO + QUEUED_FOR + Duration::from_secs(1));
        assert!(a.user_events.queue.is_empty(), "dropped");
        assert_eq!(a.stats().user_events_expired, 1);
    }

    /// An event that could not leave in a datagram of this node's is refused, not
    /// reported sent and then held for nobody.
    #[test]
    fn an_event_too_large_for_a_datagram_is_refused() {
        let mut config = crate::Config::demo();
        config.mtu = 512;
        config.max_key_len = 64;
        config.max_value_len = 128;
        let addr = std::net::SocketAddr::from(([127, 0, 0, 1], 1));
        let mut a = Node::new(crate::NodeId::new("a").unwrap(), addr, config, 1).unwrap();
        a.join(Instant::ZERO, &[]);
        let payload = "p".repeat(MAX_USER_EVENT_LEN - 6);
        assert!(matches!(
            a.send_user_event(Instant::ZERO, "deploy", &payload),
            Err(Error::TooLarge { .. })
        ));
        assert!(a.user_events.queue.is_empty() && heard(&mut a).is_empty());
        assert!(a.send_user_event(Instant::ZERO, "deploy", "v2").is_ok());
    }

    /// Ids differ between two lives of one node with the same seed: its writer epoch,
    /// drawn afresh each life, is mixed in.
    #[test]
    fn a_restart_with_the_same_seed_sends_other_ids() {
        let ids = |epoch: u32| {
            let mut a = node("a", 1);
            a.renew_writer(epoch);
            a.join(Instant::ZERO, &[]);
            a.send_user_event(Instant::ZERO, "deploy", "").unwrap();
            a.user_events.queue.select(usize::MAX, 1).0[0].id
        };
        assert_ne!(ids(1), ids(2));
        assert_eq!(ids(1), ids(1), "from the seeded generator");
    }
}
