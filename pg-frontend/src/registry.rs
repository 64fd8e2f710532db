//! The graphs of a data directory, one shared handle per graph: every connection to the
//! same graph shares its caches and its in-process writer lock.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use omnigraph_engine::Graph;
use omnigraph_sql::{ErrorKind, SqlError};
use tokio::sync::Mutex;

pub struct GraphRegistry {
    data_dir: PathBuf,
    graphs: Mutex<HashMap<String, Graph>>,
}

/// A database name as a client sends it: `graph` or `graph@branch`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DatabaseName {
    pub graph: String,
    pub branch: Option<String>,
}

impl DatabaseName {
    pub fn parse(text: &str) -> Result<DatabaseName, SqlError> {
        let (graph, branch) = match text.split_once('@') {
            Some((g, b)) => (g, Some(b.to_string())),
            None => (text, None),
        };
        let valid = !graph.is_empty()
            && graph
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
            && !graph.starts_with('.');
        if !valid {
            return Err(SqlError::new(
                ErrorKind::UnknownGraph,
                format!(
                    "database \"{text}\" does not exist (a graph name uses letters, digits, '_', '-', '.')"
                ),
            ));
        }
        if branch.as_deref() == Some("") {
            return Err(SqlError::new(
                ErrorKind::UnknownBranch,
                format!("database \"{text}\": empty branch name after '@'"),
            ));
        }
        Ok(DatabaseName {
            graph: graph.to_string(),
            branch,
        })
    }
}

/// The databases PostgreSQL always has, which tools connect to before they know of any
/// other (`psql -l`, `pgcli -l`, pg_dumpall, pgAdmin connect to `postgres`).
pub const MAINTENANCE_DATABASES: [&str; 2] = ["postgres", "template1"];

impl GraphRegistry {
    /// The graph a database name opens: the graph of that name; for a maintenance
    /// database with no graph of its name, the data directory's first graph in name
    /// order (its catalog lists every graph, so `psql -l` works); None otherwise.
    pub fn graph_for(&self, name: &str) -> Option<String> {
        if !MAINTENANCE_DATABASES.contains(&name) || self.graph_path(name).is_dir() {
            return None;
        }
        self.list().into_iter().next()
    }

    pub fn new(data_dir: impl Into<PathBuf>) -> GraphRegistry {
        GraphRegistry {
            data_dir: data_dir.into(),
            graphs: Mutex::new(HashMap::new()),
        }
    }

    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    pub fn graph_path(&self, name: &str) -> PathBuf {
        self.data_dir.join(name)
    }

    /// The graph named `name`; 3D000 when the data directory has no such graph.
    pub async fn open(&self, name: &str) -> Result<Graph, SqlError> {
        let mut graphs = self.graphs.lock().await;
        if let Some(graph) = graphs.get(name) {
            return Ok(graph.clone());
        }
        let path = self.graph_path(name);
        let missing = || {
            SqlError::new(
                ErrorKind::UnknownGraph,
                format!("database \"{name}\" does not exist"),
            )
        };
        if !path.is_dir() {
            return Err(missing());
        }
        let graph = match Graph::open(&path.to_string_lossy()).await {
            Ok(g) => g,
            Err(omnigraph_engine::Error::GraphNotFound(_)) => return Err(missing()),
            Err(e) => return Err(e.into()),
        };
        graphs.insert(name.to_string(), graph.clone());
        Ok(graph)
    }

    /// Adds a graph opened elsewhere (the demo graph at startup).
    pub async fn insert(&self, name: &str, graph: Graph) {
        self.graphs.lock().await.insert(name.to_string(), graph);
    }

    /// The graph names in the data directory, sorted.
    pub fn list(&self) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(&self.data_dir)
            .into_iter()
            .flatten()
            .flatten()
            .filter(|e| e.path().is_dir())
            .filter_map(|e| e.file_name().to_str().map(str::to_string))
            .filter(|n| DatabaseName::parse(n).is_ok())
            .collect();
        names.sort();
        names
    }
}
