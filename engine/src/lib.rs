//! OmniGraph engine: a typed property graph stored in Lance, with manifest-atomic,
//! versioned commits, branches and time travel. No SQL here; see `datafusion-omnigraph`.
//!
//! ```no_run
//! # async fn demo() -> omnigraph_engine::Result<()> {
//! use omnigraph_engine::{Graph, LoadMode, WriteOptions};
//! let graph = Graph::open_or_create("/tmp/social").await?;
//! graph.apply_schema("main", "node Person { name: String @key }", &WriteOptions::default()).await?;
//! graph.load_ndjson("main", r#"{"type":"Person","data":{"name":"alice"}}"#, LoadMode::Merge, &WriteOptions::default()).await?;
//! let snapshot = graph.snapshot("main").await?;
//! assert_eq!(snapshot.count_rows("person").await?, 1);
//! # Ok(()) }
//! ```

pub mod changes;
mod derived;
pub mod error;
pub mod failpoints;
pub mod graph;
pub mod maintenance;
pub mod manifest;
pub mod merge;
pub mod pattern;
pub mod progress;
pub mod recovery;
pub mod schema;
pub mod snapshot;
pub mod storage;
mod table_store;
pub mod testing;
pub mod topology;
pub mod values;
pub mod write;

pub use changes::{ChangeKind, RowChange};
pub use error::{Error, IndexError, IntegrityViolation, Result};
pub use graph::{BranchInfo, Graph, GraphRef, MAIN_BRANCH, OpenMode, validate_branch_name};
pub use maintenance::{
    CleanupOutcome, CleanupPolicy, OptimizeOutcome, TableOptimized, TableStorage,
};
pub use manifest::{CommitRecord, TableEntry};
pub use merge::{ConflictKind, MergeConflict, MergeKind, MergeOutcome, MergeStyle};
pub use progress::{CopyProgress, CopySource, CopyTracker};
pub use snapshot::Snapshot;
pub use topology::{Direction, IdIndex, PathStep, Side, Topology};
pub use write::batches::InsertMode;
pub use write::delete::DeleteSummary;
pub use write::index_ddl::{IndexDdlOutcome, IndexDefinition};
pub use write::loader::{LoadMode, LoadSummary};
pub use write::schema_apply::SchemaApplyOutcome;
pub use write::{CommitOutcome, WriteOptions};

/// Re-exported so dependants use the exact Lance/Arrow this engine was built with.
pub use lance;
pub use lance_index;
