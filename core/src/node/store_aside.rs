//! A store that comes back from disk after `tombstone_grace`, held aside until the node
//! has caught up with its peers.
//!
//! A tombstone is collected once every member known has covered it and the grace has
//! passed (`anti_entropy`), and a member away that long has been reaped, so it no longer
//! holds collection back. Its old store may then hold a key whose delete nobody else
//! remembers: put back at once, the key would sit below every peer's summary, where
//! anti-entropy never looks, and come back to life in reads here and in any member that
//! joins later: the resurrection that Demers et al. 1987 (section 1.4) keep dormant
//! death certificates against, and that Cassandra's `gc_grace_seconds` warns of.
//!
//! Dropping the old store would lose what nobody else holds: writes acknowledged here
//! that never spread, or everything, when the whole cluster was down. So the node starts
//! with an empty store, takes what the cluster holds by anti-entropy, and takes the old
//! store back only once its summary covers those of [`PEERS_TO_CATCH_UP_WITH`] peers (or
//! every active member, if fewer): each old version is then applied as if heard from a
//! peer. A tombstone is collected only once every member covers its whole clock, the
//! versions it replaced included (`anti_entropy`), so a version of a key deleted and
//! forgotten falls below the summary and is dropped, while one nobody knew of is kept
//! (and spreads from here). Several peers, because one may know little: a member that
//! just joined, or one holding its own store aside.

use super::Node;
use crate::store::Store;
use crate::vclock::VectorClock;
use crate::{Instant, NodeId, Version};

/// How many peers' summaries a node catches up with before it takes its store back.
pub(super) const PEERS_TO_CATCH_UP_WITH: usize = 3;

/// The old store and how far this node must catch up before taking it back.
#[derive(Clone, Debug)]
pub(super) struct StoreAside {
    pub(super) store: Store,
    /// The first summary each of up to [`PEERS_TO_CATCH_UP_WITH`] peers reported since
    /// the node came back (the first, so that a busy cluster's writes do not move the
    /// mark on); a peer no longer active makes room for the next.
    heard: Vec<(NodeId, VectorClock)>,
}

impl StoreAside {
    pub(super) fn new(store: Store) -> StoreAside {
        StoreAside {
            store,
            heard: Vec::new(),
        }
    }
}

impl Node {
    /// Notes the summary a peer reported, if any, and takes the store aside back once
    /// this node has heard from enough peers still in the cluster and its own summary
    /// covers theirs. A peer that has left or died since no longer counts, nor does
    /// its summary: what only it held may never come, and waiting for it would keep
    /// the store aside until the next restart.
    pub(super) fn catch_up_with(
        &mut self,
        now: Instant,
        reported: Option<(&NodeId, &VectorClock)>,
    ) {
        let members = &self.membership.members;
        let Some(aside) = &mut self.store_aside else {
            return;
        };
        let active = |peer: &NodeId| {
            members
                .held_by_name(peer.as_bytes())
                .is_some_and(|held| held.state.is_active())
        };
        aside.heard.retain(|(peer, _)| active(peer));
        if let Some((peer, summary)) = reported
            && aside.heard.len() < PEERS_TO_CATCH_UP_WITH
            && active(peer)
            && !aside.heard.iter().any(|(heard, _)| heard == peer)
        {
            aside.heard.push((peer.clone(), summary.clone()));
        }
        let enough = PEERS_TO_CATCH_UP_WITH.min(members.active()).max(1);
        let mine = self.store.summary();
        if aside.heard.len() >= enough
            && aside.heard.iter().all(|(_, summary)| mine.covers(summary))
        {
            self.take_back_store(now);
        }
    }

    /// Applies every version of the store aside as if a peer had sent it, then marks
    /// what it held as held: what the union holds is complete wherever the old store was.
    pub(super) fn take_back_store(&mut self, now: Instant) {
        let Some(aside) = self.store_aside.take() else {
            return;
        };
        let versions: Vec<Version> = aside
            .store
            .iter()
            .flat_map(|(_, versions)| versions.iter().cloned())
            .collect();
        let (mut added, mut forgotten) = (0, 0);
        for version in versions {
            let key = version.key.clone();
            if self.apply_version(now, version, false) != crate::Applied::Known {
                added += 1;
            } else if self.store.versions(&key).is_none() {
                forgotten += 1;
            }
        }
        self.store.cover_summary(aside.store.summary());
        self.events
            .push_back(crate::Event::StoreTakenBack { added, forgotten });
    }

    /// The clocks of the versions of `key` held aside: a write made meanwhile must
    /// supersede them, or the old value would come back beside it as a conflict.
    pub(super) fn clocks_aside<'a>(&'a self, key: &str) -> impl Iterator<Item = &'a VectorClock> {
        self.store_aside
            .iter()
            .flat_map(move |aside| aside.store.versions(key).unwrap_or_default())
            .map(|version| &version.clock)
    }
}
