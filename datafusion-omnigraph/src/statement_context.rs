//! State that belongs to one statement, attached to the statement's own `SessionState`
//! as a `SessionConfig` extension: providers, table functions and write plans find it
//! there (`state.config()` while planning, `TaskContext::session_config()` while
//! running), so nothing of a statement is left in session-wide state for the next one.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use datafusion::arrow::array::RecordBatch;
use datafusion::execution::TaskContext;
use datafusion::prelude::SessionConfig;
use omnigraph_engine::{InsertMode, Snapshot};

/// One statement's context.
#[derive(Debug, Default)]
pub struct StatementContext {
    /// How an `INSERT` of this statement treats existing keys (`ON CONFLICT`); `None`
    /// leaves it to the plan (`INSERT` inserts, `REPLACE INTO` upserts).
    pub insert_mode: Option<InsertMode>,
    /// The statement's text: the default message of the commits it makes.
    pub text: Option<String>,
    /// The snapshot each selector resolved to at the statement's first scan; every
    /// later scan of the statement reads the same version.
    pins: Mutex<HashMap<String, Snapshot>>,
    /// Messages for the client (the edges a node delete took along).
    notices: Mutex<Vec<String>>,
    /// Whether the statement returns the rows it writes (`RETURNING`): its write keeps
    /// them in `returned` (new rows of an insert or update, old rows of a delete).
    pub returning: bool,
    returned: Mutex<Vec<RecordBatch>>,
    /// Whether the statement is a `COPY ... FROM`: its rows stream into the write, so
    /// `omnigraph.max_write_rows` (a bound on rows a statement holds) does not apply.
    pub bulk_copy: bool,
}

impl StatementContext {
    pub fn new(text: Option<String>, insert_mode: Option<InsertMode>) -> StatementContext {
        StatementContext {
            insert_mode,
            text,
            ..StatementContext::default()
        }
    }

    /// The context of a statement that returns the rows it writes.
    pub fn returning_rows(mut self) -> StatementContext {
        self.returning = true;
        self
    }

    /// The context of a `COPY ... FROM`.
    pub fn bulk_copy(mut self) -> StatementContext {
        self.bulk_copy = true;
        self
    }

    /// Keeps rows the statement wrote, for its `RETURNING` list.
    pub fn keep_returned(&self, rows: Vec<RecordBatch>) {
        self.returned
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .extend(rows);
    }

    /// The rows the statement wrote, leaving none.
    pub fn take_returned(&self) -> Vec<RecordBatch> {
        std::mem::take(&mut *self.returned.lock().unwrap_or_else(|p| p.into_inner()))
    }

    /// The statement context of `config`, if the statement has one (a plain DataFusion
    /// `SessionContext::sql` call has none: each scan then reads the head it finds).
    pub fn of(config: &SessionConfig) -> Option<Arc<StatementContext>> {
        config.get_extension::<StatementContext>()
    }

    /// [`StatementContext::of`] a running plan's task.
    pub fn of_task(task: &TaskContext) -> Option<Arc<StatementContext>> {
        Self::of(task.session_config())
    }

    /// The snapshot pinned under `key`, if a scan of this statement pinned one.
    pub(crate) fn pinned(&self, key: &str) -> Option<Snapshot> {
        self.pins
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(key)
            .cloned()
    }

    /// Pins `snapshot` under `key` unless another scan pinned first; returns the pin.
    pub(crate) fn pin(&self, key: String, snapshot: Snapshot) -> Snapshot {
        self.pins
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entry(key)
            .or_insert(snapshot)
            .clone()
    }

    pub fn add_notice(&self, notice: String) {
        self.notices
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(notice);
    }

    /// The notices raised so far, leaving none.
    pub fn take_notices(&self) -> Vec<String> {
        std::mem::take(&mut *self.notices.lock().unwrap_or_else(|p| p.into_inner()))
    }
}
