//! One table's part of a write: rows arriving as Arrow batches are conformed to the
//! table's schema, given their ids, recorded for the integrity checks and handed to the
//! table's Lance writer, a batch at a time, so a write holds the ids of its rows and never
//! the rows themselves.

use std::collections::HashMap;
use std::sync::Arc;

use arrow_array::builder::StringBuilder;
use arrow_array::cast::AsArray;
use arrow_array::types::{
    Date32Type, Int32Type, Int64Type, TimestampMicrosecondType, UInt32Type, UInt64Type,
};
use arrow_array::{Array, ArrayRef, RecordBatch, StringArray, new_null_array};
use arrow_cast::{CastOptions, cast_with_options};
use arrow_schema::{DataType, SchemaRef};
use futures::TryStreamExt;

use super::integrity::TableFacts;
use super::loader::LoadMode;
use super::rows::join_key_parts;
use super::stage::TableStager;
use super::{PreparedTable, prepare_table};
use crate::error::{Error, IntegrityViolation, Result};
use crate::schema::{PropType, TableDef, arrow_type, table_arrow_schema};
use crate::snapshot::Snapshot;
use crate::storage::string_column;

/// Sources a merge looks up one at a time (through the edge table's `src` index) before
/// it reads the table's pairs whole instead.
const PAIR_SOURCES_LOOKED_UP: usize = 1024;

/// Ids of a keyless edge table's existing `(src, dst)` pairs, read as a merge meets them:
/// a source's pairs through the `src` index when the merge first names it, so a small
/// merge reads its own sources' edges only; past [`PAIR_SOURCES_LOOKED_UP`] sources,
/// every pair in one read of the table.
#[derive(Default)]
struct PairIds {
    /// src → dst → id (the first id of a pair that is there twice).
    by_src: HashMap<String, HashMap<String, String>>,
    whole_table: bool,
    /// Pairs of this write → the line that wrote them.
    seen: HashMap<(String, String), u64>,
}

impl PairIds {
    fn record(&mut self, batch: &RecordBatch) -> Result<()> {
        let (ids, srcs, dsts) = (
            string_column(batch, 0)?,
            string_column(batch, 1)?,
            string_column(batch, 2)?,
        );
        for i in 0..batch.num_rows() {
            self.by_src
                .entry(srcs.value(i).to_string())
                .or_default()
                .entry(dsts.value(i).to_string())
                .or_insert_with(|| ids.value(i).to_string());
        }
        Ok(())
    }

    /// The id of the existing edge `from → to`, if there is one.
    async fn existing(
        &mut self,
        snapshot: &Snapshot,
        table: &str,
        from: &str,
        to: &str,
    ) -> Result<Option<String>> {
        if !self.whole_table && !self.by_src.contains_key(from) {
            const COLUMNS: [&str; 3] = ["id", "src", "dst"];
            let mut stream = if self.by_src.len() >= PAIR_SOURCES_LOOKED_UP {
                self.by_src.clear();
                self.whole_table = true;
                snapshot.stream_columns(table, &COLUMNS).await?
            } else {
                self.by_src.insert(from.to_string(), HashMap::new());
                snapshot
                    .stream_columns_matching(table, &COLUMNS, "src", &[from])
                    .await?
            };
            while let Some(batch) = stream.try_next().await? {
                self.record(&batch)?;
            }
        }
        Ok(self.by_src.get(from).and_then(|m| m.get(to)).cloned())
    }
}

/// Ids for a write's new rows of a keyless type: ULIDs counting up from one drawn at the
/// write's first row, so a write's ids are ascending in the order its rows are stored (the
/// `id` index build then sorts sorted runs) and no clock is read per row. A fresh ULID's
/// 80 random bits leave no room for a clash with another write's range.
#[derive(Default)]
pub(crate) struct FreshIds {
    last: Option<ulid::Ulid>,
}

impl FreshIds {
    pub(crate) fn next(&mut self) -> ulid::Ulid {
        let id = match self.last.and_then(|last| last.increment()) {
            Some(next) => next,
            None => ulid::Ulid::new(),
        };
        self.last = Some(id);
        id
    }
}

/// The written rows of one table and its running writer.
pub(crate) struct TableRows<'s> {
    pub def: TableDef<'s>,
    schema: SchemaRef,
    mode: LoadMode,
    stager: Option<(PreparedTable, TableStager)>,
    pub facts: TableFacts,
    pub rows: u64,
    pairs: PairIds,
    pub fresh_ids: FreshIds,
    /// The written ids in input order, when the caller asked for them.
    pub written_ids: Option<Vec<String>>,
}

impl<'s> TableRows<'s> {
    pub(crate) fn new(def: TableDef<'s>, mode: LoadMode, report_ids: bool) -> TableRows<'s> {
        TableRows {
            def,
            schema: table_arrow_schema(def),
            mode,
            stager: None,
            facts: TableFacts::new(def),
            rows: 0,
            pairs: PairIds::default(),
            fresh_ids: FreshIds::default(),
            written_ids: report_ids.then(Vec::new),
        }
    }

    /// The id of a keyless edge `from → to`: in a merge, the existing edge's (the same
    /// pair twice in one write is a duplicate); otherwise a new one.
    pub(crate) async fn keyless_edge_id(
        &mut self,
        snapshot: &Snapshot,
        from: &str,
        to: &str,
        line: u64,
    ) -> Result<(String, bool)> {
        if self.mode != LoadMode::Merge {
            return Ok((self.fresh_ids.next().to_string(), true));
        }
        let pair = (from.to_string(), to.to_string());
        if let Some(first) = self.pairs.seen.insert(pair, line) {
            return Err(Error::at_line(
                line,
                IntegrityViolation::DuplicateKey {
                    table: self.def.table().to_string(),
                    id: format!("{from}->{to}' (also on line {first})"),
                },
            ));
        }
        let existing = self
            .pairs
            .existing(snapshot, self.def.table(), from, to)
            .await?;
        Ok(match existing {
            Some(id) => (id, false),
            None => (self.fresh_ids.next().to_string(), true),
        })
    }

    /// Records one written row: its id (`fresh` when this write generated it for a new
    /// row, which cannot clash) and an edge's endpoints.
    pub(crate) fn record(
        &mut self,
        id: &str,
        fresh: bool,
        line: u64,
        endpoints: Option<(&str, &str)>,
    ) -> Result<()> {
        if !fresh || self.mode == LoadMode::Merge {
            self.facts.record_id(self.def, id, line)?;
        }
        if let Some((src, dst)) = endpoints {
            self.facts.record_ends(line, src, dst);
        }
        if let Some(ids) = &mut self.written_ids {
            ids.push(id.to_string());
        }
        self.rows += 1;
        Ok(())
    }

    /// Hands a batch of the table's schema, its rows recorded, to the table's writer.
    pub(crate) async fn stage(&mut self, snapshot: &Snapshot, batch: RecordBatch) -> Result<()> {
        if batch.num_rows() == 0 {
            return Ok(());
        }
        self.facts.record_unique(self.def, &batch)?;
        if self.stager.is_none() {
            let prepared = prepare_table(snapshot, self.def.table()).await?;
            let stager = TableStager::start(
                prepared.dataset.clone(),
                self.schema.clone(),
                self.mode.stage_mode(),
            );
            self.stager = Some((prepared, stager));
        }
        let (_, stager) = self.stager.as_mut().expect("started above");
        stager.send(batch).await
    }

    /// The running writer, if any row was staged.
    pub(crate) fn into_parts(self) -> (TableFacts, Option<(PreparedTable, TableStager)>) {
        (self.facts, self.stager)
    }

    /// Writes a batch of rows given by column name (any order; `id` is derived and
    /// ignored if given; absent properties are NULL). `first_line` numbers its first row
    /// for errors.
    pub(crate) async fn push_batch(
        &mut self,
        snapshot: &Snapshot,
        batch: &RecordBatch,
        first_line: u64,
    ) -> Result<()> {
        let rows = batch.num_rows();
        if rows == 0 {
            return Ok(());
        }
        let def = self.def;
        let table = def.table();
        for field in batch.schema().fields() {
            let name = field.name();
            let known = name == "id"
                || (matches!(def, TableDef::Edge(_)) && (name == "src" || name == "dst"))
                || def.properties().iter().any(|p| &p.column == name);
            if !known {
                return Err(IntegrityViolation::UnknownProperty {
                    table: table.to_string(),
                    column: name.clone(),
                }
                .into());
            }
        }
        let missing = |column: &str| -> Error {
            IntegrityViolation::MissingProperty {
                table: table.to_string(),
                column: column.to_string(),
            }
            .into()
        };
        let mut columns: Vec<ArrayRef> = Vec::with_capacity(self.schema.fields().len());
        columns.push(new_null_array(&DataType::Utf8, rows));
        let mut ends: Option<(StringArray, StringArray)> = None;
        if let TableDef::Edge(_) = def {
            let end = |name: &str| -> Result<StringArray> {
                let column = batch.column_by_name(name).ok_or_else(|| missing(name))?;
                if column.null_count() > 0 {
                    return Err(missing(name));
                }
                Ok(cast_with_options(column, &DataType::Utf8, &strict())?
                    .as_string::<i32>()
                    .clone())
            };
            let (src, dst) = (end("src")?, end("dst")?);
            columns.push(Arc::new(src.clone()));
            columns.push(Arc::new(dst.clone()));
            ends = Some((src, dst));
        }
        for prop in def.properties() {
            let target = arrow_type(&prop.ty);
            let column = match batch.column_by_name(&prop.column) {
                Some(c) => cast_with_options(c, &target, &strict()).map_err(|e| {
                    Error::from(IntegrityViolation::InvalidValue {
                        table: table.to_string(),
                        column: prop.column.clone(),
                        message: e.to_string(),
                    })
                })?,
                None => new_null_array(&target, rows),
            };
            if !prop.nullable && column.null_count() > 0 {
                return Err(missing(&prop.column));
            }
            if let Some(message) = super::batches::invalid_value(&prop.ty, column.as_ref())? {
                return Err(IntegrityViolation::InvalidValue {
                    table: table.to_string(),
                    column: prop.column.clone(),
                    message,
                }
                .into());
            }
            columns.push(column);
        }
        let first_prop = if ends.is_some() { 3 } else { 1 };
        let ids = self
            .ids(
                snapshot,
                rows,
                &columns[first_prop..],
                ends.as_ref(),
                first_line,
            )
            .await?;
        columns[0] = Arc::new(ids);
        let batch = RecordBatch::try_new(self.schema.clone(), columns)?;
        self.stage(snapshot, batch).await
    }

    /// The ids of a batch's rows (`properties` in the table's order), each recorded.
    async fn ids(
        &mut self,
        snapshot: &Snapshot,
        rows: usize,
        properties: &[ArrayRef],
        ends: Option<&(StringArray, StringArray)>,
        first_line: u64,
    ) -> Result<StringArray> {
        let def = self.def;
        let key: Vec<(&crate::schema::Property, &ArrayRef)> = def
            .key()
            .iter()
            .map(|k| {
                let i = def
                    .properties()
                    .iter()
                    .position(|p| &p.column == k)
                    .expect("key columns are declared properties");
                (&def.properties()[i], &properties[i])
            })
            .collect();
        let mut ids = StringBuilder::with_capacity(rows, rows * ulid::ULID_LEN);
        let mut parts: Vec<String> = Vec::with_capacity(key.len() + 2);
        let mut new_id = [0u8; ulid::ULID_LEN];
        for row in 0..rows {
            let line = first_line + row as u64;
            let endpoints = ends.map(|(s, d)| (s.value(row), d.value(row)));
            let (id, fresh) = if key.is_empty() {
                match endpoints {
                    Some((from, to)) if self.mode == LoadMode::Merge => {
                        self.keyless_edge_id(snapshot, from, to, line).await?
                    }
                    _ => {
                        // A new row of a keyless type: its id needs no check or copy.
                        let id = self.fresh_ids.next();
                        let id = id.array_to_str(&mut new_id);
                        self.record(id, true, line, endpoints)?;
                        ids.append_value(id);
                        continue;
                    }
                }
            } else {
                parts.clear();
                if let Some((from, to)) = endpoints {
                    parts.push(from.to_string());
                    parts.push(to.to_string());
                }
                for (prop, column) in &key {
                    parts.push(
                        key_part(def, prop, column.as_ref(), row)
                            .map_err(|e| Error::at_line(line, e))?,
                    );
                }
                (join_key_parts(&parts), false)
            };
            self.record(&id, fresh, line, endpoints)?;
            ids.append_value(&id);
        }
        Ok(ids.finish())
    }
}

/// A cast that fails on a value it cannot convert instead of making it NULL.
fn strict() -> CastOptions<'static> {
    CastOptions {
        safe: false,
        ..Default::default()
    }
}

/// The canonical text of row `row`'s key value, as a key written as JSON gets it (see
/// `rows::key_text`), so the same key always gives the same id.
fn key_part(
    def: TableDef<'_>,
    prop: &crate::schema::Property,
    column: &dyn Array,
    row: usize,
) -> std::result::Result<String, IntegrityViolation> {
    if column.is_null(row) {
        return Err(IntegrityViolation::MissingProperty {
            table: def.table().to_string(),
            column: prop.column.clone(),
        });
    }
    Ok(match &prop.ty {
        PropType::String | PropType::Enum(_) => column.as_string::<i32>().value(row).to_string(),
        PropType::I32 => column.as_primitive::<Int32Type>().value(row).to_string(),
        PropType::I64 => column.as_primitive::<Int64Type>().value(row).to_string(),
        PropType::U32 => column.as_primitive::<UInt32Type>().value(row).to_string(),
        PropType::U64 => column.as_primitive::<UInt64Type>().value(row).to_string(),
        PropType::Bool => column.as_boolean().value(row).to_string(),
        PropType::Date => {
            let days = column.as_primitive::<Date32Type>().value(row);
            let date = chrono::NaiveDate::from_ymd_opt(1970, 1, 1).expect("valid date")
                + chrono::Duration::days(i64::from(days));
            date.format("%Y-%m-%d").to_string()
        }
        PropType::DateTime => {
            let micros = column.as_primitive::<TimestampMicrosecondType>().value(row);
            chrono::DateTime::from_timestamp_micros(micros)
                .ok_or_else(|| IntegrityViolation::InvalidValue {
                    table: def.table().to_string(),
                    column: prop.column.clone(),
                    message: "date-time out of range".into(),
                })?
                .to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
        }
        ty => {
            return Err(IntegrityViolation::InvalidValue {
                table: def.table().to_string(),
                column: prop.column.clone(),
                message: format!("a key of type {ty} cannot be written"),
            });
        }
    })
}
