//! Net row changes between two versions of a graph table, by entity id.
//!
//! Versions that share Lance history (one table's branches and forks) are compared through
//! Lance's row-version columns and fragment metadata: only rows written after their
//! common ancestor, and rows of ancestor fragments the versions no longer hold unchanged,
//! are read. The cost follows what changed, not the size of the table. Versions without
//! shared history (a table created separately on two branches) are compared in full.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::sync::Arc;

use arrow_array::{Array, RecordBatch};
use arrow_schema::{FieldRef, SchemaRef};
use futures::TryStreamExt;
use lance::Dataset;
use lance::deps::datafusion::scalar::ScalarValue;

use crate::error::{Error, Result};
use crate::graph::{Graph, MAIN_BRANCH};
use crate::manifest::TableEntry;
use crate::storage::{self, string_column};

/// One row's values, in the column order of the schema they were read with.
pub type RowValues = Vec<ScalarValue>;

/// Above this many ids, rows are picked from one scan instead of `id IN (...)` lookups.
const LOOKUP_LIMIT: usize = 4096;
const LOOKUP_CHUNK: usize = 1024;

/// How one entity differs between two versions.
#[derive(Debug, Clone, PartialEq)]
pub struct RowChange {
    pub id: String,
    pub before: Option<RowValues>,
    pub after: Option<RowValues>,
}

impl RowChange {
    pub fn kind(&self) -> ChangeKind {
        match (&self.before, &self.after) {
            (None, _) => ChangeKind::Insert,
            (Some(_), None) => ChangeKind::Delete,
            (Some(_), Some(_)) => ChangeKind::Update,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeKind {
    Insert,
    Update,
    Delete,
}

impl ChangeKind {
    pub fn as_str(&self) -> &'static str {
        match self {
            ChangeKind::Insert => "insert",
            ChangeKind::Update => "update",
            ChangeKind::Delete => "delete",
        }
    }
}

/// A point in one Lance table's history: (Lance branch, version); `None` is Lance's main.
type LanceVersion = (Option<String>, u64);

fn normalize_branch(branch: Option<&str>) -> Option<String> {
    branch.filter(|b| *b != MAIN_BRANCH).map(str::to_string)
}

/// The versions `entry` descends from: itself, then each fork point up to Lance's main.
async fn lineage(dataset: &Dataset, entry: &TableEntry) -> Result<Vec<LanceVersion>> {
    let mut chain = vec![(
        normalize_branch(entry.lance_branch.as_deref()),
        entry.version,
    )];
    if entry.lance_branch.is_none() {
        return Ok(chain);
    }
    let branches = dataset.list_branches().await?;
    while let Some((Some(branch), _)) = chain.last() {
        let Some(contents) = branches.get(branch) else {
            return Err(Error::Corrupt(format!(
                "table fork '{branch}' of {} has no branch record",
                entry.path
            )));
        };
        chain.push((
            normalize_branch(contents.parent_branch.as_deref()),
            contents.parent_version,
        ));
        if chain.len() > 10_000 {
            return Err(Error::Corrupt(format!("fork cycle in {}", entry.path)));
        }
    }
    Ok(chain)
}

/// The Lance-main version `entry` descends from (where its first fork was made).
pub(crate) async fn lineage_root(dataset: &Dataset, entry: &TableEntry) -> Result<u64> {
    let chain = lineage(dataset, entry).await?;
    Ok(chain.last().map(|(_, v)| *v).unwrap_or(entry.version))
}

/// The latest version both chains descend from, on the deepest Lance branch they share.
fn common_ancestor(a: &[LanceVersion], b: &[LanceVersion]) -> Option<LanceVersion> {
    a.iter().find_map(|(branch, va)| {
        b.iter()
            .find(|(other, _)| other == branch)
            .map(|(_, vb)| (branch.clone(), (*va).min(*vb)))
    })
}

/// Ids of rows that may differ between ancestor version `ancestor` and `side`, a
/// descendant of it: rows written after the ancestor, and rows of ancestor fragments that
/// `side` no longer holds with the same deletions.
async fn candidate_ids(
    graph: &Graph,
    path: &str,
    ancestor: &LanceVersion,
    side: &Dataset,
    out: &mut HashSet<String>,
) -> Result<()> {
    let since = ancestor.1;
    if side.version_id() == since && normalize_branch(side.manifest.branch.as_deref()) == ancestor.0
    {
        return Ok(());
    }
    let mut scanner = side.scan();
    scanner.project(&[
        "id",
        "_row_created_at_version",
        "_row_last_updated_at_version",
    ])?;
    scanner.filter(&format!(
        "_row_created_at_version > {since} OR _row_last_updated_at_version > {since}"
    ))?;
    collect_ids(scanner.try_into_stream().await?, out).await?;

    let base = storage::open_dataset(
        graph.session(),
        &graph.table_uri(path),
        ancestor.0.as_deref(),
        Some(since),
    )
    .await?;
    let held: HashMap<u64, _> = side
        .manifest
        .fragments
        .iter()
        .map(|f| (f.id, &f.deletion_file))
        .collect();
    let touched: Vec<_> = base
        .manifest
        .fragments
        .iter()
        .filter(|f| held.get(&f.id) != Some(&&f.deletion_file))
        .cloned()
        .collect();
    if !touched.is_empty() {
        let mut scanner = base.scan();
        scanner.with_fragments(touched);
        scanner.project(&["id"])?;
        collect_ids(scanner.try_into_stream().await?, out).await?;
    }
    Ok(())
}

async fn collect_ids(
    mut stream: lance::dataset::scanner::DatasetRecordBatchStream,
    out: &mut HashSet<String>,
) -> Result<()> {
    while let Some(batch) = stream.try_next().await? {
        let ids = string_column(&batch, 0)?;
        for i in 0..ids.len() {
            out.insert(ids.value(i).to_string());
        }
    }
    Ok(())
}

/// Reads rows of a table version into `columns` order; columns the version does not have
/// (added by a later migration) read as nulls.
pub(crate) struct RowReader {
    columns: SchemaRef,
}

impl RowReader {
    pub(crate) fn new(columns: SchemaRef) -> Self {
        RowReader { columns }
    }

    fn projection(&self, dataset: &Dataset) -> Vec<String> {
        let present: HashSet<&str> = dataset
            .schema()
            .fields
            .iter()
            .map(|f| f.name.as_str())
            .collect();
        self.columns
            .fields()
            .iter()
            .map(|f| f.name().clone())
            .filter(|n| present.contains(n.as_str()))
            .collect()
    }

    fn absorb(
        &self,
        batch: &RecordBatch,
        wanted: Option<&HashSet<String>>,
        out: &mut HashMap<String, RowValues>,
    ) -> Result<()> {
        let ids = string_column(batch, 0)?;
        let sources: Vec<(&FieldRef, Option<&Arc<dyn Array>>)> = self
            .columns
            .fields()
            .iter()
            .map(|f| (f, batch.column_by_name(f.name())))
            .collect();
        for i in 0..batch.num_rows() {
            let id = ids.value(i);
            if wanted.is_some_and(|w| !w.contains(id)) {
                continue;
            }
            let mut row = Vec::with_capacity(sources.len());
            for (field, column) in &sources {
                row.push(match column {
                    Some(array) => ScalarValue::try_from_array(array, i)?,
                    None => ScalarValue::try_from(field.data_type())?,
                });
            }
            out.insert(id.to_string(), row);
        }
        Ok(())
    }

    /// Every row of `dataset`.
    pub(crate) async fn all(&self, dataset: &Dataset) -> Result<HashMap<String, RowValues>> {
        let projection = self.projection(dataset);
        let mut scanner = dataset.scan();
        scanner.project(&projection)?;
        let mut stream = scanner.try_into_stream().await?;
        let mut out = HashMap::new();
        while let Some(batch) = stream.try_next().await? {
            self.absorb(&batch, None, &mut out)?;
        }
        Ok(out)
    }

    /// The rows of `dataset` with the given ids (absent ids are simply missing).
    pub(crate) async fn by_ids(
        &self,
        dataset: &Dataset,
        ids: &HashSet<String>,
    ) -> Result<HashMap<String, RowValues>> {
        let mut out = HashMap::new();
        if ids.is_empty() {
            return Ok(out);
        }
        let projection = self.projection(dataset);
        if ids.len() > LOOKUP_LIMIT {
            let mut scanner = dataset.scan();
            scanner.project(&projection)?;
            let mut stream = scanner.try_into_stream().await?;
            while let Some(batch) = stream.try_next().await? {
                self.absorb(&batch, Some(ids), &mut out)?;
            }
            return Ok(out);
        }
        let sorted: BTreeSet<&String> = ids.iter().collect();
        let sorted: Vec<&String> = sorted.into_iter().collect();
        for chunk in sorted.chunks(LOOKUP_CHUNK) {
            let mut scanner = dataset.scan();
            scanner.project(&projection)?;
            scanner.filter(&id_in_filter("id", chunk.iter().map(|s| s.as_str())))?;
            let mut stream = scanner.try_into_stream().await?;
            while let Some(batch) = stream.try_next().await? {
                self.absorb(&batch, None, &mut out)?;
            }
        }
        Ok(out)
    }
}

/// `column IN ('a', 'b', ...)` with the values quoted as SQL string literals.
pub(crate) fn id_in_filter<'a>(column: &str, ids: impl Iterator<Item = &'a str>) -> String {
    let quoted: Vec<String> = ids
        .map(|id| format!("'{}'", id.replace('\'', "''")))
        .collect();
    format!("{column} IN ({})", quoted.join(", "))
}

/// Net changes of one table from version `from` to version `to` (either may be absent:
/// the table does not exist there), ordered by id.
pub(crate) async fn net_changes(
    graph: &Graph,
    reader: &RowReader,
    from: Option<&TableEntry>,
    to: Option<&TableEntry>,
) -> Result<Vec<RowChange>> {
    let (before, after) = match (from, to) {
        (None, None) => return Ok(Vec::new()),
        (Some(f), Some(t)) if f == t => return Ok(Vec::new()),
        (Some(f), Some(t)) if f.path == t.path => {
            let from_ds = graph.table_dataset(f).await?;
            let to_ds = graph.table_dataset(t).await?;
            let (a, b) = (lineage(&from_ds, f).await?, lineage(&to_ds, t).await?);
            match common_ancestor(&a, &b) {
                Some(ancestor) => {
                    let mut ids = HashSet::new();
                    candidate_ids(graph, &f.path, &ancestor, &from_ds, &mut ids).await?;
                    candidate_ids(graph, &t.path, &ancestor, &to_ds, &mut ids).await?;
                    (
                        reader.by_ids(&from_ds, &ids).await?,
                        reader.by_ids(&to_ds, &ids).await?,
                    )
                }
                None => (reader.all(&from_ds).await?, reader.all(&to_ds).await?),
            }
        }
        (f, t) => {
            let mut sides = Vec::with_capacity(2);
            for entry in [f, t] {
                sides.push(match entry {
                    Some(e) => reader.all(&*graph.table_dataset(e).await?).await?,
                    None => HashMap::new(),
                });
            }
            let after = sides.pop().expect("two sides");
            (sides.pop().expect("two sides"), after)
        }
    };
    let ids: BTreeSet<&String> = before.keys().chain(after.keys()).collect();
    Ok(ids
        .into_iter()
        .filter_map(|id| {
            let (b, a) = (before.get(id), after.get(id));
            (b != a).then(|| RowChange {
                id: id.clone(),
                before: b.cloned(),
                after: a.cloned(),
            })
        })
        .collect())
}

/// A row as a JSON object of its columns (for conflict reports and diffs as text).
pub fn row_json(columns: &SchemaRef, row: &RowValues) -> serde_json::Value {
    let mut map = serde_json::Map::new();
    for (field, value) in columns.fields().iter().zip(row) {
        map.insert(field.name().clone(), scalar_json(value));
    }
    serde_json::Value::Object(map)
}

fn scalar_json(value: &ScalarValue) -> serde_json::Value {
    use serde_json::Value;
    if value.is_null() {
        return Value::Null;
    }
    match value {
        ScalarValue::Boolean(Some(b)) => Value::Bool(*b),
        ScalarValue::Int8(Some(v)) => Value::from(*v),
        ScalarValue::Int16(Some(v)) => Value::from(*v),
        ScalarValue::Int32(Some(v)) => Value::from(*v),
        ScalarValue::Int64(Some(v)) => Value::from(*v),
        ScalarValue::UInt8(Some(v)) => Value::from(*v),
        ScalarValue::UInt16(Some(v)) => Value::from(*v),
        ScalarValue::UInt32(Some(v)) => Value::from(*v),
        ScalarValue::UInt64(Some(v)) => Value::from(*v),
        ScalarValue::Float32(Some(v)) => serde_json::Number::from_f64(*v as f64)
            .map(Value::Number)
            .unwrap_or_else(|| Value::String(v.to_string())),
        ScalarValue::Float64(Some(v)) => serde_json::Number::from_f64(*v)
            .map(Value::Number)
            .unwrap_or_else(|| Value::String(v.to_string())),
        ScalarValue::Utf8(Some(s)) | ScalarValue::LargeUtf8(Some(s)) => Value::String(s.clone()),
        other => Value::String(other.to_string()),
    }
}

/// Builds a record batch of `rows` in `columns` order.
pub(crate) fn rows_to_batch(columns: &SchemaRef, rows: &[&RowValues]) -> Result<RecordBatch> {
    let mut arrays = Vec::with_capacity(columns.fields().len());
    for (i, field) in columns.fields().iter().enumerate() {
        let values = rows.iter().map(|r| r[i].clone());
        let array = if rows.is_empty() {
            arrow_array::new_empty_array(field.data_type())
        } else {
            ScalarValue::iter_to_array(values)?
        };
        arrays.push(array);
    }
    Ok(RecordBatch::try_new(columns.clone(), arrays)?)
}

/// The columns of [`changes_batch`]: `change`, then the table's columns.
pub fn changes_schema(columns: &SchemaRef) -> SchemaRef {
    let mut fields = vec![Arc::new(arrow_schema::Field::new(
        "change",
        arrow_schema::DataType::Utf8,
        false,
    ))];
    fields.extend(columns.fields().iter().cloned());
    Arc::new(arrow_schema::Schema::new(fields))
}

/// Changes as rows: `change` (insert/update/delete), then the row's columns (the new
/// values, or the deleted row's last values).
pub fn changes_batch(columns: &SchemaRef, changes: &[RowChange]) -> Result<RecordBatch> {
    let rows: Vec<&RowValues> = changes
        .iter()
        .filter_map(|c| c.after.as_ref().or(c.before.as_ref()))
        .collect();
    let values = rows_to_batch(columns, &rows)?;
    let kinds = arrow_array::StringArray::from(
        changes
            .iter()
            .map(|c| c.kind().as_str())
            .collect::<Vec<_>>(),
    );
    let mut arrays: Vec<arrow_array::ArrayRef> = vec![Arc::new(kinds)];
    arrays.extend(values.columns().iter().cloned());
    Ok(RecordBatch::try_new(changes_schema(columns), arrays)?)
}

/// Changes per table, for reports.
pub type ChangeCounts = BTreeMap<String, (u64, u64, u64)>;
