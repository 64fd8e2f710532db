//! Planning a merge: the merge base, the merged schema, and each table's merge result
//! with its conflicts, before anything is written.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::sync::Arc;

use arrow_schema::{Field, Schema};

use super::base::CommitGraph;
use super::conflict::MergeConflict;
use super::entity::{EntityOnTarget, TableMerge, merge_entity};
use super::integrity;
use super::outcome::{MergeKind, MergeStyle};
use crate::changes::{RowReader, lineage_root, net_changes, rows_given_base};
use crate::error::{Error, Result};
use crate::graph::Graph;
use crate::manifest::{CommitRecord, TableEntry};
use crate::schema::{GraphSchema, arrow_type, plan_migration, table_arrow_schema};
use crate::snapshot::Snapshot;

/// Everything a merge decided before writing.
pub(super) struct MergePlan {
    pub kind: MergeKind,
    pub target: Snapshot,
    pub source: Snapshot,
    pub base_commit: Option<CommitRecord>,
    pub schema: Option<String>,
    pub tables: Vec<TableMerge>,
    pub conflicts: Vec<MergeConflict>,
    pub copied_commits: Vec<CommitRecord>,
}

impl Graph {
    /// The conflicts merging `source` into `target` would hit now, without merging.
    pub async fn merge_conflicts(&self, source: &str, target: &str) -> Result<Vec<MergeConflict>> {
        Ok(self
            .plan_merge(source, target, MergeStyle::History)
            .await?
            .conflicts)
    }

    /// The merge base of two branches' heads.
    pub async fn merge_base(&self, a: &str, b: &str) -> Result<Option<CommitRecord>> {
        let (sa, sb) = (self.snapshot(a).await?, self.snapshot(b).await?);
        let (Some(ha), Some(hb)) = (sa.head_commit(), sb.head_commit()) else {
            return Ok(None);
        };
        let (of_a, of_b) = (self.commit_records(a).await?, self.commit_records(b).await?);
        let graph = CommitGraph::new(of_a.iter().chain(of_b.iter()).map(|c| c.as_ref()));
        Ok(Some(graph.merge_base(ha, hb)?.clone()))
    }

    pub(super) async fn plan_merge(
        &self,
        source: &str,
        target: &str,
        style: MergeStyle,
    ) -> Result<MergePlan> {
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
        let source_commits = self.commit_records(source).await?;
        let target_commits = self.commit_records(target).await?;
        let known: HashSet<&str> = target_commits
            .iter()
            .map(|c| c.commit_id.as_str())
            .collect();
        let copied_commits: Vec<CommitRecord> = source_commits
            .iter()
            .filter(|c| !known.contains(c.commit_id.as_str()))
            .map(|c| (**c).clone())
            .collect();
        let history = CommitGraph::new(
            target_commits
                .iter()
                .chain(source_commits.iter())
                .map(|c| c.as_ref()),
        );
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
                reindex: migration.reindexed_tables.contains(&name),
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
                let theirs_changes = net_changes(
                    self.table_store(),
                    &reader,
                    base_entry.as_ref(),
                    table.theirs.as_ref(),
                )
                .await?;
                let ours_rows = match (&table.ours, plan.kind) {
                    (Some(o), MergeKind::Merged) if Some(o) != base_entry.as_ref() => Some(
                        rows_given_base(
                            self.table_store(),
                            &reader,
                            base_entry.as_ref(),
                            o,
                            &theirs_changes,
                        )
                        .await?,
                    ),
                    _ => None,
                };
                for change in &theirs_changes {
                    // `None`: the target did not change this table since the base.
                    let ours = ours_rows.as_ref().map(|side| EntityOnTarget {
                        row: side.rows.get(&change.id).and_then(Option::as_ref),
                        written: side.written.contains(&change.id),
                    });
                    merge_entity(&mut table, &mut plan.conflicts, change, ours, style);
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
    let version = lineage_root(&dataset, theirs).await?;
    Ok(TableEntry {
        lance_branch: None,
        version,
        ..theirs.clone()
    })
}
