//! An address is checked before it is sent a full state: a node answers a request for
//! its member table, O(n) datagrams, only once the requesting address has shown that it
//! receives this node's datagrams.
//!
//! A full state answers small requests: a joiner's share of one entry, a push-pull offer
//! (one fingerprint), a ping from a member not held. UDP does not check source
//! addresses, so without a check one forged 60-byte request naming someone else's
//! address sends them the whole table: about 60 KB at 1,000 members, an amplification
//! of about 1,000 that would make every member a reflector for denial-of-service
//! attacks, as open NTP and memcached servers were. A cluster sealed with a keyring is
//! not exposed (nobody without the key can forge a request), but the check does not
//! depend on it.
//!
//! The check is SWIM's own ping, in the way QUIC checks an address with a token (RFC
//! 9000, section 8.1) and DTLS with a cookie (RFC 6347, section 4.2.1): to an address
//! not yet proven the node sends a ping naming the member the request came from, with
//! a sequence number drawn at random, and owes the full state until the ack carrying
//! that number comes back from that address. A forged request then costs the address
//! it names one ping, no larger than the request. Whoever answers the ping receives
//! this node's datagrams, and is sent the full state.
//!
//! Every ping is such a check: probes and pings relayed for others are numbered at
//! random too, and the direct ack of any of them, however late, proves the address it
//! comes from for a push-pull period. A node probes every member in turn, so when a
//! member offers a push-pull exchange its address is usually proven already, and the
//! exchange takes no more round trips than it did without checks: that matters under
//! loss and for slow members, for which push-pull is the repair that counts (with
//! every offer checked, Lifeguard's false deaths in `gossip sim false-positives` at
//! 10% loss and 5% of members 2 s late more than doubled).
//!
//! What it costs: a join, and an exchange with an address not proven lately, take one
//! more round trip (ping and ack) before the full state goes out. Sends on this
//! node's own initiative need no check (joining through its seeds, contacting,
//! reconnecting), nor does the answer to a peer this node itself asked for its full
//! state in the current push-pull round (its offer, or its own full state asking for
//! the peer's): the node chose that address. Such a peer's check of this node's
//! address, a ping from a member perhaps not held yet, starts no exchange of its own.
//!
//! An ack counts for the rest of the push-pull round it was asked in, not just a probe
//! timeout: a slow member, whose datagrams are handled seconds late, must still be able
//! to take part in push-pull, the repair that matters most to it.
//!
//! What it does not do: the checks waiting are capped at [`MAX_WAITING`], the oldest
//! giving way, so a flood of forged requests, sixteen in one round trip, can push out a
//! real one, which then waits for its next try (a joiner retries, and push-pull comes
//! round again); a sequence number is 32 bits, so an attacker who forges acks blindly
//! needs about 2^31 of them per check.

use core::net::SocketAddr;
use std::collections::VecDeque;

use rand::Rng;

use super::Node;
use crate::wire::Message;
use crate::{Duration, Instant, NodeId};

/// The most full states owed to addresses whose ack has not come yet. A few joiners at
/// a time need one each; past the cap, the oldest check gives way to the new one.
pub(super) const MAX_WAITING: usize = 16;

/// The most addresses remembered as proven: the members probed in about two minutes at
/// one probe a second, enough to cover most push-pull rounds (which stretch with
/// log2 n beyond 32 members).
const MAX_PROVEN: usize = 128;

/// The most probes and relayed pings whose ack would prove an address: a probe's ack
/// may come periods late, from a slow member.
const MAX_PINGS_OUT: usize = 16;

/// The most peers remembered as asked for their full state in one round.
const MAX_INVITED: usize = 16;

/// Full states owed to addresses being checked, and the addresses that passed.
#[derive(Clone, Debug, Default)]
pub(super) struct AddressChecks {
    /// How long a check is waited for, and how long an ack proves an address: the
    /// push-pull period, as of the last round.
    lifetime: Duration,
    /// Checks in flight, oldest first.
    waiting: Vec<Waiting>,
    /// Probes and pings relayed for others, oldest first: their acks prove addresses
    /// too.
    pings_out: VecDeque<PingOut>,
    /// Addresses that acked a ping, and until when they count as proven, oldest
    /// first (an address acked again may be listed twice).
    proven: VecDeque<(SocketAddr, Instant)>,
    /// The peers this node asked for their full state in the current push-pull round
    /// (its offer, or its own full state asking for theirs), oldest first: their
    /// answer asking for this node's is sent at once, and their pings (a check of this
    /// node's address) start no exchange of their own.
    invited: VecDeque<SocketAddr>,
}

/// A full state owed to `to` once it acks the ping numbered `seq`.
#[derive(Clone, Debug)]
struct Waiting {
    to: SocketAddr,
    seq: u32,
    /// Whether the full state asks for the receiver's in return.
    reply: bool,
    /// When the ack is no longer waited for.
    until: Instant,
}

/// A probe or relayed ping sent to `to`, numbered `seq`.
#[derive(Clone, Copy, Debug)]
struct PingOut {
    to: SocketAddr,
    seq: u32,
}

/// What to do with a full state owed to an address.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Verdict {
    /// Send it now.
    Send,
    /// Check the address first, with a ping numbered so.
    Check(u32),
    /// A check of this address is already under way: the full state goes when it
    /// passes.
    Wait,
}

impl AddressChecks {
    /// Whether a full state may go to `to` now; otherwise, whether to start a check
    /// numbered `seq`.
    pub(super) fn verdict(
        &mut self,
        now: Instant,
        to: SocketAddr,
        reply: bool,
        seq: u32,
    ) -> Verdict {
        self.waiting.retain(|w| w.until > now);
        self.proven.retain(|&(_, until)| until > now);
        if self.proven.iter().any(|&(addr, _)| addr == to) {
            return Verdict::Send;
        }
        if let Some(waiting) = self.waiting.iter_mut().find(|w| w.to == to) {
            waiting.reply |= reply;
            return Verdict::Wait;
        }
        if self.waiting.len() >= MAX_WAITING {
            self.waiting.remove(0);
        }
        self.waiting.push(Waiting {
            to,
            seq,
            reply,
            until: now + self.lifetime,
        });
        Verdict::Check(seq)
    }

    /// Remembers a probe or relayed ping numbered `seq` to `to`: its ack, however late,
    /// proves `to` (until [`MAX_PINGS_OUT`] later pings push it out).
    pub(super) fn ping_sent(&mut self, to: SocketAddr, seq: u32) {
        if self.pings_out.len() >= MAX_PINGS_OUT {
            self.pings_out.pop_front();
        }
        self.pings_out.push_back(PingOut { to, seq });
    }

    /// An ack numbered `seq` came from `from`: if it answers a ping this node sent
    /// there, `from` is proven for a while; if that ping was a check still waited
    /// for, the full state owed is returned (its `reply` flag). Called for every ack,
    /// so it does little when there is nothing to find.
    pub(super) fn acked(&mut self, now: Instant, from: SocketAddr, seq: u32) -> Option<bool> {
        let owed = if let Some(at) = self
            .waiting
            .iter()
            .position(|w| w.seq == seq && w.to == from && w.until > now)
        {
            Some(self.waiting.remove(at).reply)
        } else {
            // Most acks answer the latest probe: look from the newest.
            let at = self
                .pings_out
                .iter()
                .rposition(|p| p.seq == seq && p.to == from)?;
            self.pings_out.remove(at);
            None
        };
        if self.proven.len() >= MAX_PROVEN {
            self.proven.pop_front();
        }
        self.proven.push_back((from, now + self.lifetime));
        owed
    }

    /// Remembers that `peer` was asked for its full state this round.
    pub(super) fn invite(&mut self, peer: SocketAddr) {
        if self.invited.contains(&peer) {
            return;
        }
        if self.invited.len() >= MAX_INVITED {
            self.invited.pop_front();
        }
        self.invited.push_back(peer);
    }

    /// Whether `peer` was asked for its full state this round.
    pub(super) fn is_invited(&self, peer: SocketAddr) -> bool {
        self.invited.contains(&peer)
    }

    /// Whether `from` was asked for its full state this round; its answer is taken
    /// once.
    pub(super) fn take_invitation(&mut self, from: SocketAddr) -> bool {
        let Some(at) = self.invited.iter().position(|&peer| peer == from) else {
            return false;
        };
        self.invited.remove(at);
        true
    }

    /// A new push-pull round, `period` long: the invitations of the last one lapse,
    /// and checks and proofs last `period` from now on.
    pub(super) fn new_round(&mut self, period: Duration) {
        self.invited.clear();
        self.lifetime = period;
    }
}

impl Node {
    /// Sends this node's full state to `to`, which asked for it claiming to be
    /// `member`: at once if `to` is proven, otherwise once `to` answers a ping naming
    /// `member` (see the module doc).
    pub(super) fn share_full_state(
        &mut self,
        now: Instant,
        to: SocketAddr,
        member: &NodeId,
        reply: bool,
    ) {
        let seq = self.rng.random();
        match self.address_checks.verdict(now, to, reply, seq) {
            Verdict::Send => self.send_full_state(to, reply),
            Verdict::Check(seq) => {
                self.stats.address_checks += 1;
                // A ping like any other: to a member held suspect there it carries the
                // suspicion, which the member can refute at once.
                let buddy_news = self
                    .membership
                    .members
                    .get(member)
                    .filter(|held| held.addr == to)
                    .and_then(|held| self.buddy_news(&held));
                let store_fingerprint = self.store.summary_fingerprint();
                let ping = Message::Ping {
                    seq,
                    target: member.clone(),
                    store_fingerprint,
                };
                self.send_with(to, ping, buddy_news);
            }
            Verdict::Wait => {}
        }
    }

    /// Remembers a probe or relayed ping, whose ack will prove `to`.
    pub(super) fn note_ping(&mut self, to: SocketAddr, seq: u32) {
        self.address_checks.ping_sent(to, seq);
    }

    /// An ack from `from`: it may prove `from`, and if it passes a check, the full
    /// state owed goes out.
    pub(super) fn pass_address_check(&mut self, now: Instant, from: SocketAddr, seq: u32) {
        if let Some(reply) = self.address_checks.acked(now, from, seq) {
            self.stats.address_checks_passed += 1;
            self.send_full_state(from, reply);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr(port: u16) -> SocketAddr {
        SocketAddr::from(([10, 0, 0, 1], port))
    }

    const fn at(ms: u64) -> Instant {
        Instant::from_millis(ms)
    }

    /// Checks and proofs that last 30 s.
    fn checks() -> AddressChecks {
        let mut checks = AddressChecks::default();
        checks.new_round(Duration::from_secs(30));
        checks
    }

    #[test]
    fn an_address_is_sent_a_full_state_only_after_acking_its_check() {
        let mut checks = checks();
        assert_eq!(checks.verdict(at(0), addr(1), false, 7), Verdict::Check(7));
        // Asked again while the check is out: no second ping, and the reply asked for
        // is remembered.
        assert_eq!(checks.verdict(at(10), addr(1), true, 8), Verdict::Wait);
        assert_eq!(checks.acked(at(20), addr(1), 8), None, "wrong number");
        assert_eq!(checks.acked(at(20), addr(2), 7), None, "wrong address");
        assert_eq!(checks.verdict(at(20), addr(2), true, 9), Verdict::Check(9));
        assert_eq!(checks.acked(at(20), addr(1), 7), Some(true));
        assert_eq!(checks.acked(at(21), addr(1), 7), None, "taken once");
        assert_eq!(
            checks.verdict(at(30_019), addr(1), true, 9),
            Verdict::Send,
            "proven for a while"
        );
        assert_eq!(
            checks.verdict(at(30_020), addr(1), true, 10),
            Verdict::Check(10),
            "and then checked again"
        );
    }

    #[test]
    fn a_late_ack_passes_nothing_and_a_new_check_can_start() {
        let mut checks = checks();
        checks.verdict(at(0), addr(1), true, 7);
        assert_eq!(checks.acked(at(30_000), addr(1), 7), None);
        assert_eq!(
            checks.verdict(at(30_001), addr(1), true, 8),
            Verdict::Check(8)
        );
    }

    #[test]
    fn an_acked_probe_proves_its_address_however_late() {
        let mut checks = checks();
        checks.ping_sent(addr(1), 5);
        checks.ping_sent(addr(2), 6);
        assert_eq!(checks.acked(at(10), addr(1), 6), None);
        assert_eq!(
            checks.verdict(at(10), addr(1), true, 7),
            Verdict::Check(7),
            "an ack with another ping's number proves nothing"
        );
        assert_eq!(checks.acked(at(20_000), addr(2), 6), None);
        assert_eq!(checks.verdict(at(20_000), addr(2), true, 8), Verdict::Send);
        for seq in 0..MAX_PINGS_OUT as u32 {
            checks.ping_sent(addr(3), 100 + seq);
        }
        checks.acked(at(20_001), addr(1), 5);
        assert_eq!(
            checks.verdict(at(40_000), addr(1), false, 9),
            Verdict::Check(9),
            "the oldest ping was forgotten: its ack proves nothing"
        );
    }

    #[test]
    fn checks_in_flight_are_capped_the_oldest_giving_way() {
        let mut checks = checks();
        for port in 0..MAX_WAITING as u16 {
            let verdict = checks.verdict(at(0), addr(port), true, port.into());
            assert_eq!(verdict, Verdict::Check(port.into()));
        }
        let one_more = addr(MAX_WAITING as u16);
        assert_eq!(
            checks.verdict(at(1), one_more, true, 99),
            Verdict::Check(99)
        );
        assert_eq!(checks.acked(at(2), addr(0), 0), None, "gave way");
        assert_eq!(checks.acked(at(2), addr(1), 1), Some(true));
        assert_eq!(checks.acked(at(2), one_more, 99), Some(true));
    }

    #[test]
    fn the_proven_are_capped_oldest_first() {
        let mut checks = checks();
        for port in 0..=MAX_PROVEN as u16 {
            checks.ping_sent(addr(port), port.into());
            assert_eq!(checks.acked(at(1), addr(port), port.into()), None);
        }
        assert_eq!(checks.verdict(at(2), addr(1), false, 0), Verdict::Send);
        assert_eq!(
            checks.verdict(at(2), addr(0), false, 0),
            Verdict::Check(0),
            "the oldest was forgotten"
        );
    }

    #[test]
    fn an_invited_peer_is_answered_once_and_invitations_lapse_each_round() {
        let mut checks = checks();
        checks.invite(addr(1));
        checks.invite(addr(2));
        assert!(checks.is_invited(addr(1)) && !checks.is_invited(addr(3)));
        assert!(!checks.take_invitation(addr(3)));
        assert!(checks.take_invitation(addr(1)));
        assert!(!checks.take_invitation(addr(1)));
        assert!(checks.is_invited(addr(2)));
        checks.new_round(Duration::from_secs(30));
        assert!(!checks.take_invitation(addr(2)), "a new round forgets it");
        for port in 0..=MAX_INVITED as u16 {
            checks.invite(addr(port));
        }
        assert!(!checks.is_invited(addr(0)), "the oldest lapses first");
        assert!(checks.is_invited(addr(1)));
    }
}
