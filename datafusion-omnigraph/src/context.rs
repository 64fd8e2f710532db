//! The graph plus one session's state, shared by the catalog, table providers and
//! functions: the session's `omnigraph.*` options (read from the session's own
//! `SessionConfig`, see [`crate::options`]), the connected actor, the branch list the
//! catalog's synchronous API needs, and the open transaction.

use std::sync::{Arc, OnceLock, RwLock, Weak};

use datafusion::execution::SessionState;
use omnigraph_engine::{Graph, MAIN_BRANCH, Result, Snapshot, WriteOptions};

use crate::options::OmniGraphOptions;
use crate::statement_context::StatementContext;
use crate::transaction::Transaction;

pub use crate::options::{
    DEFAULT_AUTO_OPTIMIZE_FRAGMENTS, DEFAULT_MAX_WRITE_ROWS, DEFAULT_STATEMENT_MEMORY_LIMIT,
};

/// The session's settings as one value: its `omnigraph.*` options and the actor.
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
    /// The most rows one `INSERT`/`UPDATE`/`DELETE` may write.
    pub max_write_rows: u64,
    /// Whether autocommit writes end with automatic maintenance.
    pub auto_optimize: bool,
    /// Fragments of a table or manifest that trigger automatic maintenance.
    pub auto_optimize_fragments: u64,
    /// The memory (bytes) one statement's operators may hold.
    pub statement_memory_limit: u64,
    /// Vector index search knobs (0: Lance's default).
    pub nprobes: u64,
    pub ef_search: u64,
    pub refine_factor: u64,
}

/// The actor of commits until the frontend says who is connected.
const DEFAULT_ACTOR: &str = "omnigraph";

impl Default for SessionSettings {
    fn default() -> Self {
        SessionSettings::from_options(&OmniGraphOptions::default(), DEFAULT_ACTOR)
    }
}

impl SessionSettings {
    fn from_options(options: &OmniGraphOptions, actor: &str) -> SessionSettings {
        SessionSettings {
            branch: options.branch.clone(),
            as_of: options.as_of.clone(),
            commit_message: options.commit_message.clone(),
            actor: actor.to_string(),
            max_write_rows: options.max_write_rows,
            auto_optimize: options.auto_optimize,
            auto_optimize_fragments: options.auto_optimize_fragments,
            statement_memory_limit: options.statement_memory_limit,
            nprobes: options.nprobes,
            ef_search: options.ef_search,
            refine_factor: options.refine_factor,
        }
    }

    fn write_to(&self, options: &mut OmniGraphOptions) {
        options.branch = self.branch.clone();
        options.as_of = self.as_of.clone();
        options.commit_message = self.commit_message.clone();
        options.max_write_rows = self.max_write_rows;
        options.auto_optimize = self.auto_optimize;
        options.auto_optimize_fragments = self.auto_optimize_fragments;
        options.statement_memory_limit = self.statement_memory_limit;
        options.nprobes = self.nprobes;
        options.ef_search = self.ef_search;
        options.refine_factor = self.refine_factor;
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

type SharedState = parking_lot::RwLock<SessionState>;

/// The graph plus one session's state. Shared (`Arc`) by everything `register` installs.
pub struct GraphContext {
    graph: Graph,
    /// The session whose configuration holds the `omnigraph.*` options. Weak: the
    /// session's state holds this context (through its catalog) in turn.
    session: OnceLock<Weak<SharedState>>,
    actor: RwLock<String>,
    branch_names: RwLock<Vec<String>>,
    transaction: RwLock<Option<Transaction>>,
    /// The names `GRAPH_TABLE` knows this graph by: the catalog's, the graph
    /// directory's, and over the wire the database's.
    property_graph_names: RwLock<Vec<String>>,
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
        graph.reserve_names(crate::catalog::RESERVED_SCHEMAS);
        Arc::new(GraphContext {
            graph,
            session: OnceLock::new(),
            actor: RwLock::new(DEFAULT_ACTOR.to_string()),
            branch_names: RwLock::new(vec![MAIN_BRANCH.to_string()]),
            transaction: RwLock::new(None),
            property_graph_names: RwLock::new(Vec::new()),
        })
    }

    /// Binds this context to the session whose options it reads (done by `register`).
    pub(crate) fn attach_session(&self, session: Weak<SharedState>) {
        let _ = self.session.set(session);
    }

    pub fn graph(&self) -> &Graph {
        &self.graph
    }

    /// Makes `name` a name of this graph for `GRAPH_TABLE`.
    pub fn add_property_graph_name(&self, name: &str) {
        let mut names = self
            .property_graph_names
            .write()
            .unwrap_or_else(|p| p.into_inner());
        if !names.iter().any(|n| n.eq_ignore_ascii_case(name)) {
            names.push(name.to_string());
        }
    }

    pub fn property_graph_names(&self) -> Vec<String> {
        self.property_graph_names
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// The open transaction, if any.
    pub fn transaction(&self) -> Option<Transaction> {
        self.transaction
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Opens (`Some`) or ends (`None`) the session's transaction. Inside one, the target
    /// branch's tables read the private branch, and writes, branch procedures and merges
    /// touching any other branch are refused.
    pub fn set_transaction(&self, transaction: Option<Transaction>) {
        *self.transaction.write().unwrap_or_else(|p| p.into_inner()) = transaction;
    }

    /// Changes the open transaction, if any.
    pub fn update_transaction(&self, f: impl FnOnce(&mut Transaction)) {
        if let Some(tx) = self
            .transaction
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .as_mut()
        {
            f(tx);
        }
    }

    /// (target, private) while a transaction is open.
    pub fn transaction_branches(&self) -> Option<(String, String)> {
        self.transaction().map(|tx| (tx.target, tx.private))
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

    /// The session's settings (the `omnigraph.*` options of its configuration).
    pub fn settings(&self) -> SessionSettings {
        let actor = self.actor.read().unwrap_or_else(|p| p.into_inner()).clone();
        match self.session.get().and_then(Weak::upgrade) {
            Some(state) => {
                let state = state.read();
                match state
                    .config()
                    .options()
                    .extensions
                    .get::<OmniGraphOptions>()
                {
                    Some(options) => SessionSettings::from_options(options, &actor),
                    None => SessionSettings::from_options(&OmniGraphOptions::default(), &actor),
                }
            }
            None => SessionSettings::from_options(&OmniGraphOptions::default(), &actor),
        }
    }

    /// Changes the session's settings.
    pub fn update_settings(&self, f: impl FnOnce(&mut SessionSettings)) {
        let mut settings = self.settings();
        f(&mut settings);
        *self.actor.write().unwrap_or_else(|p| p.into_inner()) = settings.actor.clone();
        if let Some(state) = self.session.get().and_then(Weak::upgrade) {
            let mut state = state.write();
            let extensions = &mut state.config_mut().options_mut().extensions;
            if extensions.get::<OmniGraphOptions>().is_none() {
                extensions.insert(OmniGraphOptions::default());
            }
            if let Some(options) = extensions.get_mut::<OmniGraphOptions>() {
                settings.write_to(options);
            }
        }
    }

    /// The branch the session's reads and writes go to: its `omnigraph.branch`, or the
    /// transaction's private branch while a transaction on it is open.
    pub fn branch(&self) -> String {
        let branch = self.settings().branch;
        match self.transaction() {
            Some(tx) => tx.redirect(&branch).to_string(),
            None => branch,
        }
    }

    /// Commit options for a write made by `statement` of this session.
    pub fn write_options(&self, statement: Option<&StatementContext>) -> WriteOptions {
        let s = self.settings();
        WriteOptions {
            actor: s.actor,
            message: s
                .commit_message
                .or_else(|| statement.and_then(|st| st.text.clone())),
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
                let as_of = self.settings().as_of;
                let branch = self.branch();
                match &as_of {
                    Some(r) => self.graph.snapshot_at_text(&branch, r).await,
                    None => self.graph.snapshot(&branch).await,
                }
            }
            SnapshotSelector::Branch(b) => self.graph.snapshot(b).await,
        }
    }

    /// The snapshot `selector` reads for `statement`: its first scan resolves it, later
    /// scans of the same statement reuse it. Without a statement context (a plain
    /// DataFusion call) each scan reads the head it finds.
    pub async fn pinned(
        &self,
        selector: &SnapshotSelector,
        statement: Option<&StatementContext>,
    ) -> Result<Snapshot> {
        let Some(statement) = statement else {
            return self.resolve(selector).await;
        };
        let as_of = self.settings().as_of;
        // `public` without an as-of pin and the branch's own schema are the same head:
        // one key, so a statement reading both sees one version.
        let key = match (selector, &as_of) {
            (SnapshotSelector::Current, Some(r)) => format!("as_of:{}:{r}", self.branch()),
            (SnapshotSelector::Current, None) => format!("branch:{}", self.branch()),
            (SnapshotSelector::Branch(b), _) => format!("branch:{b}"),
        };
        if let Some(hit) = statement.pinned(&key) {
            return Ok(hit);
        }
        let snapshot = self.resolve(selector).await?;
        Ok(statement.pin(key, snapshot))
    }
}
