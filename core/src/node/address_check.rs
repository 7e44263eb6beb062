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
//! a sequence number drawn at random and nothing piggybacked, and owes the full state
//! until the ack carrying that number comes back from that address. A forged request
//! then costs the address it names one ping, no larger than the request. Whoever
//! answers the ping receives this node's datagrams, and is sent the full state, once:
//! each ack pays for one full state, so that forged requests cannot send a proven
//! address table after table. A request repeated while its check is out (a joiner
//! retrying) sends the same ping again, at most once a probe interval, in case the
//! first was lost.
//!
//! Probes are numbered at random too, and the direct ack of one, however late, proves
//! the member's address for one full state within a push-pull period: a node probes
//! every member in turn, so in a cluster of a hundred a member offering a push-pull
//! exchange has usually been probed lately, and the exchange takes no more round trips
//! than it did without checks. That matters under loss and for slow members, for which
//! push-pull is the repair that counts: with every offer checked, Lifeguard's false
//! deaths in `gossip sim false-positives` at 10% loss and 5% of members 2 s late more
//! than doubled. In larger clusters (the round-robin takes longer than a push-pull
//! period, and at most [`MAX_PROVEN`] proofs are kept) more offers wait for a check.
//! Pings relayed for others prove nothing: a ping-req, which anyone can forge, says
//! where they go.
//!
//! What it costs: a join, and an exchange with an address not proven lately, take one
//! more round trip (ping and ack) before the full state goes out; pings and acks are
//! 2 to 4 bytes longer (a random number takes 5 bytes as a varint). Sends on this
//! node's own initiative to addresses it was given need no check (joining through its
//! seeds, contacting, reconnecting to a seed), nor does the answer to the peer this
//! node offered an exchange in the current push-pull round: it chose that address from
//! its own table. Reconnecting to a member held dead is checked, as a request is: that
//! address came from others' news, which can be forged in a cluster without a keyring,
//! and a proof from before the member was held dead is forgotten then. A peer this node
//! asked for its full state does not start an exchange of its own when it checks this
//! node's address (a ping from a member perhaps not held yet).
//!
//! A check is waited for until the round ends, not just a probe timeout: a slow member,
//! whose datagrams are handled seconds late, must still be able to take part in
//! push-pull.
//!
//! What it does not do:
//! - The checks waiting are capped at [`MAX_WAITING`], the oldest giving way, so a flood
//!   of forged requests, sixteen in one round trip, can push out a real one, which then
//!   waits for its next try (a joiner retries, and push-pull comes round again).
//! - A sequence number is 32 bits: an attacker who forges acks blindly needs about
//!   2^31 of them per check.
//! - Answers of one datagram are not checked. They are kept from amplifying instead:
//!   news rides only to the address of a member held ([`Node::send_with`]), and a
//!   digest's deltas or a rumor pull's rumors go to the address held for the member
//!   that asked ([`Node::answer_addr`]), never to a request's unchecked source.
//! - A member that has left hands off its writes, up to 64 datagrams of deltas, to a
//!   member that asks with a digest: at that member's held address, so a forged digest
//!   naming one turns the hand-off on a member of the cluster, not on a bystander.

use core::net::SocketAddr;
use std::collections::VecDeque;

use rand::Rng;

use super::{Node, NodeStatus};
use crate::wire::Message;
use crate::{Duration, Instant, NodeId};

/// The most full states owed to addresses whose ack has not come yet. A few joiners at
/// a time need one each; past the cap, the oldest check gives way to the new one.
pub(super) const MAX_WAITING: usize = 16;

/// The most proofs kept: the members probed in about two minutes at one probe a
/// second, which covers a push-pull round (90 s at 100 members) in a cluster of a
/// hundred, not of a thousand (180 s, and a member is probed every 1,000 s).
const MAX_PROVEN: usize = 128;

/// The most probes whose ack would prove an address: a probe's ack may come periods
/// late, from a slow member.
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
    /// Probes, oldest first: their acks prove addresses too.
    pings_out: VecDeque<PingOut>,
    /// Addresses that acked a ping, and until when they count as proven, oldest
    /// first; each proof is good for one full state (an address acked twice is listed
    /// twice).
    proven: VecDeque<(SocketAddr, Instant)>,
    /// The peers this node asked for their full state in the current push-pull round
    /// (its offer, or its own full state asking for theirs), oldest first: their
    /// pings (a check of this node's address) start no exchange of their own.
    invited: VecDeque<SocketAddr>,
    /// The peer offered a push-pull exchange this round: its full state, asking for
    /// this node's, is answered at once, once.
    offered_to: Option<SocketAddr>,
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
    /// When the check's ping last went out.
    pinged_at: Instant,
}

/// A probe sent to `to`, numbered `seq`.
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
    /// A check of this address is under way but its ping went out a while ago and may
    /// have been lost: ping again, with the same number.
    Repeat(u32),
}

impl AddressChecks {
    /// Whether a full state may go to `to` now (a proof of `to` is then used up: one
    /// full state per ack, so that forged requests cannot send a proven address table
    /// after table); otherwise, whether to start a check numbered `seq`, or to repeat
    /// one whose ping went out `repeat_after` ago or more.
    pub(super) fn verdict(
        &mut self,
        now: Instant,
        to: SocketAddr,
        reply: bool,
        seq: u32,
        repeat_after: Duration,
    ) -> Verdict {
        self.waiting.retain(|w| w.until > now);
        self.proven.retain(|&(_, until)| until > now);
        if let Some(at) = self.proven.iter().position(|&(addr, _)| addr == to) {
            self.proven.remove(at);
            return Verdict::Send;
        }
        if let Some(waiting) = self.waiting.iter_mut().find(|w| w.to == to) {
            waiting.reply |= reply;
            if now.saturating_since(waiting.pinged_at) >= repeat_after {
                waiting.pinged_at = now;
                return Verdict::Repeat(waiting.seq);
            }
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
            pinged_at: now,
        });
        Verdict::Check(seq)
    }

    /// Remembers a probe numbered `seq` to `to`: its ack, however late, proves `to`
    /// (until [`MAX_PINGS_OUT`] later probes push it out). Only probes: their targets
    /// are members this node chose from its own table, where a ping relayed for
    /// another goes wherever a ping-req, which anyone can forge, says.
    pub(super) fn ping_sent(&mut self, to: SocketAddr, seq: u32) {
        if self.pings_out.len() >= MAX_PINGS_OUT {
            self.pings_out.pop_front();
        }
        self.pings_out.push_back(PingOut { to, seq });
    }

    /// An ack numbered `seq` came from `from`: if it answers a check still waited for,
    /// the full state owed is returned (its `reply` flag); if it answers a probe,
    /// `from` is proven for a while, for one full state. Called for every ack,
    /// so it does little when there is nothing to find.
    pub(super) fn acked(&mut self, now: Instant, from: SocketAddr, seq: u32) -> Option<bool> {
        if let Some(at) = self
            .waiting
            .iter()
            .position(|w| w.seq == seq && w.to == from && w.until > now)
        {
            // The full state owed goes now: that is what this proof is used for.
            return Some(self.waiting.remove(at).reply);
        }
        // Most acks answer the latest probe: look from the newest.
        let at = self
            .pings_out
            .iter()
            .rposition(|p| p.seq == seq && p.to == from)?;
        self.pings_out.remove(at);
        if self.proven.len() >= MAX_PROVEN {
            self.proven.pop_front();
        }
        self.proven.push_back((from, now + self.lifetime));
        None
    }

    /// Forgets the proofs of `addr`: its member is now held dead, and an ack from before
    /// says nothing of who answers there since (reconnecting to it is checked afresh).
    pub(super) fn forget_proofs(&mut self, addr: SocketAddr) {
        self.proven.retain(|&(proven, _)| proven != addr);
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

    /// Remembers the peer offered a push-pull exchange this round (also invited).
    pub(super) fn offer_to(&mut self, peer: SocketAddr) {
        self.invite(peer);
        self.offered_to = Some(peer);
    }

    /// Whether `from` is the peer offered an exchange this round; its full state,
    /// asking for this node's, is answered at once, once.
    pub(super) fn take_offer(&mut self, from: SocketAddr) -> bool {
        if self.offered_to == Some(from) {
            self.offered_to = None;
            return true;
        }
        false
    }

    /// Forgets every invitation.
    pub(super) fn forget_invitations(&mut self) {
        self.invited.clear();
        self.offered_to = None;
    }

    /// A new push-pull round, `period` long: the invitations of the last one lapse,
    /// and checks and proofs last `period` from now on.
    pub(super) fn new_round(&mut self, period: Duration) {
        self.forget_invitations();
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
        let repeat_after = self.config.probe_interval;
        match self
            .address_checks
            .verdict(now, to, reply, seq, repeat_after)
        {
            Verdict::Send => self.send_full_state(to, reply),
            Verdict::Check(seq) | Verdict::Repeat(seq) => {
                self.stats.address_checks += 1;
                // Nothing piggybacked, so that the ping is no larger than a request:
                // only, to a member held suspect there, the suspicion, which the
                // member can refute at once (Lifeguard's buddy system).
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
                self.push_transmit(to, &ping, buddy_news.as_slice());
            }
            Verdict::Wait => {}
        }
    }

    /// Remembers a probe, whose ack will prove `to`.
    pub(super) fn note_ping(&mut self, to: SocketAddr, seq: u32) {
        self.address_checks.ping_sent(to, seq);
    }

    /// An ack from `from`: it may prove `from`, and if it passes a check, the full
    /// state owed goes out.
    pub(super) fn pass_address_check(&mut self, now: Instant, from: SocketAddr, seq: u32) {
        if let Some(reply) = self.address_checks.acked(now, from, seq) {
            self.stats.address_checks_passed += 1;
            if self.status == NodeStatus::Left {
                // Left since the check began: its table is going stale.
                self.send_departure(from);
            } else {
                self.send_full_state(from, reply);
            }
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

    /// Longer than any test waits: no check is repeated.
    const LONG: Duration = Duration::from_secs(3_600);

    /// Checks and proofs that last 30 s.
    fn checks() -> AddressChecks {
        let mut checks = AddressChecks::default();
        checks.new_round(Duration::from_secs(30));
        checks
    }

    #[test]
    fn an_address_is_sent_a_full_state_only_after_acking_its_check() {
        let mut checks = checks();
        assert_eq!(
            checks.verdict(at(0), addr(1), false, 7, LONG),
            Verdict::Check(7)
        );
        // Asked again while the check is out: no second ping, and the reply asked for
        // is remembered.
        assert_eq!(
            checks.verdict(at(10), addr(1), true, 8, LONG),
            Verdict::Wait
        );
        assert_eq!(checks.acked(at(20), addr(1), 8), None, "wrong number");
        assert_eq!(checks.acked(at(20), addr(2), 7), None, "wrong address");
        assert_eq!(
            checks.verdict(at(20), addr(2), true, 9, LONG),
            Verdict::Check(9)
        );
        assert_eq!(checks.acked(at(20), addr(1), 7), Some(true));
        assert_eq!(checks.acked(at(21), addr(1), 7), None, "taken once");
        assert_eq!(
            checks.verdict(at(22), addr(1), true, 10, LONG),
            Verdict::Check(10),
            "one full state per check"
        );
    }

    #[test]
    fn a_late_ack_passes_nothing_and_a_new_check_can_start() {
        let mut checks = checks();
        checks.verdict(at(0), addr(1), true, 7, LONG);
        assert_eq!(checks.acked(at(30_000), addr(1), 7), None);
        assert_eq!(
            checks.verdict(at(30_001), addr(1), true, 8, LONG),
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
            checks.verdict(at(10), addr(1), true, 7, LONG),
            Verdict::Check(7),
            "an ack with another ping's number proves nothing"
        );
        assert_eq!(checks.acked(at(20_000), addr(2), 6), None);
        assert_eq!(
            checks.verdict(at(20_000), addr(2), true, 8, LONG),
            Verdict::Send
        );
        for seq in 0..MAX_PINGS_OUT as u32 {
            checks.ping_sent(addr(3), 100 + seq);
        }
        checks.acked(at(20_001), addr(1), 5);
        assert_eq!(
            checks.verdict(at(40_000), addr(1), false, 9, LONG),
            Verdict::Check(9),
            "the oldest ping was forgotten: its ack proves nothing"
        );
    }

    #[test]
    fn checks_in_flight_are_capped_the_oldest_giving_way() {
        let mut checks = checks();
        for port in 0..MAX_WAITING as u16 {
            let verdict = checks.verdict(at(0), addr(port), true, port.into(), LONG);
            assert_eq!(verdict, Verdict::Check(port.into()));
        }
        let one_more = addr(MAX_WAITING as u16);
        assert_eq!(
            checks.verdict(at(1), one_more, true, 99, LONG),
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
        assert_eq!(
            checks.verdict(at(2), addr(1), false, 0, LONG),
            Verdict::Send
        );
        assert_eq!(
            checks.verdict(at(2), addr(0), false, 0, LONG),
            Verdict::Check(0),
            "the oldest was forgotten"
        );
    }

    #[test]
    fn the_peer_offered_an_exchange_is_answered_once_and_invitations_lapse_each_round() {
        let mut checks = checks();
        checks.offer_to(addr(1));
        checks.invite(addr(2));
        assert!(checks.is_invited(addr(1)) && checks.is_invited(addr(2)));
        assert!(!checks.is_invited(addr(3)));
        assert!(
            !checks.take_offer(addr(2)),
            "asked, but not offered an exchange"
        );
        assert!(checks.take_offer(addr(1)));
        assert!(!checks.take_offer(addr(1)), "once");
        checks.offer_to(addr(1));
        checks.new_round(Duration::from_secs(30));
        assert!(!checks.take_offer(addr(1)), "a new round forgets it");
        assert!(!checks.is_invited(addr(2)));
        for port in 0..=MAX_INVITED as u16 {
            checks.invite(addr(port));
        }
        assert!(!checks.is_invited(addr(0)), "the oldest lapses first");
        assert!(checks.is_invited(addr(1)));
        checks.forget_invitations();
        assert!(!checks.is_invited(addr(1)));
    }
}
