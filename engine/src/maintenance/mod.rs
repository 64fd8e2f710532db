//! Maintenance: compacting tables and the manifest (`optimize`) and removing what no kept
//! version needs (`cleanup`).

pub mod cleanup;
pub(crate) mod compaction;
pub mod optimize;
pub(crate) mod write_gate;

pub use cleanup::{CleanupOutcome, CleanupPolicy};
pub use optimize::{OptimizeOutcome, TableOptimized};
