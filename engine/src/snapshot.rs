//! A pinned, immutable view of one graph version.

use std::sync::Arc;

use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::SchemaRef;
use futures::TryStreamExt;
use lance::Dataset;
use lance::dataset::scanner::DatasetRecordBatchStream;

use crate::derived::DerivedKey;
use crate::error::{Error, Result};
use crate::manifest::{ManifestState, TableEntry};
use crate::pattern::EndpointPositions;
use crate::schema::{GraphSchema, TableDef, TableKind, table_arrow_schema};
use crate::storage;
use crate::table_store::TableStore;
use crate::topology::{IdIndex, Topology};

/// Every table of one graph version, resolved once. Reads through a snapshot never see a
/// later commit, however long they run.
#[derive(Clone)]
pub struct Snapshot {
    store: Arc<TableStore>,
    branch: String,
    state: Arc<(ManifestState, GraphSchema)>,
}

impl std::fmt::Debug for Snapshot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Snapshot")
            .field("branch", &self.branch)
            .field("version", &self.version())
            .finish()
    }
}

impl Snapshot {
    pub(crate) fn new(
        store: Arc<TableStore>,
        branch: String,
        state: Arc<(ManifestState, GraphSchema)>,
    ) -> Self {
        Snapshot {
            store,
            branch,
            state,
        }
    }

    /// The manifest state and parsed schema the snapshot was resolved from.
    pub(crate) fn state(&self) -> &(ManifestState, GraphSchema) {
        &self.state
    }

    /// The store the snapshot's tables are read through (any version of them).
    pub(crate) fn table_store(&self) -> &TableStore {
        &self.store
    }

    pub fn branch(&self) -> &str {
        &self.branch
    }

    /// The graph version (manifest version on this branch).
    pub fn version(&self) -> u64 {
        self.state.0.graph_version
    }

    pub fn head_commit(&self) -> Option<&str> {
        self.state.0.head_commit.as_deref()
    }

    pub fn schema(&self) -> &GraphSchema {
        &self.state.1
    }

    pub fn table_entries(&self) -> impl Iterator<Item = &TableEntry> {
        self.state.0.tables.values()
    }

    /// The table definition and its manifest entry, looked up case-insensitively.
    pub fn table(&self, name: &str) -> Result<(TableDef<'_>, &TableEntry)> {
        let def = self
            .schema()
            .table(name)
            .ok_or_else(|| Error::UnknownTable(name.to_string()))?;
        let entry = self.state.0.tables.get(def.table()).ok_or_else(|| {
            Error::Corrupt(format!("table '{}' is not in the manifest", def.table()))
        })?;
        Ok((def, entry))
    }

    pub fn arrow_schema(&self, name: &str) -> Result<SchemaRef> {
        let (def, _) = self.table(name)?;
        Ok(table_arrow_schema(def))
    }

    /// The Lance dataset of `name` at its pinned version (cached handle).
    pub async fn dataset(&self, name: &str) -> Result<Arc<Dataset>> {
        let (_, entry) = self.table(name)?;
        self.store.dataset(entry).await
    }

    pub async fn count_rows(&self, name: &str) -> Result<u64> {
        let ds = self.dataset(name).await?;
        Ok(ds.count_rows(None).await? as u64)
    }

    /// The traversal topology of edge table `name` at this version (built once, cached).
    pub async fn topology(&self, name: &str) -> Result<Arc<Topology>> {
        let (def, entry) = self.table(name)?;
        if def.kind() != TableKind::Edge {
            return Err(Error::InvalidArgument(format!(
                "'{}' is a node table; traversals need an edge table",
                def.table()
            )));
        }
        let separate_sides = match def {
            TableDef::Edge(e) => e.src_table != e.dst_table,
            TableDef::Node(_) => false,
        };
        let key = derived_key("topology", entry);
        let dataset = self.store.dataset(entry).await?;
        self.store
            .topologies
            .get_or_build(key, Topology::memory_size, || async move {
                let batches = storage::scan_columns(&dataset, &["id", "src", "dst"]).await?;
                Topology::from_batches(&batches, separate_sides)
            })
            .await
    }

    /// The sorted ids of node table `name` at this version (built once, cached).
    pub async fn node_ids(&self, name: &str) -> Result<Arc<IdIndex>> {
        let (def, entry) = self.table(name)?;
        if def.kind() != TableKind::Node {
            return Err(Error::InvalidArgument(format!(
                "'{}' is not a node table",
                def.table()
            )));
        }
        let key = derived_key("node_ids", entry);
        let dataset = self.store.dataset(entry).await?;
        self.store
            .id_indexes
            .get_or_build(key, IdIndex::memory_size, || async move {
                let batches = storage::scan_columns(&dataset, &["id"]).await?;
                IdIndex::from_id_batches(&batches)
            })
            .await
    }

    /// Where edge table `name`'s topology ordinals are in its node tables, at this
    /// version of the three tables (built once, cached).
    pub async fn endpoint_positions(&self, name: &str) -> Result<Arc<EndpointPositions>> {
        let (def, entry) = self.table(name)?;
        let TableDef::Edge(edge) = def else {
            return Err(Error::InvalidArgument(format!(
                "'{}' is a node table, not an edge table",
                def.table()
            )));
        };
        let (_, src) = self.table(&edge.src_table)?;
        let (_, dst) = self.table(&edge.dst_table)?;
        // One key for the three versions the map depends on.
        let path = format!(
            "{}|{}@{:?}:{}|{}@{:?}:{}",
            entry.path,
            src.path,
            src.lance_branch,
            src.version,
            dst.path,
            dst.lance_branch,
            dst.version
        );
        let key = ("endpoints", path, entry.lance_branch.clone(), entry.version);
        let same_table = edge.src_table == edge.dst_table;
        let (src_table, dst_table) = (edge.src_table.clone(), edge.dst_table.clone());
        // The topology and id indexes are read only when the map is built.
        self.store
            .endpoints
            .get_or_build(key, EndpointPositions::memory_size, || async move {
                let topology = self.topology(name).await?;
                let src_ids = self.node_ids(&src_table).await?;
                let dst_ids = self.node_ids(&dst_table).await?;
                EndpointPositions::build(&topology, &src_ids, &dst_ids, same_table)
            })
            .await
    }

    /// Column `column` of table `name` at this version, whole, in scan order: row `i` is
    /// the node at position `i` of [`Self::node_ids`] (or the edge at topology row `i`).
    /// Built once and cached, so filters a pattern checks against reached elements read
    /// memory, not files.
    pub async fn column(&self, name: &str, column: &str) -> Result<Arc<ArrayRef>> {
        let (def, entry) = self.table(name)?;
        if table_arrow_schema(def).field_with_name(column).is_err() {
            return Err(Error::InvalidArgument(format!(
                "table '{}' has no column '{column}'",
                def.table()
            )));
        }
        // No table path has a '#', so a column's key cannot be another table's.
        let key = (
            "column",
            format!("{}#{column}", entry.path),
            entry.lance_branch.clone(),
            entry.version,
        );
        let dataset = self.store.dataset(entry).await?;
        let column = column.to_string();
        self.store
            .columns
            .get_or_build(
                key,
                |array: &ArrayRef| array.get_array_memory_size(),
                || async move {
                    let batches = storage::scan_columns(&dataset, &[column.as_str()]).await?;
                    let arrays: Vec<&dyn arrow_array::Array> =
                        batches.iter().map(|b| b.column(0).as_ref()).collect();
                    match arrays.as_slice() {
                        [] => {
                            let field = dataset.schema().field(&column).map(|f| f.data_type());
                            Ok(arrow_array::new_empty_array(
                                &field.unwrap_or(arrow_schema::DataType::Null),
                            ))
                        }
                        _ => Ok(arrow_select::concat::concat(&arrays)?),
                    }
                },
            )
            .await
    }

    /// Streams the given columns of table `name` at this version.
    pub async fn stream_columns(
        &self,
        name: &str,
        columns: &[&str],
    ) -> Result<DatasetRecordBatchStream> {
        storage::stream_columns(&*self.dataset(name).await?, columns).await
    }

    /// Streams the given columns of the rows of table `name` whose `column` is one of
    /// `values` (a Lance filter, evaluated in the scan). For many values use
    /// [`Snapshot::stream_columns`] and test membership while reading.
    pub async fn stream_columns_matching(
        &self,
        name: &str,
        columns: &[&str],
        column: &str,
        values: &[&str],
    ) -> Result<DatasetRecordBatchStream> {
        let dataset = self.dataset(name).await?;
        let mut scanner = dataset.scan();
        scanner.project(columns)?;
        scanner.filter(&storage::id_in_filter(column, values.iter().copied()))?;
        Ok(scanner.try_into_stream().await?)
    }

    /// [`Snapshot::stream_columns_matching`] for typed values (`column IN (values)` as a
    /// DataFusion expression, which Lance answers from an index on `column` if it has one).
    pub async fn stream_columns_in(
        &self,
        name: &str,
        columns: &[&str],
        column: &str,
        values: &[lance::deps::datafusion::scalar::ScalarValue],
    ) -> Result<DatasetRecordBatchStream> {
        use lance::deps::datafusion::prelude::{Expr, ident};
        let dataset = self.dataset(name).await?;
        let mut scanner = dataset.scan();
        scanner.project(columns)?;
        let list: Vec<Expr> = values
            .iter()
            .map(|v| Expr::Literal(v.clone(), None))
            .collect();
        scanner.filter_expr(ident(column).in_list(list, false));
        Ok(scanner.try_into_stream().await?)
    }

    /// The ids of table `name`'s rows whose `column` is one of `values`, looked up in
    /// filtered scans of bounded size.
    pub async fn ids_where<'v>(
        &self,
        name: &str,
        column: &str,
        values: impl IntoIterator<Item = &'v str>,
    ) -> Result<std::collections::BTreeSet<String>> {
        let values: Vec<&str> = values.into_iter().collect();
        let mut out = std::collections::BTreeSet::new();
        for chunk in values.chunks(ID_FILTER_CHUNK) {
            let mut stream = self
                .stream_columns_matching(name, &["id"], column, chunk)
                .await?;
            while let Some(batch) = stream.try_next().await? {
                let ids = storage::string_column(&batch, 0)?;
                for i in 0..batch.num_rows() {
                    out.insert(ids.value(i).to_string());
                }
            }
        }
        Ok(out)
    }

    /// Every row of `name` (all columns), for tests and small tables.
    pub async fn read_all(&self, name: &str) -> Result<Vec<RecordBatch>> {
        let ds = self.dataset(name).await?;
        let stream = ds.scan().try_into_stream().await?;
        Ok(stream.try_collect().await?)
    }
}

/// Values per `IN (...)` filter of [`Snapshot::ids_where`].
const ID_FILTER_CHUNK: usize = 1024;

/// The cache key of derived state `what` of a table version.
fn derived_key(what: &'static str, entry: &TableEntry) -> DerivedKey {
    (
        what,
        entry.path.clone(),
        entry.lance_branch.clone(),
        entry.version,
    )
}
