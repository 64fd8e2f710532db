//! Maintenance: compacting tables and the manifest (`optimize`) and removing what no kept
//! version needs (`cleanup`).

pub mod cleanup;
pub(crate) mod compaction;
pub mod optimize;
pub(crate) mod write_gate;

pub use cleanup::{CleanupOutcome, CleanupPolicy};
pub use optimize::{OptimizeOutcome, TableOptimized};

use crate::error::Result;
use crate::graph::Graph;
use crate::manifest::TableEntry;

/// What a table version holds on storage, for deciding when to optimize or clean up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TableStorage {
    /// Fragments of the version (one per small write until optimize folds them).
    pub fragments: u64,
    /// Deleted rows its fragments still hold (optimize drops them).
    pub deleted_rows: u64,
    /// Lance versions kept on the table's Lance branch (cleanup removes old ones).
    pub versions_kept: u64,
    /// Bytes of the table's whole dataset: every version, and the forks of every branch.
    pub bytes: u64,
}

impl Graph {
    /// The storage of table version `entry`.
    pub async fn table_storage(&self, entry: &TableEntry) -> Result<TableStorage> {
        let ds = self.table_dataset(entry).await?;
        let deleted_rows = ds
            .manifest
            .fragments
            .iter()
            .filter_map(|f| f.deletion_file.as_ref()?.num_deleted_rows)
            .sum::<usize>() as u64;
        Ok(TableStorage {
            fragments: ds.manifest.fragments.len() as u64,
            deleted_rows,
            versions_kept: ds.count_versions().await?,
            bytes: self.inner.meta.usage(&entry.path).await?.1,
        })
    }
}
