//! Merge conflicts: the data a failed merge reports. Below the merge logic (and the
//! engine's error type, which carries them), so it depends on nothing of the engine.

/// Why an entity cannot be merged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ConflictKind {
    /// Both sides inserted the id with different values.
    DivergentInsert,
    /// Both sides changed one column of a row to different values.
    DivergentUpdate,
    /// One side deleted a row the other updated.
    DeleteUpdate,
    /// Both sides wrote the row (a transaction's commit: first committer wins, whatever
    /// the values).
    ConcurrentWrite,
    /// An edge whose endpoint does not exist after the merge.
    OrphanEdge,
    /// Two rows would share a value of a `@unique` property.
    UniqueViolation,
    /// A source node's edge count would break `@card`.
    CardinalityViolation,
}

impl ConflictKind {
    pub fn as_str(&self) -> &'static str {
        match self {
            ConflictKind::DivergentInsert => "divergent_insert",
            ConflictKind::DivergentUpdate => "divergent_update",
            ConflictKind::DeleteUpdate => "delete_update",
            ConflictKind::ConcurrentWrite => "concurrent_write",
            ConflictKind::OrphanEdge => "orphan_edge",
            ConflictKind::UniqueViolation => "unique_violation",
            ConflictKind::CardinalityViolation => "cardinality_violation",
        }
    }
}

/// One conflict; values are JSON objects of the row's columns (`None`: no row).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MergeConflict {
    pub table: String,
    pub id: String,
    pub kind: ConflictKind,
    pub detail: String,
    pub base: Option<String>,
    pub ours: Option<String>,
    pub theirs: Option<String>,
}

/// The message of a failed merge: how many conflicts and the first few.
pub fn describe_conflicts(conflicts: &[MergeConflict]) -> String {
    let mut text = format!(
        "merge conflict: {} conflicting {}",
        conflicts.len(),
        if conflicts.len() == 1 {
            "entity"
        } else {
            "entities"
        }
    );
    for c in conflicts.iter().take(10) {
        text.push_str(&format!(
            "\n  {} {} '{}': {}",
            c.kind.as_str(),
            c.table,
            c.id,
            c.detail
        ));
    }
    if conflicts.len() > 10 {
        text.push_str(&format!(
            "\n  ... and {} more (see merge_conflicts)",
            conflicts.len() - 10
        ));
    }
    text
}
