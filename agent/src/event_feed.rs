//! The agent's events as a listener follows them: each one numbered within the agent's
//! life, the latest kept, and a listener that comes (or comes back) later handed what
//! it missed and the live stream in one step, so nothing falls between the two and
//! nothing comes twice.
//!
//! The numbering is what server-sent events' `Last-Event-ID` needs (WHATWG HTML,
//! "Server-sent events", section 9.2): a browser that loses the stream reconnects with
//! the id of the last event it read, and the agent resumes after it.

use std::collections::VecDeque;
use std::fmt;
use std::str::FromStr;

use gossip_core::Event;
use tokio::sync::broadcast;

use crate::view::{RecentEvent, event_kind};

/// How many of its latest events an agent keeps, for a listener that comes later (a
/// page opened after a member died).
pub const RECENT_EVENTS: usize = 100;

/// How many events a slow listener may fall behind before it misses some.
const EVENT_BACKLOG: usize = 1024;

/// An event's id on the stream: the agent's life (random, drawn at start) and the
/// event's number in it, written `LIFE-SEQ` in hexadecimal and decimal. A restarted
/// agent counts from 1 again; the life tells a listener's old ids from the new ones.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EventId {
    pub life: u64,
    pub seq: u64,
}

impl fmt::Display for EventId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:x}-{}", self.life, self.seq)
    }
}

impl FromStr for EventId {
    type Err = ();

    fn from_str(text: &str) -> Result<Self, ()> {
        let (life, seq) = text.split_once('-').ok_or(())?;
        Ok(EventId {
            life: u64::from_str_radix(life, 16).map_err(|_| ())?,
            seq: seq.parse().map_err(|_| ())?,
        })
    }
}

/// Where a listener starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FollowFrom {
    /// With the next event.
    Now,
    /// With every event still kept.
    Kept,
    /// With the agent's first event: those still kept, and a count of the earlier ones
    /// no longer kept (a listener that must not miss any without knowing it).
    Start,
    /// Just after this one: a listener coming back.
    After(EventId),
}

/// What a listener gets: how many events it missed for good, the kept ones it had not
/// seen (oldest first), and every event from then on.
#[derive(Debug)]
pub struct EventFeed {
    pub life: u64,
    /// The number of the last event before the live ones (0: none yet in this life).
    pub last_seq: u64,
    pub missed: u64,
    pub history: Vec<RecentEvent>,
    pub live: broadcast::Receiver<RecentEvent>,
}

/// The agent's side: numbers each event, keeps the latest, and sends each to every
/// listener.
#[derive(Debug)]
pub struct EventLog {
    life: u64,
    last_seq: u64,
    kept: VecDeque<RecentEvent>,
    live: broadcast::Sender<RecentEvent>,
}

impl EventLog {
    /// An empty log for the life `life`.
    pub fn new(life: u64) -> EventLog {
        EventLog {
            life,
            last_seq: 0,
            kept: VecDeque::with_capacity(RECENT_EVENTS),
            live: broadcast::channel(EVENT_BACKLOG).0,
        }
    }

    /// Numbers `event`, keeps it, and sends it to the listeners (having none is fine:
    /// events are also logged).
    pub fn record(&mut self, at_unix_ms: u64, event: Event) {
        self.last_seq += 1;
        let recorded = RecentEvent {
            at_unix_ms,
            kind: event_kind(&event).to_owned(),
            seq: self.last_seq,
            event,
        };
        if self.kept.len() == RECENT_EVENTS {
            self.kept.pop_front();
        }
        self.kept.push_back(recorded.clone());
        let _ = self.live.send(recorded);
    }

    /// The events kept, oldest first.
    pub fn kept(&self) -> Vec<RecentEvent> {
        self.kept.iter().cloned().collect()
    }

    /// A new listener starting `from`. Whatever is recorded after this call reaches it
    /// live, and everything before it that it asked for is in the history.
    pub fn follow(&self, from: FollowFrom) -> EventFeed {
        // The last event this listener saw, in this life (0: none of this life).
        let seen = match from {
            FollowFrom::Now => self.last_seq,
            FollowFrom::Kept => self.first_kept().saturating_sub(1),
            FollowFrom::Start => 0,
            FollowFrom::After(id) if id.life == self.life => id.seq.min(self.last_seq),
            FollowFrom::After(_) => 0,
        };
        let history: Vec<RecentEvent> =
            self.kept.iter().filter(|e| e.seq > seen).cloned().collect();
        let next = history.first().map_or(self.last_seq + 1, |e| e.seq);
        EventFeed {
            life: self.life,
            last_seq: self.last_seq,
            missed: next - (seen + 1),
            history,
            live: self.live.subscribe(),
        }
    }

    /// The number of the oldest event kept, or the next one if none is.
    fn first_kept(&self) -> u64 {
        self.kept.front().map_or(self.last_seq + 1, |e| e.seq)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use gossip_core::NodeId;

    fn joined(name: &str) -> Event {
        Event::MemberJoined {
            id: NodeId::new(name).unwrap(),
            addr: "127.0.0.1:1".parse().unwrap(),
        }
    }

    fn seqs(events: &[RecentEvent]) -> Vec<u64> {
        events.iter().map(|e| e.seq).collect()
    }

    fn log_of(count: usize) -> EventLog {
        let mut log = EventLog::new(0xabc);
        for i in 0..count {
            log.record(i as u64, joined(&format!("n{i}")));
        }
        log
    }

    #[test]
    fn an_id_reads_back_as_written() {
        let id = EventId {
            life: 0xdead_beef,
            seq: 42,
        };
        assert_eq!(id.to_string(), "deadbeef-42");
        assert_eq!("deadbeef-42".parse(), Ok(id));
        for bad in ["", "42", "x-1", "1-", "1-x", "1-2-3"] {
            assert!(bad.parse::<EventId>().is_err(), "{bad}");
        }
    }

    #[test]
    fn a_listener_from_now_gets_no_history_and_every_later_event() {
        let mut log = log_of(3);
        let mut feed = log.follow(FollowFrom::Now);
        assert!(feed.history.is_empty());
        assert_eq!(feed.missed, 0);
        log.record(9, joined("late"));
        assert_eq!(feed.live.try_recv().unwrap().seq, 4);
    }

    #[test]
    fn a_listener_coming_back_gets_exactly_what_it_had_not_seen() {
        let mut log = log_of(5);
        let after_two = EventId {
            life: 0xabc,
            seq: 2,
        };
        let mut feed = log.follow(FollowFrom::After(after_two));
        assert_eq!(seqs(&feed.history), [3, 4, 5]);
        assert_eq!(feed.missed, 0);
        assert_eq!(feed.last_seq, 5);
        log.record(9, joined("late"));
        assert_eq!(feed.live.try_recv().unwrap().seq, 6, "no gap, no repeat");
        assert!(feed.live.try_recv().is_err());
    }

    #[test]
    fn a_listener_gone_longer_than_the_log_keeps_is_told_how_many_it_missed() {
        let log = log_of(RECENT_EVENTS + 10);
        let feed = log.follow(FollowFrom::After(EventId {
            life: 0xabc,
            seq: 4,
        }));
        assert_eq!(feed.missed, 6, "events 5 to 10 are no longer kept");
        assert_eq!(feed.history.len(), RECENT_EVENTS);
        assert_eq!(feed.history[0].seq, 11);
    }

    #[test]
    fn a_listener_of_an_earlier_life_gets_all_of_this_one() {
        let log = log_of(3);
        let feed = log.follow(FollowFrom::After(EventId { life: 0x1, seq: 50 }));
        assert_eq!(seqs(&feed.history), [1, 2, 3]);
        assert_eq!(feed.missed, 0);
        let long = log_of(RECENT_EVENTS + 1);
        let feed = long.follow(FollowFrom::After(EventId { life: 0x1, seq: 50 }));
        assert_eq!(feed.missed, 1, "event 1 of this life is no longer kept");
    }

    #[test]
    fn a_listener_asking_for_what_is_kept_gets_it_all_and_missed_nothing() {
        let log = log_of(RECENT_EVENTS + 10);
        let feed = log.follow(FollowFrom::Kept);
        assert_eq!(feed.history.len(), RECENT_EVENTS);
        assert_eq!(feed.missed, 0);
        assert!(log_of(0).follow(FollowFrom::Kept).history.is_empty());
    }

    #[test]
    fn a_listener_from_the_start_is_told_how_many_are_no_longer_kept() {
        let feed = log_of(RECENT_EVENTS + 3).follow(FollowFrom::Start);
        assert_eq!(feed.missed, 3);
        assert_eq!(feed.history[0].seq, 4);
        let feed = log_of(2).follow(FollowFrom::Start);
        assert_eq!((feed.missed, seqs(&feed.history)), (0, vec![1, 2]));
    }

    #[test]
    fn an_id_from_the_future_of_this_life_resumes_from_now() {
        let log = log_of(3);
        let feed = log.follow(FollowFrom::After(EventId {
            life: 0xabc,
            seq: 99,
        }));
        assert!(feed.history.is_empty());
        assert_eq!(feed.missed, 0);
    }
}
