//! Names of the fault-injection points on the write path (the `fail` crate, compiled in
//! with the `failpoints` feature). Tests configure them by these constants, never by
//! string literals, so a rename is a build error rather than a silently dead test.

/// After the recovery sidecar is durable, before any table commits.
pub const COMMIT_AFTER_SIDECAR: &str = "commit.after_sidecar";
/// After each table commit (configure with a count, e.g. `1*off->panic`, to stop midway).
pub const COMMIT_AFTER_TABLE: &str = "commit.after_table_commit";
/// After each Lance version of a multi-step table change (merge, delete).
pub const COMMIT_AFTER_STEP: &str = "commit.after_table_step";
/// After an index step's segments are written, before its `CreateIndex` version commits.
pub const COMMIT_AFTER_INDEX_BUILD: &str = "commit.after_index_build";
/// After every table is committed, before the manifest publish.
pub const COMMIT_BEFORE_PUBLISH: &str = "commit.before_publish";
/// After the manifest publish, before the sidecar is deleted.
pub const COMMIT_AFTER_PUBLISH: &str = "commit.after_publish";
/// In optimize, after the compacted files are written, before its commit starts.
pub const OPTIMIZE_AFTER_REWRITE: &str = "optimize.after_rewrite";
/// In cleanup, after the graph versions are removed, before any table is cleaned.
pub const CLEANUP_AFTER_MANIFEST: &str = "cleanup.after_manifest";
/// In cleanup, after each table's versions, forks and files are removed.
pub const CLEANUP_AFTER_TABLE: &str = "cleanup.after_table";
/// In the recovery sweep, after tables are restored and before the recovery publish.
pub const RECOVERY_BEFORE_PUBLISH: &str = "recovery.before_publish";

/// A fault-injection point that fires only for graphs whose root a test has armed, so
/// failpoint tests can run beside other tests in one process. `return` actions make the
/// enclosing function fail with an injected error; `panic` actions simulate a crash.
macro_rules! crash_point {
    ($root:expr, $name:expr) => {
        #[cfg(feature = "failpoints")]
        fail::fail_point!($name, $crate::failpoints::armed($root), |_| {
            Err($crate::error::Error::Recovery(format!(
                "failpoint {} injected",
                $name
            )))
        });
    };
}
pub(crate) use crash_point;

#[cfg(feature = "failpoints")]
static ARMED: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());

/// Lets failpoints fire for the graph at `root` (as `Graph::root` reports it).
#[cfg(feature = "failpoints")]
pub fn arm(root: &str) {
    ARMED
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .push(root.to_string());
}

/// Stops failpoints firing for the graph at `root`.
#[cfg(feature = "failpoints")]
pub fn disarm(root: &str) {
    ARMED
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .retain(|r| r != root);
}

#[cfg(feature = "failpoints")]
pub(crate) fn armed(root: &str) -> bool {
    ARMED
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .iter()
        .any(|r| r == root)
}
