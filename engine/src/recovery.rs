//! Recovery sidecars and the sweep that resolves them all or nothing.
//!
//! A sidecar (`_recovery/<ulid>.json`) is written before any table of a commit can move
//! past its manifest pin. Resolution of a sidecar:
//!
//! - the commit is in the manifest: it was published; delete the sidecar;
//! - every table reached `base + 1` and the branch is still at the expected version:
//!   roll forward (publish the recorded commit);
//! - otherwise roll back: restore every table that moved to its base version, publish
//!   the restored versions as a recovery commit, delete the sidecar.
//!
//! A roll-back, once decided, is recorded by renaming the sidecar to
//! `<ulid>.rolling-back.json` before anything is restored. A rename needs no free space,
//! so a writer that fails on a full disk and cannot restore yet still makes its failure
//! final: every later pass rolls back, never forward, and the error the caller saw
//! stays true.

use chrono::Utc;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::failpoints::crash_point;
use crate::graph::Graph;
use crate::manifest::{self, CommitRecord, Publish, TableEntry};
use crate::storage;
use crate::write::indexes;

pub const RECOVERY_DIR: &str = "_recovery";
const SIDECAR_SUFFIX: &str = ".json";
const ROLLING_BACK_SUFFIX: &str = ".rolling-back.json";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum SidecarAction {
    Commit,
    AddColumns,
    Created,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct SidecarTable {
    /// The entry the commit publishes, with `version` = the base version.
    pub entry: TableEntry,
    pub base_version: u64,
    /// The table's version once the commit's changes to it are all committed.
    pub post_version: u64,
    pub forked: bool,
    pub action: SidecarAction,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Sidecar {
    pub id: String,
    pub kind: String,
    pub branch: String,
    pub expected_manifest_version: u64,
    /// Whether a roll-back was decided: the file's name says so (see the module's
    /// notes); read from the contents only of sidecars written before that.
    #[serde(default, skip_serializing)]
    pub rolling_back: bool,
    pub tables: Vec<SidecarTable>,
    pub publish: Publish,
}

impl Sidecar {
    fn rel_path(id: &str) -> String {
        format!("{RECOVERY_DIR}/{id}{SIDECAR_SUFFIX}")
    }

    fn rolling_back_path(id: &str) -> String {
        format!("{RECOVERY_DIR}/{id}{ROLLING_BACK_SUFFIX}")
    }

    pub(crate) async fn write(&self, graph: &Graph) -> Result<()> {
        let bytes = serde_json::to_vec_pretty(self)
            .map_err(|e| Error::Corrupt(format!("sidecar encoding: {e}")))?;
        graph
            .inner
            .meta
            .put(&Self::rel_path(&self.id), &bytes)
            .await
    }

    /// Makes the roll-back decision durable, by a rename (no space needed).
    async fn mark_rolling_back(&mut self, graph: &Graph) -> Result<()> {
        if !self.rolling_back {
            graph
                .inner
                .meta
                .rename(
                    &Self::rel_path(&self.id),
                    &Self::rolling_back_path(&self.id),
                )
                .await?;
            self.rolling_back = true;
        }
        Ok(())
    }

    pub(crate) async fn delete(&self, graph: &Graph) -> Result<()> {
        let meta = &graph.inner.meta;
        for path in [Self::rel_path(&self.id), Self::rolling_back_path(&self.id)] {
            if meta.exists(&path).await? {
                meta.delete(&path).await?;
            }
        }
        Ok(())
    }

    /// The sidecar in `file` (a name under the recovery directory).
    async fn read(graph: &Graph, file: &str) -> Result<Sidecar> {
        let bytes = graph
            .inner
            .meta
            .get(&format!("{RECOVERY_DIR}/{file}"))
            .await?;
        let mut sidecar: Sidecar = serde_json::from_slice(&bytes)
            .map_err(|e| Error::Corrupt(format!("recovery sidecar {file}: {e}")))?;
        sidecar.rolling_back |= file.ends_with(ROLLING_BACK_SUFFIX);
        Ok(sidecar)
    }

    /// The file sidecar `id` is in now, if it still exists.
    async fn find(graph: &Graph, id: &str) -> Result<Option<String>> {
        for suffix in [SIDECAR_SUFFIX, ROLLING_BACK_SUFFIX] {
            let file = format!("{id}{suffix}");
            if graph
                .inner
                .meta
                .exists(&format!("{RECOVERY_DIR}/{file}"))
                .await?
            {
                return Ok(Some(file));
            }
        }
        Ok(None)
    }
}

/// What the sweep did with one sidecar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RecoveryOutcome {
    AlreadyPublished,
    RolledForward,
    RolledBack,
}

/// Ids and outcomes of sidecars resolved by the last sweep (for tests and logs).
pub async fn pending_sidecars(graph: &Graph) -> Result<Vec<String>> {
    Ok(graph
        .inner
        .meta
        .list(RECOVERY_DIR)
        .await?
        .into_iter()
        .filter(|n| n.ends_with(SIDECAR_SUFFIX))
        .collect())
}

/// Resolves every pending sidecar. Called by read-write opens before anything else.
pub async fn sweep(graph: &Graph) -> Result<Vec<RecoveryOutcome>> {
    let _guard = graph.inner.write_lock.lock().await;
    resolve_all(graph).await
}

/// Retries the sidecars this process failed to roll back, from inside a writer that
/// holds the writer lock. Sidecars of other processes are left to the open-time sweep:
/// they may belong to a writer that is still running.
pub(crate) async fn heal_own(graph: &Graph) -> Result<()> {
    let ids: Vec<String> = graph
        .inner
        .unresolved_sidecars
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .clone();
    for id in ids {
        if let Some(file) = Sidecar::find(graph, &id).await? {
            let mut sidecar = Sidecar::read(graph, &file).await?;
            resolve(graph, &mut sidecar).await?;
        }
        graph
            .inner
            .unresolved_sidecars
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .retain(|s| s != &id);
    }
    Ok(())
}

/// [`heal_own`] for writers that do not hold the lock yet: called before a write
/// prepares its tables, so a table this process left past its pin is repaired first.
pub(crate) async fn heal_own_before_write(graph: &Graph) -> Result<()> {
    if graph
        .inner
        .unresolved_sidecars
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .is_empty()
    {
        return Ok(());
    }
    let _guard = graph.inner.write_lock.lock().await;
    heal_own(graph).await
}

async fn resolve_all(graph: &Graph) -> Result<Vec<RecoveryOutcome>> {
    let mut outcomes = Vec::new();
    for file in pending_sidecars(graph).await? {
        // Another sweep may have resolved it since the listing.
        if !graph
            .inner
            .meta
            .exists(&format!("{RECOVERY_DIR}/{file}"))
            .await?
        {
            continue;
        }
        let mut sidecar = Sidecar::read(graph, &file).await?;
        outcomes.push(resolve(graph, &mut sidecar).await?);
    }
    Ok(outcomes)
}

pub(crate) async fn is_published(graph: &Graph, sidecar: &Sidecar) -> Result<bool> {
    let head = graph.manifest_head(&sidecar.branch).await?;
    let filter = format!("key = 'commit:{}'", sidecar.publish.commit.commit_id);
    Ok(head.count_rows(Some(filter)).await? > 0)
}

/// Latest Lance version of a sidecar table on its branch; a fork that no longer exists
/// (or never got created) counts as untouched.
async fn table_head(graph: &Graph, t: &SidecarTable) -> Result<u64> {
    let opened = storage::open_dataset(
        graph.session(),
        &graph.table_uri(&t.entry.path),
        t.entry.lance_branch.as_deref(),
        None,
    )
    .await;
    match opened {
        Ok(ds) => Ok(ds.version_id()),
        Err(_) if t.forked => Ok(t.base_version),
        Err(e) => Err(e),
    }
}

async fn resolve(graph: &Graph, sidecar: &mut Sidecar) -> Result<RecoveryOutcome> {
    let branch_alive = graph.branch_exists(&sidecar.branch).await?;
    if !branch_alive {
        // The branch was deleted; its forks went with it and main was not touched.
        sidecar.delete(graph).await?;
        return Ok(RecoveryOutcome::RolledBack);
    }
    if is_published(graph, sidecar).await? {
        sidecar.delete(graph).await?;
        return Ok(RecoveryOutcome::AlreadyPublished);
    }
    if !sidecar.rolling_back {
        let head = graph.manifest_head(&sidecar.branch).await?;
        let mut all_committed = head.version_id() == sidecar.expected_manifest_version;
        for t in &sidecar.tables {
            if t.action == SidecarAction::Created {
                continue;
            }
            if table_head(graph, t).await? != t.post_version {
                all_committed = false;
            }
        }
        if all_committed {
            let state = manifest::read_state(&head).await?;
            manifest::publish(head, &state.row_addresses, &sidecar.publish).await?;
            sidecar.delete(graph).await?;
            return Ok(RecoveryOutcome::RolledForward);
        }
    }
    roll_back(graph, sidecar, None).await?;
    Ok(RecoveryOutcome::RolledBack)
}

/// Restores every table the sidecar's commit moved, publishes the restored versions and
/// deletes the sidecar. Idempotent: a crash midway is finished by the next pass.
///
/// `committed_by_us` names the tables the caller knows it committed (an in-process
/// failure); `None` (after a crash) treats any table at `base + 1` as the sidecar's.
pub(crate) async fn roll_back(
    graph: &Graph,
    sidecar: &mut Sidecar,
    committed_by_us: Option<&[String]>,
) -> Result<()> {
    sidecar.mark_rolling_back(graph).await?;
    let live = graph.snapshot(&sidecar.branch).await?;
    let mut restored: Vec<TableEntry> = Vec::new();
    for t in &sidecar.tables {
        if committed_by_us.is_some_and(|names| !names.contains(&t.entry.name)) {
            continue;
        }
        if t.action == SidecarAction::Created || t.forked {
            // New datasets and fresh forks are not referenced by the live manifest;
            // they are reclaimed when the table is next created or forked.
            continue;
        }
        let Some(pinned) = live.table_entries().find(|e| e.name == t.entry.name) else {
            continue;
        };
        if pinned.lance_branch != t.entry.lance_branch || pinned.version != t.base_version {
            // The live manifest already moved this table on; nothing of ours is pinned.
            continue;
        }
        let head = table_head(graph, t).await?;
        if head == t.base_version {
            continue;
        }
        let uri = graph.table_uri(&t.entry.path);
        let latest =
            storage::open_dataset(graph.session(), &uri, t.entry.lance_branch.as_deref(), None)
                .await?;
        let restored_version = if has_content_of(&latest, t.base_version).await? {
            // A previous roll-back restored the table and stopped before publishing.
            head
        } else if head <= t.post_version {
            let what = format!("table '{}' (recovery restore)", t.entry.name);
            storage::restore_exact(latest, t.base_version, &what)
                .await?
                .version_id()
        } else {
            return Err(Error::Recovery(format!(
                "table at {} moved to version {} by an unknown writer; it is neither a version of the interrupted commit nor a restore of base version {}",
                latest.uri(),
                latest.version_id(),
                t.base_version
            )));
        };
        restored.push(TableEntry {
            version: restored_version,
            ..t.entry.clone()
        });
    }
    crash_point!(graph.root(), crate::failpoints::RECOVERY_BEFORE_PUBLISH);
    if !restored.is_empty() {
        let manifest_head = graph.manifest_at(&sidecar.branch, live.version()).await?;
        let commit = CommitRecord {
            commit_id: ulid::Ulid::new().to_string(),
            parents: live
                .head_commit()
                .map(|c| vec![c.to_string()])
                .unwrap_or_default(),
            branch: sidecar.branch.clone(),
            graph_version: live.version() + 1,
            actor: "omnigraph-recovery".to_string(),
            message: format!(
                "recovery: rolled back interrupted {} {}",
                sidecar.kind, sidecar.id
            ),
            committed_at_micros: Utc::now().timestamp_micros(),
        };
        manifest::publish(
            manifest_head,
            &live.state().0.row_addresses,
            &Publish {
                graph_version: commit.graph_version,
                tables: restored,
                schema_source: None,
                commit,
                copied_commits: vec![],
                compact_manifest: false,
            },
        )
        .await?;
    }
    sidecar.delete(graph).await
}

/// Whether `latest` has the content of version `base` (same fragments, schema and index
/// segments), as a restore of `base` has. Every committed step changes fragments, schema or
/// index segments, so a version of the interrupted commit never passes for the base.
async fn has_content_of(latest: &lance::Dataset, base: u64) -> Result<bool> {
    let base_ds = latest.checkout_version(base).await?;
    let fragments = |d: &lance::Dataset| {
        d.manifest
            .fragments
            .iter()
            .map(|f| (f.id, f.deletion_file.clone()))
            .collect::<Vec<_>>()
    };
    Ok(fragments(latest) == fragments(&base_ds)
        && latest.schema() == base_ds.schema()
        && indexes::segment_ids(latest).await? == indexes::segment_ids(&base_ds).await?)
}
