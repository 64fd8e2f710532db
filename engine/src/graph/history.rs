//! The commit history of a branch.

use std::collections::HashMap;

use super::handle::Graph;
use crate::error::{Error, Result};
use crate::manifest::{self, CommitRecord};

impl Graph {
    /// Commit `id`, looked up in the history of `branch` first, then of every branch.
    pub(super) async fn find_commit(&self, branch: &str, id: &str) -> Result<CommitRecord> {
        let mut candidates = self.commits(branch).await?;
        if !candidates.iter().any(|c| c.commit_id == id) {
            for b in self.branches().await? {
                if b.name != branch {
                    candidates.extend(self.commits(&b.name).await?);
                }
            }
        }
        candidates
            .into_iter()
            .find(|c| c.commit_id == id)
            .ok_or_else(|| Error::UnknownRef(id.to_string()))
    }

    /// The states `branch` has been in: its head commit and its first parents, newest
    /// first. Commits a merge brought in from another branch are not states of this one.
    pub async fn first_parent_history(&self, branch: &str) -> Result<Vec<CommitRecord>> {
        let snapshot = self.snapshot(branch).await?;
        let commits = self.commits(branch).await?;
        let by_id: HashMap<&str, &CommitRecord> =
            commits.iter().map(|c| (c.commit_id.as_str(), c)).collect();
        let mut out = Vec::new();
        let mut next = snapshot.head_commit().map(str::to_string);
        while let Some(id) = next {
            let Some(c) = by_id.get(id.as_str()) else {
                break;
            };
            out.push((*c).clone());
            next = c.parents.first().cloned();
        }
        Ok(out)
    }

    /// Commits visible from the head of `branch`, oldest first.
    pub async fn commits(&self, branch: &str) -> Result<Vec<CommitRecord>> {
        let manifest = self.manifest_head(branch).await?;
        manifest::read_commits(&manifest).await
    }
}
