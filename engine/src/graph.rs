//! The graph handle: create/open, snapshots, branches and history.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use lance::Dataset;
use lance::session::Session;

use crate::derived::DerivedCache;
use crate::error::{Error, Result};
use crate::manifest::{self, CommitRecord, ManifestState, Publish, TableEntry};
use crate::recovery;
use crate::schema::{GraphSchema, parse_schema};
use crate::snapshot::Snapshot;
use crate::storage::{self, MetaStore};
use crate::topology::{IdIndex, Topology};

pub const MAIN_BRANCH: &str = "main";

/// Branch names that would collide with SQL schema names.
const RESERVED_BRANCHES: [&str; 4] = ["public", "omnigraph", "pg_catalog", "information_schema"];

/// Prefix of the private branches that hold open transactions (hidden from listings).
pub const TRANSACTION_PREFIX: &str = "_tx/";

/// Age after which a read-write open drops a private transaction branch as abandoned.
pub const ABANDONED_TRANSACTION_SECS: u64 = 24 * 60 * 60;

const DATASET_CACHE_CAPACITY: usize = 512;
const STATE_CACHE_CAPACITY: usize = 1024;

/// Memory bound of the topology cache: `OMNIGRAPH_TOPOLOGY_CACHE_MB`, default 2 GiB.
fn topology_cache_bytes() -> usize {
    std::env::var("OMNIGRAPH_TOPOLOGY_CACHE_MB")
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
        .unwrap_or(2048)
        * 1024
        * 1024
}

/// Whether a graph handle may write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpenMode {
    ReadWrite,
    ReadOnly,
}

/// A branch of the whole graph.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BranchInfo {
    pub name: String,
    pub head_commit: Option<String>,
    pub head_version: u64,
    /// `branch@version` this branch was created from; `None` for `main`.
    pub created_from: Option<String>,
}

/// How a caller names a point in history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GraphRef {
    Branch(String),
    Commit(String),
    Version(u64),
    Timestamp(DateTime<Utc>),
}

/// Caches of derived read state, keyed so they never go stale: datasets by
/// (path, lance branch, version) and manifest states by (graph branch, graph version).
#[derive(Default)]
struct ReadCaches {
    datasets: HashMap<(String, Option<String>, u64), Arc<Dataset>>,
    dataset_order: VecDeque<(String, Option<String>, u64)>,
    states: HashMap<(String, u64), Arc<(ManifestState, GraphSchema)>>,
    /// The last manifest handle seen per graph branch, for the cheap latest-version probe.
    manifests: HashMap<String, Arc<Dataset>>,
}

pub(crate) struct GraphInner {
    pub(crate) root: String,
    pub(crate) session: Arc<Session>,
    pub(crate) meta: MetaStore,
    pub(crate) mode: OpenMode,
    /// Serializes the commit phase of writers in this process.
    pub(crate) write_lock: tokio::sync::Mutex<()>,
    /// Queues single-statement writers of this process (see [`Graph::statement_turn`]).
    statement_turn: tokio::sync::Mutex<()>,
    /// Sidecars this process could not roll back inline; retried by its next writer.
    pub(crate) unresolved_sidecars: Mutex<Vec<String>>,
    caches: Mutex<ReadCaches>,
    pub(crate) topologies: DerivedCache<Topology>,
    pub(crate) id_indexes: DerivedCache<IdIndex>,
}

/// A handle to one graph. Cheap to clone; clones share caches and the writer lock.
#[derive(Clone)]
pub struct Graph {
    pub(crate) inner: Arc<GraphInner>,
}

impl std::fmt::Debug for Graph {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Graph")
            .field("root", &self.inner.root)
            .finish()
    }
}

/// Validates a graph branch name (also used as the Lance branch name of every table).
pub fn validate_branch_name(name: &str) -> Result<()> {
    let invalid = |reason: &str| Error::InvalidBranchName {
        name: name.to_string(),
        reason: reason.to_string(),
    };
    if name.is_empty() {
        return Err(invalid("it is empty"));
    }
    if name == MAIN_BRANCH {
        return Err(invalid("'main' always exists"));
    }
    if RESERVED_BRANCHES.contains(&name.to_ascii_lowercase().as_str()) {
        return Err(invalid("the name is reserved for a SQL schema"));
    }
    if name.len() > 200 {
        return Err(invalid("it is longer than 200 characters"));
    }
    if name.starts_with('/') || name.ends_with('/') || name.contains("//") || name.contains("..") {
        return Err(invalid(
            "'/' separates non-empty segments and '..' is not allowed",
        ));
    }
    if name.chars().all(|c| c.is_ascii_digit())
        || parse_timestamp(name).is_some()
        || looks_like_ulid(name)
    {
        return Err(invalid(
            "it would read as a version number, timestamp or commit id",
        ));
    }
    if name.split('/').any(|seg| seg.starts_with("fork-")) {
        return Err(invalid(
            "segments starting with 'fork-' are reserved for table forks",
        ));
    }
    if name.starts_with(TRANSACTION_PREFIX) {
        return Err(invalid(
            "names starting with '_tx/' are reserved for transactions",
        ));
    }
    if name.ends_with(".lock") {
        return Err(invalid("it may not end in '.lock'"));
    }
    if let Some(c) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | '/')))
    {
        return Err(invalid(&format!(
            "character '{c}' is not allowed (use letters, digits, '.', '-', '_' and '/')"
        )));
    }
    Ok(())
}

/// Parses a ref written by a user. Branch names are resolved by the caller first; this
/// only classifies the text.
pub fn parse_timestamp(text: &str) -> Option<DateTime<Utc>> {
    let t = text.trim();
    if let Ok(dt) = DateTime::parse_from_rfc3339(t) {
        return Some(dt.with_timezone(&Utc));
    }
    for fmt in [
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M",
    ] {
        if let Ok(n) = NaiveDateTime::parse_from_str(t, fmt) {
            return Some(n.and_utc());
        }
    }
    if let Ok(d) = NaiveDate::parse_from_str(t, "%Y-%m-%d") {
        return d.and_hms_opt(0, 0, 0).map(|n| n.and_utc());
    }
    if let Ok(dt) = DateTime::parse_from_str(t, "%Y-%m-%d %H:%M:%S%.f%#z") {
        return Some(dt.with_timezone(&Utc));
    }
    None
}

/// Whether branch `name`, created at `created` (Unix seconds), is a transaction branch
/// left behind long enough ago to be dropped at `now`.
fn is_abandoned_transaction(name: &str, created: u64, now: u64) -> bool {
    name.starts_with(TRANSACTION_PREFIX) && now.saturating_sub(created) > ABANDONED_TRANSACTION_SECS
}

fn looks_like_ulid(s: &str) -> bool {
    s.len() == 26 && s.chars().all(|c| c.is_ascii_alphanumeric())
}

impl Graph {
    /// Creates a new, empty graph at `root` (a local directory or any URI Lance accepts).
    pub async fn create(root: &str) -> Result<Graph> {
        let root = normalize_root(root)?;
        let session = Arc::new(Session::default());
        let manifest_uri = storage::join_uri(&root, manifest::MANIFEST_DIR);
        if storage::open_dataset(&session, &manifest_uri, None, None)
            .await
            .is_ok()
        {
            return Err(Error::GraphExists(root));
        }
        let ds = manifest::create(&session, &root).await?;
        let graph = Graph::from_parts(root, session, OpenMode::ReadWrite).await?;
        let commit = CommitRecord {
            commit_id: ulid::Ulid::new().to_string(),
            parents: vec![],
            branch: MAIN_BRANCH.to_string(),
            graph_version: ds.version_id() + 1,
            actor: "omnigraph".to_string(),
            message: "create graph".to_string(),
            committed_at_micros: Utc::now().timestamp_micros(),
        };
        manifest::publish(
            Arc::new(ds),
            &Publish {
                graph_version: commit.graph_version,
                tables: vec![],
                schema_source: Some(String::new()),
                commit,
                copied_commits: vec![],
            },
        )
        .await?;
        Ok(graph)
    }

    /// Opens an existing graph read-write, running the recovery sweep first.
    pub async fn open(root: &str) -> Result<Graph> {
        Self::open_with(root, OpenMode::ReadWrite).await
    }

    /// Opens an existing graph; read-write opens run the recovery sweep.
    pub async fn open_with(root: &str, mode: OpenMode) -> Result<Graph> {
        let root = normalize_root(root)?;
        let session = Arc::new(Session::default());
        let manifest_uri = storage::join_uri(&root, manifest::MANIFEST_DIR);
        if storage::open_dataset(&session, &manifest_uri, None, None)
            .await
            .is_err()
        {
            return Err(Error::GraphNotFound(root));
        }
        let graph = Graph::from_parts(root, session, mode).await?;
        if mode == OpenMode::ReadWrite {
            recovery::sweep(&graph).await?;
            graph.drop_abandoned_transactions().await?;
        }
        Ok(graph)
    }

    /// Drops private transaction branches older than [`ABANDONED_TRANSACTION_SECS`]: their
    /// session ended without `COMMIT`/`ROLLBACK` (a crash), so they are never merged.
    /// Younger ones may belong to a live session of another process and are kept.
    async fn drop_abandoned_transactions(&self) -> Result<()> {
        let main = self.manifest_head(MAIN_BRANCH).await?;
        let now = Utc::now().timestamp().max(0) as u64;
        let abandoned: Vec<String> = main
            .list_branches()
            .await?
            .into_iter()
            .filter(|(name, contents)| is_abandoned_transaction(name, contents.create_at, now))
            .map(|(name, _)| name)
            .collect();
        for name in abandoned {
            self.delete_branch(&name).await?;
        }
        Ok(())
    }

    /// Opens the graph at `root`, creating an empty one if none exists.
    pub async fn open_or_create(root: &str) -> Result<Graph> {
        match Self::open(root).await {
            Err(Error::GraphNotFound(_)) => Self::create(root).await,
            other => other,
        }
    }

    async fn from_parts(root: String, session: Arc<Session>, mode: OpenMode) -> Result<Graph> {
        let meta = MetaStore::new(&root).await?;
        Ok(Graph {
            inner: Arc::new(GraphInner {
                root,
                session,
                meta,
                mode,
                write_lock: tokio::sync::Mutex::new(()),
                statement_turn: tokio::sync::Mutex::new(()),
                unresolved_sidecars: Mutex::new(Vec::new()),
                caches: Mutex::new(ReadCaches::default()),
                topologies: DerivedCache::new(topology_cache_bytes()),
                id_indexes: DerivedCache::new(topology_cache_bytes() / 4),
            }),
        })
    }

    pub fn root(&self) -> &str {
        &self.inner.root
    }

    pub fn mode(&self) -> OpenMode {
        self.inner.mode
    }

    pub(crate) fn session(&self) -> &Arc<Session> {
        &self.inner.session
    }

    pub(crate) fn table_uri(&self, path: &str) -> String {
        storage::join_uri(&self.inner.root, path)
    }

    fn manifest_uri(&self) -> String {
        storage::join_uri(&self.inner.root, manifest::MANIFEST_DIR)
    }

    pub(crate) fn require_writable(&self) -> Result<()> {
        match self.inner.mode {
            OpenMode::ReadWrite => Ok(()),
            OpenMode::ReadOnly => Err(Error::ReadOnly),
        }
    }

    /// The manifest of `branch` at its latest version (one cheap probe when unchanged).
    pub(crate) async fn manifest_head(&self, branch: &str) -> Result<Arc<Dataset>> {
        let cached = self.caches().manifests.get(branch).cloned();
        if let Some(ds) = cached {
            let latest = ds.latest_version_id().await?;
            if latest == ds.version_id() {
                return Ok(ds);
            }
            let fresh = Arc::new(ds.checkout_version((branch, latest)).await?);
            self.caches()
                .manifests
                .insert(branch.to_string(), fresh.clone());
            return Ok(fresh);
        }
        let ds =
            match storage::open_dataset(self.session(), &self.manifest_uri(), Some(branch), None)
                .await
            {
                Ok(ds) => Arc::new(ds),
                Err(Error::Lance(e)) if branch != MAIN_BRANCH && is_not_found(&e) => {
                    return Err(Error::UnknownBranch(branch.to_string()));
                }
                Err(e) => return Err(e),
            };
        self.caches()
            .manifests
            .insert(branch.to_string(), ds.clone());
        Ok(ds)
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
            Err(_) => Err(Error::UnknownRef(format!(
                "{version} (no such version on branch '{branch}')"
            ))),
        }
    }

    fn caches(&self) -> std::sync::MutexGuard<'_, ReadCaches> {
        self.inner.caches.lock().unwrap_or_else(|p| p.into_inner())
    }

    async fn state_of(
        &self,
        branch: &str,
        manifest: &Dataset,
    ) -> Result<Arc<(ManifestState, GraphSchema)>> {
        let key = (branch.to_string(), manifest.version_id());
        if let Some(hit) = self.caches().states.get(&key).cloned() {
            return Ok(hit);
        }
        let state = manifest::read_state(manifest).await?;
        let schema = if state.schema_source.trim().is_empty() {
            GraphSchema::empty()
        } else {
            parse_schema(&state.schema_source)?
        };
        let entry = Arc::new((state, schema));
        let mut caches = self.caches();
        if caches.states.len() >= STATE_CACHE_CAPACITY {
            caches.states.clear();
        }
        caches.states.insert(key, entry.clone());
        Ok(entry)
    }

    /// A snapshot of the head of `branch`.
    pub async fn snapshot(&self, branch: &str) -> Result<Snapshot> {
        let manifest = self.manifest_head(branch).await?;
        let state = self.state_of(branch, &manifest).await?;
        Ok(Snapshot::new(self.clone(), branch.to_string(), state))
    }

    /// A snapshot of `branch` at graph version `version`.
    pub async fn snapshot_at_version(&self, branch: &str, version: u64) -> Result<Snapshot> {
        let manifest = self.manifest_at(branch, version).await?;
        let state = self.state_of(branch, &manifest).await?;
        Ok(Snapshot::new(self.clone(), branch.to_string(), state))
    }

    /// Classifies a user-written ref: a branch name, a commit id, a version number of
    /// `current_branch`, or a timestamp.
    pub async fn parse_ref(&self, text: &str) -> Result<GraphRef> {
        let t = text.trim();
        if t == MAIN_BRANCH || self.branch_exists(t).await? {
            return Ok(GraphRef::Branch(t.to_string()));
        }
        if let Ok(v) = t.parse::<u64>() {
            return Ok(GraphRef::Version(v));
        }
        if looks_like_ulid(t) {
            return Ok(GraphRef::Commit(t.to_ascii_uppercase()));
        }
        if let Some(ts) = parse_timestamp(t) {
            return Ok(GraphRef::Timestamp(ts));
        }
        Err(Error::UnknownRef(t.to_string()))
    }

    /// A snapshot at `graph_ref`, with versions and timestamps read on `current_branch`.
    pub async fn snapshot_at(
        &self,
        current_branch: &str,
        graph_ref: &GraphRef,
    ) -> Result<Snapshot> {
        match graph_ref {
            GraphRef::Branch(b) => self.snapshot(b).await,
            GraphRef::Version(v) => self.snapshot_at_version(current_branch, *v).await,
            GraphRef::Commit(id) => {
                let commit = self.find_commit(current_branch, id).await?;
                let unreadable = |why: String| {
                    Error::UnknownRef(format!(
                        "{id} (made on branch '{}', which {why})",
                        commit.branch
                    ))
                };
                let snapshot = self
                    .snapshot_at_version(&commit.branch, commit.graph_version)
                    .await
                    .map_err(|e| unreadable(format!("cannot be read: {e}")))?;
                // A deleted and recreated branch reuses version numbers: never return
                // another commit's state.
                if snapshot.head_commit() != Some(id.as_str()) {
                    return Err(unreadable(format!(
                        "no longer holds it at version {}",
                        commit.graph_version
                    )));
                }
                Ok(snapshot)
            }
            GraphRef::Timestamp(ts) => {
                let commits = self.first_parent_history(current_branch).await?;
                let micros = ts.timestamp_micros();
                let Some(c) = commits
                    .iter()
                    .filter(|c| c.committed_at_micros <= micros)
                    .max_by_key(|c| (c.committed_at_micros, c.graph_version))
                else {
                    return Err(Error::UnknownRef(format!(
                        "{} (before the first commit of branch '{current_branch}')",
                        ts.to_rfc3339()
                    )));
                };
                self.snapshot_at_version(&c.branch, c.graph_version).await
            }
        }
    }

    /// Resolves a ref from text in one step.
    pub async fn snapshot_at_text(&self, current_branch: &str, text: &str) -> Result<Snapshot> {
        let r = self.parse_ref(text).await?;
        self.snapshot_at(current_branch, &r).await
    }

    async fn find_commit(&self, branch: &str, id: &str) -> Result<CommitRecord> {
        let mut candidates = self.commits(branch).await?;
        if !candidates.iter().any(|c| c.commit_id == id) {
            for b in self.branches().await? {
                if b.name != branch {
                    candidates.extend(self.commits(&b.name).await?);
                }
            }
        }
        candidates
            .into_iter()
            .find(|c| c.commit_id == id)
            .ok_or_else(|| Error::UnknownRef(id.to_string()))
    }

    /// The states `branch` has been in: its head commit and its first parents, newest
    /// first. Commits a merge brought in from another branch are not states of this one.
    pub async fn first_parent_history(&self, branch: &str) -> Result<Vec<CommitRecord>> {
        let snapshot = self.snapshot(branch).await?;
        let commits = self.commits(branch).await?;
        let by_id: HashMap<&str, &CommitRecord> =
            commits.iter().map(|c| (c.commit_id.as_str(), c)).collect();
        let mut out = Vec::new();
        let mut next = snapshot.head_commit().map(str::to_string);
        while let Some(id) = next {
            let Some(c) = by_id.get(id.as_str()) else {
                break;
            };
            out.push((*c).clone());
            next = c.parents.first().cloned();
        }
        Ok(out)
    }

    /// Commits visible from the head of `branch`, oldest first.
    pub async fn commits(&self, branch: &str) -> Result<Vec<CommitRecord>> {
        let manifest = self.manifest_head(branch).await?;
        manifest::read_commits(&manifest).await
    }

    pub async fn branch_exists(&self, name: &str) -> Result<bool> {
        if name == MAIN_BRANCH {
            return Ok(true);
        }
        let main = self.manifest_head(MAIN_BRANCH).await?;
        Ok(main.list_branches().await?.contains_key(name))
    }

    /// Branch names, `main` first, then by name (one listing, no per-branch reads).
    /// Waits for this process's single-statement writers before this one. A write
    /// validates against the branch head and commits only if the head has not moved
    /// since; writers queued here do not invalidate one another (writers of other
    /// processes still can, and get a conflict).
    pub async fn statement_turn(&self) -> tokio::sync::MutexGuard<'_, ()> {
        self.inner.statement_turn.lock().await
    }

    /// Lance's branch listing reads one file per branch; a transaction branch dropped
    /// while it lists makes it fail with "not found", so it is read again.
    async fn list_branch_refs(
        &self,
        main: &lance::Dataset,
    ) -> Result<std::collections::HashMap<String, lance::dataset::refs::BranchContents>> {
        let mut attempt = 0;
        loop {
            match main.list_branches().await {
                Err(lance::Error::NotFound { .. }) if attempt < 3 => attempt += 1,
                other => return Ok(other?),
            }
        }
    }

    pub async fn branch_names(&self) -> Result<Vec<String>> {
        let main = self.manifest_head(MAIN_BRANCH).await?;
        let mut names: Vec<String> = self
            .list_branch_refs(&main)
            .await?
            .into_keys()
            .filter(|n| !n.starts_with(TRANSACTION_PREFIX))
            .collect();
        names.sort();
        names.insert(0, MAIN_BRANCH.to_string());
        Ok(names)
    }

    /// Every branch, `main` first, then by name.
    pub async fn branches(&self) -> Result<Vec<BranchInfo>> {
        let main = self.manifest_head(MAIN_BRANCH).await?;
        let mut listed: Vec<_> = self
            .list_branch_refs(&main)
            .await?
            .into_iter()
            .filter(|(n, _)| !n.starts_with(TRANSACTION_PREFIX))
            .collect();
        listed.sort_by(|a, b| a.0.cmp(&b.0));
        let mut out = Vec::with_capacity(listed.len() + 1);
        let main_state = self.state_of(MAIN_BRANCH, &main).await?;
        out.push(BranchInfo {
            name: MAIN_BRANCH.to_string(),
            head_commit: main_state.0.head_commit.clone(),
            head_version: main.version_id(),
            created_from: None,
        });
        for (name, contents) in listed {
            let Ok(head) = self.manifest_head(&name).await else {
                continue;
            };
            let state = self.state_of(&name, &head).await?;
            out.push(BranchInfo {
                name: name.clone(),
                head_commit: state.0.head_commit.clone(),
                head_version: head.version_id(),
                created_from: Some(format!(
                    "{}@{}",
                    contents.parent_branch.as_deref().unwrap_or(MAIN_BRANCH),
                    contents.parent_version
                )),
            });
        }
        Ok(out)
    }

    /// Creates branch `name` of the whole graph from `from` (default: head of `main`);
    /// versions and timestamps in `from` are read on `main`.
    ///
    /// Only the manifest is branched; each table forks lazily on its first write.
    pub async fn create_branch(&self, name: &str, from: Option<&str>) -> Result<BranchInfo> {
        self.create_branch_on(name, from, MAIN_BRANCH).await
    }

    /// Like [`Graph::create_branch`], reading versions and timestamps in `from` on
    /// `current_branch` (and defaulting to its head).
    pub async fn create_branch_on(
        &self,
        name: &str,
        from: Option<&str>,
        current_branch: &str,
    ) -> Result<BranchInfo> {
        validate_branch_name(name)?;
        self.create_branch_unchecked(name, from, current_branch)
            .await
    }

    /// Creates a private branch `_tx/<ulid>` from the head of `branch`, for a transaction.
    pub async fn create_transaction_branch(&self, branch: &str) -> Result<String> {
        let name = format!(
            "{TRANSACTION_PREFIX}{}",
            ulid::Ulid::new().to_string().to_ascii_lowercase()
        );
        self.create_branch_unchecked(&name, None, branch).await?;
        Ok(name)
    }

    async fn create_branch_unchecked(
        &self,
        name: &str,
        from: Option<&str>,
        current_branch: &str,
    ) -> Result<BranchInfo> {
        self.require_writable()?;
        let _guard = self.inner.write_lock.lock().await;
        if self.branch_exists(name).await? {
            return Err(Error::BranchExists(name.to_string()));
        }
        let source = match from {
            None => self.snapshot(current_branch).await?,
            Some(text) => self.snapshot_at_text(current_branch, text).await?,
        };
        let source_manifest = self.manifest_at(source.branch(), source.version()).await?;
        let mut handle = (*source_manifest).clone();
        let fork_from = (source.branch(), source.version());
        let created = match handle.create_branch(name, fork_from, None).await {
            Ok(ds) => ds,
            Err(_) if !handle.list_branches().await?.contains_key(name) => {
                // A crash inside an earlier create_branch can leave a zombie dataset with
                // no branch record: it is not a branch we know, so reclaim the name.
                handle.force_delete_branch(name).await?;
                handle.create_branch(name, fork_from, None).await?
            }
            Err(e) => return Err(e.into()),
        };
        self.caches()
            .manifests
            .insert(name.to_string(), Arc::new(created));
        Ok(BranchInfo {
            name: name.to_string(),
            head_commit: source.head_commit().map(str::to_string),
            head_version: source.version(),
            created_from: Some(format!("{}@{}", source.branch(), source.version())),
        })
    }

    /// Deletes branch `name` and the table forks that only it used.
    pub async fn delete_branch(&self, name: &str) -> Result<()> {
        self.require_writable()?;
        if name == MAIN_BRANCH {
            return Err(Error::CannotDeleteMain);
        }
        let _guard = self.inner.write_lock.lock().await;
        let main = self.manifest_head(MAIN_BRANCH).await?;
        let listed = main.list_branches().await?;
        if !listed.contains_key(name) {
            return Err(Error::UnknownBranch(name.to_string()));
        }
        let children: Vec<&String> = listed
            .iter()
            .filter(|(_, c)| c.parent_branch.as_deref() == Some(name))
            .map(|(n, _)| n)
            .collect();
        if !children.is_empty() {
            let mut names: Vec<&str> = children.iter().map(|s| s.as_str()).collect();
            names.sort();
            return Err(Error::InvalidArgument(format!(
                "branch '{name}' cannot be deleted while branches created from it exist ({}); delete those first",
                names.join(", ")
            )));
        }
        let snapshot = self.snapshot(name).await?;
        // The manifest branch is the authority: once it is gone the table forks are
        // unreferenced, and a crash before they are removed leaves only reclaimable forks.
        let mut handle = (*main).clone();
        handle.delete_branch(name).await?;
        self.forget_branch(name);
        self.forget_branch(name);
        for entry in snapshot.table_entries() {
            if entry
                .lance_branch
                .as_deref()
                .is_some_and(|lb| crate::write::is_fork_of(lb, name))
            {
                let mut table =
                    storage::open_dataset(self.session(), &self.table_uri(&entry.path), None, None)
                        .await?;
                let fork = entry.lance_branch.as_deref().expect("checked above");
                match table.force_delete_branch(fork).await {
                    Ok(())
                    | Err(lance::Error::RefNotFound { .. })
                    | Err(lance::Error::NotFound { .. }) => {}
                    Err(e) => return Err(e.into()),
                }
            }
        }
        Ok(())
    }

    /// Opens (or reuses) the dataset of `entry` at its pinned version.
    pub(crate) async fn table_dataset(&self, entry: &TableEntry) -> Result<Arc<Dataset>> {
        let key = (
            entry.path.clone(),
            entry.lance_branch.clone(),
            entry.version,
        );
        if let Some(ds) = self.caches().datasets.get(&key).cloned() {
            return Ok(ds);
        }
        let ds = Arc::new(
            storage::open_dataset(
                self.session(),
                &self.table_uri(&entry.path),
                entry.lance_branch.as_deref(),
                Some(entry.version),
            )
            .await?,
        );
        let mut caches = self.caches();
        if caches.datasets.len() >= DATASET_CACHE_CAPACITY
            && let Some(old) = caches.dataset_order.pop_front()
        {
            caches.datasets.remove(&old);
        }
        caches.dataset_order.push_back(key.clone());
        caches.datasets.insert(key, ds.clone());
        Ok(ds)
    }

    /// Drops every cached read state of `branch`: a deleted branch's name can come back
    /// with the same version numbers but different content.
    fn forget_branch(&self, branch: &str) {
        let mut c = self.caches();
        c.manifests.remove(branch);
        c.states.retain(|(b, _), _| b != branch);
    }

    /// Number of manifest states and datasets currently cached (for tests and metrics).
    pub fn cache_sizes(&self) -> (usize, usize) {
        let c = self.caches();
        (c.states.len(), c.datasets.len())
    }

    /// Number of cached topologies (for tests and metrics).
    pub fn cached_topologies(&self) -> usize {
        self.inner.topologies.len()
    }
}

fn is_not_found(e: &lance::Error) -> bool {
    matches!(
        e,
        lance::Error::NotFound { .. }
            | lance::Error::DatasetNotFound { .. }
            | lance::Error::RefNotFound { .. }
    ) || e.to_string().contains("not found")
        || e.to_string().contains("Not found")
}

fn normalize_root(root: &str) -> Result<String> {
    let trimmed = root.trim();
    if trimmed.is_empty() {
        return Err(Error::InvalidArgument("graph path is empty".into()));
    }
    if trimmed.contains("://") {
        return Ok(trimmed.trim_end_matches('/').to_string());
    }
    let path = std::path::Path::new(trimmed);
    let absolute = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir()?.join(path)
    };
    Ok(absolute.to_string_lossy().trim_end_matches('/').to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_old_transaction_branches_are_abandoned() {
        let day = ABANDONED_TRANSACTION_SECS;
        assert!(is_abandoned_transaction("_tx/abc", 0, day + 1));
        assert!(
            !is_abandoned_transaction("_tx/abc", 10, day),
            "a young one may be live"
        );
        assert!(
            !is_abandoned_transaction("feature", 0, 10 * day),
            "users' branches stay"
        );
        assert!(
            !is_abandoned_transaction("_tx/abc", 100, 50),
            "clock skew keeps it"
        );
    }
}
