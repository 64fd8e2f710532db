//! Scalar indexes: which ones each table has, and how a commit keeps them covering the table.
//!
//! Every index is a Lance scalar index inside the table's Lance version, so it follows graph
//! versions, branches, merges and time travel with no manifest fields of its own. An index
//! may leave the newest fragments uncovered: Lance scans those flat, which is correct by
//! construction. A commit adds one more Lance version (a `CreateIndex` transaction) when the
//! uncovered tail reaches [`INDEX_TAIL_ROWS`] rows or [`INDEX_TAIL_FRAGMENTS`] fragments; it
//! builds a segment over just the uncovered fragments, folding the trailing segments into it
//! (size-tiered) so an index stays at most [`MAX_INDEX_SEGMENTS`] segments.
//! `optimize_indices` is never used on the write path: it commits through Lance's own
//! handler, and with stable row ids one delete makes it rewrite the whole first segment.

use std::collections::{BTreeMap, BTreeSet};

use lance::Dataset;
use lance::dataset::transaction::{Operation, Transaction, TransactionBuilder};
use lance::index::DatasetIndexExt;
use lance::index::vector::VectorIndexParams;
use lance_index::pb::{VectorIndexDetails, VectorMetricType};
use lance_index::scalar::{BuiltinIndexType, InvertedIndexParams, ScalarIndexParams};
use lance_index::vector::hnsw::builder::HnswBuildParams;
use lance_index::vector::ivf::IvfBuildParams;
use lance_index::vector::pq::PQBuildParams;
use lance_index::vector::sq::builder::SQBuildParams;
use lance_index::{IndexParams, IndexType};
use lance_linalg::distance::DistanceType;
use lance_table::format::IndexMetadata;
use prost::Message;

use crate::error::Result;
use crate::schema::{PropType, TableDef, VectorMetric};

/// Uncovered rows that make a commit index the table's tail.
pub const INDEX_TAIL_ROWS: u64 = 8192;
/// Uncovered fragments that make a commit index the table's tail.
pub const INDEX_TAIL_FRAGMENTS: u64 = 16;
/// Most segments an index keeps; a delta past it folds trailing segments.
pub const MAX_INDEX_SEGMENTS: usize = 8;
/// Rows of a tail per segment built alongside others (see [`build_segments`]).
pub const SEGMENT_PART_ROWS: u64 = 2 << 20;

pub use crate::schema::IndexMethod;

/// Rows up to which a table's full-text index is rebuilt by every commit that writes it
/// (above, at the tail thresholds, like the others).
pub const TEXT_INDEX_EAGER_ROWS: u64 = 65_536;

/// Vectors a vector index segment needs before it is trained: fewer are scanned flat
/// (exact), as IVF and product quantization need samples to train their centroids.
pub const VECTOR_INDEX_MIN_ROWS: u64 = 4096;

/// Lance's distance for `metric` (its squared L2 and `1 - dot` order rows as `<->` and
/// `<#>` do).
pub fn distance_type(metric: VectorMetric) -> DistanceType {
    match metric {
        VectorMetric::L2 => DistanceType::L2,
        VectorMetric::Cosine => DistanceType::Cosine,
        VectorMetric::InnerProduct => DistanceType::Dot,
    }
}

/// Product-quantization sub-vectors of a `dims`-dimensional vector: two dimensions each
/// (one for odd `dims`), so that PQ distances rank candidates closely enough that a
/// re-rank of ten times `k` of them finds the true neighbours (on random 128-d vectors,
/// recall@10 is 0.8 before the re-rank and 1.0 after; Lance's default of 16 sub-vectors
/// gives 0.17 and 0.55).
pub fn pq_sub_vectors(dims: usize) -> usize {
    if dims.is_multiple_of(2) {
        (dims / 2).max(1)
    } else {
        dims
    }
}

/// Lance's index type and parameters for `spec` on a column of `dims` dimensions (0 for
/// other columns). Vector indexes take Lance's defaults (partitions sized to the rows,
/// HNSW m = 20, ef_construction = 150, 8-bit SQ) but for PQ's sub-vectors
/// ([`pq_sub_vectors`]).
fn lance_index_type(spec: &IndexSpec, dims: usize) -> (IndexType, Box<dyn IndexParams>) {
    let metric = distance_type(spec.metric.unwrap_or(VectorMetric::Cosine));
    match spec.method {
        IndexMethod::BTree => (IndexType::BTree, Box::new(ScalarIndexParams::default())),
        IndexMethod::Bitmap => (
            IndexType::Bitmap,
            Box::new(ScalarIndexParams::for_builtin(BuiltinIndexType::Bitmap)),
        ),
        IndexMethod::LabelList => (
            IndexType::LabelList,
            Box::new(ScalarIndexParams::for_builtin(BuiltinIndexType::LabelList)),
        ),
        IndexMethod::IvfPq => (
            IndexType::IvfPq,
            Box::new(VectorIndexParams::with_ivf_pq_params(
                metric,
                IvfBuildParams::default(),
                PQBuildParams {
                    num_sub_vectors: pq_sub_vectors(dims),
                    ..PQBuildParams::default()
                },
            )),
        ),
        IndexMethod::Hnsw => (
            IndexType::IvfHnswSq,
            Box::new(VectorIndexParams::with_ivf_hnsw_sq_params(
                metric,
                IvfBuildParams::default(),
                HnswBuildParams::default(),
                SQBuildParams::default(),
            )),
        ),
        IndexMethod::Inverted => (
            IndexType::Inverted,
            Box::new(InvertedIndexParams::default().with_position(true)),
        ),
    }
}

/// The method and metric of a segment Lance wrote, from its details (as Lance itself
/// tells).
fn segment_method(segment: &IndexMetadata) -> Option<(IndexMethod, Option<VectorMetric>)> {
    let details = segment.index_details.as_ref()?;
    let url = &details.type_url;
    if url.ends_with("VectorIndexDetails") {
        let vector = VectorIndexDetails::decode(details.value.as_slice()).ok()?;
        let metric = match vector.metric_type() {
            VectorMetricType::L2 => VectorMetric::L2,
            VectorMetricType::Cosine => VectorMetric::Cosine,
            VectorMetricType::Dot => VectorMetric::InnerProduct,
            _ => return None,
        };
        let method = if vector.hnsw_index_config.is_some() {
            IndexMethod::Hnsw
        } else {
            IndexMethod::IvfPq
        };
        return Some((method, Some(metric)));
    }
    IndexMethod::ALL
        .into_iter()
        .find(|m| {
            url.ends_with(match m {
                IndexMethod::BTree => "BTreeIndexDetails",
                IndexMethod::Bitmap => "BitmapIndexDetails",
                IndexMethod::LabelList => "LabelListIndexDetails",
                IndexMethod::Inverted => "InvertedIndexDetails",
                IndexMethod::IvfPq | IndexMethod::Hnsw => return false,
            })
        })
        .map(|m| (m, None))
}

/// Why a column is indexed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IndexOrigin {
    /// The `id` column: the primary key.
    Id,
    /// An edge's `src` or `dst`.
    Endpoint,
    /// A `@key` property.
    Key,
    /// A `@unique` property.
    Unique,
    /// An `@index` property.
    Declared,
}

/// One index a table has.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct IndexSpec {
    /// Index name as the catalog shows it (`person_pkey`, `knows_src_idx`, ...).
    pub name: String,
    pub column: String,
    pub method: IndexMethod,
    /// The distance a vector index orders by (`None` for other methods).
    pub metric: Option<VectorMetric>,
    pub origin: IndexOrigin,
}

/// Whether a property of this type can be indexed at all (floats are never pushed down,
/// blobs have no order; vectors take a vector index).
pub fn indexable(ty: &PropType) -> bool {
    match ty {
        PropType::F32 | PropType::F64 | PropType::Blob => false,
        PropType::List(inner) => !matches!(**inner, PropType::List(_)) && indexable(inner),
        _ => true,
    }
}

/// The indexes a table has: `<t>_pkey` on `id`, `<t>_src_idx`/`<t>_dst_idx` on an edge's
/// endpoints, `<t>_<c>_key` on `@unique` columns and `<t>_<c>_idx` on `@key` columns and
/// `@index` columns (unless `@index(name using method)` names them). One index per column;
/// properties of types that cannot be indexed get none.
pub fn required_indexes(def: TableDef<'_>) -> Vec<IndexSpec> {
    let t = def.table();
    let mut specs = vec![IndexSpec {
        name: format!("{t}_pkey"),
        column: "id".to_string(),
        method: IndexMethod::BTree,
        metric: None,
        origin: IndexOrigin::Id,
    }];
    if let TableDef::Edge(_) = def {
        for c in ["src", "dst"] {
            specs.push(IndexSpec {
                name: format!("{t}_{c}_idx"),
                column: c.to_string(),
                method: IndexMethod::BTree,
                metric: None,
                origin: IndexOrigin::Endpoint,
            });
        }
    }
    for p in def.properties() {
        if !indexable(&p.ty) {
            continue;
        }
        let is_key = def.key().iter().any(|k| k == &p.column);
        let derived = || format!("{t}_{}_idx", p.column);
        let (name, method, metric, origin) = match &p.index {
            _ if p.unique => (
                format!("{t}_{}_key", p.column),
                None,
                None,
                IndexOrigin::Unique,
            ),
            _ if is_key => (derived(), None, None, IndexOrigin::Key),
            Some(decl) => (
                decl.name.clone().unwrap_or_else(derived),
                decl.method,
                decl.metric,
                IndexOrigin::Declared,
            ),
            None => continue,
        };
        let method = method.unwrap_or_else(|| IndexMethod::default_for(&p.ty));
        specs.push(IndexSpec {
            name,
            column: p.column.clone(),
            method,
            metric: method
                .is_vector()
                .then(|| metric.unwrap_or(VectorMetric::Cosine)),
            origin,
        });
    }
    specs
}

/// Rows and fragments a write adds to a table (an estimate that decides whether the
/// commit also indexes the table's tail).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Added {
    pub rows: u64,
    pub fragments: u64,
}

/// Rows and fragment ids of `ds` that `segments` (one index's) do not cover.
fn uncovered(ds: &Dataset, segments: &[&IndexMetadata]) -> (u64, Vec<u32>) {
    let mut covered = BTreeSet::new();
    for s in segments {
        if let Some(b) = &s.fragment_bitmap {
            covered.extend(b.iter());
        }
    }
    let mut rows = 0;
    let mut ids = Vec::new();
    for f in ds.manifest.fragments.iter() {
        let id = f.id as u32;
        if !covered.contains(&id) {
            rows += f.physical_rows.unwrap_or(0) as u64;
            ids.push(id);
        }
    }
    (rows, ids)
}

/// The dimensions of vector column `column` of `ds` (0 for any other column).
fn vector_dims(ds: &Dataset, column: &str) -> usize {
    match ds.schema().field(column).map(|f| f.data_type()) {
        Some(arrow_schema::DataType::FixedSizeList(_, n)) => n.max(0) as usize,
        _ => 0,
    }
}

/// Whether a segment of `spec` over `rows` rows is built: a vector index waits for
/// [`VECTOR_INDEX_MIN_ROWS`] (its rows are scanned flat until then).
fn trainable(spec: &IndexSpec, rows: u64) -> bool {
    !spec.method.is_vector() || rows >= VECTOR_INDEX_MIN_ROWS
}

/// Rows and fragments of `ds` that `spec` leaves uncovered and would index now (a vector
/// index's tail too small to train counts as none).
fn pending(ds: &Dataset, spec: &IndexSpec, segments: &[&IndexMetadata]) -> (u64, Vec<u32>) {
    let (rows, ids) = uncovered(ds, segments);
    if trainable(spec, rows) {
        (rows, ids)
    } else {
        (0, Vec::new())
    }
}

fn segments_named<'a>(indices: &[&'a IndexMetadata], name: &str) -> Vec<&'a IndexMetadata> {
    indices.iter().filter(|i| i.name == name).copied().collect()
}

/// `ds`'s index segments split into those that `specs` account for and the stale rest: an
/// index the schema no longer declares, or whose column or method changed (`DROP INDEX`,
/// a migration, a merge that took the other side's schema). Lance's own indexes (`__...`)
/// are neither.
fn live_and_stale<'a>(
    ds: &Dataset,
    indices: &'a [IndexMetadata],
    specs: &[IndexSpec],
) -> (Vec<&'a IndexMetadata>, Vec<&'a IndexMetadata>) {
    let schema = ds.schema();
    let accounted = |segment: &IndexMetadata| {
        specs.iter().any(|spec| {
            spec.name == segment.name
                && schema.field(&spec.column).map(|f| f.id) == segment.fields.first().copied()
                && segment_method(segment).is_none_or(|(m, metric)| {
                    m == spec.method && (metric.is_none() || metric == spec.metric)
                })
        })
    };
    indices
        .iter()
        .filter(|i| !i.name.starts_with("__"))
        .partition(|i| accounted(i))
}

/// Whether a commit that adds `added` to the table at `base` must end with an index step:
/// an index is missing, or the uncovered tail reaches the thresholds.
pub(crate) async fn needs_maintenance(
    base: &Dataset,
    specs: &[IndexSpec],
    added: Added,
) -> Result<bool> {
    let indices = base.load_indices().await?;
    let (live, stale) = live_and_stale(base, &indices, specs);
    if !stale.is_empty() {
        return Ok(true);
    }
    let mut tail_rows = 0;
    let mut tail_frags = 0;
    for spec in specs {
        let segments = segments_named(&live, &spec.name);
        if segments.is_empty() && trainable(spec, table_rows(base) + added.rows) {
            return Ok(true);
        }
        let (rows, ids) = pending(base, spec, &segments);
        // A small table's full-text index covers every row at once: fuzzy terms are
        // expanded from its dictionary, which a flat scan of the tail has not.
        if spec.method == IndexMethod::Inverted
            && (!ids.is_empty() || added.rows > 0)
            && table_rows(base) + added.rows <= TEXT_INDEX_EAGER_ROWS
        {
            return Ok(true);
        }
        tail_rows = tail_rows.max(rows);
        tail_frags = tail_frags.max(ids.len() as u64);
    }
    Ok(tail_rows + added.rows >= INDEX_TAIL_ROWS
        || tail_frags + added.fragments >= INDEX_TAIL_FRAGMENTS)
}

/// Whether some index of `specs` leaves a fragment of `ds` uncovered.
pub(crate) async fn has_uncovered(ds: &Dataset, specs: &[IndexSpec]) -> Result<bool> {
    let indices = ds.load_indices().await?;
    let (live, _) = live_and_stale(ds, &indices, specs);
    Ok(specs.iter().any(|spec| {
        !pending(ds, spec, &segments_named(&live, &spec.name))
            .1
            .is_empty()
    }))
}

/// Whether `ds`'s indexes are not exactly `specs`: one is missing, or one is stale.
pub(crate) async fn out_of_date(ds: &Dataset, specs: &[IndexSpec]) -> Result<bool> {
    let indices = ds.load_indices().await?;
    let (live, stale) = live_and_stale(ds, &indices, specs);
    Ok(!stale.is_empty()
        || specs
            .iter()
            .any(|s| segments_named(&live, &s.name).is_empty() && trainable(s, table_rows(ds))))
}

async fn build_segment(
    ds: &Dataset,
    spec: &IndexSpec,
    fragments: Option<Vec<u32>>,
) -> Result<IndexMetadata> {
    let (index_type, params) = lance_index_type(spec, vector_dims(ds, &spec.column));
    let mut handle = ds.clone();
    let columns = [spec.column.as_str()];
    let mut builder = handle
        .create_index_builder(&columns, index_type, params.as_ref())
        .name(spec.name.clone())
        .replace(true);
    if let Some(f) = fragments {
        builder = builder.fragments(f);
    }
    Ok(builder.execute_uncommitted().await?)
}

/// Builds the segments that index `fragments` (or the whole table): one, or for a tail of
/// many rows up to one per core (at most `room`), built at the same time over runs of
/// fragments of about equal rows, so a bulk load's index builds use every core.
async fn build_segments(
    ds: &Dataset,
    spec: &IndexSpec,
    fragments: Option<Vec<u32>>,
    room: usize,
) -> Result<Vec<IndexMetadata>> {
    let wanted: Option<BTreeSet<u32>> = fragments.as_ref().map(|f| f.iter().copied().collect());
    let sized: Vec<(u32, u64)> = ds
        .manifest
        .fragments
        .iter()
        .filter(|f| wanted.as_ref().is_none_or(|w| w.contains(&(f.id as u32))))
        .map(|f| (f.id as u32, f.physical_rows.unwrap_or(0) as u64))
        .collect();
    let rows: u64 = sized.iter().map(|(_, r)| r).sum();
    if !trainable(spec, rows) {
        return Ok(Vec::new());
    }
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let parts = ((rows / SEGMENT_PART_ROWS) as usize)
        .min(cores)
        .min(room)
        .min(sized.len())
        .max(1);
    if parts == 1 || spec.method == IndexMethod::Inverted {
        return Ok(vec![build_segment(ds, spec, fragments).await?]);
    }
    futures::future::try_join_all(
        fragment_runs(&sized, parts)
            .into_iter()
            .map(|run| build_segment(ds, spec, Some(run))),
    )
    .await
}

/// `fragments` (id, rows) cut in order into at most `parts` runs of about equal rows.
fn fragment_runs(fragments: &[(u32, u64)], parts: usize) -> Vec<Vec<u32>> {
    let rows: u64 = fragments.iter().map(|(_, r)| r).sum();
    let per_part = rows.div_ceil(parts.max(1) as u64);
    let mut runs: Vec<Vec<u32>> = vec![Vec::new()];
    let mut run_rows = 0;
    for &(id, r) in fragments {
        let started = runs.last().is_some_and(|r| !r.is_empty());
        if started && run_rows >= per_part && runs.len() < parts {
            runs.push(Vec::new());
            run_rows = 0;
        }
        runs.last_mut().expect("one run at least").push(id);
        run_rows += r;
    }
    runs
}

/// Creates every index of `specs` on a fresh (empty) dataset, committing one version per
/// index; the dataset is not referenced by any manifest yet.
pub(crate) async fn create_on_new(ds: &mut Dataset, specs: &[IndexSpec]) -> Result<()> {
    for spec in specs.iter().filter(|s| trainable(s, 0)) {
        let (index_type, params) = lance_index_type(spec, vector_dims(ds, &spec.column));
        ds.create_index(
            &[spec.column.as_str()],
            index_type,
            Some(spec.name.clone()),
            params.as_ref(),
            false,
        )
        .await?;
    }
    Ok(())
}

/// Rows `ds` holds (deleted rows included, as an index build reads them).
fn table_rows(ds: &Dataset) -> u64 {
    ds.manifest
        .fragments
        .iter()
        .map(|f| f.physical_rows.unwrap_or(0) as u64)
        .sum()
}

/// Rows of the fragments `ids` that still exist in `ds`.
fn rows_of(ds: &Dataset, ids: &BTreeSet<u32>) -> u64 {
    ds.manifest
        .fragments
        .iter()
        .filter(|f| ids.contains(&(f.id as u32)))
        .map(|f| f.physical_rows.unwrap_or(0) as u64)
        .sum()
}

/// One `CreateIndex` transaction on `ds` that removes stale indexes, builds every missing
/// index of `specs` over the whole table and gives every other one a segment over its
/// uncovered fragments, folding trailing segments into it. With nothing to do it is an
/// empty `CreateIndex` (a legal commit, so the table still lands at the version the commit
/// planned).
pub(crate) async fn maintenance_txn(ds: &Dataset, specs: &[IndexSpec]) -> Result<Transaction> {
    let indices = ds.load_indices().await?;
    let (live, stale) = live_and_stale(ds, &indices, specs);
    let mut new_indices = Vec::new();
    let mut removed_indices: Vec<IndexMetadata> = stale.into_iter().cloned().collect();
    let existing: BTreeSet<u32> = ds.manifest.fragments.iter().map(|f| f.id as u32).collect();
    for spec in specs {
        let mut segments = segments_named(&live, &spec.name);
        // A segment whose fragments were all rewritten (compaction) covers nothing.
        let (empty, holding): (Vec<_>, Vec<_>) = segments.into_iter().partition(|s| {
            s.fragment_bitmap
                .as_ref()
                .is_some_and(|b| !b.iter().any(|id| existing.contains(&id)))
        });
        removed_indices.extend(empty.into_iter().cloned());
        segments = holding;
        if segments.is_empty() {
            new_indices.extend(build_segments(ds, spec, None, MAX_INDEX_SEGMENTS).await?);
            continue;
        }
        // Lance's full-text segments over some fragments are parts of one index, to be
        // merged before they are read; the index is built over the whole table instead.
        if spec.method == IndexMethod::Inverted {
            if !uncovered(ds, &segments).1.is_empty() {
                removed_indices.extend(segments.into_iter().cloned());
                new_indices.push(build_segment(ds, spec, None).await?);
            }
            continue;
        }
        let (tail_rows, tail) = pending(ds, spec, &segments);
        if tail.is_empty() {
            continue;
        }
        // Size-tiered fold: absorb the newest segments while they are no more than twice
        // the rows gathered so far, or while the index would exceed its segment budget.
        let mut fragments: BTreeSet<u32> = tail.into_iter().collect();
        let mut rows = tail_rows;
        let mut kept: Vec<&IndexMetadata> = segments.clone();
        while let Some(last) = kept.last() {
            let bitmap: BTreeSet<u32> =
                last.fragment_bitmap.iter().flat_map(|b| b.iter()).collect();
            let last_rows = rows_of(ds, &bitmap);
            if last_rows <= 2 * rows || kept.len() + 1 > MAX_INDEX_SEGMENTS {
                fragments.extend(bitmap.iter().filter(|id| existing.contains(id)));
                rows += last_rows;
                removed_indices.push((*last).clone());
                kept.pop();
            } else {
                break;
            }
        }
        let whole = kept.is_empty() && fragments.len() == existing.len();
        let fragments = (!whole).then(|| fragments.into_iter().collect());
        let room = MAX_INDEX_SEGMENTS - kept.len();
        new_indices.extend(build_segments(ds, spec, fragments, room).await?);
    }
    Ok(TransactionBuilder::new(
        ds.version_id(),
        Operation::CreateIndex {
            new_indices,
            removed_indices,
        },
    )
    .build())
}

/// A `CreateIndex` transaction on `ds` that removes every segment of the indexes `names`.
pub(crate) async fn drop_segments_txn(ds: &Dataset, names: &[String]) -> Result<Transaction> {
    let removed_indices = ds
        .load_indices()
        .await?
        .iter()
        .filter(|i| names.contains(&i.name))
        .cloned()
        .collect();
    Ok(TransactionBuilder::new(
        ds.version_id(),
        Operation::CreateIndex {
            new_indices: vec![],
            removed_indices,
        },
    )
    .build())
}

/// The indexes of `ds` whose segments list stable row ids rather than row addresses
/// (bitmap, label-list, vector and inverted). A rewrite carries such a segment over only when every
/// fragment it rewrites together is covered alike, so compaction drops them and builds
/// them again.
pub(crate) async fn row_id_indexes(ds: &Dataset) -> Result<Vec<String>> {
    let mut names: Vec<String> = ds
        .load_indices()
        .await?
        .iter()
        .filter(|i| !i.name.starts_with("__"))
        .filter(|i| {
            matches!(
                segment_method(i),
                Some((
                    IndexMethod::Bitmap
                        | IndexMethod::LabelList
                        | IndexMethod::IvfPq
                        | IndexMethod::Hnsw
                        | IndexMethod::Inverted,
                    _
                ))
            )
        })
        .map(|i| i.name.clone())
        .collect();
    names.dedup();
    Ok(names)
}

/// The method and metric of the vector index on `column` of `ds`, if it has one with a
/// trained segment (Lance searches its uncovered fragments flat).
pub async fn vector_index(
    ds: &Dataset,
    column: &str,
) -> Result<Option<(IndexMethod, VectorMetric)>> {
    let Some(field) = ds.schema().field(column) else {
        return Ok(None);
    };
    Ok(ds
        .load_indices()
        .await?
        .iter()
        .filter(|i| i.fields.first() == Some(&field.id))
        .find_map(|i| match segment_method(i) {
            Some((m, Some(metric))) if m.is_vector() => Some((m, metric)),
            _ => None,
        }))
}

/// The index segment ids of `ds`, by name (recovery compares these across versions).
pub(crate) async fn segment_ids(ds: &Dataset) -> Result<BTreeMap<String, BTreeSet<String>>> {
    let mut out: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for i in ds.load_indices().await?.iter() {
        out.entry(i.name.clone())
            .or_default()
            .insert(i.uuid.to_string());
    }
    Ok(out)
}

impl crate::graph::Graph {
    /// Builds the indexes that `branch`'s tables lack (graphs written before tables had
    /// indexes), as one commit; `None` when every table has all of its indexes. A write to
    /// such a table builds them too, so calling this only moves that cost off a write.
    pub async fn build_missing_indexes(
        &self,
        branch: &str,
        opts: &super::WriteOptions,
    ) -> Result<Option<super::CommitOutcome>> {
        use super::commit::{self, CommitRequest, StagedTable, TableAction};
        self.require_writable()?;
        let _writing = self.writing().await;
        crate::recovery::heal_own_before_write(self).await?;
        let snapshot = self.snapshot(branch).await?;
        let mut tables = Vec::new();
        for def in snapshot.schema().tables() {
            let (_, entry) = snapshot.table(def.table())?;
            let ds = snapshot.table_store().dataset(entry).await?;
            if !out_of_date(&ds, &required_indexes(def)).await? {
                continue;
            }
            let prepared = super::prepare_table(&snapshot, def.table()).await?;
            tables.push(StagedTable {
                entry: prepared.entry,
                dataset: prepared.dataset,
                forked: prepared.forked,
                action: TableAction::Steps(Vec::new()),
            });
        }
        if tables.is_empty() {
            return Ok(None);
        }
        let message = opts
            .message
            .clone()
            .unwrap_or_else(|| format!("build missing indexes of {} tables", tables.len()));
        let outcome = commit::commit(
            self,
            CommitRequest {
                kind: "build_indexes",
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
        Ok(Some(outcome))
    }
}

#[cfg(test)]
mod tests {
    use super::fragment_runs;

    #[test]
    fn fragment_runs_cover_every_fragment_once_in_order() {
        let fragments: Vec<(u32, u64)> = (0..10).map(|i| (i, 1000 + 10 * i as u64)).collect();
        for parts in 1..=12 {
            let runs = fragment_runs(&fragments, parts);
            assert!(runs.len() <= parts.max(1) && runs.iter().all(|r| !r.is_empty()));
            let flat: Vec<u32> = runs.concat();
            assert_eq!(flat, (0..10).collect::<Vec<_>>(), "{parts} parts");
        }
        let runs = fragment_runs(&fragments, 2);
        // 10,450 rows: the first run closes once it holds half (5,225) or more.
        assert_eq!(runs, vec![(0..6).collect::<Vec<_>>(), (6..10).collect()]);
        assert_eq!(fragment_runs(&[(7, 0)], 3), vec![vec![7]]);
    }
}
