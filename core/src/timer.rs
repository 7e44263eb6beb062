//! The node's protocol timers: a closed set, one deadline each.

use crate::Instant;

/// The protocol's periodic and one-shot timers. Per-member suspicion deadlines live with
/// the suspicions themselves (see `Node::suspicions`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Timer {
    /// The direct probe of this period went unanswered: ask witnesses (SWIM 3.1).
    /// First, so that a late wake-up that finds this and [`Timer::Probe`] both due asks
    /// the witnesses about the probe they belong to, before a new one starts.
    ProbeTimeout,
    /// Start the next protocol period: judge the last probe, probe the next member.
    Probe,
    /// Push pending updates to `fanout` random members.
    Gossip,
    /// No seed answered yet: ask them again.
    JoinRetry,
    /// Forget members that have been dead or gone long enough.
    Reap,
    /// One anti-entropy exchange of store digests.
    Sync,
    /// Exchange full state with a random live member (push-pull).
    PushPull,
    /// Exchange full state with a dead member or a seed, to merge healed partitions.
    Reconnect,
}

impl Timer {
    const ALL: [Timer; 8] = [
        Timer::ProbeTimeout,
        Timer::Probe,
        Timer::Gossip,
        Timer::JoinRetry,
        Timer::Reap,
        Timer::Sync,
        Timer::PushPull,
        Timer::Reconnect,
    ];
}

/// One deadline per timer, in milliseconds, [`UNSET`] when the timer is stopped: plain
/// integers rather than `Option<Instant>`, because the earliest of them is asked after
/// every input a node handles, and over integers that is a single `min`.
#[derive(Clone, Debug)]
pub(crate) struct TimerTable {
    deadlines: [u64; Timer::ALL.len()],
}

/// A stopped timer's deadline: later than any a timer can be set to.
const UNSET: u64 = u64::MAX;

impl Default for TimerTable {
    fn default() -> Self {
        TimerTable {
            deadlines: [UNSET; Timer::ALL.len()],
        }
    }
}

impl TimerTable {
    pub(crate) fn set(&mut self, timer: Timer, at: Instant) {
        self.deadlines[timer as usize] = at.as_millis().min(UNSET - 1);
    }

    pub(crate) fn stop(&mut self, timer: Timer) {
        self.deadlines[timer as usize] = UNSET;
    }

    pub(crate) fn get(&self, timer: Timer) -> Option<Instant> {
        let at = self.deadlines[timer as usize];
        (at != UNSET).then(|| Instant::from_millis(at))
    }

    /// Clears and returns the timers due at `now`, in the fixed order of [`Timer`].
    pub(crate) fn take_expired(&mut self, now: Instant) -> impl Iterator<Item = Timer> + use<> {
        // One bit per timer, gathered without a branch per timer (which is due varies
        // from one wake-up to the next), and no allocation: a node wakes every period.
        let mut due = 0u8;
        let now = now.as_millis().min(UNSET - 1);
        for (index, at) in self.deadlines.iter_mut().enumerate() {
            let expired = *at <= now;
            due |= u8::from(expired) << index;
            *at = if expired { UNSET } else { *at };
        }
        core::iter::from_fn(move || {
            let index = (due != 0).then(|| due.trailing_zeros() as usize)?;
            due &= due - 1;
            Some(Timer::ALL[index])
        })
    }

    /// The earliest deadline.
    pub(crate) fn next_deadline(&self) -> Option<Instant> {
        let at = self.deadlines.iter().copied().min().unwrap_or(UNSET);
        (at != UNSET).then(|| Instant::from_millis(at))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expired_timers_fire_once_in_order() {
        let mut timers = TimerTable::default();
        timers.set(Timer::Gossip, Instant::from_millis(5));
        timers.set(Timer::Probe, Instant::from_millis(5));
        timers.set(Timer::Reap, Instant::from_millis(50));
        assert_eq!(timers.next_deadline(), Some(Instant::from_millis(5)));
        let due: Vec<_> = timers.take_expired(Instant::from_millis(10)).collect();
        assert_eq!(due, vec![Timer::Probe, Timer::Gossip]);
        assert_eq!(timers.take_expired(Instant::from_millis(10)).count(), 0);
        assert_eq!(timers.next_deadline(), Some(Instant::from_millis(50)));
    }
}
