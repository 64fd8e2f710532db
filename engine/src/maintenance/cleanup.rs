//! `cleanup`: removes what no kept version of any live branch can reach.
//!
//! Kept, on every live branch (transaction branches included): the head, the versions the
//! policy keeps, the versions other branches were created from, the merge base of every
//! pair of branches (so any branch can still merge into any other), and every version a
//! query of this process is reading. A table keeps every Lance version those graph
//! versions pin, on main and on forks; everything older on that Lance branch goes.
//!
//! Leftovers nothing references (files of failed writes, forks of lost races, datasets of
//! dropped tables or deleted branches) are only removed while no write of this process
//! is in flight (see [`super::write_gate`]): until it commits, a write's staged files
//! look exactly like leftovers.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::time::Duration;

use chrono::Utc;
use lance::Dataset;
use lance::dataset::cleanup::{CleanupPolicy as LancePolicy, RemovalStats};

use crate::error::{Error, Result};
use crate::failpoints::crash_point;
use crate::graph::{Graph, MAIN_BRANCH};
use crate::merge::base::CommitGraph;
use crate::storage;

/// How long cleanup waits for this process's writes in flight before it gives up on
/// removing unreferenced files this time (versions are removed either way).
const WRITER_PATIENCE: Duration = Duration::from_secs(30);

/// Which versions of each branch cleanup keeps beyond those it always keeps. With both
/// set, a version is removed only if both rules let it go.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CleanupPolicy {
    /// Keep the newest `n` versions of each branch.
    pub keep_versions: Option<u64>,
    /// Keep versions committed less than this long ago.
    pub older_than: Option<Duration>,
}

impl CleanupPolicy {
    fn validate(&self) -> Result<()> {
        match (self.keep_versions, self.older_than) {
            (None, None) => Err(Error::InvalidArgument(
                "cleanup needs keep_versions or older_than".into(),
            )),
            (Some(0), _) => Err(Error::InvalidArgument(
                "keep_versions must be at least 1 (the head is always kept)".into(),
            )),
            _ => Ok(()),
        }
    }

    /// Whether the policy lets version `rank` (0 = newest) made at `at` go.
    fn releases(&self, rank: usize, at: chrono::DateTime<Utc>) -> bool {
        let by_count = self.keep_versions.is_none_or(|n| rank as u64 >= n);
        let by_age = self.older_than.is_none_or(|age| {
            let age = chrono::Duration::from_std(age).unwrap_or(chrono::Duration::MAX);
            Utc::now().signed_duration_since(at) > age
        });
        by_count && by_age
    }
}

/// What a cleanup removed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CleanupOutcome {
    /// Graph versions removed, over all branches.
    pub graph_versions_removed: u64,
    /// Lance versions of tables removed.
    pub table_versions_removed: u64,
    /// Table forks no kept version references.
    pub forks_removed: u64,
    /// Table datasets no kept version references (dropped types, deleted branches,
    /// failed schema changes).
    pub datasets_removed: u64,
    pub files_removed: u64,
    pub bytes_removed: u64,
    /// Whether unreferenced files, forks and datasets were looked for (not when writes
    /// of this process stayed in flight).
    pub swept_unreferenced: bool,
}

impl CleanupOutcome {
    fn add(&mut self, stats: &RemovalStats) {
        self.files_removed += stats.data_files_removed
            + stats.transaction_files_removed
            + stats.index_files_removed
            + stats.deletion_files_removed;
        self.bytes_removed += stats.bytes_removed;
    }
}

/// Lance versions to keep, per table path and Lance branch (`None` = Lance main).
type Pins = BTreeMap<String, BTreeMap<Option<String>, BTreeSet<u64>>>;

impl Graph {
    /// Removes the versions `policy` lets go and everything only they reached. Never
    /// removes a branch head, a version another branch was created from, a merge base of
    /// two live branches, or what a query of this process is reading.
    pub async fn cleanup(&self, policy: &CleanupPolicy) -> Result<CleanupOutcome> {
        self.require_writable()?;
        policy.validate()?;
        crate::recovery::heal_own_before_write(self).await?;
        self.drop_abandoned_transactions().await?;
        let sweep = self.inner.write_gate.sweep(WRITER_PATIENCE).await;
        let mut out = CleanupOutcome {
            swept_unreferenced: sweep.is_some(),
            ..Default::default()
        };

        let kept = self.kept_graph_versions(policy).await?;
        let pins = self.pinned_table_versions(&kept).await?;
        // Graph versions go first: a crash midway leaves table versions nothing reads
        // (the next cleanup removes them), never a graph version whose tables are gone.
        for (branch, keep) in &kept {
            let head = self.manifest_head(branch).await?;
            let removed: HashSet<u64> = head
                .versions()
                .await?
                .iter()
                .map(|v| v.version)
                .filter(|v| !keep.contains(v))
                .collect();
            let stats = clean_lance(&head, removed, false).await?;
            out.graph_versions_removed += stats.old_versions;
            out.add(&stats);
        }
        crash_point!(self.root(), crate::failpoints::CLEANUP_AFTER_MANIFEST);
        for (path, by_branch) in &pins {
            self.clean_table(path, by_branch, sweep.is_some(), &mut out)
                .await?;
            crash_point!(self.root(), crate::failpoints::CLEANUP_AFTER_TABLE);
        }
        if sweep.is_some() {
            self.remove_unreferenced_datasets(&pins, &mut out).await?;
        }
        Ok(out)
    }

    /// The graph versions kept on each live branch.
    async fn kept_graph_versions(
        &self,
        policy: &CleanupPolicy,
    ) -> Result<BTreeMap<String, BTreeSet<u64>>> {
        let main = self.manifest_head(MAIN_BRANCH).await?;
        let refs = crate::storage::branch_refs(&main).await?;
        let mut branches = vec![MAIN_BRANCH.to_string()];
        branches.extend(refs.keys().cloned());
        let mut kept: BTreeMap<String, BTreeSet<u64>> = BTreeMap::new();
        let mut heads = BTreeMap::new();
        let mut commits = BTreeMap::new();
        for branch in &branches {
            let head = self.manifest_head(branch).await?;
            let mut versions = head.versions().await?;
            versions.sort_by_key(|v| std::cmp::Reverse(v.version));
            let keep = kept.entry(branch.clone()).or_default();
            keep.insert(head.version_id());
            for (rank, v) in versions.iter().enumerate() {
                if !policy.releases(rank, v.timestamp) {
                    keep.insert(v.version);
                }
            }
            let snapshot = self.snapshot(branch).await?;
            heads.insert(branch.clone(), snapshot.head_commit().map(str::to_string));
            commits.insert(branch.clone(), self.commit_records(branch).await?);
        }
        for contents in refs.values() {
            let parent = contents
                .parent_branch
                .clone()
                .unwrap_or_else(|| MAIN_BRANCH.to_string());
            kept.entry(parent)
                .or_default()
                .insert(contents.parent_version);
        }
        for (i, a) in branches.iter().enumerate() {
            for b in &branches[i + 1..] {
                let (Some(Some(ha)), Some(Some(hb))) = (heads.get(a), heads.get(b)) else {
                    continue;
                };
                let history = CommitGraph::new(
                    commits[a]
                        .iter()
                        .chain(commits[b].iter())
                        .map(|c| c.as_ref()),
                );
                if let Ok(base) = history.merge_base(ha, hb)
                    && let Some(keep) = kept.get_mut(&base.branch)
                {
                    keep.insert(base.graph_version);
                }
            }
        }
        for (branch, version) in self.states_in_use() {
            if let Some(keep) = kept.get_mut(&branch) {
                keep.insert(version);
            }
        }
        Ok(kept)
    }

    /// The table versions the kept graph versions pin, and those readers hold.
    async fn pinned_table_versions(&self, kept: &BTreeMap<String, BTreeSet<u64>>) -> Result<Pins> {
        let mut pins = Pins::new();
        for (branch, versions) in kept {
            for version in versions {
                // A version an earlier cleanup removed (a kept merge base that was not
                // kept then) pins nothing.
                let Ok(manifest) = self.manifest_at(branch, *version).await else {
                    continue;
                };
                let state = self.state_of(branch, &manifest).await?;
                for entry in state.0.tables.values() {
                    pins.entry(entry.path.clone())
                        .or_default()
                        .entry(entry.lance_branch.clone())
                        .or_default()
                        .insert(entry.version);
                }
            }
        }
        for (path, lance_branch, version) in self.table_store().datasets_in_use() {
            pins.entry(path)
                .or_default()
                .entry(lance_branch)
                .or_default()
                .insert(version);
        }
        Ok(pins)
    }

    /// Removes a table's unpinned Lance versions older than its newest pin on each Lance
    /// branch, and (when sweeping) its unreferenced forks and files.
    async fn clean_table(
        &self,
        path: &str,
        by_branch: &BTreeMap<Option<String>, BTreeSet<u64>>,
        sweep: bool,
        out: &mut CleanupOutcome,
    ) -> Result<()> {
        let uri = self.table_uri(path);
        let main = match storage::open_dataset(self.session(), &uri, None, None).await {
            Ok(ds) => ds,
            Err(Error::Lance(e)) if storage::is_not_found(&e) => return Ok(()),
            Err(e) => return Err(e),
        };
        if sweep {
            let forks = crate::storage::branch_refs(&main).await?;
            for fork in forks.keys() {
                let pinned = by_branch.contains_key(&Some(fork.clone()));
                let has_child = forks
                    .values()
                    .any(|c| c.parent_branch.as_deref() == Some(fork.as_str()));
                if pinned || has_child {
                    continue;
                }
                let (files, bytes) = self
                    .inner
                    .meta
                    .usage(&format!("{path}/tree/{fork}"))
                    .await
                    .unwrap_or((0, 0));
                let mut handle = main.clone();
                let _refs = self.table_store().fork_refs.lock().await;
                match handle.force_delete_branch(fork).await {
                    Ok(()) => {
                        out.forks_removed += 1;
                        out.files_removed += files;
                        out.bytes_removed += bytes;
                    }
                    Err(lance::Error::RefNotFound { .. } | lance::Error::NotFound { .. }) => {}
                    Err(e) => return Err(e.into()),
                }
            }
        }
        for (lance_branch, pinned) in by_branch {
            let Some(newest) = pinned.last().copied() else {
                continue;
            };
            let handle = match lance_branch {
                None => main.clone(),
                Some(fork) => storage::open_dataset(self.session(), &uri, Some(fork), None).await?,
            };
            let removed: HashSet<u64> = handle
                .versions()
                .await?
                .iter()
                .map(|v| v.version)
                .filter(|v| *v < newest && !pinned.contains(v))
                .collect();
            let stats = clean_lance(&handle, removed, sweep).await?;
            out.table_versions_removed += stats.old_versions;
            out.add(&stats);
        }
        Ok(())
    }

    /// Removes the table datasets under `nodes/` and `edges/` that nothing pins.
    async fn remove_unreferenced_datasets(
        &self,
        pins: &Pins,
        out: &mut CleanupOutcome,
    ) -> Result<()> {
        for dir in ["nodes", "edges"] {
            for name in self.inner.meta.list(dir).await? {
                let path = format!("{dir}/{name}");
                if pins.contains_key(&path) {
                    continue;
                }
                let (files, bytes) = self.inner.meta.usage(&path).await?;
                self.inner.meta.remove_dir_all(&path).await?;
                out.datasets_removed += 1;
                out.files_removed += files;
                out.bytes_removed += bytes;
            }
        }
        Ok(())
    }
}

/// Runs Lance's cleanup on `handle` (a latest handle of one Lance branch) for exactly the
/// versions `removed`; `sweep` also removes files no manifest references.
async fn clean_lance(handle: &Dataset, removed: HashSet<u64>, sweep: bool) -> Result<RemovalStats> {
    if removed.is_empty() && !sweep {
        return Ok(RemovalStats::default());
    }
    let policy = LancePolicy {
        versions: Some(removed),
        delete_unverified: sweep,
        error_if_tagged_old_versions: false,
        ..Default::default()
    };
    Ok(handle.cleanup_with_policy(policy).await?)
}
