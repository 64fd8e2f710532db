//! Per-session graph state shared by the catalog, table providers and functions.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, RwLock};

use omnigraph_engine::{Graph, MAIN_BRANCH, Result, Snapshot, WriteOptions};

/// The settings a session can change with `SET omnigraph.*`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionSettings {
    /// The branch schema `public` reads and writes go to.
    pub branch: String,
    /// When set, `public` reads this ref and the session is read-only.
    pub as_of: Option<String>,
    /// Message for the following commits; `None` lets each write describe itself.
    pub commit_message: Option<String>,
    /// Recorded as the actor of commits.
    pub actor: String,
    /// The most rows one `INSERT`/`UPDATE`/`DELETE` may write; larger statements are
    /// refused before they are held in memory (use `CALL load` for bulk data).
    pub max_write_rows: u64,
}

/// Default of [`SessionSettings::max_write_rows`].
pub const DEFAULT_MAX_WRITE_ROWS: u64 = 5_000_000;

impl Default for SessionSettings {
    fn default() -> Self {
        SessionSettings {
            branch: MAIN_BRANCH.to_string(),
            as_of: None,
            commit_message: None,
            actor: "omnigraph".to_string(),
            max_write_rows: DEFAULT_MAX_WRITE_ROWS,
        }
    }
}

/// Which graph version a schema of the catalog reads.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum SnapshotSelector {
    /// The session's current branch, honouring `omnigraph.as_of`.
    Current,
    /// The head of a named branch.
    Branch(String),
}

/// How many statements' pinned snapshots are remembered.
const PINNED_STATEMENTS: usize = 64;

/// Snapshots pinned per statement, so every scan of one statement reads one version.
#[derive(Default)]
struct Pins {
    map: HashMap<(i64, String), Snapshot>,
    order: VecDeque<(i64, String)>,
}

/// The graph plus one session's state. Shared (`Arc`) by everything `register` installs.
pub struct GraphContext {
    graph: Graph,
    settings: RwLock<SessionSettings>,
    pins: Mutex<Pins>,
    branch_names: RwLock<Vec<String>>,
    /// How the next `INSERT` treats existing keys (set by a frontend that parsed an
    /// `ON CONFLICT` clause DataFusion cannot plan).
    insert_mode: Mutex<Option<omnigraph_engine::InsertMode>>,
    /// Messages for the client about the statements that ran (cascaded deletes).
    notices: Mutex<Vec<String>>,
    /// The running statement's text: the default message of the commits it makes.
    statement_text: Mutex<Option<String>>,
    /// While a transaction is open: (its branch, the private branch holding its writes).
    transaction: RwLock<Option<(String, String)>>,
}

impl std::fmt::Debug for GraphContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GraphContext")
            .field("graph", &self.graph)
            .field("settings", &self.settings())
            .finish()
    }
}

impl GraphContext {
    pub fn new(graph: Graph) -> Arc<GraphContext> {
        Arc::new(GraphContext {
            graph,
            settings: RwLock::new(SessionSettings::default()),
            pins: Mutex::new(Pins::default()),
            branch_names: RwLock::new(vec![MAIN_BRANCH.to_string()]),
            insert_mode: Mutex::new(None),
            notices: Mutex::new(Vec::new()),
            statement_text: Mutex::new(None),
            transaction: RwLock::new(None),
        })
    }

    pub fn graph(&self) -> &Graph {
        &self.graph
    }

    /// Marks a transaction open on branch `target` with its writes on `private` (or none).
    /// Inside it, the target's schema reads the private branch, and writes, branch
    /// procedures and merges touching any other branch are refused.
    pub fn set_transaction_branches(&self, branches: Option<(String, String)>) {
        *self.transaction.write().unwrap_or_else(|p| p.into_inner()) = branches;
    }

    /// (target, private) while a transaction is open.
    pub fn transaction_branches(&self) -> Option<(String, String)> {
        self.transaction
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Fails inside a transaction: `what` cannot be part of one (SQLSTATE 25001).
    pub fn require_no_transaction(&self, what: &str) -> Result<()> {
        match self.transaction_branches() {
            Some((target, _)) => Err(omnigraph_engine::Error::InTransaction(format!(
                "{what} cannot run inside a transaction (on branch '{target}'); COMMIT or ROLLBACK first"
            ))),
            None => Ok(()),
        }
    }

    /// Records the text of the statement about to run (the default commit message).
    pub fn set_statement_text(&self, text: Option<String>) {
        *self
            .statement_text
            .lock()
            .unwrap_or_else(|p| p.into_inner()) = text;
    }

    /// Makes the next `INSERT` planned in this session use `mode`.
    pub fn set_insert_mode(&self, mode: Option<omnigraph_engine::InsertMode>) {
        *self.insert_mode.lock().unwrap_or_else(|p| p.into_inner()) = mode;
    }

    pub(crate) fn take_insert_mode(&self) -> Option<omnigraph_engine::InsertMode> {
        self.insert_mode
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take()
    }

    pub(crate) fn add_notice(&self, notice: String) {
        self.notices
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(notice);
    }

    /// Notices raised since the last call (for the frontend to show).
    pub fn take_notices(&self) -> Vec<String> {
        std::mem::take(&mut *self.notices.lock().unwrap_or_else(|p| p.into_inner()))
    }

    pub fn settings(&self) -> SessionSettings {
        self.settings
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    pub fn update_settings(&self, f: impl FnOnce(&mut SessionSettings)) {
        f(&mut self.settings.write().unwrap_or_else(|p| p.into_inner()));
    }

    /// Commit options for a write made by this session.
    pub fn write_options(&self) -> WriteOptions {
        let s = self.settings();
        let statement = self
            .statement_text
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        WriteOptions {
            actor: s.actor,
            message: s.commit_message.or(statement),
        }
    }

    /// Fails when the session is pinned to a past version.
    pub fn require_writable(&self) -> Result<()> {
        match self.settings().as_of {
            Some(r) => Err(omnigraph_engine::Error::ReadOnlySession(r)),
            None => Ok(()),
        }
    }

    /// Branch names as last refreshed (for the synchronous parts of the catalog API).
    pub fn cached_branch_names(&self) -> Vec<String> {
        self.branch_names
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Re-reads the branch list.
    pub async fn refresh_branches(&self) -> Result<()> {
        let names = self.graph.branch_names().await?;
        *self.branch_names.write().unwrap_or_else(|p| p.into_inner()) = names;
        Ok(())
    }

    /// Resolves `selector` now (no pinning).
    pub async fn resolve(&self, selector: &SnapshotSelector) -> Result<Snapshot> {
        match selector {
            SnapshotSelector::Current => {
                let s = self.settings();
                match &s.as_of {
                    Some(r) => self.graph.snapshot_at_text(&s.branch, r).await,
                    None => self.graph.snapshot(&s.branch).await,
                }
            }
            SnapshotSelector::Branch(b) => self.graph.snapshot(b).await,
        }
    }

    /// The snapshot `selector` reads for the statement identified by `statement`: the
    /// first scan of a statement resolves it, later scans of the same statement reuse it.
    pub async fn pinned(&self, selector: &SnapshotSelector, statement: i64) -> Result<Snapshot> {
        let s = self.settings();
        // `public` without an as-of pin and the branch's own schema are the same head:
        // one key, so a statement reading both sees one version.
        let key_text = match (selector, &s.as_of) {
            (SnapshotSelector::Current, Some(r)) => format!("as_of:{}:{r}", s.branch),
            (SnapshotSelector::Current, None) => format!("branch:{}", s.branch),
            (SnapshotSelector::Branch(b), _) => format!("branch:{b}"),
        };
        let key = (statement, key_text);
        if let Some(hit) = self
            .pins
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .map
            .get(&key)
        {
            return Ok(hit.clone());
        }
        let snapshot = self.resolve(selector).await?;
        let mut pins = self.pins.lock().unwrap_or_else(|p| p.into_inner());
        // Another scan of the same statement may have pinned first: keep its snapshot.
        if let Some(hit) = pins.map.get(&key) {
            return Ok(hit.clone());
        }
        if pins.order.len() >= PINNED_STATEMENTS
            && let Some(old) = pins.order.pop_front()
        {
            pins.map.remove(&old);
        }
        pins.order.push_back(key.clone());
        pins.map.insert(key, snapshot.clone());
        Ok(snapshot)
    }
}
