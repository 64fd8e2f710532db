//! A cache of derived state (topologies, id indexes) keyed by immutable table versions,
//! with a memory bound (least recently used entries go first) and build-once semantics:
//! concurrent requests for the same key wait for one build.

use std::collections::{HashMap, VecDeque};
use std::future::Future;
use std::sync::{Arc, Mutex};

use tokio::sync::OnceCell;

use crate::error::Result;

/// (what, table path, Lance branch, version): a table version never changes, so an entry
/// is never stale.
pub(crate) type DerivedKey = (&'static str, String, Option<String>, u64);

/// The entries, their use order (least recent first) and their total size in bytes.
type Entries<T> = (HashMap<DerivedKey, Entry<T>>, VecDeque<DerivedKey>, usize);

struct Entry<T> {
    cell: Arc<OnceCell<Arc<T>>>,
    bytes: usize,
}

pub(crate) struct DerivedCache<T> {
    capacity_bytes: usize,
    inner: Mutex<Entries<T>>,
}

impl<T> DerivedCache<T> {
    pub(crate) fn new(capacity_bytes: usize) -> Self {
        DerivedCache {
            capacity_bytes,
            inner: Mutex::new((HashMap::new(), VecDeque::new(), 0)),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Entries<T>> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The value for `key`, built by `build` if absent (once, however many callers wait).
    pub(crate) async fn get_or_build<F, Fut>(
        &self,
        key: DerivedKey,
        size: fn(&T) -> usize,
        build: F,
    ) -> Result<Arc<T>>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T>>,
    {
        let cell = {
            let mut guard = self.lock();
            let (map, order, _) = &mut *guard;
            if let Some(pos) = order.iter().position(|k| k == &key) {
                let k = order.remove(pos).expect("position is in range");
                order.push_back(k);
            }
            map.entry(key.clone())
                .or_insert_with(|| {
                    order.push_back(key.clone());
                    Entry {
                        cell: Arc::new(OnceCell::new()),
                        bytes: 0,
                    }
                })
                .cell
                .clone()
        };
        let mut built_now = false;
        let value = cell
            .get_or_try_init(|| async {
                built_now = true;
                build().await.map(Arc::new)
            })
            .await?
            .clone();
        if built_now {
            let bytes = size(&value);
            let mut guard = self.lock();
            let (map, order, total) = &mut *guard;
            if let Some(e) = map.get_mut(&key) {
                e.bytes = bytes;
                *total += bytes;
            }
            // Evict least recently used entries (never the one just built).
            while *total > self.capacity_bytes {
                let Some(victim) = order.iter().find(|k| **k != key).cloned() else {
                    break;
                };
                order.retain(|k| k != &victim);
                if let Some(e) = map.remove(&victim) {
                    *total = total.saturating_sub(e.bytes);
                }
            }
        }
        Ok(value)
    }

    /// Number of cached entries (for tests and metrics).
    pub(crate) fn len(&self) -> usize {
        self.lock().0.len()
    }
}
