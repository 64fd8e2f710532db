//! The `omnigraph.*` settings: a DataFusion [`ConfigExtension`], so they live in the
//! session's `SessionConfig` beside `datafusion.*`, are listed by `SHOW ALL` and
//! `information_schema.df_settings`, and travel with each statement's `SessionState`.

use datafusion::common::config::ConfigExtension;
use datafusion::common::extensions_options;

/// Default of [`OmniGraphOptions::max_write_rows`].
pub const DEFAULT_MAX_WRITE_ROWS: u64 = 5_000_000;
/// Default of [`OmniGraphOptions::auto_optimize_fragments`].
pub const DEFAULT_AUTO_OPTIMIZE_FRAGMENTS: u64 = 32;
/// Default of [`OmniGraphOptions::statement_memory_limit`]: 1 GB.
pub const DEFAULT_STATEMENT_MEMORY_LIMIT: u64 = 1 << 30;

extensions_options! {
    /// Settings a session changes with `SET omnigraph.<name>`.
    pub struct OmniGraphOptions {
        /// The branch schema `public` reads and writes go to.
        pub branch: String, default = omnigraph_engine::MAIN_BRANCH.to_string()
        /// When set, `public` reads this ref (a commit id, a version or a time) and the
        /// session is read-only.
        pub as_of: Option<String>, default = None
        /// The message of the following commits; unset, each write describes itself.
        pub commit_message: Option<String>, default = None
        /// The most rows one INSERT/UPDATE/DELETE may write; larger statements are
        /// refused before they are held in memory (use CALL load for bulk data).
        pub max_write_rows: u64, default = DEFAULT_MAX_WRITE_ROWS
        /// After each autocommit write, compact the written branch's tables (and its
        /// manifest) that reached `auto_optimize_fragments` fragments.
        pub auto_optimize: bool, default = true
        /// The fragment count of a table (or of the manifest) that triggers automatic
        /// maintenance.
        pub auto_optimize_fragments: u64, default = DEFAULT_AUTO_OPTIMIZE_FRAGMENTS
        /// The memory (bytes) a statement's sorts, aggregates and joins may hold; past it
        /// they spill to temporary files or fail with 53200.
        pub statement_memory_limit: u64, default = DEFAULT_STATEMENT_MEMORY_LIMIT
        /// IVF partitions a vector index search probes first (it probes more while it has
        /// found fewer than k rows); 0: Lance's adaptive default.
        pub nprobes: u64, default = 0
        /// Candidates an HNSW search keeps per partition; 0: Lance's default.
        pub ef_search: u64, default = 0
        /// Re-rank `refine_factor * k` index candidates by their exact vectors; 0: none.
        pub refine_factor: u64, default = 0
    }
}

impl ConfigExtension for OmniGraphOptions {
    const PREFIX: &'static str = "omnigraph";
}

impl OmniGraphOptions {
    /// The full names (`omnigraph.branch`, ...) of every setting, in documentation order.
    pub fn names() -> Vec<String> {
        use datafusion::common::config::ExtensionOptions;
        OmniGraphOptions::default()
            .entries()
            .into_iter()
            .map(|entry| format!("{}.{}", Self::PREFIX, entry.key))
            .collect()
    }
}
