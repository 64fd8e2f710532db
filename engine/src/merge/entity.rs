//! The per-entity three-way merge: one table's merge result, built from the source's
//! changes and the target's rows.

use std::collections::{BTreeMap, BTreeSet};

use arrow_schema::SchemaRef;

use super::conflict::{ConflictKind, MergeConflict};
use super::outcome::MergeStyle;
use crate::changes::{RowChange, RowValues, row_json};
use crate::manifest::TableEntry;

/// What the merge does to one table of the target.
pub(crate) struct TableMerge {
    pub name: String,
    pub columns: SchemaRef,
    /// The target's entry; `None` for a table the source created.
    pub ours: Option<TableEntry>,
    pub theirs: Option<TableEntry>,
    /// Nullable columns the source's schema added.
    pub add_columns: Option<SchemaRef>,
    /// Final rows to write, by id.
    pub upserts: BTreeMap<String, RowValues>,
    /// Ids of target rows that are removed (deleted, or replaced by an upsert).
    pub removed: BTreeSet<String>,
    /// Whether the target takes this table from the source (it did not have it).
    pub adopted: bool,
    /// Ids the merge deletes outright.
    pub deleted: BTreeSet<String>,
    /// The source's changes that were applied, with their base rows (for integrity).
    pub applied: Vec<RowChange>,
    /// Whether the merged schema changes the table's indexes (the commit brings them up
    /// to date even if no row changes).
    pub reindex: bool,
}

impl TableMerge {
    pub(super) fn is_noop(&self) -> bool {
        self.upserts.is_empty()
            && self.removed.is_empty()
            && self.add_columns.is_none()
            && !self.reindex
    }

    pub(super) fn apply(
        &mut self,
        change: &RowChange,
        ours: Option<&RowValues>,
        row: Option<RowValues>,
    ) {
        if ours.is_some() {
            self.removed.insert(change.id.clone());
        }
        match row {
            Some(r) => {
                self.upserts.insert(change.id.clone(), r);
            }
            None => {
                self.deleted.insert(change.id.clone());
            }
        }
        self.applied.push(change.clone());
    }

    pub(super) fn counts(&self) -> (u64, u64, u64) {
        let updated = self
            .upserts
            .keys()
            .filter(|id| self.removed.contains(*id))
            .count() as u64;
        (
            self.upserts.len() as u64 - updated,
            updated,
            self.deleted.len() as u64,
        )
    }
}

fn conflict(
    table: &TableMerge,
    id: &str,
    kind: ConflictKind,
    detail: String,
    rows: [Option<&RowValues>; 3],
) -> MergeConflict {
    let text = |r: Option<&RowValues>| r.map(|r| row_json(&table.columns, r).to_string());
    MergeConflict {
        table: table.name.clone(),
        id: id.to_string(),
        kind,
        detail,
        base: text(rows[0]),
        ours: text(rows[1]),
        theirs: text(rows[2]),
    }
}

/// The target's side of one entity the source changed, when the target changed its table
/// since the base.
pub(super) struct EntityOnTarget<'a> {
    pub row: Option<&'a RowValues>,
    /// Whether the target wrote the row since the base (even back to its base values).
    pub written: bool,
}

/// Merges one entity: `b` at the base, `o` on the target now, `t` on the source now.
/// `on_target` is `None` when the target left the entity's table as it was at the base.
pub(super) fn merge_entity(
    table: &mut TableMerge,
    conflicts: &mut Vec<MergeConflict>,
    change: &RowChange,
    on_target: Option<EntityOnTarget<'_>>,
    style: MergeStyle,
) {
    let (b, t) = (change.before.as_ref(), change.after.as_ref());
    let Some(on_target) = on_target else {
        table.apply(change, b, t.cloned());
        return;
    };
    let ours = on_target.row;
    if style == MergeStyle::Transaction && on_target.written {
        conflicts.push(conflict(
            table,
            &change.id,
            ConflictKind::ConcurrentWrite,
            "a concurrent commit wrote this row too".into(),
            [b, ours, t],
        ));
        return;
    }
    if ours == t {
        return;
    }
    if ours == b {
        table.apply(change, ours, t.cloned());
        return;
    }
    let id = change.id.as_str();
    match (b, ours, t) {
        (Some(b), Some(o), Some(t)) => {
            let mut merged = o.clone();
            let mut clashes = Vec::new();
            for (i, field) in table.columns.fields().iter().enumerate() {
                if o[i] == b[i] {
                    merged[i] = t[i].clone();
                } else if t[i] != b[i] && t[i] != o[i] {
                    clashes.push(field.name().clone());
                }
            }
            if clashes.is_empty() {
                table.apply(change, ours, Some(merged));
            } else {
                let detail = format!("both branches changed {} differently", clashes.join(", "));
                conflicts.push(conflict(
                    table,
                    id,
                    ConflictKind::DivergentUpdate,
                    detail,
                    [Some(b), Some(o), Some(t)],
                ));
            }
        }
        (None, Some(o), Some(t)) => conflicts.push(conflict(
            table,
            id,
            ConflictKind::DivergentInsert,
            "both branches inserted this id with different values".into(),
            [None, Some(o), Some(t)],
        )),
        (Some(b), None, Some(t)) => conflicts.push(conflict(
            table,
            id,
            ConflictKind::DeleteUpdate,
            "deleted on the target, updated on the source".into(),
            [Some(b), None, Some(t)],
        )),
        (Some(b), Some(o), None) => conflicts.push(conflict(
            table,
            id,
            ConflictKind::DeleteUpdate,
            "updated on the target, deleted on the source".into(),
            [Some(b), Some(o), None],
        )),
        // `ours` equals the base or the source in every other combination.
        _ => {}
    }
}
