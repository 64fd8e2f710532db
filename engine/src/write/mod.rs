//! The write path: staging, integrity validation and the commit protocol.

pub(crate) mod commit;
pub(crate) mod integrity;
pub mod loader;
pub(crate) mod rows;
pub mod schema_apply;
pub(crate) mod stage;
pub(crate) mod values;

use std::sync::Arc;

use lance::Dataset;

use crate::error::{Error, Result};
use crate::graph::{Graph, MAIN_BRANCH};
use crate::manifest::TableEntry;
use crate::snapshot::Snapshot;
use crate::storage;

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

/// Makes `table` writable on the snapshot's branch, forking it lazily (a Lance branch of
/// the table) on the first write of a non-main graph branch.
pub(crate) async fn prepare_table(snapshot: &Snapshot, table: &str) -> Result<PreparedTable> {
    let graph = snapshot.graph();
    let (_, entry) = snapshot.table(table)?;
    let target = Graph::lance_branch_of(snapshot.branch());
    if entry.lance_branch == target {
        let dataset = graph.table_dataset(entry).await?;
        if dataset.latest_version_id().await? != entry.version {
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
    let fork_name = target.expect("main tables are never on another lance branch");
    let source = graph.table_dataset(entry).await?;
    let parent_branch = entry.lance_branch.clone();
    let parent = (
        parent_branch.as_deref().unwrap_or(MAIN_BRANCH),
        entry.version,
    );
    let mut handle: Dataset = (*source).clone();
    // A fork of this name that the manifest does not reference was left by an interrupted
    // or concurrent write: reuse it while it is untouched, otherwise reclaim the name.
    if let Some(existing) = handle.list_branches().await?.get(&fork_name) {
        if existing.parent_branch == parent_branch && existing.parent_version == entry.version {
            let fork = storage::open_dataset(
                graph.session(),
                &graph.table_uri(&entry.path),
                Some(&fork_name),
                None,
            )
            .await;
            if let Ok(fork) = fork
                && fork.version_id() == entry.version
            {
                return Ok(prepared_fork(entry, fork_name, fork));
            }
        }
        handle.force_delete_branch(&fork_name).await?;
    }
    let forked = match handle.create_branch(&fork_name, parent, None).await {
        Ok(ds) => ds,
        Err(_) => {
            // A crash inside create_branch leaves a dataset without a branch record.
            handle.force_delete_branch(&fork_name).await?;
            handle.create_branch(&fork_name, parent, None).await?
        }
    };
    Ok(prepared_fork(entry, fork_name, forked))
}

fn prepared_fork(entry: &TableEntry, fork_name: String, forked: Dataset) -> PreparedTable {
    PreparedTable {
        entry: TableEntry {
            lance_branch: Some(fork_name),
            version: forked.version_id(),
            ..entry.clone()
        },
        dataset: Arc::new(forked),
        forked: true,
    }
}
