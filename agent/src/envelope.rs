//! What goes around the core's datagrams on the wire: nothing, a cluster name, or a
//! seal (authenticated encryption with the keyring).
//!
//! ```text
//! plain    | core datagram (first byte: the wire version)                         |
//! named    | 0xC0 | name length (1) | cluster name | core datagram                  |
//! sealed   | 0xC1 | nonce (24) | XChaCha20-Poly1305( time (8) | core datagram ) | tag (16) |
//!                   associated data: 0xC1 and the cluster name
//! ```
//!
//! A sealed datagram opens only under a key of the ring and the same cluster name, so
//! tampering, a foreign key and a foreign cluster are all refused the same way. Replays
//! are refused by time and nonce: the sender's wall-clock time is sealed inside, a
//! datagram more than [`REPLAY_WINDOW_MS`] from the receiver's clock is stale, and a
//! nonce seen within the window is a replay. Members' clocks must therefore agree
//! within that window (NTP does far better); a refused datagram is counted by reason.
//!
//! The core never sees any of this: the agent opens what arrives before the core
//! decodes it, and seals what the core sends.

use std::borrow::Cow;
use std::collections::{HashSet, VecDeque};

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use rand::RngCore;

use crate::keyring::Keyring;

const NAMED: u8 = 0xC0;
const SEALED: u8 = 0xC1;
const NONCE_LEN: usize = 24;
const TIME_LEN: usize = 8;
const TAG_LEN: usize = 16;
/// How far a sealed datagram's time may be from the receiver's clock.
pub const REPLAY_WINDOW_MS: u64 = 30_000;
/// Nonces remembered at most (about 2,000 datagrams a second for the whole window);
/// beyond that the oldest are forgotten early.
const MAX_REMEMBERED: usize = 1 << 17;

/// Why an arriving datagram was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refused {
    /// Not sealed, or sealed under no key of the ring (or another cluster's name), or
    /// altered on the way.
    Unauthenticated,
    /// Sealed too long ago (or too far ahead) by the receiver's clock.
    Stale,
    /// Its nonce was seen already.
    Replayed,
    /// Another cluster's name, or no name where this cluster has one.
    WrongCluster,
}

/// Datagrams refused, by reason.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct EnvelopeCounters {
    pub unauthenticated: u64,
    pub stale: u64,
    pub replayed: u64,
    pub wrong_cluster: u64,
}

/// Seals and opens one node's datagrams.
#[derive(Debug)]
pub struct Envelope {
    cluster: String,
    keyring: Option<Keyring>,
    seen: HashSet<[u8; NONCE_LEN]>,
    /// When each remembered nonce was seen, oldest first.
    seen_order: VecDeque<(u64, [u8; NONCE_LEN])>,
    pub refused: EnvelopeCounters,
}

impl Envelope {
    /// An envelope for a cluster named `cluster` (empty: unnamed), sealing with
    /// `keyring` if there is one.
    pub fn new(cluster: Option<String>, keyring: Option<Keyring>) -> Envelope {
        Envelope {
            cluster: cluster.unwrap_or_default(),
            keyring,
            seen: HashSet::new(),
            seen_order: VecDeque::new(),
            refused: EnvelopeCounters::default(),
        }
    }

    pub fn keyring(&self) -> Option<&Keyring> {
        self.keyring.as_ref()
    }

    pub fn keyring_mut(&mut self) -> Option<&mut Keyring> {
        self.keyring.as_mut()
    }

    /// Bytes the envelope adds to each datagram.
    pub fn overhead(&self) -> usize {
        match (&self.keyring, self.cluster.is_empty()) {
            (Some(_), _) => 1 + NONCE_LEN + TIME_LEN + TAG_LEN,
            (None, false) => 2 + self.cluster.len(),
            (None, true) => 0,
        }
    }

    fn associated_data(&self) -> Vec<u8> {
        let mut data = Vec::with_capacity(1 + self.cluster.len());
        data.push(SEALED);
        data.extend_from_slice(self.cluster.as_bytes());
        data
    }

    /// The datagram to send for the core's `datagram`, at wall-clock time `now_ms`.
    pub fn seal(&self, datagram: &[u8], now_ms: u64) -> Vec<u8> {
        if let Some(keyring) = &self.keyring {
            let mut nonce = [0u8; NONCE_LEN];
            rand::rng().fill_bytes(&mut nonce);
            let mut plain = Vec::with_capacity(TIME_LEN + datagram.len());
            plain.extend_from_slice(&now_ms.to_le_bytes());
            plain.extend_from_slice(datagram);
            let cipher = XChaCha20Poly1305::new(keyring.primary().bytes().into());
            let aad = self.associated_data();
            let payload = Payload {
                msg: &plain,
                aad: &aad,
            };
            // Encryption fails only for messages of gigabytes.
            let sealed = cipher
                .encrypt(XNonce::from_slice(&nonce), payload)
                .unwrap_or_default();
            let mut out = Vec::with_capacity(1 + NONCE_LEN + sealed.len());
            out.push(SEALED);
            out.extend_from_slice(&nonce);
            out.extend_from_slice(&sealed);
            return out;
        }
        if self.cluster.is_empty() {
            return datagram.to_vec();
        }
        let mut out = Vec::with_capacity(self.overhead() + datagram.len());
        out.push(NAMED);
        out.push(self.cluster.len() as u8);
        out.extend_from_slice(self.cluster.as_bytes());
        out.extend_from_slice(datagram);
        out
    }

    /// The core datagram inside an arriving one, or why it is refused (counted).
    pub fn open<'a>(&mut self, datagram: &'a [u8], now_ms: u64) -> Result<Cow<'a, [u8]>, Refused> {
        let opened = self.try_open(datagram, now_ms);
        if let Err(reason) = opened {
            let counter = match reason {
                Refused::Unauthenticated => &mut self.refused.unauthenticated,
                Refused::Stale => &mut self.refused.stale,
                Refused::Replayed => &mut self.refused.replayed,
                Refused::WrongCluster => &mut self.refused.wrong_cluster,
            };
            *counter += 1;
        }
        opened
    }

    fn try_open<'a>(&mut self, datagram: &'a [u8], now_ms: u64) -> Result<Cow<'a, [u8]>, Refused> {
        if self.keyring.is_some() {
            return self.unseal(datagram, now_ms).map(Cow::Owned);
        }
        if self.cluster.is_empty() {
            return Ok(Cow::Borrowed(datagram));
        }
        let name = self.cluster.as_bytes();
        match datagram {
            [NAMED, len, rest @ ..]
                if usize::from(*len) == name.len() && rest.starts_with(name) =>
            {
                Ok(Cow::Borrowed(&rest[name.len()..]))
            }
            _ => Err(Refused::WrongCluster),
        }
    }

    fn unseal(&mut self, datagram: &[u8], now_ms: u64) -> Result<Vec<u8>, Refused> {
        self.forget_old(now_ms);
        let Some((&SEALED, rest)) = datagram.split_first() else {
            return Err(Refused::Unauthenticated);
        };
        if rest.len() < NONCE_LEN + TIME_LEN + TAG_LEN {
            return Err(Refused::Unauthenticated);
        }
        let (nonce, sealed) = rest.split_at(NONCE_LEN);
        let aad = self.associated_data();
        let keyring = self.keyring.as_ref().ok_or(Refused::Unauthenticated)?;
        let plain = keyring
            .keys()
            .iter()
            .find_map(|key| {
                let cipher = XChaCha20Poly1305::new(key.bytes().into());
                let payload = Payload {
                    msg: sealed,
                    aad: &aad,
                };
                cipher.decrypt(XNonce::from_slice(nonce), payload).ok()
            })
            .ok_or(Refused::Unauthenticated)?;
        let (time, datagram) = plain.split_at(TIME_LEN);
        let sent_ms = u64::from_le_bytes(time.try_into().map_err(|_| Refused::Unauthenticated)?);
        if sent_ms.abs_diff(now_ms) > REPLAY_WINDOW_MS {
            return Err(Refused::Stale);
        }
        let nonce: [u8; NONCE_LEN] = nonce.try_into().map_err(|_| Refused::Unauthenticated)?;
        self.remember(nonce, now_ms)?;
        Ok(datagram.to_vec())
    }

    /// Forgets nonces seen more than two windows ago (a datagram that old is refused as
    /// stale anyway), and the oldest beyond the limit.
    fn forget_old(&mut self, now_ms: u64) {
        while let Some(&(seen_at, old)) = self.seen_order.front() {
            let expired = seen_at + 2 * REPLAY_WINDOW_MS < now_ms;
            if !expired && self.seen_order.len() < MAX_REMEMBERED {
                break;
            }
            self.seen.remove(&old);
            self.seen_order.pop_front();
        }
    }

    /// Refuses a nonce seen before.
    fn remember(&mut self, nonce: [u8; NONCE_LEN], now_ms: u64) -> Result<(), Refused> {
        if !self.seen.insert(nonce) {
            return Err(Refused::Replayed);
        }
        self.seen_order.push_back((now_ms, nonce));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keyring::Key;

    const NOW: u64 = 1_700_000_000_000;
    const DATAGRAM: &[u8] = &[1, 2, 3, 4, 5];

    fn sealed(cluster: &str, keys: &[&Key]) -> Envelope {
        let ring = Keyring::new(keys.iter().map(|k| (*k).clone()).collect()).unwrap();
        Envelope::new(Some(cluster.into()), Some(ring))
    }

    #[test]
    fn sealed_datagrams_open_under_the_same_key_and_name_only() {
        let (key, other) = (Key::generate(), Key::generate());
        let sender = sealed("prod", &[&key]);
        let wire = sender.seal(DATAGRAM, NOW);
        assert_eq!(wire.len(), DATAGRAM.len() + sender.overhead());
        assert!(
            !wire.windows(DATAGRAM.len()).any(|w| w == DATAGRAM),
            "the contents are encrypted"
        );

        let mut receiver = sealed("prod", &[&other, &key]);
        assert_eq!(receiver.open(&wire, NOW).unwrap().as_ref(), DATAGRAM);

        let mut foreign_key = sealed("prod", &[&other]);
        assert_eq!(foreign_key.open(&wire, NOW), Err(Refused::Unauthenticated));
        let mut foreign_name = sealed("staging", &[&key]);
        assert_eq!(foreign_name.open(&wire, NOW), Err(Refused::Unauthenticated));
        assert_eq!(foreign_name.refused.unauthenticated, 1);
    }

    #[test]
    fn tampered_truncated_and_plain_datagrams_are_refused() {
        let key = Key::generate();
        let sender = sealed("", &[&key]);
        let wire = sender.seal(DATAGRAM, NOW);
        let mut receiver = sealed("", &[&key]);
        for at in [0, 1, 30, wire.len() - 1] {
            let mut tampered = wire.clone();
            tampered[at] ^= 0x40;
            assert!(receiver.open(&tampered, NOW).is_err(), "byte {at} flipped");
        }
        assert!(receiver.open(&wire[..20], NOW).is_err());
        assert!(receiver.open(&[], NOW).is_err());
        assert_eq!(receiver.open(DATAGRAM, NOW), Err(Refused::Unauthenticated));
        assert_eq!(receiver.refused.unauthenticated, 7);
        assert_eq!(receiver.open(&wire, NOW).unwrap().as_ref(), DATAGRAM);
    }

    #[test]
    fn replays_and_stale_datagrams_are_refused() {
        let key = Key::generate();
        let sender = sealed("", &[&key]);
        let mut receiver = sealed("", &[&key]);
        let wire = sender.seal(DATAGRAM, NOW);
        assert!(receiver.open(&wire, NOW + 10).is_ok());
        assert_eq!(receiver.open(&wire, NOW + 20), Err(Refused::Replayed));
        let old = sender.seal(DATAGRAM, NOW - REPLAY_WINDOW_MS - 1);
        assert_eq!(receiver.open(&old, NOW), Err(Refused::Stale));
        let ahead = sender.seal(DATAGRAM, NOW + REPLAY_WINDOW_MS + 1);
        assert_eq!(receiver.open(&ahead, NOW), Err(Refused::Stale));
        assert_eq!(
            receiver.refused,
            EnvelopeCounters {
                stale: 2,
                replayed: 1,
                ..Default::default()
            }
        );
        // Long after, the nonce is forgotten, and the datagram is refused as stale.
        let later = NOW + 3 * REPLAY_WINDOW_MS;
        assert_eq!(receiver.open(&wire, later), Err(Refused::Stale));
        assert!(receiver.seen.is_empty(), "old nonces are forgotten");
    }

    #[test]
    fn a_cluster_name_without_keys_keeps_clusters_apart() {
        let mut prod = Envelope::new(Some("prod".into()), None);
        let mut staging = Envelope::new(Some("staging".into()), None);
        let mut unnamed = Envelope::new(None, None);
        let wire = prod.seal(DATAGRAM, NOW);
        assert_eq!(prod.open(&wire, NOW).unwrap().as_ref(), DATAGRAM);
        assert_eq!(staging.open(&wire, NOW), Err(Refused::WrongCluster));
        assert_eq!(prod.open(DATAGRAM, NOW), Err(Refused::WrongCluster));
        assert_eq!(
            unnamed
                .open(&unnamed.seal(DATAGRAM, NOW), NOW)
                .unwrap()
                .as_ref(),
            DATAGRAM
        );
        assert_eq!(unnamed.seal(DATAGRAM, NOW), DATAGRAM);
    }
}
