//! Writing Arrow rows of a table: inserts and upserts (through the loader, so they are
//! checked exactly as loaded rows are) and replacements of existing rows (updates).

use std::collections::{BTreeMap, HashMap, HashSet};

use arrow_array::{Array, RecordBatch};
use futures::TryStreamExt;
use lance::deps::datafusion::scalar::ScalarValue;
use serde_json::{Map, Value};

use super::commit::{self, CommitOutcome, CommitRequest, StagedTable, TableAction, TableStep};
use super::loader::{LoadMode, LoadSummary};
use super::rows::{derive_key_id, join_key_parts};
use super::{WriteOptions, prepare_table};
use crate::error::{Error, IntegrityViolation, Result};
use crate::graph::Graph;
use crate::schema::TableDef;
use crate::storage::{id_in_filter, string_column};
use crate::values::json_value;

/// How inserted rows meet existing rows with the same key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InsertMode {
    /// An existing key is an error ([`IntegrityViolation::DuplicateKey`]).
    Insert,
    /// An existing key's row is replaced.
    Upsert,
    /// An existing key's row takes these columns from the new row and keeps the others.
    UpsertColumns(Vec<String>),
    /// Rows whose key exists are skipped.
    SkipExisting,
}

/// One row as a load line (`{"type":..,"data":..}` or `{"edge":..,"from":..,"to":..}`).
fn load_line(def: TableDef<'_>, batch: &RecordBatch, i: usize) -> Result<Map<String, Value>> {
    let mut data = Map::new();
    for prop in def.properties() {
        if let Some(column) = batch.column_by_name(&prop.column) {
            let v = json_value(column.as_ref(), i)?;
            if !v.is_null() {
                data.insert(prop.declared_name.clone(), v);
            }
        }
    }
    let mut line = Map::new();
    match def {
        TableDef::Node(n) => {
            line.insert("type".into(), Value::String(n.declared_name.clone()));
        }
        TableDef::Edge(e) => {
            line.insert("edge".into(), Value::String(e.declared_name.clone()));
            for (end, column) in [("from", "src"), ("to", "dst")] {
                let v = match batch.column_by_name(column) {
                    Some(c) => json_value(c.as_ref(), i)?,
                    None => Value::Null,
                };
                if v.is_null() {
                    return Err(IntegrityViolation::MissingProperty {
                        table: def.table().to_string(),
                        column: column.to_string(),
                    }
                    .into());
                }
                line.insert(end.into(), v);
            }
        }
    }
    line.insert("data".into(), Value::Object(data));
    Ok(line)
}

/// The id a load line gets when its type has a key.
fn keyed_id(def: TableDef<'_>, line: &Map<String, Value>) -> Result<Option<String>> {
    let empty = Map::new();
    let data = match line.get("data") {
        Some(Value::Object(m)) => m,
        _ => &empty,
    };
    let Some(parts) = derive_key_id(def, data)? else {
        return Ok(None);
    };
    Ok(Some(match def {
        TableDef::Node(_) => join_key_parts(&parts),
        TableDef::Edge(_) => {
            let text = |k: &str| line.get(k).and_then(Value::as_str).unwrap_or_default();
            let mut all = vec![text("from").to_string(), text("to").to_string()];
            all.extend(parts);
            join_key_parts(&all)
        }
    }))
}

impl Graph {
    /// Inserts rows of `table` (columns by name; `id` is derived from the key and ignored
    /// if given) on `branch` as one commit, with every check of a load.
    pub async fn insert_batches(
        &self,
        branch: &str,
        table: &str,
        batches: &[RecordBatch],
        mode: InsertMode,
        opts: &WriteOptions,
    ) -> Result<LoadSummary> {
        let load_mode = match mode {
            InsertMode::Insert => Some(LoadMode::Append),
            InsertMode::Upsert => Some(LoadMode::Merge),
            InsertMode::UpsertColumns(_) | InsertMode::SkipExisting => None,
        };
        if let Some(load_mode) = load_mode {
            let input = futures::stream::iter(batches.iter().cloned().map(Ok));
            return self
                .insert_stream(branch, table, input, load_mode, true, opts)
                .await
                .map_err(Error::without_line);
        }
        let snapshot = self.snapshot(branch).await?;
        let (def, _) = snapshot.table(table)?;
        let mut lines = Vec::new();
        for batch in batches {
            for i in 0..batch.num_rows() {
                lines.push(load_line(def, batch, i)?);
            }
        }
        if let InsertMode::UpsertColumns(columns) = &mode {
            keep_unlisted_columns(&snapshot, def, &mut lines, columns).await?;
        }
        if mode == InsertMode::SkipExisting {
            let mut keyed = Vec::with_capacity(lines.len());
            for line in lines {
                let id = keyed_id(def, &line)?;
                keyed.push((id, line));
            }
            let existing = snapshot
                .ids_where(
                    def.table(),
                    "id",
                    keyed.iter().filter_map(|(id, _)| id.as_deref()),
                )
                .await?;
            let mut seen = HashSet::new();
            lines = keyed
                .into_iter()
                .filter(|(id, _)| match id {
                    Some(id) => !existing.contains(id) && seen.insert(id.clone()),
                    None => true,
                })
                .map(|(_, line)| line)
                .collect();
        }
        let mut text = String::new();
        for line in &lines {
            text.push_str(&Value::Object(line.clone()).to_string());
            text.push('\n');
        }
        let load_mode = match mode {
            InsertMode::Upsert | InsertMode::UpsertColumns(_) => LoadMode::Merge,
            InsertMode::Insert | InsertMode::SkipExisting => LoadMode::Append,
        };
        let opts =
            WriteOptions {
                message: Some(opts.message.clone().unwrap_or_else(|| {
                    format!("insert {} rows into {}", lines.len(), def.table())
                })),
                ..opts.clone()
            };
        // Kept column values were read at this snapshot: they must still be current.
        let read_at = matches!(mode, InsertMode::UpsertColumns(_)).then(|| snapshot.version());
        self.load_reader_at(branch, text.as_bytes(), load_mode, read_at, true, &opts)
            .await
            .map_err(Error::without_line)
    }

    /// Replaces existing rows of `table` on `branch` (an update): `batches` hold every
    /// column, `id` included. Keys cannot change (the id is kept), so the checks are the
    /// required properties and `@unique`. `read_at` is the graph version the new values
    /// were computed from: if the branch moved since, nothing is written (a conflict), so
    /// a concurrent update is never overwritten with values computed from older ones.
    pub async fn replace_rows(
        &self,
        branch: &str,
        table: &str,
        batches: &[RecordBatch],
        read_at: Option<u64>,
        opts: &WriteOptions,
    ) -> Result<Option<CommitOutcome>> {
        self.require_writable()?;
        let _writing = self.writing().await;
        crate::recovery::heal_own_before_write(self).await?;
        let snapshot = self.snapshot(branch).await?;
        if let Some(version) = read_at
            && version != snapshot.version()
        {
            return Err(Error::Conflict(format!(
                "branch '{branch}' moved from version {version} to {} while the update read its rows; run it again",
                snapshot.version()
            )));
        }
        let (def, _) = snapshot.table(table)?;
        let schema = crate::schema::table_arrow_schema(def);
        let mut ids: BTreeMap<String, ()> = BTreeMap::new();
        let mut rows = Vec::new();
        for batch in batches {
            if batch.num_rows() == 0 {
                continue;
            }
            let batch = batch.project(
                &schema
                    .fields()
                    .iter()
                    .map(|f| batch.schema().index_of(f.name()))
                    .collect::<std::result::Result<Vec<_>, _>>()?,
            )?;
            let batch =
                RecordBatch::try_new(schema.clone(), batch.columns().to_vec()).map_err(|e| {
                    match def.properties().iter().find(|p| {
                        !p.nullable
                            && batch
                                .column_by_name(&p.column)
                                .is_some_and(|c| c.null_count() > 0)
                    }) {
                        Some(p) => Error::Integrity(IntegrityViolation::MissingProperty {
                            table: def.table().to_string(),
                            column: p.column.clone(),
                        }),
                        None => Error::Arrow(e),
                    }
                })?;
            let id_column = string_column(&batch, 0)?;
            for i in 0..batch.num_rows() {
                if ids.insert(id_column.value(i).to_string(), ()).is_some() {
                    return Err(IntegrityViolation::DuplicateKey {
                        table: def.table().to_string(),
                        id: id_column.value(i).to_string(),
                    }
                    .into());
                }
            }
            rows.push(batch);
        }
        if rows.is_empty() {
            return Ok(None);
        }
        for batch in &rows {
            check_values(def, batch)?;
        }
        check_unique_after_replace(&snapshot, def, &rows, &ids).await?;
        let prepared = prepare_table(&snapshot, def.table()).await?;
        let batch = arrow_select::concat::concat_batches(&schema, &rows)?;
        let staged = StagedTable {
            entry: prepared.entry,
            dataset: prepared.dataset,
            forked: prepared.forked,
            action: TableAction::Steps(vec![
                TableStep::Delete(id_in_filter("id", ids.keys().map(String::as_str))),
                TableStep::Append(batch),
            ]),
        };
        let message = opts
            .message
            .clone()
            .unwrap_or_else(|| format!("update {} rows of {}", ids.len(), def.table()));
        let outcome = commit::commit(
            self,
            CommitRequest {
                kind: "update",
                branch: branch.to_string(),
                base_version: snapshot.version(),
                tables: vec![staged],
                schema_source: None,
                actor: opts.actor.clone(),
                message,
                history: Default::default(),
            },
        )
        .await?;
        Ok(Some(outcome))
    }
}

/// Values an update assigns must fit the property as a loaded value must: enum members,
/// finite floats.
fn check_values(def: TableDef<'_>, batch: &RecordBatch) -> Result<()> {
    for prop in def.properties() {
        let Some(column) = batch.column_by_name(&prop.column) else {
            continue;
        };
        let invalid = |message: String| -> Error {
            IntegrityViolation::InvalidValue {
                table: def.table().to_string(),
                column: prop.column.clone(),
                message,
            }
            .into()
        };
        if let Some(message) = invalid_value(&prop.ty, column.as_ref())? {
            return Err(invalid(message));
        }
    }
    Ok(())
}

/// For lines whose key exists, the properties not in `columns` keep their current values.
async fn keep_unlisted_columns(
    snapshot: &crate::snapshot::Snapshot,
    def: TableDef<'_>,
    lines: &mut [Map<String, Value>],
    columns: &[String],
) -> Result<()> {
    let mut ids = Vec::with_capacity(lines.len());
    for line in lines.iter() {
        ids.push(keyed_id(def, line)?);
    }
    let wanted: Vec<&str> = ids.iter().flatten().map(String::as_str).collect();
    let kept: Vec<&crate::schema::Property> = def
        .properties()
        .iter()
        .filter(|p| !def.key().contains(&p.column) && !columns.contains(&p.column))
        .collect();
    if wanted.is_empty() || kept.is_empty() {
        return Ok(());
    }
    let dataset = snapshot.dataset(def.table()).await?;
    let mut current: HashMap<String, Map<String, Value>> = HashMap::new();
    for chunk in wanted.chunks(1024) {
        let mut scanner = dataset.scan();
        scanner.filter(&id_in_filter("id", chunk.iter().copied()))?;
        let mut stream = scanner.try_into_stream().await?;
        while let Some(batch) = stream.try_next().await? {
            let id_column = string_column(&batch, 0)?;
            for i in 0..batch.num_rows() {
                let mut values = Map::new();
                for prop in &kept {
                    if let Some(column) = batch.column_by_name(&prop.column) {
                        values.insert(prop.declared_name.clone(), json_value(column.as_ref(), i)?);
                    }
                }
                current.insert(id_column.value(i).to_string(), values);
            }
        }
    }
    for (line, id) in lines.iter_mut().zip(&ids) {
        let Some(existing) = id.as_ref().and_then(|id| current.get(id)) else {
            continue;
        };
        if let Some(Value::Object(data)) = line.get_mut("data") {
            for prop in &kept {
                match existing.get(&prop.declared_name) {
                    Some(v) if !v.is_null() => {
                        data.insert(prop.declared_name.clone(), v.clone());
                    }
                    _ => {
                        data.remove(&prop.declared_name);
                    }
                }
            }
        }
    }
    Ok(())
}

/// Why a value of `array` does not fit `ty` (enum members, finite floats, list and vector
/// elements), or `None`.
pub(crate) fn invalid_value(
    ty: &crate::schema::PropType,
    array: &dyn Array,
) -> Result<Option<String>> {
    use crate::schema::PropType;
    match ty {
        PropType::Enum(members) => {
            for i in 0..array.len() {
                if array.is_valid(i)
                    && let ScalarValue::Utf8(Some(v)) = ScalarValue::try_from_array(array, i)?
                    && !members.contains(&v)
                {
                    return Ok(Some(format!("'{v}' is not one of {}", members.join(", "))));
                }
            }
        }
        PropType::F32 | PropType::F64 => {
            for i in 0..array.len() {
                if array.is_valid(i) {
                    let v = ScalarValue::try_from_array(array, i)?;
                    let finite = match v {
                        ScalarValue::Float32(Some(f)) => f.is_finite(),
                        ScalarValue::Float64(Some(f)) => f.is_finite(),
                        _ => true,
                    };
                    if !finite {
                        return Ok(Some(format!("{v} is not a valid value")));
                    }
                }
            }
        }
        PropType::List(inner) => {
            if let Some(list) = array.as_any().downcast_ref::<arrow_array::ListArray>() {
                return invalid_value(inner, list.values().as_ref());
            }
        }
        PropType::Vector(_) => {
            if let Some(list) = array
                .as_any()
                .downcast_ref::<arrow_array::FixedSizeListArray>()
            {
                return invalid_value(&PropType::F32, list.values().as_ref());
            }
        }
        _ => {}
    }
    Ok(None)
}

/// Up to this many `@unique` values, [`check_unique_after_replace`] reads only the rows
/// holding them; beyond it, it streams the column.
const UNIQUE_LOOKUP: usize = 1024;

/// `@unique` values of replaced rows must not clash with each other or other rows.
async fn check_unique_after_replace(
    snapshot: &crate::snapshot::Snapshot,
    def: TableDef<'_>,
    rows: &[RecordBatch],
    ids: &BTreeMap<String, ()>,
) -> Result<()> {
    for prop in def.properties().iter().filter(|p| p.unique) {
        let mut written: HashMap<ScalarValue, String> = HashMap::new();
        for batch in rows {
            let id_column = string_column(batch, 0)?;
            let values = batch
                .column_by_name(&prop.column)
                .ok_or_else(|| Error::Corrupt(format!("missing column {}", prop.column)))?;
            for i in 0..batch.num_rows() {
                if values.is_null(i) {
                    continue;
                }
                let v = ScalarValue::try_from_array(values, i)?;
                if written
                    .insert(v.clone(), id_column.value(i).to_string())
                    .is_some()
                {
                    return Err(IntegrityViolation::UniqueViolation {
                        table: def.table().to_string(),
                        column: prop.column.clone(),
                        value: v.to_string(),
                    }
                    .into());
                }
            }
        }
        if written.is_empty() {
            continue;
        }
        // Few values are looked up (through the column's index); many stream the column.
        let columns = ["id", prop.column.as_str()];
        let mut stream = if written.len() <= UNIQUE_LOOKUP {
            let values: Vec<ScalarValue> = written.keys().cloned().collect();
            snapshot
                .stream_columns_in(def.table(), &columns, &prop.column, &values)
                .await?
        } else {
            snapshot.stream_columns(def.table(), &columns).await?
        };
        while let Some(batch) = stream.try_next().await? {
            let id_column = string_column(&batch, 0)?;
            let values = batch.column(1);
            for i in 0..batch.num_rows() {
                if values.is_null(i) || ids.contains_key(id_column.value(i)) {
                    continue;
                }
                let v = ScalarValue::try_from_array(values, i)?;
                if written.contains_key(&v) {
                    return Err(IntegrityViolation::UniqueViolation {
                        table: def.table().to_string(),
                        column: prop.column.clone(),
                        value: v.to_string(),
                    }
                    .into());
                }
            }
        }
    }
    Ok(())
}
