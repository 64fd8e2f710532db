//! The graph commit protocol: sidecar, per-table commits, one manifest publish.
//!
//! 1. Under the process's writer lock, check the branch is still at the version the
//!    write was validated against (optimistic concurrency).
//! 2. Write the recovery sidecar (the intended publish and every table's base version).
//! 3. Commit each table with a strict version CAS (`base + 1` or fail).
//! 4. Publish the manifest once, as a CAS on the branch's manifest version.
//! 5. Delete the sidecar.
//!
//! A crash anywhere leaves a sidecar that the next read-write open resolves all or
//! nothing (see `recovery`). An error (not a crash) is resolved inline the same way.

use std::sync::Arc;

use arrow_array::RecordBatch;
use arrow_schema::SchemaRef;
use chrono::Utc;
use lance::Dataset;
use lance::dataset::NewColumnTransform;
use lance::dataset::transaction::{Operation, RewriteGroup, Transaction};

use crate::error::{Error, Result};
use crate::failpoints::crash_point;
use crate::graph::Graph;
use crate::manifest::{self, CommitRecord, Publish, TableEntry};
use crate::recovery::{self, Sidecar, SidecarAction, SidecarTable};
use crate::storage;
use crate::write::indexes::{self, IndexSpec};

/// What happens to one table in a commit.
pub(crate) enum TableAction {
    /// Commit a staged Lance transaction made against the base version.
    Transaction(Box<Transaction>),
    /// Add nullable, all-null columns (Lance schema evolution commits directly).
    AddColumns(SchemaRef),
    /// A dataset created for a new table; registering it is the whole change.
    Created,
    /// Small changes staged at commit time, each its own Lance version (`base + n`).
    Steps(Vec<TableStep>),
}

/// One Lance version of a [`TableAction::Steps`] change.
pub(crate) enum TableStep {
    /// Add nullable, all-null columns.
    AddColumns(SchemaRef),
    /// Delete the rows matching a filter (which must match at least one row).
    Delete(String),
    /// Append rows (their ids are new to the table after the steps before).
    Append(RecordBatch),
    /// Remove the index segments of these indexes (they are built again by the commit's
    /// index step).
    DropIndexes(Vec<String>),
    /// Replace fragments by rewritten ones holding the same live rows (compaction). The
    /// old fragments must be in the table unchanged, else the step is a conflict.
    Rewrite(Vec<RewriteGroup>),
    /// No data change: only make the commit end by bringing the indexes up to date.
    RefreshIndexes,
}

impl TableStep {
    /// Whether the step leaves index segments that no longer cover the rows they held,
    /// so the commit must end by indexing the table.
    fn uncovers_rows(&self) -> bool {
        matches!(
            self,
            TableStep::DropIndexes(_) | TableStep::Rewrite(_) | TableStep::RefreshIndexes
        )
    }

    /// Lance versions the step commits.
    fn versions(&self) -> u64 {
        match self {
            TableStep::RefreshIndexes => 0,
            _ => 1,
        }
    }
}

/// How a commit joins the branch's history; the default is a plain commit.
#[derive(Default)]
pub(crate) struct CommitHistory {
    /// The other parent of a merge commit.
    pub merged_parent: Option<String>,
    /// A fast-forward: the branch's new head is this existing commit.
    pub fast_forward_to: Option<CommitRecord>,
    /// Commits of the merged branch that join this branch's history.
    pub copied_commits: Vec<CommitRecord>,
    /// Rewrite the branch's manifest, history included, into one fragment (optimize).
    pub compact_manifest: bool,
}

/// One table's part of a commit.
pub(crate) struct StagedTable {
    /// The table's entry after the commit, except `version`, which is the base version.
    pub entry: TableEntry,
    /// The dataset at the base version on `entry.lance_branch`.
    pub dataset: Arc<Dataset>,
    /// Whether this write forked the table onto the branch.
    pub forked: bool,
    pub action: TableAction,
}

/// Everything needed to publish one graph commit.
pub(crate) struct CommitRequest {
    pub kind: &'static str,
    pub branch: String,
    /// The graph version the write was validated against.
    pub base_version: u64,
    pub tables: Vec<StagedTable>,
    pub schema_source: Option<String>,
    pub actor: String,
    pub message: String,
    pub history: CommitHistory,
}

/// The result of a published commit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommitOutcome {
    pub commit_id: String,
    pub graph_version: u64,
}

fn post_version(base: u64, action: &TableAction, index_step: bool) -> u64 {
    let data = match action {
        TableAction::Created => base,
        TableAction::Transaction(_) | TableAction::AddColumns(_) => base + 1,
        TableAction::Steps(steps) => base + steps.iter().map(TableStep::versions).sum::<u64>(),
    };
    data + u64::from(index_step)
}

/// Rows and fragments `action` adds to its table, as far as the staged change tells.
fn added_by(action: &TableAction) -> indexes::Added {
    let mut added = indexes::Added::default();
    let mut count = |fragments: &[lance_table::format::Fragment]| {
        for f in fragments {
            added.rows += f.physical_rows.unwrap_or(0) as u64;
            added.fragments += 1;
        }
    };
    match action {
        TableAction::Transaction(txn) => match &txn.operation {
            Operation::Append { fragments } | Operation::Overwrite { fragments, .. } => {
                count(fragments)
            }
            Operation::Update { new_fragments, .. } => count(new_fragments),
            _ => {}
        },
        TableAction::Steps(steps) => {
            for step in steps {
                if let TableStep::Append(batch) = step {
                    added.rows += batch.num_rows() as u64;
                    added.fragments += 1;
                }
            }
        }
        TableAction::AddColumns(_) | TableAction::Created => {}
    }
    added
}

/// For each table (in `tables`' order), the indexes its commit ends by bringing up to date,
/// or `None` when the commit leaves them as they are.
async fn plan_index_steps(
    graph: &Graph,
    schema_source: Option<&str>,
    head: &crate::snapshot::Snapshot,
    tables: &[StagedTable],
) -> Result<Vec<Option<Vec<IndexSpec>>>> {
    let parsed;
    let schema = match schema_source {
        Some(src) => {
            parsed = crate::schema::parse_schema_reserving(src, &graph.reserved_names())?;
            &parsed
        }
        None => head.schema(),
    };
    let mut plan = Vec::with_capacity(tables.len());
    for t in tables {
        let specs = match (&t.action, schema.table(&t.entry.name)) {
            (TableAction::Created, _) | (_, None) => None,
            (TableAction::Steps(steps), Some(def))
                if steps.iter().any(TableStep::uncovers_rows) =>
            {
                Some(indexes::required_indexes(def))
            }
            (action, Some(def)) => {
                let specs = indexes::required_indexes(def);
                indexes::needs_maintenance(&t.dataset, &specs, added_by(action))
                    .await?
                    .then_some(specs)
            }
        };
        plan.push(specs);
    }
    Ok(plan)
}

/// Runs the commit protocol for `req`.
pub(crate) async fn commit(graph: &Graph, mut req: CommitRequest) -> Result<CommitOutcome> {
    graph.require_writable()?;
    let _guard = graph.inner.write_lock.lock().await;
    recovery::heal_own(graph).await?;

    let head = graph.snapshot(&req.branch).await?;
    if head.version() != req.base_version {
        return Err(Error::Conflict(format!(
            "branch '{}' moved from version {} to {} while this write was prepared",
            req.branch,
            req.base_version,
            head.version()
        )));
    }
    req.tables.sort_by(|a, b| a.entry.name.cmp(&b.entry.name));
    let index_steps =
        plan_index_steps(graph, req.schema_source.as_deref(), &head, &req.tables).await?;

    let commit = match req.history.fast_forward_to.take() {
        Some(existing) => existing,
        None => CommitRecord {
            commit_id: ulid::Ulid::new().to_string(),
            parents: head
                .head_commit()
                .map(str::to_string)
                .into_iter()
                .chain(req.history.merged_parent.take())
                .collect(),
            branch: req.branch.clone(),
            graph_version: req.base_version + 1,
            actor: req.actor.clone(),
            message: req.message.clone(),
            committed_at_micros: Utc::now().timestamp_micros(),
        },
    };
    let publish = Publish {
        graph_version: req.base_version + 1,
        copied_commits: std::mem::take(&mut req.history.copied_commits),
        compact_manifest: req.history.compact_manifest,
        tables: req
            .tables
            .iter()
            .zip(&index_steps)
            .map(|(t, i)| TableEntry {
                version: post_version(t.entry.version, &t.action, i.is_some()),
                ..t.entry.clone()
            })
            .collect(),
        schema_source: req.schema_source.clone(),
        commit: commit.clone(),
    };
    let mut sidecar = Sidecar {
        id: ulid::Ulid::new().to_string(),
        kind: req.kind.to_string(),
        branch: req.branch.clone(),
        expected_manifest_version: req.base_version,
        rolling_back: false,
        tables: req
            .tables
            .iter()
            .zip(&index_steps)
            .map(|(t, i)| SidecarTable {
                entry: t.entry.clone(),
                base_version: t.entry.version,
                post_version: post_version(t.entry.version, &t.action, i.is_some()),
                forked: t.forked,
                action: match (&t.action, i) {
                    (TableAction::Transaction(_) | TableAction::Steps(_), _)
                    | (TableAction::AddColumns(_), Some(_)) => SidecarAction::Commit,
                    (TableAction::AddColumns(_), None) => SidecarAction::AddColumns,
                    (TableAction::Created, _) => SidecarAction::Created,
                },
            })
            .collect(),
        publish,
    };
    sidecar.write(graph).await?;
    crash_point!(graph.root(), crate::failpoints::COMMIT_AFTER_SIDECAR);

    let mut committed = Vec::new();
    let outcome = CommitOutcome {
        commit_id: commit.commit_id.clone(),
        graph_version: req.base_version + 1,
    };
    let result = commit_tables_and_publish(
        graph,
        &req.branch,
        req.tables,
        index_steps,
        &sidecar,
        &head.state().0.row_addresses,
        &mut committed,
    )
    .await;
    let err = match result {
        Ok(published) => {
            crash_point!(graph.root(), crate::failpoints::COMMIT_AFTER_PUBLISH);
            graph.remember_published(&req.branch, published, head.state(), &sidecar.publish);
            // The commit is durable and visible: a sidecar that cannot be deleted now is
            // recognised as published and removed by the next sweep.
            let _ = sidecar.delete(graph).await;
            return Ok(outcome);
        }
        Err(err) => err,
    };
    if recovery::is_published(graph, &sidecar)
        .await
        .unwrap_or(false)
    {
        // The publish landed although a step reported an error (an ambiguous storage
        // response): acknowledge it, so a caller never retries a commit that happened.
        let _ = sidecar.delete(graph).await;
        return Ok(outcome);
    }
    // Not a crash: undo what was committed now instead of waiting for a reopen. Only
    // tables this writer committed are restored: a table at `base + 1` that we did not
    // commit belongs to a concurrent writer in another process.
    if let Err(undo) = recovery::roll_back(graph, &mut sidecar, Some(&committed)).await {
        graph
            .inner
            .unresolved_sidecars
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(sidecar.id.clone());
        return Err(Error::UndoPending {
            source: Box::new(err),
            undo: Box::new(undo),
        });
    }
    Err(err)
}

/// Records `table` as possibly committed by this writer, unless `result` is a clean
/// compare-and-swap rejection (nothing landed): a commit can land and still report an
/// error, and a table left out of the roll-back would stay past its pin.
fn record_attempt<T>(committed: &mut Vec<String>, table: &str, result: &Result<T>) {
    let clean_rejection = matches!(
        result,
        Err(Error::Conflict(_))
            | Err(Error::Lance(
                lance::Error::CommitConflict { .. }
                    | lance::Error::RetryableCommitConflict { .. }
                    | lance::Error::IncompatibleTransaction { .. }
            ))
    );
    if !clean_rejection && !committed.iter().any(|t| t == table) {
        committed.push(table.to_string());
    }
}

async fn commit_tables_and_publish(
    graph: &Graph,
    branch: &str,
    tables: Vec<StagedTable>,
    index_steps: Vec<Option<Vec<IndexSpec>>>,
    sidecar: &Sidecar,
    replaced: &manifest::RowAddresses,
    committed: &mut Vec<String>,
) -> Result<manifest::Published> {
    for (t, index_step) in tables.into_iter().zip(index_steps) {
        let base = t.entry.version;
        let what = format!("table '{}'", t.entry.name);
        let after: Arc<Dataset> = match t.action {
            TableAction::Transaction(txn) => {
                let result = storage::commit_exact(t.dataset, *txn, &what).await;
                record_attempt(committed, &t.entry.name, &result);
                Arc::new(result?)
            }
            TableAction::AddColumns(schema) => {
                let latest = storage::latest_version(&t.dataset).await?;
                if latest != base {
                    return Err(Error::Conflict(format!(
                        "table '{}' was changed by a concurrent commit",
                        t.entry.name
                    )));
                }
                let mut ds: Dataset = (*t.dataset).clone();
                // Lance's own commit path may land past base + 1, or land and still report
                // an error: the table is recorded as ours first, so a failure is rolled
                // back (roll-back only restores a table whose live pin is still the base).
                let result = ds
                    .add_columns(NewColumnTransform::AllNulls(schema), None, None)
                    .await
                    .map_err(Error::from);
                record_attempt(committed, &t.entry.name, &result);
                result?;
                if ds.version_id() != base + 1 {
                    return Err(Error::Conflict(format!(
                        "table '{}' was changed by a concurrent commit",
                        t.entry.name
                    )));
                }
                Arc::new(ds)
            }
            TableAction::Created => {
                committed.push(t.entry.name.clone());
                t.dataset
            }
            TableAction::Steps(steps) => {
                let mut dataset = t.dataset;
                for step in steps {
                    let txn = match step {
                        TableStep::RefreshIndexes => continue,
                        TableStep::AddColumns(schema) => {
                            let mut ds: Dataset = (*dataset).clone();
                            let expected = ds.version_id() + 1;
                            let result = ds
                                .add_columns(NewColumnTransform::AllNulls(schema), None, None)
                                .await
                                .map_err(Error::from);
                            record_attempt(committed, &t.entry.name, &result);
                            result?;
                            if ds.version_id() != expected {
                                return Err(Error::Conflict(format!(
                                    "{what} was changed by a concurrent commit"
                                )));
                            }
                            dataset = Arc::new(ds);
                            crash_point!(graph.root(), crate::failpoints::COMMIT_AFTER_STEP);
                            continue;
                        }
                        TableStep::Delete(filter) => {
                            storage::stage_delete(&dataset, &filter).await?
                        }
                        TableStep::Append(batch) => storage::stage_append(&dataset, batch).await?,
                        TableStep::DropIndexes(names) => {
                            indexes::drop_segments_txn(&dataset, &names).await?
                        }
                        TableStep::Rewrite(groups) => {
                            crate::maintenance::compaction::rewrite_txn(&dataset, groups, &what)?
                        }
                    };
                    let result = storage::commit_exact(dataset, txn, &what).await;
                    record_attempt(committed, &t.entry.name, &result);
                    dataset = Arc::new(result?);
                    crash_point!(graph.root(), crate::failpoints::COMMIT_AFTER_STEP);
                }
                dataset
            }
        };
        if let Some(specs) = index_step {
            // The data steps are committed: index what they left uncovered, as one more
            // version of the table (the sidecar planned for it).
            let txn = indexes::maintenance_txn(&after, &specs).await?;
            crash_point!(graph.root(), crate::failpoints::COMMIT_AFTER_INDEX_BUILD);
            let result = storage::commit_exact(after, txn, &what).await;
            record_attempt(committed, &t.entry.name, &result);
            result?;
            crash_point!(graph.root(), crate::failpoints::COMMIT_AFTER_STEP);
        }
        crash_point!(graph.root(), crate::failpoints::COMMIT_AFTER_TABLE);
    }
    crash_point!(graph.root(), crate::failpoints::COMMIT_BEFORE_PUBLISH);
    let manifest_head = graph
        .manifest_at(branch, sidecar.expected_manifest_version)
        .await?;
    manifest::publish(manifest_head, replaced, &sidecar.publish).await
}
