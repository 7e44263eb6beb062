//! The simulated network: how long a datagram takes, whether it arrives, and which
//! links are cut.

use std::collections::{BTreeMap, BTreeSet};

use rand::Rng;

use super::Dropped;
use gossip_core::Duration;

/// How a link behaves: the whole network's default, or one link's own
/// ([`Simulation::set_link`](super::Simulation::set_link)).
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct NetworkModel {
    /// Base one-way delay.
    pub latency: Duration,
    /// Extra delay drawn uniformly from `0..=jitter` per datagram, so datagrams can
    /// overtake each other.
    pub jitter: Duration,
    /// Probability in `0..=1` that a datagram is lost.
    pub loss: f64,
    /// Datagrams larger than this are dropped, as a real path MTU would.
    pub mtu: usize,
    /// Probability in `0..=1` that a delivered datagram arrives twice (each copy with
    /// its own delay), as a retransmitting link layer can make happen.
    #[serde(default)]
    pub duplicate: f64,
}

impl NetworkModel {
    /// A quiet LAN: 1 ms plus up to 1 ms of jitter, no loss.
    pub fn lan() -> Self {
        NetworkModel {
            latency: Duration::from_millis(1),
            jitter: Duration::from_millis(1),
            loss: 0.0,
            mtu: 1500,
            duplicate: 0.0,
        }
    }

    /// Slow enough to watch: 120 ms plus up to 80 ms, no loss. The browser lab uses it
    /// so that messages can be seen crossing the screen.
    pub fn visible() -> Self {
        NetworkModel {
            latency: Duration::from_millis(120),
            jitter: Duration::from_millis(80),
            ..NetworkModel::lan()
        }
    }

    /// The same model with `loss` (clamped to `0..=1`).
    pub fn with_loss(mut self, loss: f64) -> Self {
        self.loss = loss.clamp(0.0, 1.0);
        self
    }

    /// The same model with `latency` plus up to `jitter`.
    pub fn with_latency(mut self, latency: Duration, jitter: Duration) -> Self {
        self.latency = latency;
        self.jitter = jitter;
        self
    }

    /// The same model with duplication probability `duplicate` (clamped to `0..=1`).
    pub fn with_duplicate(mut self, duplicate: f64) -> Self {
        self.duplicate = duplicate.clamp(0.0, 1.0);
        self
    }
}

/// Hashed by the exact bits of its probabilities: the run's digest tells apart models
/// that differ in the last place.
impl core::hash::Hash for NetworkModel {
    fn hash<H: core::hash::Hasher>(&self, state: &mut H) {
        self.latency.hash(state);
        self.jitter.hash(state);
        self.loss.to_bits().hash(state);
        self.mtu.hash(state);
        self.duplicate.to_bits().hash(state);
    }
}

impl Default for NetworkModel {
    fn default() -> Self {
        NetworkModel::lan()
    }
}

/// The state of the network between nodes: the model plus cut links and slow nodes.
#[derive(Clone, Debug)]
pub(super) struct Network {
    pub(super) model: NetworkModel,
    /// `(from, to)` node indexes whose datagrams are dropped.
    cuts: BTreeSet<(usize, usize)>,
    /// Per node, the mean extra delay before it gets to a datagram (0: not slow).
    lag: Vec<Duration>,
    /// `(from, to)` links whose datagrams wait until released.
    held: BTreeSet<(usize, usize)>,
    /// `(from, to)` links with a model of their own instead of `model`.
    links: BTreeMap<(usize, usize), NetworkModel>,
}

/// Where a datagram that is not dropped goes: its delay, and the delay of a second copy
/// when the link duplicates it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Delivery {
    pub(super) delay: Duration,
    pub(super) duplicate: Option<Duration>,
}

impl Network {
    pub(super) fn new(model: NetworkModel) -> Self {
        Network {
            model,
            cuts: BTreeSet::new(),
            lag: Vec::new(),
            held: BTreeSet::new(),
            links: BTreeMap::new(),
        }
    }

    /// Gives the link `from -> to` a model of its own (`None`: the default again).
    pub(super) fn set_link(&mut self, from: usize, to: usize, model: Option<NetworkModel>) {
        match model {
            Some(model) => self.links.insert((from, to), model),
            None => self.links.remove(&(from, to)),
        };
    }

    /// The model the link `from -> to` follows.
    pub(super) fn link(&self, from: usize, to: usize) -> &NetworkModel {
        self.links.get(&(from, to)).unwrap_or(&self.model)
    }

    /// The links with a model of their own, by `(from, to)`.
    pub(super) fn own_links(&self) -> impl Iterator<Item = (usize, usize, &NetworkModel)> + '_ {
        self.links
            .iter()
            .map(|(&(from, to), model)| (from, to, model))
    }

    pub(super) fn add_node(&mut self) {
        self.lag.push(Duration::ZERO);
    }

    pub(super) fn cut(&mut self, from: usize, to: usize) {
        self.cuts.insert((from, to));
    }

    pub(super) fn repair(&mut self, from: usize, to: usize) {
        self.cuts.remove(&(from, to));
    }

    pub(super) fn repair_all(&mut self) {
        self.cuts.clear();
    }

    pub(super) fn is_cut(&self, from: usize, to: usize) -> bool {
        self.cuts.contains(&(from, to))
    }

    pub(super) fn cut_links(&self) -> impl Iterator<Item = (usize, usize)> + '_ {
        self.cuts.iter().copied()
    }

    pub(super) fn hold(&mut self, from: usize, to: usize) {
        self.held.insert((from, to));
    }

    pub(super) fn release(&mut self, from: usize, to: usize) {
        self.held.remove(&(from, to));
    }

    pub(super) fn is_held(&self, from: usize, to: usize) -> bool {
        self.held.contains(&(from, to))
    }

    pub(super) fn set_lag(&mut self, node: usize, lag: Duration) {
        self.lag[node] = lag;
    }

    pub(super) fn lag(&self, node: usize) -> Duration {
        self.lag[node]
    }

    /// The fate of one datagram of `size` bytes: its delay (and a duplicate's), or why
    /// it is dropped. The random draws happen in a fixed order whatever the outcome, so
    /// one datagram's fate never shifts the draws of the next; a slow receiver draws
    /// once more for its processing lag, a link that duplicates twice more.
    pub(super) fn sample<R: Rng>(
        &self,
        from: usize,
        to: usize,
        size: usize,
        rng: &mut R,
    ) -> Result<Delivery, Dropped> {
        let model = self.link(from, to);
        let lag = self.lag[to];
        let delay = |rng: &mut R| {
            let jitter = random_millis(rng, model.jitter);
            let processing = if lag == Duration::ZERO {
                Duration::ZERO
            } else {
                random_millis(rng, lag * 2)
            };
            model.latency + jitter + processing
        };
        let lost = rng.random::<f64>() < model.loss;
        let first = delay(rng);
        let duplicate = (model.duplicate > 0.0)
            .then(|| (rng.random::<f64>() < model.duplicate, delay(rng)))
            .and_then(|(twice, second)| twice.then_some(second));
        if size > model.mtu {
            Err(Dropped::TooLarge)
        } else if self.is_cut(from, to) {
            Err(Dropped::Partitioned)
        } else if lost {
            Err(Dropped::Lost)
        } else {
            Ok(Delivery {
                delay: first,
                duplicate,
            })
        }
    }
}

/// A uniformly random span from zero to `max` inclusive, in whole milliseconds, drawn
/// in 32 bits (up to 49 days): a 64-bit range would take a 128-bit multiply, which
/// is a library call in WebAssembly, and this runs for every datagram.
fn random_millis(rng: &mut impl Rng, max: Duration) -> Duration {
    let max = u32::try_from(max.as_millis()).unwrap_or(u32::MAX);
    Duration::from_millis(u64::from(rng.random_range(0..=max)))
}
