//! Deleting rows by id; deleting nodes also deletes their incident edges.

use std::collections::{BTreeMap, BTreeSet};

use futures::TryStreamExt;

use super::commit::{self, CommitOutcome, CommitRequest, StagedTable, TableAction, TableStep};
use super::{WriteOptions, prepare_table};
use crate::changes::id_in_filter;
use crate::error::Result;
use crate::graph::Graph;
use crate::schema::TableDef;
use crate::snapshot::Snapshot;
use crate::storage::string_column;

const FILTER_CHUNK: usize = 1024;

/// What a delete removed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeleteSummary {
    /// `None` when nothing matched (nothing is committed).
    pub commit: Option<CommitOutcome>,
    /// Rows deleted per table, incident edges included.
    pub tables: BTreeMap<String, u64>,
}

/// Ids of `table` among `ids` (or whose `column` is among them) at the snapshot.
async fn matching_ids(
    snapshot: &Snapshot,
    table: &str,
    column: &str,
    ids: &BTreeSet<String>,
) -> Result<BTreeSet<String>> {
    let dataset = snapshot.dataset(table).await?;
    let wanted: Vec<&str> = ids.iter().map(String::as_str).collect();
    let mut out = BTreeSet::new();
    for chunk in wanted.chunks(FILTER_CHUNK) {
        let mut scanner = dataset.scan();
        scanner.project(&["id"])?;
        scanner.filter(&id_in_filter(column, chunk.iter().copied()))?;
        let mut stream = scanner.try_into_stream().await?;
        while let Some(batch) = stream.try_next().await? {
            let found = string_column(&batch, 0)?;
            for i in 0..batch.num_rows() {
                out.insert(found.value(i).to_string());
            }
        }
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
        let dataset = snapshot.dataset(&edge.table).await?;
        let read = |filter: String| {
            let dataset = dataset.clone();
            async move {
                let mut scanner = dataset.scan();
                scanner.project(&["id", "src"])?;
                scanner.filter(&filter)?;
                let batches: Vec<arrow_array::RecordBatch> =
                    scanner.try_into_stream().await?.try_collect().await?;
                Ok::<_, crate::error::Error>(batches)
            }
        };
        let deleted_nodes = doomed.get(&edge.src_table);
        let mut affected: BTreeSet<String> = BTreeSet::new();
        let ids: Vec<&str> = deleted.iter().map(String::as_str).collect();
        for chunk in ids.chunks(FILTER_CHUNK) {
            for batch in read(id_in_filter("id", chunk.iter().copied())).await? {
                let src = string_column(&batch, 1)?;
                for i in 0..batch.num_rows() {
                    if !deleted_nodes.is_some_and(|d| d.contains(src.value(i))) {
                        affected.insert(src.value(i).to_string());
                    }
                }
            }
        }
        let mut remaining: BTreeMap<String, u64> =
            affected.iter().map(|s| (s.clone(), 0)).collect();
        let sources: Vec<&str> = affected.iter().map(String::as_str).collect();
        for chunk in sources.chunks(FILTER_CHUNK) {
            for batch in read(id_in_filter("src", chunk.iter().copied())).await? {
                let (ids, src) = (string_column(&batch, 0)?, string_column(&batch, 1)?);
                for i in 0..batch.num_rows() {
                    if !deleted.contains(ids.value(i))
                        && let Some(n) = remaining.get_mut(src.value(i))
                    {
                        *n += 1;
                    }
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
        let found = matching_ids(&snapshot, &table, "id", &requested).await?;
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
                    let incident = matching_ids(&snapshot, &edge.table, column, &found).await?;
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
