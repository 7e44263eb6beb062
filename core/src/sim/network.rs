//! The simulated network: how long a datagram takes and whether it arrives.

use rand::Rng;

use crate::Duration;

/// Link behaviour shared by every pair of nodes.
#[derive(Clone, Debug, PartialEq)]
pub struct NetworkModel {
    /// Base one-way delay.
    pub latency: Duration,
    /// Extra delay drawn uniformly from `0..=jitter` per datagram, so datagrams can
    /// overtake each other.
    pub jitter: Duration,
    /// Probability in `0..=1` that a datagram is lost.
    pub loss: f64,
}

impl NetworkModel {
    /// A quiet LAN: 1 ms plus up to 1 ms of jitter, no loss.
    pub fn lan() -> Self {
        NetworkModel {
            latency: Duration::from_millis(1),
            jitter: Duration::from_millis(1),
            loss: 0.0,
        }
    }

    /// Slow enough to watch: 120 ms plus up to 80 ms, no loss. The browser lab uses it
    /// so that messages can be seen crossing the screen.
    pub fn visible() -> Self {
        NetworkModel {
            latency: Duration::from_millis(120),
            jitter: Duration::from_millis(80),
            loss: 0.0,
        }
    }

    /// The delay of one datagram, or `None` if the network drops it.
    pub(crate) fn sample(&self, rng: &mut impl Rng) -> Option<Duration> {
        if self.loss > 0.0 && rng.random::<f64>() < self.loss {
            return None;
        }
        let jitter = rng.random_range(0..=self.jitter.as_millis());
        Some(self.latency + Duration::from_millis(jitter))
    }
}

impl Default for NetworkModel {
    fn default() -> Self {
        NetworkModel::lan()
    }
}
