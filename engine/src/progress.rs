//! Progress of the bulk writes running in this process (`COPY ... FROM` and loads), as
//! PostgreSQL's `pg_stat_progress_copy` shows it: each write registers when it starts,
//! counts as it goes, and leaves the list when it ends, however it ends.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// Where a bulk write reads its rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CopySource {
    /// A file on the machine running the engine (`COPY ... FROM 'file'`, `CALL load`).
    File,
    /// The client's connection (`COPY ... FROM STDIN`).
    Pipe,
}

impl CopySource {
    /// PostgreSQL's name for it.
    pub fn as_str(&self) -> &'static str {
        match self {
            CopySource::File => "FILE",
            CopySource::Pipe => "PIPE",
        }
    }
}

/// One running bulk write.
#[derive(Debug)]
pub struct CopyProgress {
    /// Numbers the writes of this process, from 1.
    pub id: u64,
    pub source: CopySource,
    /// The table being written (a load moves from table to table).
    relation: Mutex<String>,
    bytes_processed: AtomicU64,
    /// 0 when unknown (data from a client).
    bytes_total: AtomicU64,
    tuples_processed: AtomicU64,
    tuples_excluded: AtomicU64,
}

impl CopyProgress {
    pub fn relation(&self) -> String {
        self.relation
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    pub fn set_relation(&self, table: &str) {
        let mut relation = self.relation.lock().unwrap_or_else(|p| p.into_inner());
        if *relation != table {
            *relation = table.to_string();
        }
    }

    pub fn bytes_processed(&self) -> u64 {
        self.bytes_processed.load(Ordering::Relaxed)
    }

    pub fn bytes_total(&self) -> u64 {
        self.bytes_total.load(Ordering::Relaxed)
    }

    pub fn tuples_processed(&self) -> u64 {
        self.tuples_processed.load(Ordering::Relaxed)
    }

    pub fn tuples_excluded(&self) -> u64 {
        self.tuples_excluded.load(Ordering::Relaxed)
    }

    pub fn set_bytes_total(&self, n: u64) {
        self.bytes_total.store(n, Ordering::Relaxed);
    }

    pub fn add_bytes(&self, n: u64) {
        self.bytes_processed.fetch_add(n, Ordering::Relaxed);
    }

    pub fn add_tuples(&self, n: u64) {
        self.tuples_processed.fetch_add(n, Ordering::Relaxed);
    }

    pub fn add_excluded(&self, n: u64) {
        self.tuples_excluded.fetch_add(n, Ordering::Relaxed);
    }
}

/// The bulk writes running in this process.
#[derive(Debug, Default)]
pub(crate) struct RunningCopies {
    next: AtomicU64,
    running: Mutex<Vec<Arc<CopyProgress>>>,
}

/// A running write's place in the list; dropping it takes the write off.
#[derive(Debug)]
pub struct CopyTracker {
    progress: Arc<CopyProgress>,
    copies: Arc<RunningCopies>,
}

impl CopyTracker {
    /// The write's counters, for a thread that reads its input.
    pub fn progress(&self) -> Arc<CopyProgress> {
        self.progress.clone()
    }
}

impl std::ops::Deref for CopyTracker {
    type Target = CopyProgress;
    fn deref(&self) -> &CopyProgress {
        &self.progress
    }
}

impl Drop for CopyTracker {
    fn drop(&mut self) {
        self.copies
            .running
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .retain(|p| !Arc::ptr_eq(p, &self.progress));
    }
}

impl crate::Graph {
    /// Registers a bulk write into `relation` reading `bytes_total` bytes (0: unknown).
    pub fn track_copy(&self, relation: &str, source: CopySource, bytes_total: u64) -> CopyTracker {
        let copies = self.inner.copies.clone();
        let progress = Arc::new(CopyProgress {
            id: copies.next.fetch_add(1, Ordering::Relaxed) + 1,
            source,
            relation: Mutex::new(relation.to_string()),
            bytes_processed: AtomicU64::new(0),
            bytes_total: AtomicU64::new(bytes_total),
            tuples_processed: AtomicU64::new(0),
            tuples_excluded: AtomicU64::new(0),
        });
        copies
            .running
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(progress.clone());
        CopyTracker { progress, copies }
    }

    /// The bulk writes running now, oldest first.
    pub fn running_copies(&self) -> Vec<Arc<CopyProgress>> {
        self.inner
            .copies
            .running
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }
}
