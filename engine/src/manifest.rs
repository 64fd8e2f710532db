//! The `_manifest` Lance dataset: the single authority for what a graph version contains.
//!
//! One manifest Lance version is one graph version. Rows are keyed by `key` (marked as
//! Lance's unenforced primary key, so concurrent merge-inserts of the same key conflict):
//!
//! | key              | kind     | holds                                                  |
//! |------------------|----------|--------------------------------------------------------|
//! | `head`           | head     | the head commit id                                     |
//! | `schema`         | schema   | the schema source text                                 |
//! | `table:<name>`   | table    | path, pinned Lance version and Lance branch of a table |
//! | `commit:<id>`    | commit   | one commit: parents, branch, version, actor, message   |
//!
//! Every publish rewrites the `head` row, and is committed with a strict version CAS, so
//! two concurrent publishes to one branch can never both succeed.
//!
//! A publish replaces rows by their known addresses ([`RowAddresses`], read along with the
//! state or carried over from the previous publish): it marks the old rows deleted and
//! appends the new ones, one Lance version, without reading the rest of the manifest. So
//! its cost does not grow with the number of commits the manifest holds.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use arrow_array::builder::{StringBuilder, TimestampMicrosecondBuilder, UInt64Builder};
use arrow_array::{
    Array, ArrayRef, RecordBatch, StringArray, TimestampMicrosecondArray, UInt64Array,
};
use arrow_schema::{DataType, Field, Schema, SchemaRef, TimeUnit};
use chrono::{DateTime, TimeZone, Utc};
use futures::TryStreamExt;
use lance::Dataset;
use lance::dataset::transaction::{Operation, Transaction};
use lance::session::Session;
use lance_core::ROW_ADDR;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::schema::TableKind;
use crate::storage;

pub const MANIFEST_DIR: &str = "_manifest";

const PRIMARY_KEY_METADATA: &str = "lance-schema:unenforced-primary-key";

/// Where a graph table's data lives for one graph version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TableEntry {
    pub name: String,
    pub kind: TableKind,
    /// Dataset path relative to the graph root.
    pub path: String,
    /// Pinned Lance version.
    pub version: u64,
    /// Lance branch of the table holding this graph branch's data; `None` is Lance's main.
    pub lance_branch: Option<String>,
}

/// One graph commit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommitRecord {
    pub commit_id: String,
    pub parents: Vec<String>,
    pub branch: String,
    pub graph_version: u64,
    pub actor: String,
    pub message: String,
    /// Microseconds since the Unix epoch, UTC.
    pub committed_at_micros: i64,
}

impl CommitRecord {
    pub fn committed_at(&self) -> DateTime<Utc> {
        Utc.timestamp_micros(self.committed_at_micros)
            .single()
            .unwrap_or_default()
    }
}

/// Where each row a publish may replace (`head`, `schema`, `table:<name>`) sits, by key,
/// in one manifest version (Lance row addresses: fragment id in the high 32 bits).
pub type RowAddresses = BTreeMap<String, u64>;

/// The content of one graph version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManifestState {
    pub graph_version: u64,
    pub head_commit: Option<String>,
    pub schema_source: String,
    pub tables: BTreeMap<String, TableEntry>,
    /// Addresses of this version's non-commit rows, for the next publish.
    pub row_addresses: RowAddresses,
}

impl ManifestState {
    /// The state `publish` leaves when published on top of this one: what
    /// [`read_state`] reads back at the new version, known without reading it.
    pub fn after(&self, publish: &Publish, row_addresses: RowAddresses) -> ManifestState {
        let mut tables = self.tables.clone();
        for t in &publish.tables {
            tables.insert(t.name.clone(), t.clone());
        }
        ManifestState {
            graph_version: publish.graph_version,
            head_commit: Some(publish.commit.commit_id.clone()),
            schema_source: publish
                .schema_source
                .clone()
                .unwrap_or_else(|| self.schema_source.clone()),
            tables,
            row_addresses,
        }
    }
}

/// What a publish changes: new or moved tables, a new schema, and the commit to record.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Publish {
    /// The manifest version this publish creates (the branch's version + 1).
    pub graph_version: u64,
    pub tables: Vec<TableEntry>,
    pub schema_source: Option<String>,
    /// The branch's new head commit. Usually a new commit made at `graph_version`; after a
    /// fast-forward merge it is the source branch's head commit.
    pub commit: CommitRecord,
    /// Commits of another branch that become part of this branch's history (a merge).
    #[serde(default)]
    pub copied_commits: Vec<CommitRecord>,
    /// Rewrite the branch's whole manifest into one fragment while publishing (optimize),
    /// instead of marking replaced rows deleted and appending a fragment.
    #[serde(default)]
    pub compact_manifest: bool,
}

impl TableKind {
    fn parse(s: &str) -> Result<TableKind> {
        match s {
            "node" => Ok(TableKind::Node),
            "edge" => Ok(TableKind::Edge),
            other => Err(Error::Corrupt(format!("unknown table kind '{other}'"))),
        }
    }
}

impl Serialize for TableKind {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for TableKind {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        TableKind::parse(&s).map_err(serde::de::Error::custom)
    }
}

pub fn manifest_schema() -> SchemaRef {
    let key = Field::new("key", DataType::Utf8, false).with_metadata(HashMap::from([(
        PRIMARY_KEY_METADATA.to_string(),
        "true".to_string(),
    )]));
    Arc::new(Schema::new(vec![
        key,
        Field::new("kind", DataType::Utf8, false),
        Field::new("table_name", DataType::Utf8, true),
        Field::new("table_kind", DataType::Utf8, true),
        Field::new("table_path", DataType::Utf8, true),
        Field::new("table_version", DataType::UInt64, true),
        Field::new("table_branch", DataType::Utf8, true),
        Field::new("commit_id", DataType::Utf8, true),
        Field::new("parent_ids", DataType::Utf8, true),
        Field::new("graph_branch", DataType::Utf8, true),
        Field::new("graph_version", DataType::UInt64, true),
        Field::new("actor", DataType::Utf8, true),
        Field::new("message", DataType::Utf8, true),
        Field::new(
            "committed_at",
            DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
            true,
        ),
        Field::new("schema_source", DataType::Utf8, true),
    ]))
}

/// Column builders for manifest rows.
struct RowsBuilder {
    key: StringBuilder,
    kind: StringBuilder,
    table_name: StringBuilder,
    table_kind: StringBuilder,
    table_path: StringBuilder,
    table_version: UInt64Builder,
    table_branch: StringBuilder,
    commit_id: StringBuilder,
    parent_ids: StringBuilder,
    graph_branch: StringBuilder,
    graph_version: UInt64Builder,
    actor: StringBuilder,
    message: StringBuilder,
    committed_at: TimestampMicrosecondBuilder,
    schema_source: StringBuilder,
}

impl RowsBuilder {
    fn new() -> Self {
        RowsBuilder {
            key: StringBuilder::new(),
            kind: StringBuilder::new(),
            table_name: StringBuilder::new(),
            table_kind: StringBuilder::new(),
            table_path: StringBuilder::new(),
            table_version: UInt64Builder::new(),
            table_branch: StringBuilder::new(),
            commit_id: StringBuilder::new(),
            parent_ids: StringBuilder::new(),
            graph_branch: StringBuilder::new(),
            graph_version: UInt64Builder::new(),
            actor: StringBuilder::new(),
            message: StringBuilder::new(),
            committed_at: TimestampMicrosecondBuilder::new(),
            schema_source: StringBuilder::new(),
        }
    }

    fn start(&mut self, key: &str, kind: &str) {
        self.key.append_value(key);
        self.kind.append_value(kind);
    }

    fn nulls_table(&mut self) {
        self.table_name.append_null();
        self.table_kind.append_null();
        self.table_path.append_null();
        self.table_version.append_null();
        self.table_branch.append_null();
    }

    fn nulls_commit(&mut self) {
        self.parent_ids.append_null();
        self.graph_branch.append_null();
        self.actor.append_null();
        self.message.append_null();
        self.committed_at.append_null();
    }

    fn table(&mut self, t: &TableEntry) {
        self.start(&format!("table:{}", t.name), "table");
        self.table_name.append_value(&t.name);
        self.table_kind.append_value(t.kind.as_str());
        self.table_path.append_value(&t.path);
        self.table_version.append_value(t.version);
        self.table_branch.append_option(t.lance_branch.as_deref());
        self.commit_id.append_null();
        self.nulls_commit();
        self.graph_version.append_null();
        self.schema_source.append_null();
    }

    fn commit(&mut self, c: &CommitRecord) {
        self.start(&format!("{COMMIT_KEY_PREFIX}{}", c.commit_id), "commit");
        self.nulls_table();
        self.commit_id.append_value(&c.commit_id);
        self.parent_ids
            .append_value(serde_json::to_string(&c.parents).expect("string list serializes"));
        self.graph_branch.append_value(&c.branch);
        self.graph_version.append_value(c.graph_version);
        self.actor.append_value(&c.actor);
        self.message.append_value(&c.message);
        self.committed_at.append_value(c.committed_at_micros);
        self.schema_source.append_null();
    }

    fn head(&mut self, commit_id: &str, graph_version: u64) {
        self.start("head", "head");
        self.nulls_table();
        self.commit_id.append_value(commit_id);
        self.nulls_commit();
        self.graph_version.append_value(graph_version);
        self.schema_source.append_null();
    }

    fn schema(&mut self, source: &str) {
        self.start("schema", "schema");
        self.nulls_table();
        self.commit_id.append_null();
        self.nulls_commit();
        self.graph_version.append_null();
        self.schema_source.append_value(source);
    }

    fn finish(mut self) -> Result<RecordBatch> {
        let committed_at = self.committed_at.finish().with_timezone("UTC");
        let columns: Vec<ArrayRef> = vec![
            Arc::new(self.key.finish()),
            Arc::new(self.kind.finish()),
            Arc::new(self.table_name.finish()),
            Arc::new(self.table_kind.finish()),
            Arc::new(self.table_path.finish()),
            Arc::new(self.table_version.finish()),
            Arc::new(self.table_branch.finish()),
            Arc::new(self.commit_id.finish()),
            Arc::new(self.parent_ids.finish()),
            Arc::new(self.graph_branch.finish()),
            Arc::new(self.graph_version.finish()),
            Arc::new(self.actor.finish()),
            Arc::new(self.message.finish()),
            Arc::new(committed_at),
            Arc::new(self.schema_source.finish()),
        ];
        Ok(RecordBatch::try_new(manifest_schema(), columns)?)
    }
}

/// Creates the empty `_manifest` dataset (graph version 1, no commit yet).
pub async fn create(session: &Arc<Session>, root: &str) -> Result<Dataset> {
    storage::create_empty_dataset(
        session,
        &storage::join_uri(root, MANIFEST_DIR),
        manifest_schema(),
    )
    .await
}

/// A published manifest version.
pub struct Published {
    pub dataset: Dataset,
    /// The replaceable rows' addresses at the new version.
    pub row_addresses: RowAddresses,
}

/// Publishes `publish` on the manifest branch `dataset` is checked out at, if and only if
/// the branch is still at `dataset`'s version. `replaced` are the row addresses at
/// `dataset`'s version ([`ManifestState::row_addresses`]).
pub async fn publish(
    dataset: Arc<Dataset>,
    replaced: &RowAddresses,
    publish: &Publish,
) -> Result<Published> {
    let expected = dataset.version_id() + 1;
    if publish.graph_version != expected {
        return Err(Error::Conflict(format!(
            "publish expected graph version {} but the manifest is at {}",
            publish.graph_version,
            dataset.version_id()
        )));
    }
    let mut rows = RowsBuilder::new();
    for t in &publish.tables {
        rows.table(t);
    }
    if let Some(source) = &publish.schema_source {
        rows.schema(source);
    }
    for c in &publish.copied_commits {
        if c.commit_id != publish.commit.commit_id {
            rows.commit(c);
        }
    }
    rows.commit(&publish.commit);
    rows.head(&publish.commit.commit_id, publish.graph_version);
    let batch = rows.finish()?;
    if publish.compact_manifest {
        return publish_compacted(dataset, batch).await;
    }
    let keys = str_col(&batch, "key")?.clone();
    let replaced_rows = keys
        .iter()
        .flatten()
        .filter_map(|key| replaced.get(key).copied());
    let (updated_fragments, removed_fragment_ids) =
        storage::deletions_at(&dataset, replaced_rows).await?;
    let published = commit_rows(dataset, batch, updated_fragments, removed_fragment_ids).await?;

    // The appended rows are the new version's newest fragment, in batch order.
    let fragment_id = published
        .get_fragments()
        .iter()
        .map(|f| f.id() as u64)
        .max()
        .ok_or_else(|| Error::Corrupt("the published manifest has no fragment".into()))?;
    let mut row_addresses = replaced.clone();
    for (offset, key) in keys.iter().enumerate() {
        let Some(key) = key.filter(|k| !k.starts_with(COMMIT_KEY_PREFIX)) else {
            continue;
        };
        row_addresses.insert(key.to_string(), (fragment_id << 32) | offset as u64);
    }
    Ok(Published {
        dataset: published,
        row_addresses,
    })
}

/// [`publish`] that also compacts the manifest: every live row the publish does not
/// replace, then the published rows, become the version's only fragment. Reads the whole
/// manifest, so only optimize asks for it.
async fn publish_compacted(
    dataset: Arc<Dataset>,
    published_rows: RecordBatch,
) -> Result<Published> {
    let replaced_keys: std::collections::HashSet<String> = str_col(&published_rows, "key")?
        .iter()
        .flatten()
        .map(str::to_string)
        .collect();
    let mut kept = Vec::new();
    let mut scanner = dataset.scan();
    let schema = manifest_schema();
    let columns: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
    scanner.project(&columns)?;
    let batches: Vec<RecordBatch> = scanner.try_into_stream().await?.try_collect().await?;
    for batch in batches {
        let keys = str_col(&batch, "key")?;
        let keep = arrow_array::BooleanArray::from(
            keys.iter()
                .map(|k| Some(!k.is_some_and(|k| replaced_keys.contains(k))))
                .collect::<Vec<_>>(),
        );
        let batch = arrow_select::filter::filter_record_batch(&batch, &keep)?;
        if batch.num_rows() > 0 {
            kept.push(batch);
        }
    }
    kept.push(published_rows);
    let all = arrow_select::concat::concat_batches(&schema, &kept)?;
    let removed = dataset
        .get_fragments()
        .iter()
        .map(|f| f.id() as u64)
        .collect();
    let published = commit_rows(dataset, all, vec![], removed).await?;
    let row_addresses = read_state(&published).await?.row_addresses;
    Ok(Published {
        dataset: published,
        row_addresses,
    })
}

/// Commits one manifest version: `rows` appended as a new fragment, `updated` fragments
/// (grown deletion vectors) and `removed` fragments replaced, as a compare-and-swap on
/// `dataset`'s version.
async fn commit_rows(
    dataset: Arc<Dataset>,
    rows: RecordBatch,
    updated: Vec<lance_table::format::Fragment>,
    removed: Vec<u64>,
) -> Result<Dataset> {
    let appended = storage::stage_append(&dataset, rows).await?;
    let Operation::Append {
        fragments: new_fragments,
    } = appended.operation
    else {
        return Err(Error::Corrupt(
            "an append to the manifest staged something else".into(),
        ));
    };
    let operation = Operation::Update {
        removed_fragment_ids: removed,
        updated_fragments: updated,
        new_fragments,
        fields_modified: vec![],
        compacted_sstables: vec![],
        fields_for_preserving_frag_bitmap: vec![],
        update_mode: None,
        inserted_rows_filter: None,
        updated_fragment_offsets: None,
    };
    let transaction = Transaction::new(dataset.version_id(), operation, None);
    storage::commit_exact(dataset, transaction, "the graph manifest").await
}

const COMMIT_KEY_PREFIX: &str = "commit:";

fn str_col<'a>(batch: &'a RecordBatch, name: &str) -> Result<&'a StringArray> {
    batch
        .column_by_name(name)
        .and_then(|c| c.as_any().downcast_ref::<StringArray>())
        .ok_or_else(|| Error::Corrupt(format!("manifest column {name} missing")))
}

fn u64_col<'a>(batch: &'a RecordBatch, name: &str) -> Result<&'a UInt64Array> {
    batch
        .column_by_name(name)
        .and_then(|c| c.as_any().downcast_ref::<UInt64Array>())
        .ok_or_else(|| Error::Corrupt(format!("manifest column {name} missing")))
}

fn opt(a: &StringArray, i: usize) -> Option<String> {
    a.is_valid(i).then(|| a.value(i).to_string())
}

/// Reads the graph state at `dataset`'s version.
pub async fn read_state(dataset: &Dataset) -> Result<ManifestState> {
    let mut scanner = dataset.scan();
    scanner.filter("kind <> 'commit'")?;
    scanner.with_row_address();
    let batches: Vec<RecordBatch> = scanner.try_into_stream().await?.try_collect().await?;
    let mut state = ManifestState {
        graph_version: dataset.version_id(),
        head_commit: None,
        schema_source: String::new(),
        tables: BTreeMap::new(),
        row_addresses: RowAddresses::new(),
    };
    for batch in &batches {
        let key = str_col(batch, "key")?;
        let address = u64_col(batch, ROW_ADDR)?;
        let kind = str_col(batch, "kind")?;
        let name = str_col(batch, "table_name")?;
        let tkind = str_col(batch, "table_kind")?;
        let path = str_col(batch, "table_path")?;
        let version = u64_col(batch, "table_version")?;
        let branch = str_col(batch, "table_branch")?;
        let commit = str_col(batch, "commit_id")?;
        let source = str_col(batch, "schema_source")?;
        for i in 0..batch.num_rows() {
            state
                .row_addresses
                .insert(key.value(i).to_string(), address.value(i));
            match kind.value(i) {
                "table" => {
                    let entry = TableEntry {
                        name: name.value(i).to_string(),
                        kind: TableKind::parse(tkind.value(i))?,
                        path: path.value(i).to_string(),
                        version: version.value(i),
                        lance_branch: opt(branch, i),
                    };
                    state.tables.insert(entry.name.clone(), entry);
                }
                "head" => state.head_commit = opt(commit, i),
                "schema" => state.schema_source = source.value(i).to_string(),
                other => {
                    return Err(Error::Corrupt(format!(
                        "unknown manifest row kind '{other}'"
                    )));
                }
            }
        }
    }
    Ok(state)
}

/// Reads every commit row visible at `dataset`'s version, oldest first.
pub async fn read_commits(dataset: &Dataset) -> Result<Vec<CommitRecord>> {
    read_commits_in(dataset, None).await
}

/// [`read_commits`] of the given fragments of `dataset` only (all when `None`).
pub async fn read_commits_in(
    dataset: &Dataset,
    fragments: Option<Vec<lance_table::format::Fragment>>,
) -> Result<Vec<CommitRecord>> {
    let mut scanner = dataset.scan();
    if let Some(fragments) = fragments {
        scanner.with_fragments(fragments);
    }
    scanner.filter("kind = 'commit'")?;
    scanner.project(&[
        "commit_id",
        "parent_ids",
        "graph_branch",
        "graph_version",
        "actor",
        "message",
        "committed_at",
    ])?;
    let batches: Vec<RecordBatch> = scanner.try_into_stream().await?.try_collect().await?;
    let mut out = Vec::new();
    for batch in &batches {
        let id = str_col(batch, "commit_id")?;
        let parents = str_col(batch, "parent_ids")?;
        let branch = str_col(batch, "graph_branch")?;
        let version = u64_col(batch, "graph_version")?;
        let actor = str_col(batch, "actor")?;
        let message = str_col(batch, "message")?;
        let at = batch
            .column_by_name("committed_at")
            .and_then(|c| c.as_any().downcast_ref::<TimestampMicrosecondArray>())
            .ok_or_else(|| Error::Corrupt("manifest column committed_at missing".into()))?;
        for i in 0..batch.num_rows() {
            out.push(CommitRecord {
                commit_id: id.value(i).to_string(),
                parents: serde_json::from_str(parents.value(i))
                    .map_err(|e| Error::Corrupt(format!("commit parents: {e}")))?,
                branch: branch.value(i).to_string(),
                graph_version: version.value(i),
                actor: actor.value(i).to_string(),
                message: message.value(i).to_string(),
                committed_at_micros: at.value(i),
            });
        }
    }
    sort_commits(&mut out);
    Ok(out)
}

/// Orders commits oldest first, as [`read_commits`] returns them.
pub fn sort_commits<C: std::borrow::Borrow<CommitRecord>>(commits: &mut [C]) {
    commits.sort_by(|a, b| {
        let (a, b) = (a.borrow(), b.borrow());
        (a.committed_at_micros, a.graph_version).cmp(&(b.committed_at_micros, b.graph_version))
    });
}
