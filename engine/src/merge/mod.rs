//! Three-way merge of graph branches by entity id, and net diffs between refs.
//!
//! The merge base is the lowest common ancestor of the two heads in the commit DAG. The
//! source's net changes since the base are found per table (see `changes`), compared with
//! the target's current rows for the same ids, and applied where the target did not change
//! the entity itself. Changes to different columns of one row merge; anything else that
//! both sides did differently is a typed conflict. The merged result is checked for
//! orphan edges, `@unique` and `@card` before anything is written; the merge then lands
//! as one graph commit (sidecar, per-table commits, one publish).

mod apply;
pub(crate) mod base;
pub(crate) mod conflict;
mod diff;
mod entity;
mod integrity;
mod outcome;
mod plan;

pub use conflict::{ConflictKind, MergeConflict, describe_conflicts};
pub use outcome::{MergeKind, MergeOutcome, MergeStyle};
