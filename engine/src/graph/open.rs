//! Creating and opening a graph; a read-write open first resolves what interrupted
//! writers left behind.

use std::sync::Arc;

use chrono::Utc;
use lance::session::Session;

use super::handle::{Graph, OpenMode};
use super::names::MAIN_BRANCH;
use crate::error::{Error, Result};
use crate::manifest::{self, CommitRecord, Publish};
use crate::recovery;
use crate::storage;

impl Graph {
    /// Creates a new, empty graph at `root` (a local directory or any URI Lance accepts).
    pub async fn create(root: &str) -> Result<Graph> {
        let root = normalize_root(root)?;
        let session = Arc::new(Session::default());
        let manifest_uri = storage::join_uri(&root, manifest::MANIFEST_DIR);
        if storage::open_dataset(&session, &manifest_uri, None, None)
            .await
            .is_ok()
        {
            return Err(Error::GraphExists(root));
        }
        let ds = manifest::create(&session, &root).await?;
        let graph = Graph::from_parts(root, session, OpenMode::ReadWrite).await?;
        let commit = CommitRecord {
            commit_id: ulid::Ulid::new().to_string(),
            parents: vec![],
            branch: MAIN_BRANCH.to_string(),
            graph_version: ds.version_id() + 1,
            actor: "omnigraph".to_string(),
            message: "create graph".to_string(),
            committed_at_micros: Utc::now().timestamp_micros(),
        };
        manifest::publish(
            Arc::new(ds),
            &Default::default(),
            &Publish {
                graph_version: commit.graph_version,
                tables: vec![],
                schema_source: Some(String::new()),
                commit,
                copied_commits: vec![],
                compact_manifest: false,
            },
        )
        .await?;
        Ok(graph)
    }

    /// Opens an existing graph read-write, running the recovery sweep first.
    pub async fn open(root: &str) -> Result<Graph> {
        Self::open_with(root, OpenMode::ReadWrite).await
    }

    /// Opens an existing graph; read-write opens run the recovery sweep.
    pub async fn open_with(root: &str, mode: OpenMode) -> Result<Graph> {
        let root = normalize_root(root)?;
        let session = Arc::new(Session::default());
        let manifest_uri = storage::join_uri(&root, manifest::MANIFEST_DIR);
        if storage::open_dataset(&session, &manifest_uri, None, None)
            .await
            .is_err()
        {
            return Err(Error::GraphNotFound(root));
        }
        let graph = Graph::from_parts(root, session, mode).await?;
        if mode == OpenMode::ReadWrite {
            recovery::sweep(&graph).await?;
            graph.drop_abandoned_transactions().await?;
        }
        Ok(graph)
    }

    /// Opens the graph at `root`, creating an empty one if none exists.
    pub async fn open_or_create(root: &str) -> Result<Graph> {
        match Self::open(root).await {
            Err(Error::GraphNotFound(_)) => Self::create(root).await,
            other => other,
        }
    }
}

fn normalize_root(root: &str) -> Result<String> {
    let trimmed = root.trim();
    if trimmed.is_empty() {
        return Err(Error::InvalidArgument("graph path is empty".into()));
    }
    if trimmed.contains("://") {
        return Ok(trimmed.trim_end_matches('/').to_string());
    }
    let path = std::path::Path::new(trimmed);
    let absolute = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir()?.join(path)
    };
    Ok(absolute.to_string_lossy().trim_end_matches('/').to_string())
}
