//! The write path: staging, integrity validation and the commit protocol.

pub mod batches;
pub(crate) mod commit;
pub mod delete;
pub mod index_ddl;
pub mod indexes;
pub(crate) mod integrity;
pub mod load_files;
pub mod loader;
pub(crate) mod rows;
pub mod schema_apply;
pub(crate) mod stage;
pub(crate) mod table_rows;

use std::sync::Arc;

use lance::Dataset;

use crate::error::{Error, Result};
use crate::graph::{MAIN_BRANCH, is_fork_of, new_fork_name};
use crate::manifest::TableEntry;
use crate::snapshot::Snapshot;

pub use commit::CommitOutcome;
pub use rows::{KEY_SEPARATOR, join_key_parts};

/// Who writes and why, recorded on the commit.
#[derive(Debug, Clone)]
pub struct WriteOptions {
    pub actor: String,
    pub message: Option<String>,
}

impl Default for WriteOptions {
    fn default() -> Self {
        WriteOptions {
            actor: "omnigraph".to_string(),
            message: None,
        }
    }
}

/// A table ready to take a write on `snapshot`'s branch: its entry as the commit will
/// publish it (version = base), the dataset at the base version, and whether it was forked.
pub(crate) struct PreparedTable {
    pub entry: TableEntry,
    pub dataset: Arc<Dataset>,
    pub forked: bool,
}

/// Makes `table` writable on the snapshot's branch, forking it lazily (a new Lance branch
/// of the table) on the first write of a non-main graph branch.
pub(crate) async fn prepare_table(snapshot: &Snapshot, table: &str) -> Result<PreparedTable> {
    let (_, entry) = snapshot.table(table)?;
    prepare_entry(snapshot, entry).await
}

/// [`prepare_table`] for a table version `entry` that the snapshot's branch is to hold.
pub(crate) async fn prepare_entry(
    snapshot: &Snapshot,
    entry: &TableEntry,
) -> Result<PreparedTable> {
    let branch = snapshot.branch();
    let writable_here = match &entry.lance_branch {
        None => branch == MAIN_BRANCH,
        Some(lb) => is_fork_of(lb, branch),
    };
    if writable_here {
        let dataset = snapshot.table_store().dataset(entry).await?;
        if crate::storage::latest_version(&dataset).await? != entry.version {
            return Err(Error::Conflict(format!(
                "table '{}' has commits past its published version {} (a concurrent writer, or an interrupted write that a read-write reopen recovers)",
                entry.name, entry.version
            )));
        }
        return Ok(PreparedTable {
            entry: entry.clone(),
            dataset,
            forked: false,
        });
    }
    fork_entry(snapshot, entry).await
}

/// Forks table version `entry` onto the snapshot's branch as a new Lance branch.
pub(crate) async fn fork_entry(snapshot: &Snapshot, entry: &TableEntry) -> Result<PreparedTable> {
    let fork_name = new_fork_name(snapshot.branch());
    let source = snapshot.table_store().dataset(entry).await?;
    let parent = (
        entry.lance_branch.as_deref().unwrap_or(MAIN_BRANCH),
        entry.version,
    );
    let mut handle: Dataset = (*source).clone();
    let forked = {
        let _refs = snapshot.table_store().fork_refs.lock().await;
        handle.create_branch(&fork_name, parent, None).await?
    };
    Ok(PreparedTable {
        entry: TableEntry {
            lance_branch: Some(fork_name),
            version: forked.version_id(),
            ..entry.clone()
        },
        dataset: Arc::new(forked),
        forked: true,
    })
}
