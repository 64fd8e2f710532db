//! `optimize`: compacts tables and the manifest as one graph commit whose data is
//! unchanged, and brings every index up to date.
//!
//! The expensive part (rewriting data files) runs beside readers and writers, against
//! the head it started from. The commit then takes the statement turn (so writers of this
//! process wait instead of conflicting) and checks that every fragment it rewrote is
//! still in the table unchanged; rows appended since are kept as they are. When a
//! concurrent commit changed a rewritten fragment (a delete or an update), that table is
//! rewritten again from the new head.

use std::collections::HashMap;

use lance::dataset::transaction::RewriteGroup;

use super::compaction::{self, CompactionStyle};
use crate::error::{Error, Result};
use crate::failpoints::crash_point;
use crate::graph::Graph;
use crate::snapshot::Snapshot;
use crate::write::commit::{
    self, CommitHistory, CommitRequest, StagedTable, TableAction, TableStep,
};
use crate::write::{CommitOutcome, WriteOptions, indexes};

/// Attempts before optimize gives up on a branch that keeps changing under it.
const ATTEMPTS: usize = 5;

/// What optimize did to one table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableOptimized {
    pub table: String,
    pub fragments_before: u64,
    pub fragments_after: u64,
    /// Live rows of the table (the same before and after).
    pub rows: u64,
}

/// The result of [`Graph::optimize`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OptimizeOutcome {
    /// The commit that published the compacted tables; `None` when nothing needed it.
    pub commit: Option<CommitOutcome>,
    pub tables: Vec<TableOptimized>,
    pub manifest_fragments_before: u64,
    pub manifest_fragments_after: u64,
}

/// One table's planned compaction.
struct TablePlan {
    name: String,
    /// The rewritten fragments, made against some version of the table.
    groups: Vec<RewriteGroup>,
    /// Whether the indexes need a step even without a rewrite.
    refresh_indexes: bool,
}

impl Graph {
    /// Compacts `tables` of `branch` (all of them when `None`) and the branch's manifest,
    /// and brings their indexes up to date, as one commit. Reads at the new head equal
    /// reads at the head before. Only tables the branch has written (forked) are
    /// compacted on a branch other than main: the others are main's data.
    pub async fn optimize(
        &self,
        branch: &str,
        tables: Option<&[String]>,
        opts: &WriteOptions,
    ) -> Result<OptimizeOutcome> {
        self.optimize_with(branch, tables, CompactionStyle::Full, true, opts)
            .await
    }

    /// Automatic maintenance after a commit: when a table of `branch` (or the branch's
    /// manifest) holds `fragments` fragments or more, folds the newest fragments of those
    /// tables size-tiered and compacts the manifest, as one commit. `None` when nothing
    /// reached the threshold.
    pub async fn auto_optimize(
        &self,
        branch: &str,
        fragments: u64,
        opts: &WriteOptions,
    ) -> Result<Option<OptimizeOutcome>> {
        let snapshot = self.snapshot(branch).await?;
        let on_main = branch == crate::graph::MAIN_BRANCH;
        let mut due = Vec::new();
        for entry in snapshot.table_entries() {
            if !owned_here(&snapshot, entry) {
                continue;
            }
            let ds = self.table_dataset(entry).await?;
            if own_fragments(&ds, entry.lance_branch.is_none()) >= fragments {
                due.push(entry.name.clone());
            }
        }
        let manifest = self.manifest_head(branch).await?;
        let compact_manifest = own_fragments(&manifest, on_main) >= fragments;
        if due.is_empty() && !compact_manifest {
            return Ok(None);
        }
        let opts = WriteOptions {
            message: Some(format!("auto-optimize: {} tables", due.len())),
            ..opts.clone()
        };
        self.optimize_with(
            branch,
            Some(&due),
            CompactionStyle::Tiered,
            compact_manifest,
            &opts,
        )
        .await
        .map(Some)
    }

    async fn optimize_with(
        &self,
        branch: &str,
        tables: Option<&[String]>,
        style: CompactionStyle,
        compact_manifest: bool,
        opts: &WriteOptions,
    ) -> Result<OptimizeOutcome> {
        self.require_writable()?;
        let _writing = self.writing().await;
        crate::recovery::heal_own_before_write(self).await?;
        let mut rewritten: HashMap<String, Vec<RewriteGroup>> = HashMap::new();
        let mut last_conflict = None;
        for _ in 0..ATTEMPTS {
            let snapshot = self.snapshot(branch).await?;
            let names = table_names(&snapshot, tables)?;
            let mut plans = Vec::new();
            for name in &names {
                if let Some(plan) = plan_table(&snapshot, name, style, &mut rewritten).await? {
                    plans.push(plan);
                }
            }
            crash_point!(self.root(), crate::failpoints::OPTIMIZE_AFTER_REWRITE);
            let _turn = self.statement_turn().await;
            let head = self.snapshot(branch).await?;
            if head.version() != snapshot.version() && !still_applies(&head, &plans).await? {
                last_conflict = Some(Error::Conflict(format!(
                    "branch '{branch}' changed the tables optimize was compacting"
                )));
                continue;
            }
            match Box::pin(self.commit_optimize(&head, &names, plans, compact_manifest, opts)).await
            {
                Err(Error::Conflict(message)) => last_conflict = Some(Error::Conflict(message)),
                result => return result,
            }
        }
        Err(last_conflict.unwrap_or_else(|| Error::Conflict("optimize kept conflicting".into())))
    }

    async fn commit_optimize(
        &self,
        head: &Snapshot,
        names: &[String],
        plans: Vec<TablePlan>,
        compact_manifest: bool,
        opts: &WriteOptions,
    ) -> Result<OptimizeOutcome> {
        let branch = head.branch();
        let manifest_fragments_before =
            self.manifest_head(branch).await?.get_fragments().len() as u64;
        let mut staged = Vec::new();
        let mut report = Vec::new();
        for plan in plans {
            let (_, entry) = head.table(&plan.name)?;
            let prepared = crate::write::prepare_entry(head, entry).await?;
            let ds = &prepared.dataset;
            let mut steps = Vec::new();
            if !plan.groups.is_empty() {
                let row_id_indexes = indexes::row_id_indexes(ds).await?;
                if !row_id_indexes.is_empty() {
                    steps.push(TableStep::DropIndexes(row_id_indexes));
                }
            }
            let removed: u64 = plan
                .groups
                .iter()
                .map(|g| g.old_fragments.len() as u64)
                .sum();
            let added: u64 = plan
                .groups
                .iter()
                .map(|g| g.new_fragments.len() as u64)
                .sum();
            let fragments_before = ds.manifest.fragments.len() as u64;
            report.push(TableOptimized {
                table: plan.name.clone(),
                fragments_before,
                fragments_after: fragments_before - removed + added,
                rows: ds.count_rows(None).await? as u64,
            });
            if !plan.groups.is_empty() {
                steps.push(TableStep::Rewrite(plan.groups));
            } else if plan.refresh_indexes {
                steps.push(TableStep::RefreshIndexes);
            }
            staged.push(StagedTable {
                entry: prepared.entry,
                dataset: prepared.dataset,
                forked: prepared.forked,
                action: TableAction::Steps(steps),
            });
        }
        for name in names {
            let (_, entry) = head.table(name)?;
            if report.iter().any(|r| &r.table == name) || !owned_here(head, entry) {
                continue;
            }
            let ds = head.dataset(name).await?;
            let fragments = ds.manifest.fragments.len() as u64;
            report.push(TableOptimized {
                table: name.clone(),
                fragments_before: fragments,
                fragments_after: fragments,
                rows: ds.count_rows(None).await? as u64,
            });
        }
        report.sort_by(|a, b| a.table.cmp(&b.table));
        let compact_manifest = compact_manifest && manifest_fragments_before > 1;
        if staged.is_empty() && !compact_manifest {
            return Ok(OptimizeOutcome {
                commit: None,
                tables: report,
                manifest_fragments_before,
                manifest_fragments_after: manifest_fragments_before,
            });
        }
        let message = opts.message.clone().unwrap_or_else(|| match staged.len() {
            0 => "optimize: compact the manifest".to_string(),
            n => format!("optimize: compact {n} tables"),
        });
        let outcome = Box::pin(commit::commit(
            self,
            CommitRequest {
                kind: "optimize",
                branch: branch.to_string(),
                base_version: head.version(),
                tables: staged,
                schema_source: None,
                actor: opts.actor.clone(),
                message,
                history: CommitHistory {
                    compact_manifest,
                    ..Default::default()
                },
            },
        ))
        .await?;
        let manifest_fragments_after =
            self.manifest_head(branch).await?.get_fragments().len() as u64;
        Ok(OptimizeOutcome {
            commit: Some(outcome),
            tables: report,
            manifest_fragments_before,
            manifest_fragments_after,
        })
    }
}

/// Fragments of `ds` a compaction on its own Lance branch would rewrite from its own
/// files: all of them on Lance's main (`on_main`); on a branch, those it wrote itself
/// (a branch's inherited fragments name their parent's files through a base id, and
/// are the parent's to compact).
fn own_fragments(ds: &lance::Dataset, on_main: bool) -> u64 {
    ds.manifest
        .fragments
        .iter()
        .filter(|f| on_main || f.files.iter().all(|file| file.base_id.is_none()))
        .count() as u64
}

/// The tables to optimize, in schema order; a name that is not a table is an error.
fn table_names(snapshot: &Snapshot, tables: Option<&[String]>) -> Result<Vec<String>> {
    match tables {
        None => Ok(snapshot
            .schema()
            .tables()
            .map(|d| d.table().to_string())
            .collect()),
        Some(names) => names
            .iter()
            .map(|n| snapshot.table(n).map(|(def, _)| def.table().to_string()))
            .collect(),
    }
}

/// Whether the branch's own data holds `name` (forked on this branch, or main's table on
/// main): a table a branch only reads is main's to compact.
fn owned_here(snapshot: &Snapshot, entry: &crate::manifest::TableEntry) -> bool {
    match &entry.lance_branch {
        None => snapshot.branch() == crate::graph::MAIN_BRANCH,
        Some(fork) => crate::graph::is_fork_of(fork, snapshot.branch()),
    }
}

/// The compaction of table `name` at the snapshot, reusing fragments rewritten by an
/// earlier attempt while they still apply; `None` when the table needs nothing.
async fn plan_table(
    snapshot: &Snapshot,
    name: &str,
    style: CompactionStyle,
    rewritten: &mut HashMap<String, Vec<RewriteGroup>>,
) -> Result<Option<TablePlan>> {
    let (def, entry) = snapshot.table(name)?;
    if !owned_here(snapshot, entry) {
        return Ok(None);
    }
    let ds = snapshot.dataset(name).await?;
    let specs = indexes::required_indexes(def);
    let refresh_indexes = indexes::needs_maintenance(&ds, &specs, indexes::Added::default())
        .await?
        || (style == CompactionStyle::Full && indexes::has_uncovered(&ds, &specs).await?);
    let groups = match rewritten.remove(name) {
        Some(groups) if compaction::still_applies(&ds, &groups) => groups,
        _ => {
            let planned = compaction::plan_styled(&ds, style);
            if planned.is_empty() {
                Vec::new()
            } else {
                compaction::rewrite(&ds, planned).await?
            }
        }
    };
    rewritten.insert(name.to_string(), groups.clone());
    if groups.is_empty() && !refresh_indexes {
        return Ok(None);
    }
    Ok(Some(TablePlan {
        name: name.to_string(),
        groups,
        refresh_indexes,
    }))
}

/// Whether every planned rewrite still applies at `head` (a writer committed since the
/// plans were made: appends leave them valid, a delete or update of a rewritten fragment
/// does not).
async fn still_applies(head: &Snapshot, plans: &[TablePlan]) -> Result<bool> {
    for plan in plans {
        let (_, entry) = head.table(&plan.name)?;
        if !owned_here(head, entry) {
            return Ok(false);
        }
        let ds = head.dataset(&plan.name).await?;
        if !compaction::still_applies(&ds, &plan.groups) {
            return Ok(false);
        }
    }
    Ok(true)
}
