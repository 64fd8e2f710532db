//! Deleting rows by id; deleting nodes also deletes their incident edges.

use std::collections::{BTreeMap, BTreeSet};

use futures::TryStreamExt;

use super::commit::{self, CommitOutcome, CommitRequest, StagedTable, TableAction, TableStep};
use super::{WriteOptions, prepare_table};
use crate::error::Result;
use crate::graph::Graph;
use crate::schema::TableDef;
use crate::snapshot::Snapshot;
use crate::storage::{id_in_filter, string_column};

const FILTER_CHUNK: usize = 1024;

/// What a delete removed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeleteSummary {
    /// `None` when nothing matched (nothing is committed).
    pub commit: Option<CommitOutcome>,
    /// Rows deleted per table, incident edges included.
    pub tables: BTreeMap<String, u64>,
}

/// `id` and `src` of the edges of `table` whose `column` is one of `values`.
async fn id_and_src_where(
    snapshot: &Snapshot,
    table: &str,
    column: &str,
    values: &[&str],
) -> Result<Vec<arrow_array::RecordBatch>> {
    let mut out = Vec::new();
    for chunk in values.chunks(FILTER_CHUNK) {
        let stream = snapshot
            .stream_columns_matching(table, &["id", "src"], column, chunk)
            .await?;
        out.extend(stream.try_collect::<Vec<_>>().await?);
    }
    Ok(out)
}

/// Source nodes that keep living must keep at least `@card`'s minimum of edges.
async fn check_card_minimums(
    snapshot: &Snapshot,
    doomed: &BTreeMap<String, BTreeSet<String>>,
) -> Result<()> {
    for edge in snapshot.schema().edges.values() {
        let Some(card) = edge.cardinality.filter(|c| c.min > 0) else {
            continue;
        };
        let Some(deleted) = doomed.get(&edge.table) else {
            continue;
        };
        let deleted_nodes = doomed.get(&edge.src_table);
        let mut affected: BTreeSet<String> = BTreeSet::new();
        let ids: Vec<&str> = deleted.iter().map(String::as_str).collect();
        for batch in id_and_src_where(snapshot, &edge.table, "id", &ids).await? {
            let src = string_column(&batch, 1)?;
            for i in 0..batch.num_rows() {
                if !deleted_nodes.is_some_and(|d| d.contains(src.value(i))) {
                    affected.insert(src.value(i).to_string());
                }
            }
        }
        let mut remaining: BTreeMap<String, u64> =
            affected.iter().map(|s| (s.clone(), 0)).collect();
        let sources: Vec<&str> = affected.iter().map(String::as_str).collect();
        for batch in id_and_src_where(snapshot, &edge.table, "src", &sources).await? {
            let (ids, src) = (string_column(&batch, 0)?, string_column(&batch, 1)?);
            for i in 0..batch.num_rows() {
                if !deleted.contains(ids.value(i))
                    && let Some(n) = remaining.get_mut(src.value(i))
                {
                    *n += 1;
                }
            }
        }
        if let Some((src, count)) = remaining.into_iter().find(|(_, n)| *n < card.min) {
            return Err(crate::error::IntegrityViolation::Cardinality {
                table: edge.table.clone(),
                src,
                count,
                min: card.min,
                max: card.max,
            }
            .into());
        }
    }
    Ok(())
}

impl Graph {
    /// Deletes the rows of `table` with the given ids on `branch`, as one commit. Deleting
    /// nodes deletes every edge that starts or ends at them. Unknown ids are ignored.
    pub async fn delete_ids(
        &self,
        branch: &str,
        table: &str,
        ids: &[String],
        opts: &WriteOptions,
    ) -> Result<DeleteSummary> {
        self.delete_ids_read_at(branch, table, ids, None, opts)
            .await
    }

    /// [`Graph::delete_ids`] for ids chosen by reading graph version `read_at`: if the
    /// branch moved since, nothing is deleted (a conflict), so rows changed meanwhile are
    /// never deleted on the strength of their old values.
    pub async fn delete_ids_read_at(
        &self,
        branch: &str,
        table: &str,
        ids: &[String],
        read_at: Option<u64>,
        opts: &WriteOptions,
    ) -> Result<DeleteSummary> {
        self.require_writable()?;
        let _writing = self.writing().await;
        crate::recovery::heal_own_before_write(self).await?;
        let snapshot = self.snapshot(branch).await?;
        if let Some(version) = read_at
            && version != snapshot.version()
        {
            return Err(crate::error::Error::Conflict(format!(
                "branch '{branch}' moved from version {version} to {} while the delete read its rows; run it again",
                snapshot.version()
            )));
        }
        let (def, _) = snapshot.table(table)?;
        let table = def.table().to_string();
        let requested: BTreeSet<String> = ids.iter().cloned().collect();
        let mut doomed: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        let found = snapshot
            .ids_where(&table, "id", requested.iter().map(String::as_str))
            .await?;
        if found.is_empty() {
            return Ok(DeleteSummary {
                commit: None,
                tables: BTreeMap::new(),
            });
        }
        if let TableDef::Node(_) = def {
            for edge in snapshot.schema().edges.values() {
                for (column, node_table) in [("src", &edge.src_table), ("dst", &edge.dst_table)] {
                    if *node_table != table {
                        continue;
                    }
                    let incident = snapshot
                        .ids_where(&edge.table, column, found.iter().map(String::as_str))
                        .await?;
                    doomed
                        .entry(edge.table.clone())
                        .or_default()
                        .extend(incident);
                }
            }
        }
        doomed.insert(table.clone(), found);
        doomed.retain(|_, ids| !ids.is_empty());
        check_card_minimums(&snapshot, &doomed).await?;

        let mut staged = Vec::new();
        let mut summary = DeleteSummary {
            commit: None,
            tables: BTreeMap::new(),
        };
        for (name, ids) in &doomed {
            summary.tables.insert(name.clone(), ids.len() as u64);
            let prepared = prepare_table(&snapshot, name).await?;
            staged.push(StagedTable {
                entry: prepared.entry,
                dataset: prepared.dataset,
                forked: prepared.forked,
                action: TableAction::Steps(vec![TableStep::Delete(id_in_filter(
                    "id",
                    ids.iter().map(String::as_str),
                ))]),
            });
        }
        let message = opts.message.clone().unwrap_or_else(|| {
            let total: u64 = summary.tables.values().sum();
            format!("delete {total} rows")
        });
        let outcome = commit::commit(
            self,
            CommitRequest {
                kind: "delete",
                branch: branch.to_string(),
                base_version: snapshot.version(),
                tables: staged,
                schema_source: None,
                actor: opts.actor.clone(),
                message,
                history: Default::default(),
            },
        )
        .await?;
        summary.commit = Some(outcome);
        Ok(summary)
    }
}
