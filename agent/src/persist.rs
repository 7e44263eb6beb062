//! `--data-dir`: what a node keeps across a restart (its identity as a writer, its store,
//! its incarnation, and where its peers were) in an embedded database (redb), written
//! before a write is acknowledged and after every change the node makes. After a
//! `kill -9` the agent comes back with every key it had acknowledged, as the same writer
//! (so it never reuses a sequence number), one incarnation higher, and rejoins through
//! the peers it knew (as Serf's snapshot does), even if it was started without `--join`.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use gossip_core::PersistedState;
use redb::{Database, TableDefinition};
use serde::{Deserialize, Serialize};

/// The one table: the node's state under [`STATE_KEY`].
const TABLE: TableDefinition<&str, &[u8]> = TableDefinition::new("node");
const STATE_KEY: &str = "state";
/// The first byte of a stored state: the layout it was written in.
const FORMAT: u8 = 1;

/// What an agent saves: the node's state and its peers' addresses.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Saved {
    pub node: PersistedState,
    /// Members that were alive or suspect, to rejoin through.
    pub peers: Vec<SocketAddr>,
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

    /// The state saved last, if any.
    pub fn load(&self) -> Result<Option<Saved>, String> {
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
        match bytes.value().split_first() {
            Some((&FORMAT, body)) => postcard::from_bytes(body).map(Some).map_err(|e| fail(&e)),
            Some((format, _)) => Err(fail(&format!("unknown state format {format}"))),
            None => Err(fail(&"an empty state")),
        }
    }

    /// Saves `state` durably (the transaction is committed when this returns).
    pub fn save(&self, state: &Saved) -> Result<(), String> {
        let fail = |e: &dyn std::fmt::Display| format!("cannot write {}: {e}", self.path.display());
        let mut bytes = vec![FORMAT];
        bytes.extend(postcard::to_allocvec(state).map_err(|e| fail(&e))?);
        let write = self.db.begin_write().map_err(|e| fail(&e))?;
        {
            let mut table = write.open_table(TABLE).map_err(|e| fail(&e))?;
            table
                .insert(STATE_KEY, bytes.as_slice())
                .map_err(|e| fail(&e))?;
        }
        write.commit().map_err(|e| fail(&e))
    }
}
