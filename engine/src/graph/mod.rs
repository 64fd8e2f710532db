//! The graph handle: create/open, snapshots, branches, refs and history.

mod branch_lifecycle;
mod branches;
mod handle;
mod history;
mod names;
mod open;
mod refs;
mod transactions;

pub use branches::BranchInfo;
pub use handle::{Graph, OpenMode};
pub use names::{MAIN_BRANCH, TRANSACTION_PREFIX, validate_branch_name};
pub(crate) use names::{is_fork_of, new_fork_name};
pub use refs::GraphRef;
pub use transactions::ABANDONED_TRANSACTION_SECS;
