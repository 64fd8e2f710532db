//! NDJSON loading: one line per node or edge, streamed into staged Lance writes, validated,
//! and published as one graph commit.
//!
//! ```text
//! {"type":"Person","data":{"name":"alice","age":30}}
//! {"edge":"Knows","from":"alice","to":"bob","data":{"since":"2020-01-01"}}
//! ```

use std::collections::BTreeMap;
use std::str::FromStr;

use arrow_array::RecordBatch;
use futures::TryStreamExt;
use serde_json::{Map, Value};
use tokio::io::{AsyncBufRead, AsyncBufReadExt};

use super::WriteOptions;
use super::commit::{self, CommitOutcome, CommitRequest, StagedTable, TableAction};
use super::integrity::{self, ExistingRows};
use super::rows::{RowBuffer, derive_key_id, join_key_parts};
use super::stage::StageMode;
use super::table_rows::TableRows;
use crate::error::{Error, Result};
use crate::graph::Graph;
use crate::schema::TableDef;
use crate::snapshot::Snapshot;

/// Rows buffered per table before they are handed to the table's writer.
const BATCH_ROWS: usize = 8192;

/// How a load combines with the graph's existing rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoadMode {
    /// Strict: every node key and keyed edge must be new.
    Append,
    /// Upsert: rows with an existing id replace it; keyless edges are matched by
    /// (`from`, `to`).
    Merge,
    /// Every table that appears in the input is replaced by the input's rows; other
    /// tables are kept (and their edges must still have their endpoints).
    Overwrite,
}

impl FromStr for LoadMode {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "append" => Ok(LoadMode::Append),
            "merge" | "upsert" => Ok(LoadMode::Merge),
            "overwrite" => Ok(LoadMode::Overwrite),
            _ => Err(Error::InvalidLoadMode(s.to_string())),
        }
    }
}

impl LoadMode {
    pub fn as_str(&self) -> &'static str {
        match self {
            LoadMode::Append => "append",
            LoadMode::Merge => "merge",
            LoadMode::Overwrite => "overwrite",
        }
    }

    pub(crate) fn stage_mode(&self) -> StageMode {
        match self {
            LoadMode::Append => StageMode::Append,
            LoadMode::Merge => StageMode::Upsert,
            LoadMode::Overwrite => StageMode::Replace,
        }
    }

    pub(crate) fn existing_rows(&self) -> ExistingRows {
        match self {
            LoadMode::Append => ExistingRows::Kept,
            LoadMode::Merge => ExistingRows::ReplacedById,
            LoadMode::Overwrite => ExistingRows::Dropped,
        }
    }
}

/// What a load wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadSummary {
    /// `None` when the input had no rows (nothing is committed).
    pub commit: Option<CommitOutcome>,
    pub nodes: u64,
    pub edges: u64,
    /// Rows written per table.
    pub tables: BTreeMap<String, u64>,
    /// The ids written per table, in input order: filled for rows inserted by
    /// [`Graph::insert_batches`] (an `INSERT ... RETURNING` reads them back), empty for
    /// loads, which may be too large to list.
    pub ids: BTreeMap<String, Vec<String>>,
}

/// A running write: the rows of each table it touches.
pub(crate) struct Load<'s> {
    snapshot: &'s Snapshot,
    mode: LoadMode,
    report_ids: bool,
    tables: BTreeMap<String, TableRows<'s>>,
    /// NDJSON rows not yet handed to their table, per table.
    buffers: BTreeMap<String, RowBuffer>,
}

/// NDJSON line `line` parsed.
pub(crate) fn parse_line(line: u64, text: &str) -> Result<Value> {
    serde_json::from_str(text).map_err(|e| bad(line, format!("invalid JSON: {e}")))
}

fn bad(line: u64, message: impl Into<String>) -> Error {
    Error::at_line(line, Error::BadInput(message.into()))
}

fn field_str<'v>(obj: &'v Map<String, Value>, key: &str, line: u64) -> Result<&'v str> {
    match obj.get(key) {
        Some(Value::String(s)) => Ok(s),
        Some(other) => Err(bad(
            line,
            format!("\"{key}\" must be a string, found {other}"),
        )),
        None => Err(bad(line, format!("missing \"{key}\""))),
    }
}

impl<'s> Load<'s> {
    pub(crate) fn new(snapshot: &'s Snapshot, mode: LoadMode, report_ids: bool) -> Load<'s> {
        Load {
            snapshot,
            mode,
            report_ids,
            tables: BTreeMap::new(),
            buffers: BTreeMap::new(),
        }
    }

    fn table(&mut self, def: TableDef<'s>) -> &mut TableRows<'s> {
        let (mode, report_ids) = (self.mode, self.report_ids);
        self.tables
            .entry(def.table().to_string())
            .or_insert_with(|| TableRows::new(def, mode, report_ids))
    }

    /// Writes one batch of `table`'s rows (columns by name), its first row numbered
    /// `first_line`.
    pub(crate) async fn batch(
        &mut self,
        table: &str,
        batch: &RecordBatch,
        first_line: u64,
    ) -> Result<()> {
        let snapshot = self.snapshot;
        let (def, _) = snapshot.table(table)?;
        self.table(def)
            .push_batch(snapshot, batch, first_line)
            .await
    }

    pub(crate) async fn line(&mut self, line: u64, text: &str) -> Result<()> {
        self.value(line, parse_line(line, text)?).await
    }

    /// Writes the node or edge of NDJSON line `line`, parsed.
    pub(crate) async fn value(&mut self, line: u64, value: Value) -> Result<()> {
        let Value::Object(obj) = value else {
            return Err(bad(line, "expected a JSON object"));
        };
        let empty = Map::new();
        let data = match obj.get("data") {
            None | Some(Value::Null) => &empty,
            Some(Value::Object(m)) => m,
            Some(other) => {
                return Err(bad(
                    line,
                    format!("\"data\" must be an object, found {other}"),
                ));
            }
        };
        let schema = self.snapshot.schema();
        if obj.contains_key("type") {
            if let Some(k) = obj.keys().find(|k| !matches!(k.as_str(), "type" | "data")) {
                return Err(bad(
                    line,
                    format!("unexpected field \"{k}\" in a node line"),
                ));
            }
            let name = field_str(&obj, "type", line)?;
            let node = schema
                .node(name)
                .ok_or_else(|| bad(line, format!("unknown node type '{name}'")))?;
            let def = TableDef::Node(node);
            let (id, fresh) = match derive_key_id(def, data).map_err(|v| Error::at_line(line, v))? {
                Some(parts) => (join_key_parts(&parts), false),
                None => (self.table(def).fresh_ids.next().to_string(), true),
            };
            self.push(def, line, (id, fresh), None, data).await
        } else if obj.contains_key("edge") {
            if let Some(k) = obj
                .keys()
                .find(|k| !matches!(k.as_str(), "edge" | "from" | "to" | "data"))
            {
                return Err(bad(
                    line,
                    format!("unexpected field \"{k}\" in an edge line"),
                ));
            }
            let name = field_str(&obj, "edge", line)?;
            let edge = schema
                .edge(name)
                .ok_or_else(|| bad(line, format!("unknown edge type '{name}'")))?;
            let def = TableDef::Edge(edge);
            let from = field_str(&obj, "from", line)?;
            let to = field_str(&obj, "to", line)?;
            let id = match derive_key_id(def, data).map_err(|v| Error::at_line(line, v))? {
                Some(parts) => {
                    let mut all = vec![from.to_string(), to.to_string()];
                    all.extend(parts);
                    (join_key_parts(&all), false)
                }
                None => {
                    let snapshot = self.snapshot;
                    self.table(def)
                        .keyless_edge_id(snapshot, from, to, line)
                        .await?
                }
            };
            self.push(def, line, id, Some((from, to)), data).await
        } else {
            Err(bad(
                line,
                "expected a node line ({\"type\": ...}) or an edge line ({\"edge\": ...})",
            ))
        }
    }

    async fn push(
        &mut self,
        def: TableDef<'s>,
        line: u64,
        (id, fresh): (String, bool),
        endpoints: Option<(&str, &str)>,
        data: &Map<String, Value>,
    ) -> Result<()> {
        self.table(def).record(&id, fresh, line, endpoints)?;
        let buffer = self
            .buffers
            .entry(def.table().to_string())
            .or_insert_with(|| RowBuffer::new(def));
        buffer
            .push(&id, endpoints, data)
            .map_err(|v| Error::at_line(line, v))?;
        if buffer.len() >= BATCH_ROWS {
            self.flush(def.table()).await?;
        }
        Ok(())
    }

    async fn flush(&mut self, table: &str) -> Result<()> {
        let Some(buffer) = self.buffers.get_mut(table) else {
            return Ok(());
        };
        if buffer.len() == 0 {
            return Ok(());
        }
        let batch = buffer.take_batch()?;
        let snapshot = self.snapshot;
        let rows = self
            .tables
            .get_mut(table)
            .expect("buffered rows are recorded");
        rows.stage(snapshot, batch).await
    }

    /// Checks the written rows against the snapshot and each other, and commits them as
    /// one graph commit (`kind`, `message`) on `branch`.
    pub(crate) async fn commit(
        mut self,
        graph: &Graph,
        branch: &str,
        opts: &WriteOptions,
        message: impl FnOnce(&LoadSummary) -> String,
    ) -> Result<LoadSummary> {
        let buffered: Vec<String> = self.buffers.keys().cloned().collect();
        for name in buffered {
            self.flush(&name).await?;
        }
        let snapshot = self.snapshot;
        let mode = self.mode;
        let mut facts = BTreeMap::new();
        let mut existing = BTreeMap::new();
        let mut stagers = Vec::new();
        let mut summary = LoadSummary {
            commit: None,
            nodes: 0,
            edges: 0,
            tables: BTreeMap::new(),
            ids: BTreeMap::new(),
        };
        for (name, mut t) in self.tables {
            match t.def {
                TableDef::Node(_) => summary.nodes += t.rows,
                TableDef::Edge(_) => summary.edges += t.rows,
            }
            summary.tables.insert(name.clone(), t.rows);
            if let Some(ids) = t.written_ids.take() {
                summary.ids.insert(name.clone(), ids);
            }
            existing.insert(name.clone(), mode.existing_rows());
            let (table_facts, stager) = t.into_parts();
            facts.insert(name, table_facts);
            if let Some(s) = stager {
                stagers.push(s);
            }
        }
        if stagers.is_empty() {
            return Ok(summary);
        }
        integrity::validate(snapshot, &facts, &existing).await?;
        drop(facts);

        let mut tables = Vec::with_capacity(stagers.len());
        for (prepared, stager) in stagers {
            let txn = stager.finish().await?;
            tables.push(StagedTable {
                entry: prepared.entry,
                dataset: prepared.dataset,
                forked: prepared.forked,
                action: TableAction::Transaction(Box::new(txn)),
            });
        }
        let message = opts.message.clone().unwrap_or_else(|| message(&summary));
        let outcome = commit::commit(
            graph,
            CommitRequest {
                kind: "load",
                branch: branch.to_string(),
                base_version: snapshot.version(),
                tables,
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

impl Graph {
    /// Loads a file into `branch` as one commit: NDJSON, or CSV or Parquet by extension
    /// (see [`Graph::load_path`]).
    pub async fn load_file(
        &self,
        branch: &str,
        path: &str,
        mode: LoadMode,
        opts: &WriteOptions,
    ) -> Result<LoadSummary> {
        self.load_path(branch, path, mode, None, opts).await
    }

    /// Loads NDJSON text into `branch` as one commit.
    pub async fn load_ndjson(
        &self,
        branch: &str,
        text: &str,
        mode: LoadMode,
        opts: &WriteOptions,
    ) -> Result<LoadSummary> {
        self.load_reader(branch, text.as_bytes(), mode, opts).await
    }

    /// Loads NDJSON from `reader` into `branch`: all or nothing, one commit.
    pub async fn load_reader<R: AsyncBufRead + Unpin>(
        &self,
        branch: &str,
        reader: R,
        mode: LoadMode,
        opts: &WriteOptions,
    ) -> Result<LoadSummary> {
        self.load_reader_at(branch, reader, mode, None, false, opts)
            .await
    }

    /// [`Graph::load_reader`] for input computed from graph version `read_at` of the
    /// branch: if the branch is elsewhere by the time the load starts (or commits), the
    /// load fails with a conflict instead of overwriting what happened in between.
    /// `report_ids` lists the written ids in the summary.
    pub(crate) async fn load_reader_at<R: AsyncBufRead + Unpin>(
        &self,
        branch: &str,
        reader: R,
        mode: LoadMode,
        read_at: Option<u64>,
        report_ids: bool,
        opts: &WriteOptions,
    ) -> Result<LoadSummary> {
        self.require_writable()?;
        let _writing = self.writing().await;
        crate::recovery::heal_own_before_write(self).await?;
        let snapshot = self.snapshot(branch).await?;
        if let Some(version) = read_at
            && version != snapshot.version()
        {
            return Err(Error::Conflict(format!(
                "branch '{branch}' moved from version {version} to {} while the statement read its rows; run it again",
                snapshot.version()
            )));
        }
        if snapshot.schema().is_empty() {
            return Err(Error::NoSchema);
        }
        let mut load = Load::new(&snapshot, mode, report_ids);
        let mut lines = reader.lines();
        let mut number = 0u64;
        while let Some(text) = lines
            .next_line()
            .await
            .map_err(|e| bad(number + 1, e.to_string()))?
        {
            number += 1;
            if text.trim().is_empty() {
                continue;
            }
            load.line(number, &text).await?;
        }
        load.commit(self, branch, opts, |summary| {
            format!(
                "load ({}): {} nodes, {} edges",
                mode.as_str(),
                summary.nodes,
                summary.edges
            )
        })
        .await
    }

    /// Writes the rows of `table` that `input` yields (columns by name, any order; `id`
    /// is derived from the key and ignored if given; absent properties are NULL) into
    /// `branch` as one commit, with every check of a load. Rows are handed to the table's
    /// writer as they arrive: the write holds their ids, not the rows. A failed input
    /// writes nothing.
    pub async fn insert_stream<S>(
        &self,
        branch: &str,
        table: &str,
        mut input: S,
        mode: LoadMode,
        report_ids: bool,
        opts: &WriteOptions,
    ) -> Result<LoadSummary>
    where
        S: futures::Stream<Item = Result<RecordBatch>> + Unpin,
    {
        self.require_writable()?;
        let _writing = self.writing().await;
        crate::recovery::heal_own_before_write(self).await?;
        let snapshot = self.snapshot(branch).await?;
        let mut load = Load::new(&snapshot, mode, report_ids);
        let mut line = 1u64;
        while let Some(batch) = input.try_next().await? {
            load.batch(table, &batch, line).await?;
            line += batch.num_rows() as u64;
        }
        let table = table.to_string();
        load.commit(self, branch, opts, move |summary| {
            let rows = summary.tables.get(&table).copied().unwrap_or(0);
            format!("insert {rows} rows into {table}")
        })
        .await
    }
}
