//! What a merge did, and how it joins the target's history.

use crate::changes::ChangeCounts;

/// How a merge changed the target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MergeKind {
    /// The target already contains the source's head.
    UpToDate,
    /// The target had no commits of its own since the base: it moves to the source's head.
    FastForward,
    /// Both sides changed: a merge commit with two parents.
    Merged,
}

impl MergeKind {
    pub fn as_str(&self) -> &'static str {
        match self {
            MergeKind::UpToDate => "up_to_date",
            MergeKind::FastForward => "fast_forward",
            MergeKind::Merged => "merged",
        }
    }
}

/// How a merge joins the target's history.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MergeStyle {
    /// Git-style: a fast-forward moves the head to the source's commit, a merge commit has
    /// the source's head as second parent, and the source's commits join the history.
    History,
    /// A transaction's private branch landing: one new commit on the target whose only
    /// parent is the target's head (the source's commits stay out of the target's
    /// history), and snapshot isolation's first-committer-wins: an entity both sides wrote
    /// since the base is a conflict whatever the values, so two transactions that each
    /// read a row and wrote it back never both commit.
    Transaction,
}

/// The result of a merge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MergeOutcome {
    pub kind: MergeKind,
    /// The target's head commit after the merge.
    pub commit_id: Option<String>,
    /// The target's graph version after the merge.
    pub graph_version: u64,
    /// The merge base commit.
    pub base_commit: Option<String>,
    /// Rows the merge wrote per table: (inserted, updated, deleted).
    pub changes: ChangeCounts,
}
