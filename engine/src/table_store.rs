//! The graph's table datasets: where they live, the Lance session they are opened on,
//! and the caches of opened table versions and of state derived from them. Shared by a
//! graph handle and all its snapshots.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};

use arrow_array::ArrayRef;
use lance::Dataset;
use lance::session::Session;

use crate::derived::DerivedCache;
use crate::error::Result;
use crate::manifest::TableEntry;
use crate::pattern::EndpointPositions;
use crate::storage;
use crate::topology::{IdIndex, Topology};

const DATASET_CACHE_CAPACITY: usize = 512;

/// Memory bound of the topology cache: `OMNIGRAPH_TOPOLOGY_CACHE_MB`, default 2 GiB.
fn topology_cache_bytes() -> usize {
    std::env::var("OMNIGRAPH_TOPOLOGY_CACHE_MB")
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
        .unwrap_or(2048)
        * 1024
        * 1024
}

/// A table version: (path, Lance branch, version). Versions never change, so cached
/// datasets never go stale.
type DatasetKey = (String, Option<String>, u64);

/// Opened datasets and their insertion order (the oldest is dropped first).
#[derive(Default)]
struct DatasetCache {
    datasets: HashMap<DatasetKey, Arc<Dataset>>,
    order: VecDeque<DatasetKey>,
}

pub(crate) struct TableStore {
    root: String,
    session: Arc<Session>,
    datasets: Mutex<DatasetCache>,
    pub(crate) topologies: DerivedCache<Topology>,
    pub(crate) id_indexes: DerivedCache<IdIndex>,
    pub(crate) endpoints: DerivedCache<EndpointPositions>,
    pub(crate) columns: DerivedCache<ArrayRef>,
    /// Held while a table's Lance branches (forks) are created or deleted. Deleting one
    /// removes the directories no listed branch shares (`tree/_tx` once the last open
    /// transaction's fork is gone), so a fork must not be half-made meanwhile.
    pub(crate) fork_refs: tokio::sync::Mutex<()>,
}

impl TableStore {
    pub(crate) fn new(root: String, session: Arc<Session>) -> Self {
        TableStore {
            root,
            session,
            datasets: Mutex::new(DatasetCache::default()),
            topologies: DerivedCache::new(topology_cache_bytes()),
            id_indexes: DerivedCache::new(topology_cache_bytes() / 4),
            endpoints: DerivedCache::new(topology_cache_bytes() / 4),
            columns: DerivedCache::new(topology_cache_bytes() / 4),
            fork_refs: tokio::sync::Mutex::new(()),
        }
    }

    pub(crate) fn root(&self) -> &str {
        &self.root
    }

    pub(crate) fn session(&self) -> &Arc<Session> {
        &self.session
    }

    /// The URI of the dataset at `path` (relative to the graph root).
    pub(crate) fn table_uri(&self, path: &str) -> String {
        storage::join_uri(&self.root, path)
    }

    fn cache(&self) -> std::sync::MutexGuard<'_, DatasetCache> {
        self.datasets.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Opens (or reuses) the dataset of `entry` at its pinned version.
    pub(crate) async fn dataset(&self, entry: &TableEntry) -> Result<Arc<Dataset>> {
        let key = (
            entry.path.clone(),
            entry.lance_branch.clone(),
            entry.version,
        );
        if let Some(ds) = self.cache().datasets.get(&key).cloned() {
            return Ok(ds);
        }
        // A fork is checked out from an open handle of its dataset when there is one:
        // opening it by URI first resolves the dataset's latest version, which lists
        // every manifest the dataset has.
        let sibling = match &entry.lance_branch {
            Some(_) => self.any_version_of(&entry.path),
            None => None,
        };
        let ds = Arc::new(match (sibling, &entry.lance_branch) {
            (Some(handle), Some(fork)) => {
                handle
                    .checkout_version((fork.as_str(), entry.version))
                    .await?
            }
            _ => {
                storage::open_dataset(
                    &self.session,
                    &self.table_uri(&entry.path),
                    entry.lance_branch.as_deref(),
                    Some(entry.version),
                )
                .await?
            }
        });
        let mut cache = self.cache();
        // The oldest version no reader holds goes (cleanup keeps what readers hold, as
        // far as this cache shows them); held ones go to the back of the line.
        let mut turns = cache.order.len();
        while cache.datasets.len() >= DATASET_CACHE_CAPACITY && turns > 0 {
            turns -= 1;
            let Some(old) = cache.order.pop_front() else {
                break;
            };
            match cache.datasets.get(&old) {
                Some(ds) if Arc::strong_count(ds) > 1 => cache.order.push_back(old),
                _ => {
                    cache.datasets.remove(&old);
                }
            }
        }
        cache.order.push_back(key.clone());
        cache.datasets.insert(key, ds.clone());
        Ok(ds)
    }

    /// Some open version of the dataset at `path` on Lance's main (a handle whose refs
    /// resolve from the dataset's root).
    fn any_version_of(&self, path: &str) -> Option<Arc<Dataset>> {
        self.cache()
            .datasets
            .iter()
            .find(|((p, branch, _), _)| p == path && branch.is_none())
            .map(|(_, ds)| ds.clone())
    }

    /// (path, Lance branch, version) of every cached table version a reader still holds.
    pub(crate) fn datasets_in_use(&self) -> Vec<(String, Option<String>, u64)> {
        self.cache()
            .datasets
            .iter()
            .filter(|(_, ds)| Arc::strong_count(ds) > 1)
            .map(|(key, _)| key.clone())
            .collect()
    }

    /// Number of cached datasets.
    pub(crate) fn cached_datasets(&self) -> usize {
        self.cache().datasets.len()
    }
}
