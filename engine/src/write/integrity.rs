//! Integrity validation of a write against its snapshot plus the write's own rows.
//!
//! The write's side is kept as ids, endpoints and `@unique` values only (never whole rows),
//! and the snapshot's side is streamed column by column, so memory grows with the number
//! of ids a write touches, not with the size of its rows or of the graph.

use std::collections::{BTreeMap, HashMap, HashSet};

use arrow_array::{Array, RecordBatch};
use arrow_cast::display::{ArrayFormatter, FormatOptions};
use futures::TryStreamExt;

use crate::error::{Error, IntegrityViolation, Result};
use crate::schema::TableDef;
use crate::snapshot::Snapshot;
use crate::storage::string_column;

/// Up to this many values, a check reads only the matching rows (a filter Lance
/// evaluates in the scan); beyond it, it streams the column and tests membership.
const FILTERED_LOOKUP: usize = 1024;

/// The given columns of `table`'s rows whose `column` is among `values`, or of all rows
/// when there are many values (the caller tests membership either way).
async fn rows_with(
    snapshot: &Snapshot,
    table: &str,
    columns: &[&str],
    column: &str,
    values: Vec<&str>,
) -> Result<lance::dataset::scanner::DatasetRecordBatchStream> {
    if values.len() <= FILTERED_LOOKUP {
        snapshot
            .stream_columns_matching(table, columns, column, &values)
            .await
    } else {
        snapshot.stream_columns(table, columns).await
    }
}

/// What a write does to a table's existing rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ExistingRows {
    /// Kept; a write id that already exists is a duplicate key.
    Kept,
    /// Kept, except rows whose id the write carries, which it replaces.
    ReplacedById,
    /// All dropped; the write is the table's new content.
    Dropped,
}

/// A map keyed by ids: hashed fast (a write's ids are not chosen against the hash).
pub(crate) type IdMap<V> = HashMap<String, V, foldhash::fast::RandomState>;

/// The identifying parts of one table's written rows: what the checks need, never the
/// rows themselves, and each endpoint once however many edges name it.
#[derive(Debug, Default)]
pub(crate) struct TableFacts {
    /// id → input line (or row number) where it was written. Ids the write generated
    /// for new rows (a keyless type's, outside a merge) cannot clash and are not kept.
    pub ids: IdMap<u64>,
    /// Per endpoint (`src`, `dst`): each node id the written edges name → the first line
    /// naming it.
    pub ends: [IdMap<u64>; 2],
    /// The endpoints of the last recorded edge: edges often arrive grouped by source, and
    /// a repeat of the last endpoint needs no lookup.
    last_ends: [Option<String>; 2],
    /// Edges with a `@card`: written edges per source.
    pub out_degree: Option<IdMap<u64>>,
    /// `@unique` column → value text → id of the written row holding it.
    pub unique: BTreeMap<String, HashMap<String, String>>,
}

impl TableFacts {
    pub(crate) fn new(def: TableDef<'_>) -> TableFacts {
        let counts_degree = matches!(def, TableDef::Edge(e) if e.cardinality.is_some());
        TableFacts {
            out_degree: counts_degree.then(IdMap::default),
            ..TableFacts::default()
        }
    }

    /// Records the id of a written row; the same id twice in one write fails.
    pub(crate) fn record_id(&mut self, def: TableDef<'_>, id: &str, line: u64) -> Result<()> {
        if let Some(first) = self.ids.get(id) {
            return Err(Error::at_line(
                line,
                IntegrityViolation::DuplicateKey {
                    table: def.table().to_string(),
                    id: format!("{id}' (also on line {first})"),
                },
            ));
        }
        self.ids.insert(id.to_string(), line);
        Ok(())
    }

    /// Records the endpoints of a written edge.
    pub(crate) fn record_ends(&mut self, line: u64, src: &str, dst: &str) {
        for ((ends, last), id) in self
            .ends
            .iter_mut()
            .zip(&mut self.last_ends)
            .zip([src, dst])
        {
            if last.as_deref() == Some(id) {
                continue;
            }
            if !ends.contains_key(id) {
                ends.insert(id.to_string(), line);
            }
            match last {
                Some(text) => {
                    text.clear();
                    text.push_str(id);
                }
                None => *last = Some(id.to_string()),
            }
        }
        if let Some(degree) = &mut self.out_degree {
            match degree.get_mut(src) {
                Some(n) => *n += 1,
                None => {
                    degree.insert(src.to_string(), 1);
                }
            }
        }
    }

    /// Records the `@unique` values of a written batch; duplicates within the write fail.
    pub(crate) fn record_unique(&mut self, def: TableDef<'_>, batch: &RecordBatch) -> Result<()> {
        let unique_cols: Vec<&str> = def
            .properties()
            .iter()
            .filter(|p| p.unique)
            .map(|p| p.column.as_str())
            .collect();
        if unique_cols.is_empty() {
            return Ok(());
        }
        let ids = string_column(batch, 0)?;
        let opts = FormatOptions::default();
        for col in unique_cols {
            let array = batch
                .column_by_name(col)
                .ok_or_else(|| Error::Corrupt(format!("missing column {col}")))?;
            let fmt = ArrayFormatter::try_new(array.as_ref(), &opts)?;
            let seen = self.unique.entry(col.to_string()).or_default();
            for i in 0..batch.num_rows() {
                if array.is_null(i) {
                    continue;
                }
                let value = fmt.value(i).to_string();
                let id = ids.value(i).to_string();
                if let Some(other) = seen.insert(value.clone(), id.clone())
                    && other != id
                {
                    return Err(IntegrityViolation::UniqueViolation {
                        table: def.table().to_string(),
                        column: col.to_string(),
                        value,
                    }
                    .into());
                }
            }
        }
        Ok(())
    }
}

/// Validates a write: keys, `@unique`, endpoints and `@card`.
///
/// `facts` holds every table the write touches; `existing` says what happens to each
/// touched table's current rows (untouched tables keep theirs).
pub(crate) async fn validate(
    snapshot: &Snapshot,
    facts: &BTreeMap<String, TableFacts>,
    existing: &BTreeMap<String, ExistingRows>,
) -> Result<()> {
    let schema = snapshot.schema();
    let fate = |table: &str| existing.get(table).copied().unwrap_or(ExistingRows::Kept);

    for (table, f) in facts {
        let def = schema
            .table(table)
            .ok_or_else(|| Error::UnknownTable(table.clone()))?;
        // Duplicate keys against the snapshot.
        if fate(table) == ExistingRows::Kept && !f.ids.is_empty() {
            let written: Vec<&str> = f.ids.keys().map(String::as_str).collect();
            let mut stream = rows_with(snapshot, table, &["id"], "id", written).await?;
            while let Some(batch) = stream.try_next().await? {
                let ids = string_column(&batch, 0)?;
                for i in 0..ids.len() {
                    if let Some(line) = f.ids.get(ids.value(i)) {
                        return Err(Error::at_line(
                            *line,
                            IntegrityViolation::DuplicateKey {
                                table: table.clone(),
                                id: ids.value(i).to_string(),
                            },
                        ));
                    }
                }
            }
        }
        // `@unique` against the snapshot rows that survive the write.
        if fate(table) != ExistingRows::Dropped {
            for (col, values) in &f.unique {
                if values.is_empty() {
                    continue;
                }
                // A string column's value text is the value itself: few values are looked
                // up (through the column's index); otherwise the column is streamed.
                let is_string = snapshot
                    .arrow_schema(table)?
                    .field_with_name(col)
                    .is_ok_and(|f| f.data_type() == &arrow_schema::DataType::Utf8);
                let mut stream = if is_string && values.len() <= FILTERED_LOOKUP {
                    let keys: Vec<&str> = values.keys().map(String::as_str).collect();
                    snapshot
                        .stream_columns_matching(table, &["id", col], col, &keys)
                        .await?
                } else {
                    snapshot.stream_columns(table, &["id", col]).await?
                };
                let opts = FormatOptions::default();
                while let Some(batch) = stream.try_next().await? {
                    let ids = string_column(&batch, 0)?;
                    let array = batch.column(1);
                    let fmt = ArrayFormatter::try_new(array.as_ref(), &opts)?;
                    for i in 0..batch.num_rows() {
                        if array.is_null(i) || f.ids.contains_key(ids.value(i)) {
                            continue;
                        }
                        let value = fmt.value(i).to_string();
                        if values.contains_key(&value) {
                            return Err(IntegrityViolation::UniqueViolation {
                                table: table.clone(),
                                column: col.clone(),
                                value,
                            }
                            .into());
                        }
                    }
                }
            }
        }
        if let TableDef::Edge(edge) = def {
            check_endpoints(snapshot, facts, &fate, table, &edge.src_table, "src", f).await?;
            check_endpoints(snapshot, facts, &fate, table, &edge.dst_table, "dst", f).await?;
            if let Some(card) = edge.cardinality {
                let mut counts: HashMap<&str, u64> = f
                    .out_degree
                    .iter()
                    .flatten()
                    .map(|(src, n)| (src.as_str(), *n))
                    .collect();
                if fate(table) != ExistingRows::Dropped {
                    let sources: Vec<&str> = counts.keys().copied().collect();
                    let mut stream =
                        rows_with(snapshot, table, &["id", "src"], "src", sources).await?;
                    while let Some(batch) = stream.try_next().await? {
                        let ids = string_column(&batch, 0)?;
                        let srcs = string_column(&batch, 1)?;
                        for i in 0..batch.num_rows() {
                            if f.ids.contains_key(ids.value(i)) {
                                continue;
                            }
                            if let Some(c) = counts.get_mut(srcs.value(i)) {
                                *c += 1;
                            }
                        }
                    }
                }
                let mut violations: Vec<(&str, u64)> = counts
                    .into_iter()
                    .filter(|(_, c)| *c < card.min || card.max.is_some_and(|m| *c > m))
                    .collect();
                violations.sort();
                if let Some((src, count)) = violations.first() {
                    return Err(IntegrityViolation::Cardinality {
                        table: table.clone(),
                        src: src.to_string(),
                        count: *count,
                        min: card.min,
                        max: card.max,
                    }
                    .into());
                }
            }
        }
    }

    // Edges the write keeps must still have their endpoints when node tables are replaced.
    for edge in schema.edges.values() {
        if facts.contains_key(&edge.table) {
            continue;
        }
        for (node_table, column) in [(&edge.src_table, "src"), (&edge.dst_table, "dst")] {
            if fate(node_table) != ExistingRows::Dropped {
                continue;
            }
            let new_ids = facts.get(node_table).map(|f| &f.ids);
            let mut stream = snapshot
                .stream_columns(&edge.table, &["id", column])
                .await?;
            while let Some(batch) = stream.try_next().await? {
                let ends = string_column(&batch, 1)?;
                for i in 0..batch.num_rows() {
                    if !new_ids.is_some_and(|ids| ids.contains_key(ends.value(i))) {
                        // The overwrite would orphan a kept edge: the same violation as
                        // an edge written to a missing node.
                        return Err(IntegrityViolation::MissingEndpoint {
                            table: edge.table.clone(),
                            endpoint: if column == "src" { "src" } else { "dst" },
                            node_table: node_table.clone(),
                            id: ends.value(i).to_string(),
                        }
                        .into());
                    }
                }
            }
        }
    }
    Ok(())
}

async fn check_endpoints(
    snapshot: &Snapshot,
    facts: &BTreeMap<String, TableFacts>,
    fate: &impl Fn(&str) -> ExistingRows,
    edge_table: &str,
    node_table: &str,
    endpoint: &'static str,
    f: &TableFacts,
) -> Result<()> {
    let written = facts.get(node_table).map(|n| &n.ids);
    // Endpoint ids not written by this load, with the first line that uses each.
    let named = &f.ends[usize::from(endpoint == "dst")];
    let mut unresolved: HashMap<&str, u64> = named
        .iter()
        .filter(|(id, _)| !written.is_some_and(|w| w.contains_key(id.as_str())))
        .map(|(id, line)| (id.as_str(), *line))
        .collect();
    if unresolved.is_empty() {
        return Ok(());
    }
    if fate(node_table) != ExistingRows::Dropped {
        let wanted: Vec<&str> = unresolved.keys().copied().collect();
        let mut stream = rows_with(snapshot, node_table, &["id"], "id", wanted).await?;
        let mut found: HashSet<String> = HashSet::new();
        while let Some(batch) = stream.try_next().await? {
            let ids = string_column(&batch, 0)?;
            for i in 0..ids.len() {
                if unresolved.contains_key(ids.value(i)) {
                    found.insert(ids.value(i).to_string());
                }
            }
        }
        unresolved.retain(|id, _| !found.contains(*id));
    }
    let mut missing: Vec<(u64, &str)> = unresolved
        .into_iter()
        .map(|(id, line)| (line, id))
        .collect();
    missing.sort();
    if let Some((line, id)) = missing.first() {
        return Err(Error::at_line(
            *line,
            IntegrityViolation::MissingEndpoint {
                table: edge_table.to_string(),
                endpoint,
                node_table: node_table.to_string(),
                id: id.to_string(),
            },
        ));
    }
    Ok(())
}
