//! `--data-dir`: what a node keeps across a restart (its identity as a writer, its store,
//! its incarnation, and where its peers were) in an embedded database (redb), written
//! before a write is acknowledged and after every change the node makes. After a
//! `kill -9` the agent comes back with every key it had acknowledged, as the same writer
//! (so it never reuses a sequence number), one incarnation higher, and rejoins through
//! the peers it knew (as Serf's snapshot does), even if it was started without `--join`.
//!
//! Beside the state, under a key of its own (a few bytes to write, where the state may
//! be large), the last time the node heard from the cluster: a node that comes back
//! `tombstone_grace` after it holds its old store aside until it has caught up
//! ([`gossip_core::Node::restore`]).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use gossip_core::{Incarnation, PersistedState, ReplicaId, Store};
use redb::{Database, TableDefinition};
use serde::{Deserialize, Serialize};

/// The one table: the node's state under [`STATE_KEY`].
const TABLE: TableDefinition<&str, &[u8]> = TableDefinition::new("node");
const STATE_KEY: &str = "state";
/// When the node last heard from the cluster, in milliseconds since the Unix epoch (8
/// bytes, little-endian).
const HEARD_KEY: &str = "heard_at_unix_ms";
/// The first byte of a stored state: the layout it was written in. Format 1 had no
/// store aside.
const FORMAT: u8 = 2;

/// What an agent saves: the node's state and its peers' addresses.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Saved {
    pub node: PersistedState,
    /// Members that were alive or suspect, to rejoin through.
    pub peers: Vec<SocketAddr>,
}

/// A state saved in format 1.
#[derive(Deserialize)]
#[cfg_attr(test, derive(Serialize))]
struct SavedFormat1 {
    node: PersistedFormat1,
    peers: Vec<SocketAddr>,
}

#[derive(Deserialize)]
#[cfg_attr(test, derive(Serialize))]
struct PersistedFormat1 {
    replica: ReplicaId,
    incarnation: Incarnation,
    store: Store,
}

impl From<SavedFormat1> for Saved {
    fn from(old: SavedFormat1) -> Saved {
        let PersistedFormat1 {
            replica,
            incarnation,
            store,
        } = old.node;
        Saved {
            node: PersistedState {
                replica,
                incarnation,
                store,
                aside: None,
            },
            peers: old.peers,
        }
    }
}

/// A state as loaded, with when the node last heard from the cluster (in milliseconds
/// since the Unix epoch), if that is known.
#[derive(Debug)]
pub struct Loaded {
    pub saved: Saved,
    pub heard_at_unix_ms: Option<u64>,
}

/// An agent's data directory, opened.
#[derive(Debug)]
pub struct DataDir {
    db: Database,
    path: PathBuf,
}

impl DataDir {
    /// Opens (or creates) the database in `dir`, creating the directory too.
    pub fn open(dir: &Path) -> Result<DataDir, String> {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create the data dir {}: {e}", dir.display()))?;
        let path = dir.join("node.redb");
        let db =
            Database::create(&path).map_err(|e| format!("cannot open {}: {e}", path.display()))?;
        Ok(DataDir { db, path })
    }

    /// The state saved last, if any, with when the node last heard from the cluster,
    /// if that was saved (not in format 1, nor by a node that never heard from anyone)
    /// and reads as a time: a damaged one is as good as unknown.
    pub fn load(&self) -> Result<Option<Loaded>, String> {
        let fail = |e: &dyn std::fmt::Display| format!("cannot read {}: {e}", self.path.display());
        let read = self.db.begin_read().map_err(|e| fail(&e))?;
        let table = match read.open_table(TABLE) {
            Ok(table) => table,
            Err(redb::TableError::TableDoesNotExist(_)) => return Ok(None),
            Err(e) => return Err(fail(&e)),
        };
        let Some(bytes) = table.get(STATE_KEY).map_err(|e| fail(&e))? else {
            return Ok(None);
        };
        let saved = match bytes.value().split_first() {
            Some((&FORMAT, body)) => postcard::from_bytes(body).map_err(|e| fail(&e))?,
            Some((1, body)) => postcard::from_bytes::<SavedFormat1>(body)
                .map_err(|e| fail(&e))?
                .into(),
            Some((format, _)) => return Err(fail(&format!("unknown state format {format}"))),
            None => return Err(fail(&"an empty state")),
        };
        let heard = table.get(HEARD_KEY).map_err(|e| fail(&e))?;
        let heard_at_unix_ms = match heard.map(|bytes| <[u8; 8]>::try_from(bytes.value())) {
            Some(Ok(bytes)) => Some(u64::from_le_bytes(bytes)),
            Some(Err(_)) => {
                tracing::warn!(path = %self.path.display(), "the time the node last heard from the cluster is damaged: taken as unknown");
                None
            }
            None => None,
        };
        Ok(Some(Loaded {
            saved,
            heard_at_unix_ms,
        }))
    }

    /// Saves when the node last heard from the cluster (milliseconds since the Unix
    /// epoch), durably.
    pub fn save_heard_at(&self, unix_ms: u64) -> Result<(), String> {
        self.insert(HEARD_KEY, &unix_ms.to_le_bytes())
    }

    /// Saves `state` durably (the transaction is committed when this returns).
    pub fn save(&self, state: &Saved) -> Result<(), String> {
        let mut bytes = vec![FORMAT];
        bytes.extend(postcard::to_allocvec(state).map_err(|e| self.write_failed(&e))?);
        self.insert(STATE_KEY, &bytes)
    }

    fn insert(&self, key: &str, bytes: &[u8]) -> Result<(), String> {
        let fail = |e: &dyn std::fmt::Display| self.write_failed(e);
        let write = self.db.begin_write().map_err(|e| fail(&e))?;
        {
            let mut table = write.open_table(TABLE).map_err(|e| fail(&e))?;
            table.insert(key, bytes).map_err(|e| fail(&e))?;
        }
        write.commit().map_err(|e| fail(&e))
    }

    fn write_failed(&self, error: &dyn std::fmt::Display) -> String {
        format!("cannot write {}: {error}", self.path.display())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use gossip_core::{Config, Instant, Node, NodeId};

    fn n1_with_one_key() -> Node {
        let addr = SocketAddr::from(([127, 0, 0, 1], 7946));
        let mut node = Node::new(NodeId::new("n1").unwrap(), addr, Config::demo(), 1).unwrap();
        node.put(Instant::ZERO, "k", "v").unwrap();
        node
    }

    fn temp_dir(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("gossip-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        dir
    }

    fn put_raw(data: &DataDir, key: &str, bytes: &[u8]) {
        let write = data.db.begin_write().unwrap();
        write.open_table(TABLE).unwrap().insert(key, bytes).unwrap();
        write.commit().unwrap();
    }

    /// The state comes back as saved, a store aside included, with the time the node
    /// last heard from the cluster once that was saved; a damaged time is unknown.
    #[test]
    fn a_saved_state_is_read_back_with_when_the_node_last_heard_from_the_cluster() {
        let dir = temp_dir("persist-now");
        let data = DataDir::open(&dir).unwrap();
        assert!(data.load().unwrap().is_none());
        let mut node = n1_with_one_key();
        let mut aside = node.persisted();
        aside.incarnation = 4;
        node.restore(aside, Some(Config::demo().tombstone_grace));
        let peers = vec![SocketAddr::from(([127, 0, 0, 1], 7947))];
        data.save(&Saved {
            node: node.persisted(),
            peers: peers.clone(),
        })
        .unwrap();
        let back = data.load().unwrap().unwrap();
        assert_eq!(back.heard_at_unix_ms, None, "never saved");
        assert_eq!(back.saved.peers, peers);
        assert_eq!(back.saved.node.incarnation, 4);
        assert_eq!(back.saved.node.aside.unwrap().get("k"), Some("v"));

        data.save_heard_at(1_234).unwrap();
        assert_eq!(data.load().unwrap().unwrap().heard_at_unix_ms, Some(1_234));
        put_raw(&data, HEARD_KEY, &[1, 2, 3]);
        let back = data.load().unwrap().unwrap();
        assert_eq!(back.heard_at_unix_ms, None, "damaged");
        assert_eq!(back.saved.node.incarnation, 4, "the state is still read");
        drop(data);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_state_saved_in_format_1_is_read_with_nothing_aside() {
        let dir = temp_dir("persist-v1");
        let data = DataDir::open(&dir).unwrap();
        let state = n1_with_one_key().persisted();
        let peers = vec![SocketAddr::from(([127, 0, 0, 1], 7947))];
        let mut bytes = vec![1];
        bytes.extend(
            postcard::to_allocvec(&SavedFormat1 {
                node: PersistedFormat1 {
                    replica: state.replica.clone(),
                    incarnation: 2,
                    store: state.store,
                },
                peers: peers.clone(),
            })
            .unwrap(),
        );
        put_raw(&data, STATE_KEY, &bytes);
        let back = data.load().unwrap().unwrap().saved;
        assert_eq!(back.peers, peers);
        assert_eq!(back.node.replica, state.replica);
        assert_eq!(back.node.incarnation, 2);
        assert_eq!(back.node.store.get("k"), Some("v"));
        assert!(back.node.aside.is_none());

        // A layout this agent does not know is an error that names it.
        put_raw(&data, STATE_KEY, &[9, 0]);
        let error = data.load().unwrap_err();
        assert!(error.contains("unknown state format 9"), "{error}");
        drop(data);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
