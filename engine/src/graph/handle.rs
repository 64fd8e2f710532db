//! The graph handle: its shared state, the manifest heads and parsed states it caches,
//! and snapshots.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};

use lance::Dataset;
use lance::session::Session;

use super::names::MAIN_BRANCH;
use crate::error::{Error, Result};
use crate::manifest::{self, ManifestState, TableEntry};
use crate::schema::{GraphSchema, parse_schema};
use crate::snapshot::Snapshot;
use crate::storage::{self, MetaStore};
use crate::table_store::TableStore;

const STATE_CACHE_CAPACITY: usize = 1024;

/// Whether a graph handle may write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpenMode {
    ReadWrite,
    ReadOnly,
}

/// Caches of manifest reads, keyed so they never go stale: parsed states by (graph
/// branch, graph version), and the last manifest handle seen per graph branch (for the
/// cheap latest-version probe).
#[derive(Default)]
struct ManifestCaches {
    states: HashMap<(String, u64), Arc<(ManifestState, GraphSchema)>>,
    heads: HashMap<String, Arc<Dataset>>,
    commits: HashMap<String, CommitLog>,
}

/// The commits of a branch as read at one manifest version, with the manifest fragments
/// they were read from.
#[derive(Clone)]
pub(super) struct CommitLog {
    pub(super) version: u64,
    pub(super) fragments: std::collections::BTreeSet<u64>,
    pub(super) records: Arc<[Arc<crate::manifest::CommitRecord>]>,
}

pub(crate) struct GraphInner {
    table_store: Arc<TableStore>,
    pub(crate) meta: MetaStore,
    pub(crate) mode: OpenMode,
    /// Serializes the commit phase of writers in this process.
    pub(crate) write_lock: tokio::sync::Mutex<()>,
    /// Queues single-statement writers of this process (see [`Graph::statement_turn`]).
    statement_turn: tokio::sync::Mutex<()>,
    /// Sidecars this process could not roll back inline; retried by its next writer.
    pub(crate) unresolved_sidecars: Mutex<Vec<String>>,
    manifests: Mutex<ManifestCaches>,
    /// Lowercase names refused for new branches and tables (see [`Graph::reserve_names`]).
    reserved_names: RwLock<Vec<String>>,
    /// Keeps cleanup's removal of unreferenced files away from writes in flight.
    pub(crate) write_gate: Arc<crate::maintenance::write_gate::WriteGate>,
    /// The bulk writes running in this process (`pg_stat_progress_copy`).
    pub(crate) copies: Arc<crate::progress::RunningCopies>,
}

/// A handle to one graph. Cheap to clone; clones share caches and the writer lock.
#[derive(Clone)]
pub struct Graph {
    pub(crate) inner: Arc<GraphInner>,
}

impl std::fmt::Debug for Graph {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Graph").field("root", &self.root()).finish()
    }
}

impl Graph {
    pub(crate) async fn from_parts(
        root: String,
        session: Arc<Session>,
        mode: OpenMode,
    ) -> Result<Graph> {
        let meta = MetaStore::new(&root).await?;
        Ok(Graph {
            inner: Arc::new(GraphInner {
                table_store: Arc::new(TableStore::new(root, session)),
                meta,
                mode,
                write_lock: tokio::sync::Mutex::new(()),
                statement_turn: tokio::sync::Mutex::new(()),
                unresolved_sidecars: Mutex::new(Vec::new()),
                manifests: Mutex::new(ManifestCaches::default()),
                reserved_names: RwLock::new(Vec::new()),
                write_gate: Arc::default(),
                copies: Arc::default(),
            }),
        })
    }

    pub fn root(&self) -> &str {
        self.inner.table_store.root()
    }

    /// The last part of the graph's root: the name it is known by.
    pub fn name(&self) -> Option<String> {
        self.root()
            .trim_end_matches('/')
            .rsplit(['/', '\\'])
            .next()
            .filter(|n| !n.is_empty())
            .map(str::to_string)
    }

    pub fn mode(&self) -> OpenMode {
        self.inner.mode
    }

    pub(crate) fn session(&self) -> &Arc<Session> {
        self.inner.table_store.session()
    }

    pub(crate) fn table_uri(&self, path: &str) -> String {
        self.inner.table_store.table_uri(path)
    }

    /// The graph's table datasets and their caches.
    pub(crate) fn table_store(&self) -> &TableStore {
        &self.inner.table_store
    }

    fn manifest_uri(&self) -> String {
        storage::join_uri(self.root(), manifest::MANIFEST_DIR)
    }

    pub(crate) fn require_writable(&self) -> Result<()> {
        match self.inner.mode {
            OpenMode::ReadWrite => Ok(()),
            OpenMode::ReadOnly => Err(Error::ReadOnly),
        }
    }

    /// Reserves `names` on this graph and its clones: they are refused, compared
    /// case-insensitively, as names of new branches and of node and edge tables. The
    /// layer above the engine keeps them for its own namespaces (a SQL layer: its schema
    /// names). Reserving a name again changes nothing.
    pub fn reserve_names(&self, names: impl IntoIterator<Item = impl AsRef<str>>) {
        let mut reserved = self
            .inner
            .reserved_names
            .write()
            .unwrap_or_else(|p| p.into_inner());
        for name in names {
            let name = name.as_ref().to_ascii_lowercase();
            if !reserved.contains(&name) {
                reserved.push(name);
            }
        }
    }

    /// The names reserved with [`Graph::reserve_names`], lowercase.
    pub fn reserved_names(&self) -> Vec<String> {
        self.inner
            .reserved_names
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// The manifest of `branch` at its latest version (one cheap probe when unchanged).
    pub(crate) async fn manifest_head(&self, branch: &str) -> Result<Arc<Dataset>> {
        let cached = self.manifest_caches().heads.get(branch).cloned();
        if let Some(ds) = cached {
            let latest = storage::latest_version(&ds).await?;
            if latest == ds.version_id() {
                return Ok(ds);
            }
            let fresh = Arc::new(ds.checkout_version((branch, latest)).await?);
            self.remember_head(branch, fresh.clone());
            return Ok(fresh);
        }
        let ds =
            match storage::open_dataset(self.session(), &self.manifest_uri(), Some(branch), None)
                .await
            {
                Ok(ds) => Arc::new(ds),
                Err(Error::Lance(e)) if branch != MAIN_BRANCH && storage::is_not_found(&e) => {
                    return Err(Error::UnknownBranch(branch.to_string()));
                }
                Err(e) => return Err(e),
            };
        self.remember_head(branch, ds.clone());
        Ok(ds)
    }

    pub(super) fn commit_log(&self, branch: &str) -> Option<CommitLog> {
        self.manifest_caches().commits.get(branch).cloned()
    }

    pub(super) fn remember_commit_log(&self, branch: &str, log: CommitLog) {
        self.manifest_caches()
            .commits
            .insert(branch.to_string(), log);
    }

    /// Keeps `head` as the latest manifest seen of `branch`.
    pub(super) fn remember_head(&self, branch: &str, head: Arc<Dataset>) {
        self.manifest_caches()
            .heads
            .insert(branch.to_string(), head);
    }

    /// The manifest of `branch` at graph version `version`.
    pub(crate) async fn manifest_at(&self, branch: &str, version: u64) -> Result<Arc<Dataset>> {
        let head = self.manifest_head(branch).await?;
        if head.version_id() == version {
            return Ok(head);
        }
        if version > head.version_id() {
            return Err(Error::UnknownRef(format!(
                "{version} (branch '{branch}' is at version {})",
                head.version_id()
            )));
        }
        match head.checkout_version((branch, version)).await {
            Ok(ds) => Ok(Arc::new(ds)),
            Err(e) if storage::is_not_found(&e) => {
                Err(self.missing_version(&head, branch, version).await)
            }
            Err(_) => Err(Error::UnknownRef(format!(
                "{version} (no such version on branch '{branch}')"
            ))),
        }
    }

    /// Why `version` of `branch` (below its head) cannot be opened: cleanup removed it,
    /// unless the branch was created after it.
    async fn missing_version(&self, head: &Dataset, branch: &str, version: u64) -> Error {
        let created_at = match branch {
            MAIN_BRANCH => Some(0),
            _ => crate::storage::branch_refs(head)
                .await
                .ok()
                .and_then(|refs| refs.get(branch).map(|c| c.parent_version)),
        };
        let readable: Vec<u64> = head
            .versions()
            .await
            .map(|v| v.iter().map(|v| v.version).collect())
            .unwrap_or_default();
        // A branch's versions run without gaps from where it was created to its head:
        // one missing in between was removed.
        match (created_at, readable.iter().min()) {
            (Some(created), Some(&oldest)) if version >= created => Error::VersionRemoved {
                branch: branch.to_string(),
                version,
                oldest,
                next: readable.iter().copied().filter(|v| *v > version).min(),
            },
            _ => Error::UnknownRef(format!("{version} (no such version on branch '{branch}')")),
        }
    }

    fn manifest_caches(&self) -> std::sync::MutexGuard<'_, ManifestCaches> {
        self.inner
            .manifests
            .lock()
            .unwrap_or_else(|p| p.into_inner())
    }

    pub(crate) async fn state_of(
        &self,
        branch: &str,
        manifest: &Dataset,
    ) -> Result<Arc<(ManifestState, GraphSchema)>> {
        let key = (branch.to_string(), manifest.version_id());
        if let Some(hit) = self.manifest_caches().states.get(&key).cloned() {
            return Ok(hit);
        }
        let state = manifest::read_state(manifest).await?;
        let schema = schema_of(&state)?;
        let entry = Arc::new((state, schema));
        self.remember_state(branch, entry.clone());
        Ok(entry)
    }

    pub(super) fn remember_state(&self, branch: &str, state: Arc<(ManifestState, GraphSchema)>) {
        let mut caches = self.manifest_caches();
        if caches.states.len() >= STATE_CACHE_CAPACITY {
            // States a snapshot still holds stay: cleanup keeps what they pin.
            caches.states.retain(|_, s| Arc::strong_count(s) > 1);
        }
        caches
            .states
            .insert((branch.to_string(), state.0.graph_version), state);
    }

    /// Keeps what this process just published on `branch` as its head: the manifest at
    /// the new version, and its state derived from `base` (the state the publish was
    /// made on). The next snapshot of the branch then reads neither back.
    pub(crate) fn remember_published(
        &self,
        branch: &str,
        published: manifest::Published,
        base: &(ManifestState, GraphSchema),
        publish: &manifest::Publish,
    ) {
        let manifest::Published {
            dataset,
            row_addresses,
        } = published;
        let state = base.0.after(publish, row_addresses);
        debug_assert_eq!(state.graph_version, dataset.version_id());
        let schema = match &publish.schema_source {
            Some(_) => schema_of(&state).ok(),
            None => Some(base.1.clone()),
        };
        self.remember_head(branch, Arc::new(dataset));
        // A schema this build cannot parse is not cached: reading it back reports it.
        if let Some(schema) = schema {
            self.remember_state(branch, Arc::new((state, schema)));
        }
    }

    /// A snapshot of the head of `branch`.
    pub async fn snapshot(&self, branch: &str) -> Result<Snapshot> {
        let manifest = self.manifest_head(branch).await?;
        let state = self.state_of(branch, &manifest).await?;
        Ok(Snapshot::new(
            self.inner.table_store.clone(),
            branch.to_string(),
            state,
        ))
    }

    /// A snapshot of `branch` at graph version `version`.
    pub async fn snapshot_at_version(&self, branch: &str, version: u64) -> Result<Snapshot> {
        let manifest = self.manifest_at(branch, version).await?;
        let state = self.state_of(branch, &manifest).await?;
        Ok(Snapshot::new(
            self.inner.table_store.clone(),
            branch.to_string(),
            state,
        ))
    }

    /// Waits for this process's single-statement writers before this one. A write
    /// validates against the branch head and commits only if the head has not moved
    /// since; writers queued here do not invalidate one another (writers of other
    /// processes still can, and get a conflict).
    pub async fn statement_turn(&self) -> tokio::sync::MutexGuard<'_, ()> {
        self.inner.statement_turn.lock().await
    }

    /// Marks a write in flight until the pass is dropped: files and forks it stages are
    /// not taken for leftovers by cleanup.
    pub(crate) async fn writing(&self) -> crate::maintenance::write_gate::WriterPass {
        self.inner.write_gate.enter().await
    }

    /// (branch, graph version) of every state a snapshot of this process still holds.
    pub(crate) fn states_in_use(&self) -> Vec<(String, u64)> {
        self.manifest_caches()
            .states
            .iter()
            .filter(|(_, state)| Arc::strong_count(state) > 1)
            .map(|(key, _)| key.clone())
            .collect()
    }

    /// Opens (or reuses) the dataset of `entry` at its pinned version.
    pub(crate) async fn table_dataset(&self, entry: &TableEntry) -> Result<Arc<Dataset>> {
        self.inner.table_store.dataset(entry).await
    }

    /// Drops every cached read state of `branch`: a deleted branch's name can come back
    /// with the same version numbers but different content.
    pub(super) fn forget_branch(&self, branch: &str) {
        let mut c = self.manifest_caches();
        c.heads.remove(branch);
        c.commits.remove(branch);
        c.states.retain(|(b, _), _| b != branch);
    }

    /// Number of manifest states and datasets currently cached (for tests and metrics).
    pub fn cache_sizes(&self) -> (usize, usize) {
        let states = self.manifest_caches().states.len();
        (states, self.inner.table_store.cached_datasets())
    }

    /// Number of cached topologies (for tests and metrics).
    pub fn cached_topologies(&self) -> usize {
        self.inner.table_store.topologies.len()
    }
}

/// The parsed schema of `state` (an empty graph has none yet).
fn schema_of(state: &ManifestState) -> Result<GraphSchema> {
    if state.schema_source.trim().is_empty() {
        Ok(GraphSchema::empty())
    } else {
        parse_schema(&state.schema_source)
    }
}
