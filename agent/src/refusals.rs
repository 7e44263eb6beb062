//! The log's word on refused datagrams. A datagram that does not open (a peer without
//! the keyring, with other keys, of another cluster, or clocks too far apart) is
//! counted by reason in the stats; a peer set up wrongly sends one every probe, so the
//! log says so once, at once, with the sender and why, and then at most once a minute
//! with how many more were refused, instead of a line per datagram. Serf logs its
//! decryption failures likewise.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use crate::envelope::Refused;

/// The least time between two of the log's lines on refused datagrams.
pub const QUIET_FOR: Duration = Duration::from_secs(60);

/// What the log was last told, and the refusals since.
#[derive(Debug, Default)]
pub struct RefusalLog {
    last_said: Option<Instant>,
    unsaid: u64,
}

impl RefusalLog {
    /// Notes a datagram from `from` refused for `reason` at `now`: the line to log, if
    /// one is due.
    pub fn refused(&mut self, now: Instant, from: SocketAddr, reason: Refused) -> Option<String> {
        if self
            .last_said
            .is_some_and(|said| now.duration_since(said) < QUIET_FOR)
        {
            self.unsaid += 1;
            return None;
        }
        let before = std::mem::take(&mut self.unsaid);
        self.last_said = Some(now);
        let also = if before > 0 {
            format!(" ({before} more refused since the last such line, for any reason)")
        } else {
            String::new()
        };
        Some(format!(
            "refused a datagram from {from}: {}{also}",
            why(reason)
        ))
    }
}

/// What a refusal most likely means, and what to check.
fn why(reason: Refused) -> &'static str {
    match reason {
        Refused::Unauthenticated => {
            "it does not open under any key of this keyring (a peer without --keyring, or with other keys, or tampered with)"
        }
        Refused::Stale => {
            "it was sealed more than 30 s from this clock (are the two machines' clocks set?)"
        }
        Refused::Replayed => "it repeats one already taken (a replay, or a duplicate on the way)",
        Refused::WrongCluster => "it is of another cluster (its --cluster-name differs)",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_refusal_is_said_then_a_minute_s_are_summed_up() {
        let (mut log, start) = (RefusalLog::default(), Instant::now());
        let peer: SocketAddr = "10.0.0.7:7946".parse().unwrap();
        let first = log.refused(start, peer, Refused::Unauthenticated).unwrap();
        assert!(
            first.starts_with("refused a datagram from 10.0.0.7:7946: "),
            "{first}"
        );
        assert!(
            first.contains("--keyring") && !first.contains("refused since"),
            "{first}"
        );
        for second in 1..60 {
            let at = start + Duration::from_secs(second);
            assert_eq!(log.refused(at, peer, Refused::Unauthenticated), None);
        }
        let later = log
            .refused(start + QUIET_FOR, peer, Refused::WrongCluster)
            .unwrap();
        assert!(later.contains("--cluster-name"), "{later}");
        assert!(
            later.ends_with("(59 more refused since the last such line, for any reason)"),
            "{later}"
        );
        let quiet = start + QUIET_FOR * 3;
        let alone = log.refused(quiet, peer, Refused::Stale).unwrap();
        assert!(
            alone.contains("clocks") && !alone.contains("refused since"),
            "{alone}"
        );
    }
}
