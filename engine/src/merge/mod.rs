//! Three-way merge of graph branches by entity id, and net diffs between refs.
//!
//! The merge base is the lowest common ancestor of the two heads in the commit DAG. The
//! source's net changes since the base are found per table (see `changes`), compared with
//! the target's current rows for the same ids, and applied where the target did not change
//! the entity itself. Changes to different columns of one row merge; anything else that
//! both sides did differently is a typed conflict. The merged result is checked for
//! orphan edges, `@unique` and `@card` before anything is written; the merge then lands
//! as one graph commit (sidecar, per-table commits, one publish).

mod base;
mod integrity;

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::sync::Arc;

use arrow_schema::{Field, Schema, SchemaRef};

use crate::changes::{
    ChangeCounts, RowChange, RowReader, RowValues, net_changes, row_json, rows_given_base,
};
use crate::error::{Error, Result};
use crate::graph::Graph;
use crate::manifest::{CommitRecord, TableEntry};
use crate::schema::{GraphSchema, arrow_type, plan_migration, table_arrow_schema};
use crate::snapshot::Snapshot;
use crate::write::commit::{
    self, CommitHistory, CommitRequest, StagedTable, TableAction, TableStep,
};
use crate::write::{WriteOptions, fork_entry, prepare_entry};

pub(crate) use base::CommitGraph;

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
    /// One new commit on the target whose only parent is the target's head; the source's
    /// commits stay out of the target's history (a transaction's private branch).
    Squash,
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

/// Why an entity cannot be merged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ConflictKind {
    /// Both sides inserted the id with different values.
    DivergentInsert,
    /// Both sides changed one column of a row to different values.
    DivergentUpdate,
    /// One side deleted a row the other updated.
    DeleteUpdate,
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
}

impl TableMerge {
    fn is_noop(&self) -> bool {
        self.upserts.is_empty() && self.removed.is_empty() && self.add_columns.is_none()
    }

    fn apply(&mut self, change: &RowChange, ours: Option<&RowValues>, row: Option<RowValues>) {
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

    fn counts(&self) -> (u64, u64, u64) {
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

/// Everything a merge decided before writing.
struct MergePlan {
    kind: MergeKind,
    target: Snapshot,
    source: Snapshot,
    base_commit: Option<CommitRecord>,
    schema: Option<String>,
    tables: Vec<TableMerge>,
    conflicts: Vec<MergeConflict>,
    copied_commits: Vec<CommitRecord>,
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

/// Merges one entity: `b` at the base, `o` on the target now, `t` on the source now.
fn merge_entity(
    table: &mut TableMerge,
    conflicts: &mut Vec<MergeConflict>,
    change: &RowChange,
    ours: Option<&RowValues>,
) {
    let (b, t) = (change.before.as_ref(), change.after.as_ref());
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

impl Graph {
    /// Merges branch `source` into branch `target`: all or nothing, one commit.
    ///
    /// Fails with [`Error::MergeConflicts`] (publishing nothing) when entities conflict.
    pub async fn merge(
        &self,
        source: &str,
        target: &str,
        opts: &WriteOptions,
    ) -> Result<MergeOutcome> {
        self.merge_with(source, target, MergeStyle::History, opts)
            .await
    }

    /// [`Graph::merge`] with a choice of how the merge joins the target's history.
    pub async fn merge_with(
        &self,
        source: &str,
        target: &str,
        style: MergeStyle,
        opts: &WriteOptions,
    ) -> Result<MergeOutcome> {
        self.require_writable()?;
        crate::recovery::heal_own_before_write(self).await?;
        let plan = self.plan_merge(source, target).await?;
        let base_commit = plan.base_commit.as_ref().map(|c| c.commit_id.clone());
        if plan.kind == MergeKind::UpToDate {
            return Ok(MergeOutcome {
                kind: plan.kind,
                commit_id: plan.target.head_commit().map(str::to_string),
                graph_version: plan.target.version(),
                base_commit,
                changes: ChangeCounts::new(),
            });
        }
        if !plan.conflicts.is_empty() {
            return Err(Error::MergeConflicts(plan.conflicts));
        }
        let mut changes = ChangeCounts::new();
        let mut staged = Vec::new();
        for t in &plan.tables {
            let counts = t.counts();
            if counts != (0, 0, 0) {
                changes.insert(t.name.clone(), counts);
            }
            if let Some(s) = stage_table(&plan.target, t).await? {
                staged.push(s);
            }
        }
        let source_head = plan
            .source
            .head_commit()
            .ok_or_else(|| Error::MergeRefused(format!("branch '{source}' has no commits")))?
            .to_string();
        let history = match (style, plan.kind) {
            (MergeStyle::Squash, _) => CommitHistory::default(),
            (MergeStyle::History, MergeKind::FastForward) => CommitHistory {
                // The target's copy of the source's head names where and when the target
                // took that state, so the commit stays readable (and a merge base) from the
                // target whatever happens to the source branch, and the target's previous
                // head is its first parent: the target's own history (first parents, which
                // `AS OF <time>` follows) stays the target's. The previous head is an
                // ancestor of the source's head already, so no merge base changes.
                fast_forward_to: plan
                    .copied_commits
                    .iter()
                    .find(|c| c.commit_id == source_head)
                    .map(|c| {
                        let mut parents: Vec<String> = plan
                            .target
                            .head_commit()
                            .map(str::to_string)
                            .into_iter()
                            .collect();
                        for p in &c.parents {
                            if !parents.contains(p) {
                                parents.push(p.clone());
                            }
                        }
                        CommitRecord {
                            branch: target.to_string(),
                            graph_version: plan.target.version() + 1,
                            parents,
                            committed_at_micros: chrono::Utc::now().timestamp_micros(),
                            ..c.clone()
                        }
                    }),
                copied_commits: plan.copied_commits.clone(),
                merged_parent: None,
            },
            _ => CommitHistory {
                merged_parent: Some(source_head.clone()),
                copied_commits: plan.copied_commits.clone(),
                fast_forward_to: None,
            },
        };
        let message = opts
            .message
            .clone()
            .unwrap_or_else(|| format!("merge '{source}' into '{target}'"));
        let outcome = commit::commit(
            self,
            CommitRequest {
                kind: "merge",
                branch: target.to_string(),
                base_version: plan.target.version(),
                tables: staged,
                schema_source: plan.schema.clone(),
                actor: opts.actor.clone(),
                message,
                history,
            },
        )
        .await?;
        Ok(MergeOutcome {
            kind: plan.kind,
            commit_id: Some(outcome.commit_id),
            graph_version: outcome.graph_version,
            base_commit,
            changes,
        })
    }

    /// The conflicts merging `source` into `target` would hit now, without merging.
    pub async fn merge_conflicts(&self, source: &str, target: &str) -> Result<Vec<MergeConflict>> {
        Ok(self.plan_merge(source, target).await?.conflicts)
    }

    /// The merge base of two branches' heads.
    pub async fn merge_base(&self, a: &str, b: &str) -> Result<Option<CommitRecord>> {
        let (sa, sb) = (self.snapshot(a).await?, self.snapshot(b).await?);
        let (Some(ha), Some(hb)) = (sa.head_commit(), sb.head_commit()) else {
            return Ok(None);
        };
        let mut all = self.commits(a).await?;
        all.extend(self.commits(b).await?);
        let graph = CommitGraph::new(all);
        Ok(Some(graph.merge_base(ha, hb)?.clone()))
    }

    async fn plan_merge(&self, source: &str, target: &str) -> Result<MergePlan> {
        if source == target {
            return Err(Error::InvalidArgument(format!(
                "cannot merge branch '{source}' into itself"
            )));
        }
        let source_snap = self.snapshot(source).await?;
        let target_snap = self.snapshot(target).await?;
        let (Some(s_head), Some(t_head)) = (
            source_snap.head_commit().map(str::to_string),
            target_snap.head_commit().map(str::to_string),
        ) else {
            return Err(Error::MergeRefused("a branch without commits".into()));
        };
        let source_commits = self.commits(source).await?;
        let target_commits = self.commits(target).await?;
        let known: HashSet<&str> = target_commits
            .iter()
            .map(|c| c.commit_id.as_str())
            .collect();
        let copied_commits: Vec<CommitRecord> = source_commits
            .iter()
            .filter(|c| !known.contains(c.commit_id.as_str()))
            .cloned()
            .collect();
        let history = CommitGraph::new(target_commits.iter().chain(&source_commits).cloned());
        let base_commit = history.merge_base(&t_head, &s_head)?.clone();
        let mut plan = MergePlan {
            kind: MergeKind::Merged,
            target: target_snap,
            source: source_snap,
            base_commit: Some(base_commit.clone()),
            schema: None,
            tables: Vec::new(),
            conflicts: Vec::new(),
            copied_commits,
        };
        if base_commit.commit_id == s_head {
            plan.kind = MergeKind::UpToDate;
            return Ok(plan);
        }
        let base = if base_commit.commit_id == t_head {
            plan.kind = MergeKind::FastForward;
            plan.target.clone()
        } else {
            let unreadable = |why: String| {
                Error::MergeRefused(format!(
                    "the merge base {} (made on branch '{}') cannot be read: {why}",
                    base_commit.commit_id, base_commit.branch
                ))
            };
            let snapshot = self
                .snapshot_at_version(&base_commit.branch, base_commit.graph_version)
                .await
                .map_err(|e| unreadable(e.to_string()))?;
            // A branch deleted and created again reuses version numbers: make sure this
            // is the base's state, never another commit's.
            if snapshot.head_commit() != Some(base_commit.commit_id.as_str()) {
                return Err(unreadable(format!(
                    "branch '{}' at version {} now holds a different commit",
                    base_commit.branch, base_commit.graph_version
                )));
            }
            snapshot
        };
        let merged_schema = merged_schema(&base, &plan.target, &plan.source)?;
        if merged_schema.source != plan.target.schema().source {
            plan.schema = Some(merged_schema.source.clone());
        }
        let migration = plan_migration(plan.target.schema(), &merged_schema)?;
        for def in merged_schema.tables() {
            let name = def.table().to_string();
            let columns = table_arrow_schema(def);
            let add_columns = migration.new_columns.get(&name).map(|props| {
                let fields: Vec<Field> = props
                    .iter()
                    .map(|p| Field::new(&p.column, arrow_type(&p.ty), true))
                    .collect();
                Arc::new(Schema::new(fields))
            });
            let entry = |s: &Snapshot| s.table_entries().find(|e| e.name == name).cloned();
            let mut table = TableMerge {
                name: name.clone(),
                columns: columns.clone(),
                ours: entry(&plan.target),
                theirs: entry(&plan.source),
                add_columns,
                adopted: false,
                upserts: BTreeMap::new(),
                removed: BTreeSet::new(),
                deleted: BTreeSet::new(),
                applied: Vec::new(),
            };
            let mut base_entry = entry(&base);
            if let (None, Some(theirs)) = (&table.ours, &table.theirs) {
                // A table the source created: the target takes the same dataset from the
                // Lance-main version the source's forks start at (what the target then
                // holds), and the source's changes since that version.
                let root = adopted_root(self, theirs).await?;
                let root_dataset = self.table_dataset(&root).await?;
                let missing: Vec<Field> = columns
                    .fields()
                    .iter()
                    .filter(|f| root_dataset.schema().field(f.name()).is_none())
                    .map(|f| Field::new(f.name(), f.data_type().clone(), true))
                    .collect();
                if !missing.is_empty() {
                    table.add_columns = Some(Arc::new(Schema::new(missing)));
                }
                table.ours = Some(root.clone());
                table.adopted = true;
                base_entry = Some(root);
            }
            if table.theirs != base_entry {
                let reader = RowReader::new(columns);
                let theirs_changes =
                    net_changes(self, &reader, base_entry.as_ref(), table.theirs.as_ref()).await?;
                let ours_rows = match (&table.ours, plan.kind) {
                    (Some(o), MergeKind::Merged) if Some(o) != base_entry.as_ref() => Some(
                        rows_given_base(self, &reader, base_entry.as_ref(), o, &theirs_changes)
                            .await?,
                    ),
                    _ => None,
                };
                for change in &theirs_changes {
                    let ours = match &ours_rows {
                        Some(rows) => rows.get(&change.id).and_then(Option::as_ref),
                        // The target did not change this table since the base.
                        None => change.before.as_ref(),
                    };
                    merge_entity(&mut table, &mut plan.conflicts, change, ours);
                }
            }
            if !table.is_noop() || table.adopted {
                plan.tables.push(table);
            }
        }
        if plan.kind == MergeKind::Merged {
            integrity::check(
                self,
                &plan.target,
                &merged_schema,
                &plan.tables,
                &mut plan.conflicts,
            )
            .await?;
        }
        plan.conflicts.sort_by(|a, b| {
            (a.table.as_str(), a.id.as_str(), a.kind).cmp(&(
                b.table.as_str(),
                b.id.as_str(),
                b.kind,
            ))
        });
        plan.conflicts.dedup();
        Ok(plan)
    }

    /// Net changes of table `table` from `from_ref` to `to_ref` (refs read on
    /// `current_branch`), with the columns of the table at `to_ref`.
    pub async fn diff(
        &self,
        current_branch: &str,
        table: &str,
        from_ref: &str,
        to_ref: &str,
    ) -> Result<(SchemaRef, Vec<RowChange>)> {
        let from = self.snapshot_at_text(current_branch, from_ref).await?;
        let to = self.snapshot_at_text(current_branch, to_ref).await?;
        let def = to
            .schema()
            .table(table)
            .or_else(|| from.schema().table(table))
            .ok_or_else(|| Error::UnknownTable(table.to_string()))?;
        let name = def.table().to_string();
        let columns = table_arrow_schema(def);
        let entry = |s: &Snapshot| s.table_entries().find(|e| e.name == name).cloned();
        let reader = RowReader::new(columns.clone());
        let changes =
            net_changes(self, &reader, entry(&from).as_ref(), entry(&to).as_ref()).await?;
        Ok((columns, changes))
    }
}

/// The schema of the merge result: both sides' if equal, else the one side that changed
/// it since the base (schema changes are additive, so the other side's data fits).
fn merged_schema(base: &Snapshot, target: &Snapshot, source: &Snapshot) -> Result<GraphSchema> {
    let (b, t, s) = (base.schema(), target.schema(), source.schema());
    if s.source == t.source || s.source == b.source {
        return Ok(t.clone());
    }
    if t.source == b.source {
        // Refuses (with the reason) a source schema that is not a migration of the target's.
        plan_migration(t, s)?;
        return Ok(s.clone());
    }
    Err(Error::MergeRefused(
        "both branches changed the schema since the merge base; apply the same schema to both (CALL apply_schema(...)) and merge again".into(),
    ))
}

/// The Lance-main version of the dataset of `theirs` that the source's forks start from.
async fn adopted_root(graph: &Graph, theirs: &TableEntry) -> Result<TableEntry> {
    let dataset = graph.table_dataset(theirs).await?;
    let version = crate::changes::lineage_root(&dataset, theirs).await?;
    Ok(TableEntry {
        lance_branch: None,
        version,
        ..theirs.clone()
    })
}

/// The table action that applies `t` to the target.
async fn stage_table(target: &Snapshot, t: &TableMerge) -> Result<Option<StagedTable>> {
    let mut steps = Vec::new();
    if let Some(columns) = &t.add_columns {
        steps.push(TableStep::AddColumns(columns.clone()));
    }
    if !t.removed.is_empty() {
        steps.push(TableStep::Delete(crate::changes::id_in_filter(
            "id",
            t.removed.iter().map(String::as_str),
        )));
    }
    if !t.upserts.is_empty() {
        let rows: Vec<&RowValues> = t.upserts.values().collect();
        steps.push(TableStep::Append(crate::changes::rows_to_batch(
            &t.columns, &rows,
        )?));
    }
    let entry = t
        .ours
        .clone()
        .expect("the target has every merged table, adopted ones included");
    if steps.is_empty() {
        if !t.adopted {
            return Ok(None);
        }
        let dataset = target.graph().table_dataset(&entry).await?;
        return Ok(Some(StagedTable {
            entry,
            dataset,
            forked: false,
            action: TableAction::Created,
        }));
    }
    // An adopted table is written on a fresh fork even on `main`: the dataset's Lance main
    // stays at the version the source's forks start from, and an interrupted merge leaves
    // only an unreferenced fork behind.
    let prepared = if t.adopted {
        fork_entry(target, &entry).await?
    } else {
        prepare_entry(target, &entry).await?
    };
    Ok(Some(StagedTable {
        entry: prepared.entry,
        dataset: prepared.dataset,
        forked: prepared.forked,
        action: TableAction::Steps(steps),
    }))
}
