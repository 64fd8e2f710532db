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
use lance::dataset::fragment::FileFragment;
use lance::deps::datafusion::scalar::ScalarValue;
use lance_core::utils::deletion::DeletionVector;

use crate::error::{Error, Result};
use crate::graph::MAIN_BRANCH;
use crate::manifest::TableEntry;
use crate::storage::{self, id_in_filter, string_column};
use crate::table_store::TableStore;

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
    let branches = crate::storage::branch_refs(dataset).await?;
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

/// How one side of a lineage differs from its ancestor version.
#[derive(Default)]
struct SideDelta {
    /// Rows written (or revived) after the ancestor, live on the side: their values there,
    /// and whether the row was created after the ancestor (else updated in place).
    after: HashMap<String, (RowValues, bool)>,
    /// Rows live at the ancestor that the side deleted (or rewrote): their ancestor values.
    before: HashMap<String, RowValues>,
}

impl SideDelta {
    fn ids(&self) -> impl Iterator<Item = &String> {
        self.after.keys().chain(self.before.keys())
    }
}

fn is_version(dataset: &Dataset, at: &LanceVersion) -> bool {
    dataset.version_id() == at.1 && normalize_branch(dataset.manifest.branch.as_deref()) == at.0
}

/// The rows of `side`, a descendant of version `ancestor`, that differ from it: rows
/// written after the ancestor (found through the row-version columns, pruned by fragment
/// metadata), and rows of ancestor fragments whose deletions differ on the side (read by
/// physical offset). Nothing else is read.
async fn side_delta(
    store: &TableStore,
    path: &str,
    ancestor: &LanceVersion,
    side: &Dataset,
    reader: &RowReader,
) -> Result<SideDelta> {
    let mut delta = SideDelta::default();
    if is_version(side, ancestor) {
        return Ok(delta);
    }
    let since = ancestor.1;
    let mut columns = reader.projection(side);
    columns.push("_row_created_at_version".to_string());
    let mut scanner = side.scan();
    scanner.project(&columns)?;
    scanner.filter(&format!(
        "_row_created_at_version > {since} OR _row_last_updated_at_version > {since}"
    ))?;
    let mut stream = scanner.try_into_stream().await?;
    while let Some(batch) = stream.try_next().await? {
        let created = batch
            .column_by_name("_row_created_at_version")
            .and_then(|c| c.as_any().downcast_ref::<arrow_array::UInt64Array>())
            .ok_or_else(|| Error::Corrupt(format!("{path}: no row versions")))?
            .clone();
        for (i, (id, row)) in reader.rows(&batch)?.into_iter().enumerate() {
            delta.after.insert(id, (row, created.value(i) > since));
        }
    }

    let base = Arc::new(
        storage::open_dataset(
            store.session(),
            &store.table_uri(path),
            ancestor.0.as_deref(),
            Some(since),
        )
        .await?,
    );
    let side_arc = Arc::new(side.clone());
    let held: HashMap<u64, &lance_table::format::Fragment> =
        side.manifest.fragments.iter().map(|f| (f.id, f)).collect();
    let projection = base.schema().project(&reader.projection(&base))?;
    let mut removed = Vec::new();
    for fragment in base.manifest.fragments.iter() {
        let Some(kept) = held.get(&fragment.id) else {
            removed.push(fragment.clone());
            continue;
        };
        if kept.deletion_file == fragment.deletion_file {
            continue;
        }
        let deletions = |f: &lance_table::format::Fragment, ds: &Arc<Dataset>| {
            let file = FileFragment::new(ds.clone(), f.clone());
            async move { file.get_deletion_vector().await }
        };
        let at_ancestor = deletions(fragment, &base).await?;
        let on_side = deletions(kept, &side_arc).await?;
        let only_in = |a: &Option<Arc<DeletionVector>>, b: &Option<Arc<DeletionVector>>| {
            let mut v: Vec<u32> = a
                .iter()
                .flat_map(|dv| dv.to_sorted_iter())
                .filter(|o| !b.as_ref().is_some_and(|b| b.contains(*o)))
                .collect();
            v.sort_unstable();
            v
        };
        // Offsets are physical: read them from the fragment without its deletions.
        let physical = FileFragment::new(
            base.clone(),
            lance_table::format::Fragment {
                deletion_file: None,
                ..fragment.clone()
            },
        );
        let deleted = only_in(&on_side, &at_ancestor);
        if !deleted.is_empty() {
            let batch = physical.take(&deleted, &projection).await?;
            delta.before.extend(reader.rows(&batch)?);
        }
        // Rows a restore revived are live on the side and were not at the ancestor.
        let revived = only_in(&at_ancestor, &on_side);
        if !revived.is_empty() {
            let batch = physical.take(&revived, &projection).await?;
            for (id, row) in reader.rows(&batch)? {
                delta.after.entry(id).or_insert((row, true));
            }
        }
    }
    let mut moved = HashSet::new();
    if !removed.is_empty() {
        // A fragment the side no longer holds was rewritten (an update, a merge,
        // compaction): its rows whose stable row id lives on in the side's own fragments
        // were moved, not deleted.
        let ancestor_ids: HashSet<u64> = base.manifest.fragments.iter().map(|f| f.id).collect();
        let side_own: Vec<_> = side
            .manifest
            .fragments
            .iter()
            .filter(|f| !ancestor_ids.contains(&f.id))
            .cloned()
            .collect();
        moved = row_ids(side, side_own).await?;
        // Only fragments with a row that did not move are read (by row id, no values).
        let mut holding_deleted = HashSet::new();
        let mut scanner = base.scan();
        scanner.with_fragments(removed.clone());
        scanner.with_row_id();
        scanner.with_row_address();
        scanner.project::<&str>(&[])?;
        let mut stream = scanner.try_into_stream().await?;
        while let Some(batch) = stream.try_next().await? {
            let ids = row_id_column(&batch, path)?;
            let addresses = batch
                .column_by_name(lance_core::ROW_ADDR)
                .and_then(|c| c.as_any().downcast_ref::<arrow_array::UInt64Array>())
                .ok_or_else(|| Error::Corrupt(format!("{path}: no row addresses")))?;
            for (id, address) in ids.values().iter().zip(addresses.values()) {
                if !moved.contains(id) {
                    holding_deleted.insert(address >> 32);
                }
            }
        }
        removed.retain(|f| holding_deleted.contains(&f.id));
    }
    if !removed.is_empty() {
        let mut scanner = base.scan();
        scanner.with_fragments(removed);
        scanner.with_row_id();
        scanner.project(&reader.projection(&base))?;
        let mut stream = scanner.try_into_stream().await?;
        while let Some(batch) = stream.try_next().await? {
            let ids = row_id_column(&batch, path)?;
            for (i, (id, row)) in reader.rows(&batch)?.into_iter().enumerate() {
                if !moved.contains(&ids.value(i)) {
                    delta.before.insert(id, row);
                }
            }
        }
    }
    Ok(delta)
}

fn row_id_column<'a>(batch: &'a RecordBatch, path: &str) -> Result<&'a arrow_array::UInt64Array> {
    batch
        .column_by_name(lance_core::ROW_ID)
        .and_then(|c| c.as_any().downcast_ref::<arrow_array::UInt64Array>())
        .ok_or_else(|| Error::Corrupt(format!("{path}: a scan for row ids returned none")))
}

/// The stable row ids of the live rows of `fragments` of `dataset`.
async fn row_ids(
    dataset: &Dataset,
    fragments: Vec<lance_table::format::Fragment>,
) -> Result<HashSet<u64>> {
    let mut out = HashSet::new();
    if fragments.is_empty() {
        return Ok(out);
    }
    let mut scanner = dataset.scan();
    scanner.with_fragments(fragments);
    scanner.with_row_id();
    scanner.project::<&str>(&[])?;
    let mut stream = scanner.try_into_stream().await?;
    while let Some(batch) = stream.try_next().await? {
        out.extend(
            row_id_column(&batch, dataset.uri())?
                .values()
                .iter()
                .copied(),
        );
    }
    Ok(out)
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

    /// The rows of `batch` as (id, values), in batch order.
    fn rows(&self, batch: &RecordBatch) -> Result<Vec<(String, RowValues)>> {
        self.rows_where(batch, None)
    }

    /// [`RowReader::rows`] of the rows whose id is in `wanted` (all when `None`).
    fn rows_where(
        &self,
        batch: &RecordBatch,
        wanted: Option<&HashSet<String>>,
    ) -> Result<Vec<(String, RowValues)>> {
        let ids = string_column(batch, 0)?;
        let sources: Vec<(&FieldRef, Option<&Arc<dyn Array>>)> = self
            .columns
            .fields()
            .iter()
            .map(|f| (f, batch.column_by_name(f.name())))
            .collect();
        let mut out = Vec::with_capacity(batch.num_rows());
        for i in 0..batch.num_rows() {
            if wanted.is_some_and(|w| !w.contains(ids.value(i))) {
                continue;
            }
            let mut row = Vec::with_capacity(sources.len());
            for (field, column) in &sources {
                row.push(match column {
                    Some(array) => ScalarValue::try_from_array(array, i)?,
                    None => ScalarValue::try_from(field.data_type())?,
                });
            }
            out.push((ids.value(i).to_string(), row));
        }
        Ok(out)
    }

    fn absorb(
        &self,
        batch: &RecordBatch,
        wanted: Option<&HashSet<String>>,
        out: &mut HashMap<String, RowValues>,
    ) -> Result<()> {
        out.extend(self.rows_where(batch, wanted)?);
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

/// Net changes of one table from version `from` to version `to` (either may be absent:
/// the table does not exist there), ordered by id.
pub(crate) async fn net_changes(
    store: &TableStore,
    reader: &RowReader,
    from: Option<&TableEntry>,
    to: Option<&TableEntry>,
) -> Result<Vec<RowChange>> {
    let (before, after) = match (from, to) {
        (None, None) => return Ok(Vec::new()),
        (Some(f), Some(t)) if f == t => return Ok(Vec::new()),
        (Some(f), Some(t)) if f.path == t.path => {
            let from_ds = store.dataset(f).await?;
            let to_ds = store.dataset(t).await?;
            let (a, b) = (lineage(&from_ds, f).await?, lineage(&to_ds, t).await?);
            match common_ancestor(&a, &b) {
                Some(ancestor) if is_version(&from_ds, &ancestor) => {
                    // The usual case (the source descends from the merge base): everything
                    // comes from the delta, except ancestor values of rows updated in place.
                    let delta = side_delta(store, &t.path, &ancestor, &to_ds, reader).await?;
                    let in_place: HashSet<String> = delta
                        .after
                        .iter()
                        .filter(|(id, (_, created))| !created && !delta.before.contains_key(*id))
                        .map(|(id, _)| id.clone())
                        .collect();
                    let mut before = reader.by_ids(&from_ds, &in_place).await?;
                    before.extend(delta.before);
                    let after = delta
                        .after
                        .into_iter()
                        .map(|(id, (row, _))| (id, row))
                        .collect();
                    (before, after)
                }
                Some(ancestor) => {
                    let from_delta =
                        side_delta(store, &f.path, &ancestor, &from_ds, reader).await?;
                    let to_delta = side_delta(store, &t.path, &ancestor, &to_ds, reader).await?;
                    let ids: HashSet<String> =
                        from_delta.ids().chain(to_delta.ids()).cloned().collect();
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
                    Some(e) => reader.all(&*store.dataset(e).await?).await?,
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

/// What one side holds of the entities a merge brings in.
pub(crate) struct SideRows {
    /// Each entity's row on the side (`None`: absent there).
    pub rows: HashMap<String, Option<RowValues>>,
    /// The entities the side wrote (inserted, updated or deleted) since the base, whatever
    /// the values it left.
    pub written: HashSet<String>,
}

impl SideRows {
    /// Each change's row on the side and whether the side wrote it, as `side` says.
    fn of(
        changes: &[RowChange],
        mut side: impl FnMut(&RowChange) -> (Option<RowValues>, bool),
    ) -> SideRows {
        let mut out = SideRows {
            rows: HashMap::with_capacity(changes.len()),
            written: HashSet::new(),
        };
        for c in changes {
            let (row, written) = side(c);
            if written {
                out.written.insert(c.id.clone());
            }
            out.rows.insert(c.id.clone(), row);
        }
        out
    }
}

/// The rows the entities of `changes` have in table version `side`, given their rows at
/// version `base` (each change's `before`). When `side` descends from `base` in Lance
/// history, only the delta since `base` is read, and a row counts as written when the
/// side rewrote it (its row version moved, or it was deleted) even back to its base
/// values; otherwise the rows are looked up by id and a row counts as written when it
/// differs from its base.
pub(crate) async fn rows_given_base(
    store: &TableStore,
    reader: &RowReader,
    base: Option<&TableEntry>,
    side: &TableEntry,
    changes: &[RowChange],
) -> Result<SideRows> {
    let side_ds = store.dataset(side).await?;
    if let Some(b) = base.filter(|b| b.path == side.path) {
        let base_ds = store.dataset(b).await?;
        let chains = (lineage(&base_ds, b).await?, lineage(&side_ds, side).await?);
        if let Some(ancestor) = common_ancestor(&chains.0, &chains.1)
            && is_version(&base_ds, &ancestor)
        {
            let delta = side_delta(store, &side.path, &ancestor, &side_ds, reader).await?;
            return Ok(SideRows::of(changes, |c| match delta.after.get(&c.id) {
                Some((row, _)) => (Some(row.clone()), true),
                None if delta.before.contains_key(&c.id) => (None, true),
                None => (c.before.clone(), false),
            }));
        }
    }
    let ids: HashSet<String> = changes.iter().map(|c| c.id.clone()).collect();
    let mut found = reader.by_ids(&side_ds, &ids).await?;
    Ok(SideRows::of(changes, |c| {
        let row = found.remove(&c.id);
        let written = row != c.before;
        (row, written)
    }))
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
    value
        .to_array()
        .map_err(Error::from)
        .and_then(|array| crate::values::json_value(array.as_ref(), 0))
        .unwrap_or_else(|_| serde_json::Value::String(value.to_string()))
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
