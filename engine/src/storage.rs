//! Thin layer over Lance: opening datasets on a shared session, strict compare-and-swap
//! commits, and small metadata files (recovery sidecars) through Lance's object store.

use std::collections::BTreeMap;
use std::sync::Arc;

use arrow_array::{Array, RecordBatch, RecordBatchIterator, StringArray, UInt64Array};
use arrow_schema::{ArrowError, SchemaRef};
use futures::TryStreamExt;
use lance::Dataset;
use lance::dataset::builder::DatasetBuilder;
use lance::dataset::scanner::DatasetRecordBatchStream;
use lance::dataset::transaction::{Operation, Transaction};
use lance::dataset::{CommitBuilder, InsertBuilder, WriteMode, WriteParams};
use lance::io::ObjectStore;
use lance::session::Session;
use lance_core::ROW_ADDR;
use lance_table::format::{Fragment, IndexMetadata, Manifest};
use lance_table::io::commit::{
    CommitError, CommitHandler, ManifestLocation, ManifestNamingScheme, ManifestWriter,
    commit_handler_from_url,
};
use object_store::ObjectStoreExt;
use object_store::path::Path;

use crate::error::{Error, Result};

/// Joins a graph root URI and a relative path.
pub fn join_uri(root: &str, rel: &str) -> String {
    format!("{}/{}", root.trim_end_matches('/'), rel)
}

/// Opens a dataset at `uri` on `branch` (None = main) at `version` (None = latest).
pub async fn open_dataset(
    session: &Arc<Session>,
    uri: &str,
    branch: Option<&str>,
    version: Option<u64>,
) -> Result<Dataset> {
    let mut builder = DatasetBuilder::from_uri(uri).with_session(session.clone());
    builder = match (branch, version) {
        (Some(b), v) => builder.with_branch(b, v),
        (None, Some(v)) => builder.with_version(v),
        (None, None) => builder,
    };
    Ok(builder.load().await?)
}

/// `dataset`'s Lance branches. Lance lists the ref files, then reads each: a branch
/// deleted in between (another transaction ending) fails the read with "not found", so
/// the listing is taken again.
pub async fn branch_refs(
    dataset: &Dataset,
) -> Result<std::collections::HashMap<String, lance::dataset::refs::BranchContents>> {
    let mut attempt = 0;
    loop {
        match dataset.list_branches().await {
            Err(lance::Error::NotFound { .. }) if attempt < 8 => attempt += 1,
            other => return Ok(other?),
        }
    }
}

/// The latest version of `dataset`'s Lance branch, found by probing for the manifests
/// after `dataset`'s version one by one: one existence check when nothing was committed
/// since. Lance's own lookup (`latest_version_id`) lists every manifest of the branch on
/// local storage, a cost that grows with the history.
pub async fn latest_version(dataset: &Dataset) -> Result<u64> {
    let store = dataset.object_store(None).await?;
    let scheme = dataset.manifest_location().naming_scheme;
    let mut version = dataset.version_id();
    loop {
        let name = match scheme {
            ManifestNamingScheme::V1 => format!("{}.manifest", version + 1),
            ManifestNamingScheme::V2 => format!("{:020}.manifest", u64::MAX - (version + 1)),
        };
        if !store.exists(&dataset.versions_dir().join(name)).await? {
            return Ok(version);
        }
        version += 1;
    }
}

/// Creates an empty dataset with `schema` (stable row ids on, so row versions are tracked).
pub async fn create_empty_dataset(
    session: &Arc<Session>,
    uri: &str,
    schema: SchemaRef,
) -> Result<Dataset> {
    let reader = RecordBatchIterator::new(
        std::iter::empty::<std::result::Result<RecordBatch, ArrowError>>(),
        schema,
    );
    let params = WriteParams {
        mode: WriteMode::Create,
        enable_stable_row_ids: true,
        session: Some(session.clone()),
        ..Default::default()
    };
    Ok(Dataset::write(reader, uri, Some(params)).await?)
}

/// A commit handler that only accepts the manifest version it was built for.
///
/// Lance rebases compatible concurrent commits (two appends both succeed); wrapping the
/// store's own handler turns a commit into a compare-and-swap on the version instead:
/// if anyone committed since our read version, our target version differs and we fail.
#[derive(Debug)]
struct ExpectVersionHandler {
    inner: Arc<dyn CommitHandler>,
    expected: u64,
}

#[async_trait::async_trait]
impl CommitHandler for ExpectVersionHandler {
    fn is_version_not_found_definitive(&self) -> bool {
        self.inner.is_version_not_found_definitive()
    }

    fn propagate_commit_error_after_success(&self) -> bool {
        self.inner.propagate_commit_error_after_success()
    }

    async fn commit(
        &self,
        manifest: &mut Manifest,
        indices: Option<Vec<IndexMetadata>>,
        base_path: &Path,
        object_store: &ObjectStore,
        manifest_writer: ManifestWriter,
        naming_scheme: ManifestNamingScheme,
        transaction: Option<lance_table::format::Transaction>,
    ) -> std::result::Result<ManifestLocation, CommitError> {
        if manifest.version != self.expected {
            return Err(CommitError::CommitConflict);
        }
        self.inner
            .commit(
                manifest,
                indices,
                base_path,
                object_store,
                manifest_writer,
                naming_scheme,
                transaction,
            )
            .await
    }
}

/// The data files `txn` writes or rewrites (and, harmlessly, some it keeps).
fn data_files_of(txn: &Transaction) -> Vec<&lance_table::format::DataFile> {
    let fragments: Vec<&Fragment> = match &txn.operation {
        Operation::Append { fragments }
        | Operation::Overwrite { fragments, .. }
        | Operation::Merge { fragments, .. } => fragments.iter().collect(),
        Operation::Update {
            updated_fragments,
            new_fragments,
            ..
        } => updated_fragments.iter().chain(new_fragments).collect(),
        Operation::Rewrite { groups, .. } => groups.iter().flat_map(|g| &g.new_fragments).collect(),
        _ => Vec::new(),
    };
    let mut files: Vec<&lance_table::format::DataFile> =
        fragments.into_iter().flat_map(|f| &f.files).collect();
    if let Operation::DataReplacement { replacements } = &txn.operation {
        files.extend(replacements.iter().map(|r| &r.1));
    }
    files
}

/// Fails unless every local data file `txn` references holds the bytes Lance wrote to
/// it. Lance's local writer ignores an error from its last write (a full disk) and still
/// publishes the file, cut short; committed, it would fail every later read. The error
/// it ignored is lost; a full disk is what cuts writes short, so that is the report.
async fn check_written_files(dataset: &Dataset, txn: &Transaction) -> Result<()> {
    let store = dataset.object_store(None).await?;
    if !store.is_local() {
        return Ok(());
    }
    for file in data_files_of(txn) {
        let (Some(written), None) = (file.file_size_bytes.get(), file.base_id) else {
            continue;
        };
        let path = dataset.data_dir().join(file.path.as_str());
        let stored = store.size(&path).await?;
        if stored != written.get() {
            return Err(Error::Io(std::io::Error::new(
                std::io::ErrorKind::StorageFull,
                format!(
                    "data file {path} holds {stored} of the {written} bytes written to it: a write was cut short, most likely by a full disk"
                ),
            )));
        }
    }
    Ok(())
}

/// Commits `txn` onto `dataset` only if nobody committed since `txn.read_version`.
///
/// Returns the new dataset version, which is always `read_version + 1`.
pub async fn commit_exact(dataset: Arc<Dataset>, txn: Transaction, what: &str) -> Result<Dataset> {
    check_written_files(&dataset, &txn).await?;
    let expected = txn.read_version + 1;
    let inner = commit_handler_from_url(dataset.uri(), &None).await?;
    let handler = Arc::new(ExpectVersionHandler { inner, expected });
    let result = CommitBuilder::new(dataset)
        .with_commit_handler(handler)
        .with_max_retries(0)
        .with_skip_auto_cleanup(true)
        .execute(txn)
        .await;
    match result {
        Ok(ds) if ds.version_id() == expected => Ok(ds),
        Ok(ds) => Err(Error::Conflict(format!(
            "{what}: committed at version {} instead of {expected}",
            ds.version_id()
        ))),
        Err(
            lance::Error::CommitConflict { .. }
            | lance::Error::RetryableCommitConflict { .. }
            | lance::Error::IncompatibleTransaction { .. }
            | lance::Error::TooMuchWriteContention { .. },
        ) => Err(Error::Conflict(format!(
            "{what} was changed by a concurrent commit"
        ))),
        Err(e) => Err(e.into()),
    }
}

/// The fragment changes that mark the rows at `addresses` (Lance row addresses, at
/// `dataset`'s version) deleted: fragments with a grown deletion vector, and the ids of
/// fragments left with no live row.
pub async fn deletions_at(
    dataset: &Dataset,
    addresses: impl IntoIterator<Item = u64>,
) -> Result<(Vec<Fragment>, Vec<u64>)> {
    let mut by_fragment: BTreeMap<u32, Vec<u32>> = BTreeMap::new();
    for address in addresses {
        by_fragment
            .entry((address >> 32) as u32)
            .or_default()
            .push(address as u32);
    }
    let mut updated = Vec::new();
    let mut removed = Vec::new();
    for (fragment_id, offsets) in by_fragment {
        let fragment = dataset.get_fragment(fragment_id as usize).ok_or_else(|| {
            Error::Corrupt(format!(
                "fragment {fragment_id} is not in version {} of {}",
                dataset.version_id(),
                dataset.uri()
            ))
        })?;
        match fragment.extend_deletions(offsets).await? {
            Some(kept) => updated.push(kept.metadata().clone()),
            None => removed.push(u64::from(fragment_id)),
        }
    }
    Ok((updated, removed))
}

/// A Lance append of `batch` (stable row ids, as every graph dataset has), staged against
/// `dataset`'s version.
pub async fn stage_append(dataset: &Arc<Dataset>, batch: RecordBatch) -> Result<Transaction> {
    let params = WriteParams {
        mode: WriteMode::Append,
        enable_stable_row_ids: true,
        session: Some(dataset.session()),
        ..Default::default()
    };
    Ok(InsertBuilder::new(dataset.clone())
        .with_params(&params)
        .execute_uncommitted(vec![batch])
        .await?)
}

/// A Lance delete of the rows matching `filter`, staged against `dataset`'s version.
///
/// The rows are found by a scan that returns their addresses, not by Lance's
/// `DeleteBuilder`, which maps the row ids it finds to addresses through a row id index of
/// the whole table, built again for every table version (at up to 2^20 rows with a
/// deletion vector, by visiting every row). Lance's filtered read of an indexed filter
/// emits the addresses from each fragment's row id sequence; profiles of `UPDATE`/`DELETE`
/// by key show no whole-table index being built.
pub async fn stage_delete(dataset: &Dataset, filter: &str) -> Result<Transaction> {
    let mut scanner = dataset.scan();
    scanner
        .with_row_address()
        .filter(filter)?
        .project::<&str>(&[])?;
    let batches: Vec<RecordBatch> = scanner.try_into_stream().await?.try_collect().await?;
    let mut addresses = Vec::new();
    for batch in &batches {
        let column = batch
            .column_by_name(ROW_ADDR)
            .and_then(|c| c.as_any().downcast_ref::<UInt64Array>())
            .ok_or_else(|| Error::Corrupt("a scan for row addresses returned none".into()))?;
        addresses.extend(column.values().iter().copied());
    }
    let (updated_fragments, deleted_fragment_ids) = deletions_at(dataset, addresses).await?;
    Ok(Transaction::new(
        dataset.version_id(),
        Operation::Delete {
            updated_fragments,
            deleted_fragment_ids,
            predicate: filter.to_string(),
        },
        None,
    ))
}

/// Makes version `base` the content of a new version on top of `latest`, as a version
/// CAS: if anyone committed after `latest`, this fails instead of stacking another restore.
pub async fn restore_exact(latest: Dataset, base: u64, what: &str) -> Result<Dataset> {
    let txn = Transaction::new(
        latest.version_id(),
        lance::dataset::transaction::Operation::Restore { version: base },
        None,
    );
    commit_exact(Arc::new(latest), txn, what).await
}

/// Streams the given columns of a dataset.
pub async fn stream_columns(
    dataset: &Dataset,
    columns: &[&str],
) -> Result<DatasetRecordBatchStream> {
    let mut scanner = dataset.scan();
    scanner.project(columns)?;
    Ok(scanner.try_into_stream().await?)
}

/// Reads the given columns of a dataset into memory.
pub async fn scan_columns(dataset: &Dataset, columns: &[&str]) -> Result<Vec<RecordBatch>> {
    Ok(stream_columns(dataset, columns)
        .await?
        .try_collect()
        .await?)
}

pub fn string_column(batch: &RecordBatch, index: usize) -> Result<&StringArray> {
    batch
        .column(index)
        .as_any()
        .downcast_ref::<StringArray>()
        .ok_or_else(|| Error::Corrupt(format!("column {index} is not a string column")))
}

/// The Lance filter `column IN ('a', 'b', ...)`, the values quoted as string literals.
pub fn id_in_filter<'a>(column: &str, ids: impl Iterator<Item = &'a str>) -> String {
    let quoted: Vec<String> = ids
        .map(|id| format!("'{}'", id.replace('\'', "''")))
        .collect();
    format!("{column} IN ({})", quoted.join(", "))
}

/// Whether Lance failed because what it looked for does not exist (a dataset, the
/// manifests of a branch, a ref), rather than failing to read something that exists.
pub fn is_not_found(error: &lance::Error) -> bool {
    match error {
        lance::Error::NotFound { .. }
        | lance::Error::DatasetNotFound { .. }
        | lance::Error::RefNotFound { .. } => true,
        lance::Error::IO { source, .. }
        | lance::Error::Wrapped { error: source, .. }
        | lance::Error::External { source } => caused_by_not_found(source.as_ref()),
        _ => false,
    }
}

/// Whether an error or one of its sources is a not-found of the object store, the file
/// system or Lance.
fn caused_by_not_found(error: &(dyn std::error::Error + 'static)) -> bool {
    let mut next = Some(error);
    while let Some(e) = next {
        if let Some(store) = e.downcast_ref::<object_store::Error>() {
            return matches!(store, object_store::Error::NotFound { .. });
        }
        if let Some(io) = e.downcast_ref::<std::io::Error>()
            && io.kind() == std::io::ErrorKind::NotFound
        {
            return true;
        }
        if let Some(lance) = e.downcast_ref::<lance::Error>() {
            return is_not_found(lance);
        }
        next = e.source();
    }
    false
}

/// Small metadata files under the graph root (recovery sidecars), stored through Lance's
/// object store so any URI Lance accepts works.
#[derive(Clone)]
pub struct MetaStore {
    store: Arc<ObjectStore>,
    base: Path,
}

impl MetaStore {
    pub async fn new(root: &str) -> Result<Self> {
        let (store, base) = ObjectStore::from_uri(root).await?;
        Ok(MetaStore { store, base })
    }

    fn path(&self, rel: &str) -> Path {
        let mut p = self.base.clone();
        for part in rel.split('/') {
            p = p.join(part);
        }
        p
    }

    /// Writes `bytes` at `rel` whole or not at all. Through object_store's own `put`,
    /// not Lance's writer: Lance's local writer ignores a failed final flush (a full
    /// disk) and publishes the cut-short file.
    pub async fn put(&self, rel: &str, bytes: &[u8]) -> Result<()> {
        self.store
            .inner
            .put(&self.path(rel), bytes.to_vec().into())
            .await
            .map_err(lance::Error::from)?;
        Ok(())
    }

    /// Moves `from` to `to`, replacing `to`; on a local disk this needs no free space.
    pub async fn rename(&self, from: &str, to: &str) -> Result<()> {
        self.store
            .inner
            .rename(&self.path(from), &self.path(to))
            .await
            .map_err(lance::Error::from)?;
        Ok(())
    }

    pub async fn get(&self, rel: &str) -> Result<Vec<u8>> {
        Ok(self.store.read_one_all(&self.path(rel)).await?.to_vec())
    }

    pub async fn delete(&self, rel: &str) -> Result<()> {
        self.store.delete(&self.path(rel)).await?;
        Ok(())
    }

    pub async fn exists(&self, rel: &str) -> Result<bool> {
        Ok(self.store.exists(&self.path(rel)).await?)
    }

    /// File names directly under `dir`, sorted.
    pub async fn list(&self, dir: &str) -> Result<Vec<String>> {
        let path = self.path(dir);
        if !self.exists_dir(dir).await {
            return Ok(Vec::new());
        }
        let mut names = self.store.read_dir(path).await?;
        names.sort();
        Ok(names)
    }

    /// Removes `dir` and everything under it.
    pub async fn remove_dir_all(&self, dir: &str) -> Result<()> {
        self.store.remove_dir_all(self.path(dir)).await?;
        Ok(())
    }

    /// Files under `dir` (recursively) and their total size in bytes.
    pub async fn usage(&self, dir: &str) -> Result<(u64, u64)> {
        let mut stream = self.store.list(Some(self.path(dir)));
        let (mut files, mut bytes) = (0, 0);
        while let Some(meta) = stream.try_next().await? {
            files += 1;
            bytes += meta.size;
        }
        Ok((files, bytes))
    }

    async fn exists_dir(&self, dir: &str) -> bool {
        let mut stream = self.store.list(Some(self.path(dir)));
        matches!(stream.try_next().await, Ok(Some(_)))
    }
}

#[cfg(test)]
mod tests {
    use super::is_not_found;

    #[test]
    fn not_found_is_recognised_by_type_not_by_message() {
        assert!(is_not_found(&lance::Error::not_found("graph/_manifest")));
        let store = object_store::Error::NotFound {
            path: "graph/_manifest".into(),
            source: "gone".into(),
        };
        assert!(is_not_found(&lance::Error::io_source(Box::new(store))));
        let file = std::io::Error::new(std::io::ErrorKind::NotFound, "gone");
        assert!(is_not_found(&lance::Error::wrapped(Box::new(file))));
        assert!(!is_not_found(&lance::Error::io("table not found")));
        let denied = std::io::Error::new(std::io::ErrorKind::PermissionDenied, "not found");
        assert!(!is_not_found(&lance::Error::io_source(Box::new(denied))));
    }
}
