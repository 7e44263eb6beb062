//! The simulated network, drawn as `gossip-sim` draws it (`sim/src/network.rs`): one
//! seeded RNG, and per datagram first a loss draw, then a delay of `latency` plus a
//! uniform `0..=jitter` in whole milliseconds, drawn in 32 bits. The numbers come from
//! the simulator's own [`NetworkModel`], so both benchmarks run on the same network.
//! Cuts, held links, slow receivers and duplication are left out: the benchmark is a
//! cluster with no faults.

use core::net::{Ipv4Addr, SocketAddrV4};

use gossip_sim::NetworkModel;
use rand::RngExt;
use rand::rngs::Xoshiro256PlusPlus;

/// The port every simulated member listens on, as in the simulator.
const PORT: u16 = 7946;

/// Delay and loss of every link.
#[derive(Clone, Debug)]
pub struct Network {
    latency_ms: u64,
    jitter_ms: u32,
    loss: f64,
    mtu: usize,
}

impl Network {
    pub fn new(model: &NetworkModel) -> Self {
        Network {
            latency_ms: model.latency.as_millis(),
            jitter_ms: u32::try_from(model.jitter.as_millis()).unwrap_or(u32::MAX),
            loss: model.loss,
            mtu: model.mtu,
        }
    }

    /// The delay of one datagram of `size` bytes in milliseconds, or `None` if it is
    /// lost or larger than the path MTU. The draws happen in the simulator's order
    /// whatever the outcome.
    pub fn sample(&self, size: usize, rng: &mut Xoshiro256PlusPlus) -> Option<u64> {
        let lost = rng.random::<f64>() < self.loss;
        let delay = self.latency_ms + u64::from(rng.random_range(0..=self.jitter_ms));
        (!lost && size <= self.mtu).then_some(delay)
    }
}

/// `10.x.y.z:7946` for the member at `index` (`n1`, index 0, is 10.0.0.1): the
/// simulator's virtual addresses, which are also the members' foca identities here.
pub fn virtual_addr(index: usize) -> SocketAddrV4 {
    let [_, a, b, c] = ((index + 1) as u32).to_be_bytes();
    SocketAddrV4::new(Ipv4Addr::new(10, a, b, c), PORT)
}

/// The member index behind a virtual address (the inverse of [`virtual_addr`]).
pub fn index_of(addr: &SocketAddrV4) -> Option<usize> {
    let [ten, a, b, c] = addr.ip().octets();
    if ten != 10 || addr.port() != PORT {
        return None;
    }
    (u32::from_be_bytes([0, a, b, c]) as usize).checked_sub(1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn virtual_addresses_map_back_to_their_member() {
        for index in [0, 1, 254, 255, 256, 65_535, 16_777_214] {
            assert_eq!(index_of(&virtual_addr(index)), Some(index));
        }
    }

    /// The lan preset: 1 ms plus up to 1 ms, nothing lost.
    #[test]
    fn lan_delays_are_one_or_two_milliseconds() {
        let network = Network::new(&NetworkModel::lan());
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(1);
        let delays: Vec<u64> = (0..1000)
            .map(|_| network.sample(100, &mut rng).unwrap())
            .collect();
        assert!(delays.iter().all(|d| (1..=2).contains(d)));
        assert!(delays.contains(&1) && delays.contains(&2));
        assert_eq!(network.sample(1501, &mut rng), None);
    }
}
