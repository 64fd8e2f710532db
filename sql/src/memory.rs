//! Memory limits. Every session's operators (sorts, aggregates, joins, the rows a write
//! holds) reserve what they buffer from a pool of the session's own, bounded by
//! `omnigraph.statement_memory_limit` (a session runs one statement at a time), and
//! every session's pool reserves from the process's, bounded by the server's memory
//! limit. A sort or an aggregate that cannot reserve more spills to temporary files
//! (DataFusion's disk manager, under the system's temporary directory); an operator that
//! cannot spill fails with 53200 `out_of_memory`. Nothing buffers unbounded, so a
//! runaway query fails instead of taking the process down.

use std::fmt;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};

use datafusion::error::{DataFusionError, Result as DfResult};
use datafusion::execution::memory_pool::{
    GreedyMemoryPool, MemoryConsumer, MemoryLimit, MemoryPool, MemoryReservation,
    UnboundedMemoryPool,
};

use datafusion_omnigraph::context::DEFAULT_STATEMENT_MEMORY_LIMIT;

use crate::error::{ErrorKind, Result, SqlError};

/// The smallest `omnigraph.statement_memory_limit` (PostgreSQL's `work_mem` minimum).
const MIN_STATEMENT_MEMORY_LIMIT: u64 = 64 << 10;

static PROCESS_POOL: OnceLock<Arc<dyn MemoryPool>> = OnceLock::new();

/// Sets the memory every session of this process may hold together, before the first
/// session starts (`omnigraph-server --memory-limit`). Returns `false` if the process's
/// pool was already made (with the default).
pub fn set_process_memory_limit(bytes: usize) -> bool {
    PROCESS_POOL
        .set(Arc::new(GreedyMemoryPool::new(bytes)))
        .is_ok()
}

/// The process's pool: as [`set_process_memory_limit`] made it, else half the machine's
/// memory (unbounded where that is unknown).
fn process_pool() -> Arc<dyn MemoryPool> {
    PROCESS_POOL
        .get_or_init(|| match physical_memory() {
            Some(total) => Arc::new(GreedyMemoryPool::new(total / 2)),
            None => Arc::new(UnboundedMemoryPool::default()),
        })
        .clone()
}

/// The machine's memory in bytes (Linux's `MemTotal`).
pub fn physical_memory() -> Option<usize> {
    let info = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = info.lines().find(|l| l.starts_with("MemTotal:"))?;
    let kb: usize = line.split_whitespace().nth(1)?.parse().ok()?;
    kb.checked_mul(1024)
}

/// One session's pool: at most its limit, taken from the process's pool.
pub struct SessionPool {
    limit: AtomicUsize,
    used: AtomicUsize,
    process: Arc<dyn MemoryPool>,
}

impl SessionPool {
    pub fn new() -> Arc<SessionPool> {
        Arc::new(SessionPool {
            limit: AtomicUsize::new(DEFAULT_STATEMENT_MEMORY_LIMIT as usize),
            used: AtomicUsize::new(0),
            process: process_pool(),
        })
    }

    pub fn limit(&self) -> u64 {
        self.limit.load(Ordering::Relaxed) as u64
    }

    pub fn set_limit(&self, bytes: u64) {
        self.limit.store(
            usize::try_from(bytes).unwrap_or(usize::MAX),
            Ordering::Relaxed,
        );
    }
}

impl fmt::Debug for SessionPool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{self}")
    }
}

impl fmt::Display for SessionPool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "session(used: {}, limit: {}) of {}",
            self.used.load(Ordering::Relaxed),
            self.limit(),
            self.process
        )
    }
}

impl MemoryPool for SessionPool {
    fn name(&self) -> &str {
        "session"
    }

    fn register(&self, consumer: &MemoryConsumer) {
        self.process.register(consumer);
    }

    fn unregister(&self, consumer: &MemoryConsumer) {
        self.process.unregister(consumer);
    }

    fn grow(&self, reservation: &MemoryReservation, additional: usize) {
        self.used.fetch_add(additional, Ordering::Relaxed);
        self.process.grow(reservation, additional);
    }

    fn shrink(&self, reservation: &MemoryReservation, shrink: usize) {
        self.used.fetch_sub(shrink, Ordering::Relaxed);
        self.process.shrink(reservation, shrink);
    }

    fn try_grow(&self, reservation: &MemoryReservation, additional: usize) -> DfResult<()> {
        let limit = self.limit.load(Ordering::Relaxed);
        self.used
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |used| {
                used.checked_add(additional)
                    .filter(|total| *total <= limit)
            })
            .map_err(|used| {
                DataFusionError::ResourcesExhausted(format!(
                    "the statement needs more memory than omnigraph.statement_memory_limit ({}): {} more bytes for {} on top of {used} held",
                    show_memory(limit as u64),
                    additional,
                    reservation.consumer().name(),
                ))
            })?;
        if let Err(e) = self.process.try_grow(reservation, additional) {
            self.used.fetch_sub(additional, Ordering::Relaxed);
            return Err(DataFusionError::ResourcesExhausted(format!(
                "the server's memory limit is reached: {e}"
            )));
        }
        Ok(())
    }

    fn reserved(&self) -> usize {
        self.used.load(Ordering::Relaxed)
    }

    fn memory_limit(&self) -> MemoryLimit {
        MemoryLimit::Finite(self.limit.load(Ordering::Relaxed))
    }
}

/// A memory size as PostgreSQL's memory settings take it: an integer with a unit (`B`,
/// `kB`, `MB`, `GB`, `TB`), or a bare integer of kilobytes.
pub fn parse_memory(name: &str, text: &str) -> Result<u64> {
    let invalid = || {
        SqlError::new(
            ErrorKind::InvalidParameter,
            format!(
                "invalid value for parameter \"{name}\": \"{text}\" (a size such as '512MB' or '2GB', at least 64kB)"
            ),
        )
    };
    let trimmed = text.trim();
    let digits = trimmed
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(trimmed.len());
    let (number, unit) = trimmed.split_at(digits);
    let number: u64 = number.parse().map_err(|_| invalid())?;
    let scale: u64 = match unit.trim() {
        "" | "kB" => 1 << 10,
        "B" => 1,
        "MB" => 1 << 20,
        "GB" => 1 << 30,
        "TB" => 1 << 40,
        _ => return Err(invalid()),
    };
    number
        .checked_mul(scale)
        .filter(|bytes| *bytes >= MIN_STATEMENT_MEMORY_LIMIT)
        .ok_or_else(invalid)
}

/// A memory size as PostgreSQL shows one: in the largest unit that divides it.
pub fn show_memory(bytes: u64) -> String {
    for (unit, scale) in [
        ("TB", 1u64 << 40),
        ("GB", 1 << 30),
        ("MB", 1 << 20),
        ("kB", 1 << 10),
    ] {
        if bytes >= scale && bytes.is_multiple_of(scale) {
            return format!("{}{unit}", bytes / scale);
        }
    }
    format!("{bytes}B")
}
