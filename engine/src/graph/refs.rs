//! Refs: how callers name a point in history, and the snapshots they resolve to.

use chrono::{DateTime, Utc};

use super::handle::Graph;
use super::names::{MAIN_BRANCH, looks_like_ulid};
use crate::error::{Error, Result};
use crate::snapshot::Snapshot;
use crate::values::parse_timestamp;

/// How a caller names a point in history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GraphRef {
    Branch(String),
    Commit(String),
    Version(u64),
    Timestamp(DateTime<Utc>),
}

impl Graph {
    /// Classifies a user-written ref: a branch name, a commit id, a version number of
    /// `current_branch`, or a timestamp.
    pub async fn parse_ref(&self, text: &str) -> Result<GraphRef> {
        let t = text.trim();
        if t == MAIN_BRANCH || self.branch_exists(t).await? {
            return Ok(GraphRef::Branch(t.to_string()));
        }
        if let Ok(v) = t.parse::<u64>() {
            return Ok(GraphRef::Version(v));
        }
        if looks_like_ulid(t) {
            return Ok(GraphRef::Commit(t.to_ascii_uppercase()));
        }
        if let Some(ts) = parse_timestamp(t) {
            return Ok(GraphRef::Timestamp(ts));
        }
        Err(Error::UnknownRef(t.to_string()))
    }

    /// A snapshot at `graph_ref`, with versions and timestamps read on `current_branch`.
    pub async fn snapshot_at(
        &self,
        current_branch: &str,
        graph_ref: &GraphRef,
    ) -> Result<Snapshot> {
        match graph_ref {
            GraphRef::Branch(b) => self.snapshot(b).await,
            GraphRef::Version(v) => self.snapshot_at_version(current_branch, *v).await,
            GraphRef::Commit(id) => {
                let commit = self.find_commit(current_branch, id).await?;
                let unreadable = |why: String| {
                    Error::UnknownRef(format!(
                        "{id} (made on branch '{}', which {why})",
                        commit.branch
                    ))
                };
                let snapshot = self
                    .snapshot_at_version(&commit.branch, commit.graph_version)
                    .await
                    .map_err(|e| match e {
                        removed @ Error::VersionRemoved { .. } => removed,
                        e => unreadable(format!("cannot be read: {e}")),
                    })?;
                // A deleted and recreated branch reuses version numbers: never return
                // another commit's state.
                if snapshot.head_commit() != Some(id.as_str()) {
                    return Err(unreadable(format!(
                        "no longer holds it at version {}",
                        commit.graph_version
                    )));
                }
                Ok(snapshot)
            }
            GraphRef::Timestamp(ts) => {
                let commits = self.first_parent_history(current_branch).await?;
                let micros = ts.timestamp_micros();
                let Some(c) = commits
                    .iter()
                    .filter(|c| c.committed_at_micros <= micros)
                    .max_by_key(|c| (c.committed_at_micros, c.graph_version))
                else {
                    return Err(Error::UnknownRef(format!(
                        "{} (before the first commit of branch '{current_branch}')",
                        ts.to_rfc3339()
                    )));
                };
                self.snapshot_at_version(&c.branch, c.graph_version).await
            }
        }
    }

    /// Resolves a ref from text in one step.
    pub async fn snapshot_at_text(&self, current_branch: &str, text: &str) -> Result<Snapshot> {
        let r = self.parse_ref(text).await?;
        self.snapshot_at(current_branch, &r).await
    }
}
