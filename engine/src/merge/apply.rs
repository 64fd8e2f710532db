//! Running a merge: the planned tables become table actions on the target and land as
//! one graph commit.

use super::entity::TableMerge;
use super::outcome::{MergeKind, MergeOutcome, MergeStyle};
use crate::changes::{ChangeCounts, RowValues, rows_to_batch};
use crate::error::{Error, Result};
use crate::graph::Graph;
use crate::manifest::CommitRecord;
use crate::snapshot::Snapshot;
use crate::storage::id_in_filter;
use crate::write::commit::{
    self, CommitHistory, CommitRequest, StagedTable, TableAction, TableStep,
};
use crate::write::{WriteOptions, fork_entry, prepare_entry};

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
        let _writing = self.writing().await;
        crate::recovery::heal_own_before_write(self).await?;
        let plan = self.plan_merge(source, target, style).await?;
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
            (MergeStyle::Transaction, _) => CommitHistory::default(),
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
                compact_manifest: false,
            },
            _ => CommitHistory {
                merged_parent: Some(source_head.clone()),
                copied_commits: plan.copied_commits.clone(),
                fast_forward_to: None,
                compact_manifest: false,
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
}

/// The table action that applies `t` to the target.
async fn stage_table(target: &Snapshot, t: &TableMerge) -> Result<Option<StagedTable>> {
    let mut steps = Vec::new();
    if let Some(columns) = &t.add_columns {
        steps.push(TableStep::AddColumns(columns.clone()));
    }
    if !t.removed.is_empty() {
        steps.push(TableStep::Delete(id_in_filter(
            "id",
            t.removed.iter().map(String::as_str),
        )));
    }
    if !t.upserts.is_empty() {
        let rows: Vec<&RowValues> = t.upserts.values().collect();
        steps.push(TableStep::Append(rows_to_batch(&t.columns, &rows)?));
    }
    let entry = t
        .ours
        .clone()
        .expect("the target has every merged table, adopted ones included");
    if steps.is_empty() && !t.reindex {
        if !t.adopted {
            return Ok(None);
        }
        let dataset = target.table_store().dataset(&entry).await?;
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
