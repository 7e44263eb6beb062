//! Lifeguard's Local Health Multiplier (Dadgar et al. 2018, section 4.1).
//!
//! A member that misses acks *and* nacks, or hears itself suspected, is probably the slow
//! one: its own CPU or network is struggling. Instead of accusing others, it stretches its
//! probe interval and timeout by `1 + score` until it recovers; each successful probe
//! lowers the score again.

use crate::Duration;

/// The score, between 0 (healthy) and a configured maximum.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct LocalHealth {
    score: u32,
}

impl LocalHealth {
    pub(crate) fn score(self) -> u32 {
        self.score
    }

    /// Adds `delta` within `0..=max`; true if the score changed.
    pub(crate) fn apply(&mut self, delta: i32, max: u32) -> bool {
        let next = (i64::from(self.score) + i64::from(delta)).clamp(0, i64::from(max)) as u32;
        let changed = next != self.score;
        self.score = next;
        changed
    }

    /// `base` stretched by the current score.
    pub(crate) fn scale(self, base: Duration) -> Duration {
        base * (self.score + 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_score_stays_in_range_and_scales_timeouts() {
        let mut health = LocalHealth::default();
        assert!(!health.apply(-1, 8), "already healthy");
        assert!(health.apply(3, 8));
        assert_eq!(
            health.scale(Duration::from_millis(500)),
            Duration::from_secs(2)
        );
        assert!(health.apply(100, 8));
        assert_eq!(health.score(), 8);
        assert!(!health.apply(1, 8));
        health.apply(-20, 8);
        assert_eq!(health.score(), 0);
    }
}
