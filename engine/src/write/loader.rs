//! NDJSON loading: one line per node or edge, streamed into staged Lance writes, validated,
//! and published as one graph commit.
//!
//! ```text
//! {"type":"Person","data":{"name":"alice","age":30}}
//! {"edge":"Knows","from":"alice","to":"bob","data":{"since":"2020-01-01"}}
//! ```

use std::collections::{BTreeMap, HashMap};
use std::str::FromStr;

use arrow_array::RecordBatch;
use futures::TryStreamExt;
use serde_json::{Map, Value};
use tokio::io::{AsyncBufRead, AsyncBufReadExt, BufReader};

use super::commit::{self, CommitOutcome, CommitRequest, StagedTable, TableAction};
use super::integrity::{self, ExistingRows, TableFacts};
use super::rows::{RowBuffer, derive_key_id, join_key_parts};
use super::stage::{StageMode, TableStager};
use super::{PreparedTable, WriteOptions, prepare_table};
use crate::error::{Error, IntegrityViolation, Result};
use crate::graph::Graph;
use crate::schema::{TableDef, table_arrow_schema};
use crate::snapshot::Snapshot;
use crate::storage::string_column;

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

    fn stage_mode(&self) -> StageMode {
        match self {
            LoadMode::Append => StageMode::Append,
            LoadMode::Merge => StageMode::Upsert,
            LoadMode::Overwrite => StageMode::Replace,
        }
    }

    fn existing_rows(&self) -> ExistingRows {
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

/// One table's part of a running load.
struct TableLoad<'s> {
    def: TableDef<'s>,
    buffer: RowBuffer,
    stager: Option<(PreparedTable, TableStager)>,
    facts: TableFacts,
    rows: u64,
    /// Merge mode, keyless edges: the existing pairs' ids, as far as read.
    pair_ids: PairIds,
    /// Merge mode, keyless edges: (src, dst) pairs of this load → first line.
    pairs_seen: HashMap<(String, String), u64>,
}

/// Sources a merge load looks up one at a time (through the edge table's `src` index)
/// before it reads the table's pairs whole instead.
const PAIR_SOURCES_LOOKED_UP: usize = 1024;

/// Ids of a keyless edge table's existing `(src, dst)` pairs, read as a merge load meets
/// them: a source's pairs through the `src` index when the load first names it, so a small
/// load reads its own sources' edges only; past [`PAIR_SOURCES_LOOKED_UP`] sources, every
/// pair in one read of the table.
#[derive(Default)]
struct PairIds {
    /// src → dst → id (the first id of a pair that is there twice).
    by_src: HashMap<String, HashMap<String, String>>,
    whole_table: bool,
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
}

struct Load<'s> {
    snapshot: &'s Snapshot,
    mode: LoadMode,
    tables: BTreeMap<String, TableLoad<'s>>,
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
    fn table(&mut self, def: TableDef<'s>) -> &mut TableLoad<'s> {
        self.tables
            .entry(def.table().to_string())
            .or_insert_with(|| TableLoad {
                def,
                buffer: RowBuffer::new(def),
                stager: None,
                facts: TableFacts::default(),
                rows: 0,
                pair_ids: PairIds::default(),
                pairs_seen: HashMap::new(),
            })
    }

    async fn line(&mut self, line: u64, text: &str) -> Result<()> {
        let value: Value =
            serde_json::from_str(text).map_err(|e| bad(line, format!("invalid JSON: {e}")))?;
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
            let id = match derive_key_id(def, data).map_err(|v| Error::at_line(line, v))? {
                Some(parts) => join_key_parts(&parts),
                None => ulid::Ulid::new().to_string(),
            };
            self.push(def, line, id, None, data).await
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
            let from = field_str(&obj, "from", line)?.to_string();
            let to = field_str(&obj, "to", line)?.to_string();
            let id = match derive_key_id(def, data).map_err(|v| Error::at_line(line, v))? {
                Some(parts) => {
                    let mut all = vec![from.clone(), to.clone()];
                    all.extend(parts);
                    join_key_parts(&all)
                }
                None if self.mode == LoadMode::Merge => {
                    // A keyless edge's identity in merge mode is (from, to): the same pair
                    // twice in one load is a duplicate, whether or not it exists already.
                    let pair = (from.clone(), to.clone());
                    if let Some(first) = self.table(def).pairs_seen.insert(pair, line) {
                        return Err(Error::at_line(
                            line,
                            IntegrityViolation::DuplicateKey {
                                table: def.table().to_string(),
                                id: format!("{from}->{to}' (also on line {first})"),
                            },
                        ));
                    }
                    let existing = self.existing_pair_id(def, &from, &to).await?;
                    existing.unwrap_or_else(|| ulid::Ulid::new().to_string())
                }
                None => ulid::Ulid::new().to_string(),
            };
            self.push(def, line, id, Some((from, to)), data).await
        } else {
            Err(bad(
                line,
                "expected a node line ({\"type\": ...}) or an edge line ({\"edge\": ...})",
            ))
        }
    }

    async fn existing_pair_id(
        &mut self,
        def: TableDef<'s>,
        from: &str,
        to: &str,
    ) -> Result<Option<String>> {
        let snapshot = self.snapshot;
        let pairs = &mut self.table(def).pair_ids;
        if !pairs.whole_table && !pairs.by_src.contains_key(from) {
            const COLUMNS: [&str; 3] = ["id", "src", "dst"];
            let mut stream = if pairs.by_src.len() >= PAIR_SOURCES_LOOKED_UP {
                pairs.by_src.clear();
                pairs.whole_table = true;
                snapshot.stream_columns(def.table(), &COLUMNS).await?
            } else {
                pairs.by_src.insert(from.to_string(), HashMap::new());
                snapshot
                    .stream_columns_matching(def.table(), &COLUMNS, "src", &[from])
                    .await?
            };
            while let Some(batch) = stream.try_next().await? {
                pairs.record(&batch)?;
            }
        }
        Ok(pairs.by_src.get(from).and_then(|m| m.get(to)).cloned())
    }

    async fn push(
        &mut self,
        def: TableDef<'s>,
        line: u64,
        id: String,
        endpoints: Option<(String, String)>,
        data: &Map<String, Value>,
    ) -> Result<()> {
        let t = self.table(def);
        if let Some(first) = t.facts.ids.get(&id) {
            return Err(Error::at_line(
                line,
                IntegrityViolation::DuplicateKey {
                    table: def.table().to_string(),
                    id: format!("{id}' (also on line {first})"),
                },
            ));
        }
        t.buffer
            .push(
                &id,
                endpoints.as_ref().map(|(s, d)| (s.as_str(), d.as_str())),
                data,
            )
            .map_err(|v| Error::at_line(line, v))?;
        t.facts.ids.insert(id, line);
        if let Some((s, d)) = endpoints {
            t.facts.edges.push((line, s, d));
        }
        t.rows += 1;
        if t.buffer.len() >= BATCH_ROWS {
            self.flush(def.table().to_string()).await?;
        }
        Ok(())
    }

    async fn flush(&mut self, table: String) -> Result<()> {
        let snapshot = self.snapshot;
        let mode = self.mode.stage_mode();
        let t = self.tables.get_mut(&table).expect("flushed tables exist");
        if t.buffer.len() == 0 {
            return Ok(());
        }
        let batch = t.buffer.take_batch()?;
        t.facts.record_unique(t.def, &batch)?;
        if t.stager.is_none() {
            let prepared = prepare_table(snapshot, &table).await?;
            let stager =
                TableStager::start(prepared.dataset.clone(), table_arrow_schema(t.def), mode);
            t.stager = Some((prepared, stager));
        }
        let (_, stager) = t.stager.as_mut().expect("started above");
        stager.send(batch).await
    }
}

impl Graph {
    /// Loads an NDJSON file into `branch` as one commit.
    pub async fn load_file(
        &self,
        branch: &str,
        path: &str,
        mode: LoadMode,
        opts: &WriteOptions,
    ) -> Result<LoadSummary> {
        let file = tokio::fs::File::open(path)
            .await
            .map_err(|e| Error::InvalidArgument(format!("cannot open '{path}': {e}")))?;
        self.load_reader(branch, BufReader::new(file), mode, opts)
            .await
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
        let mut load = Load {
            snapshot: &snapshot,
            mode,
            tables: BTreeMap::new(),
        };
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
        let names: Vec<String> = load.tables.keys().cloned().collect();
        for name in names {
            load.flush(name).await?;
        }

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
        for (name, t) in load.tables {
            match t.def {
                TableDef::Node(_) => summary.nodes += t.rows,
                TableDef::Edge(_) => summary.edges += t.rows,
            }
            summary.tables.insert(name.clone(), t.rows);
            existing.insert(name.clone(), mode.existing_rows());
            facts.insert(name, t.facts);
            if let Some(s) = t.stager {
                stagers.push(s);
            }
        }
        if stagers.is_empty() {
            return Ok(summary);
        }
        integrity::validate(&snapshot, &facts, &existing).await?;
        if report_ids {
            for (name, f) in facts {
                let mut written: Vec<(u64, String)> =
                    f.ids.into_iter().map(|(id, line)| (line, id)).collect();
                written.sort_unstable();
                summary
                    .ids
                    .insert(name, written.into_iter().map(|(_, id)| id).collect());
            }
        } else {
            drop(facts);
        }

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
        let message = opts.message.clone().unwrap_or_else(|| {
            format!(
                "load ({}): {} nodes, {} edges",
                mode.as_str(),
                summary.nodes,
                summary.edges
            )
        });
        let outcome = commit::commit(
            self,
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
