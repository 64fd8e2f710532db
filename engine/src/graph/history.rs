//! The commit history of a branch.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use super::handle::{CommitLog, Graph};
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
    ///
    /// Commit rows are only ever appended, so the commits of a branch read before are
    /// kept with the manifest fragments they came from, and a later call reads only the
    /// fragments published since (all of them again after the manifest was compacted).
    pub async fn commits(&self, branch: &str) -> Result<Vec<CommitRecord>> {
        Ok(self
            .commit_records(branch)
            .await?
            .iter()
            .map(|c| (**c).clone())
            .collect())
    }

    /// [`Graph::commits`], shared with the cache instead of copied.
    pub(crate) async fn commit_records(&self, branch: &str) -> Result<Arc<[Arc<CommitRecord>]>> {
        let manifest = self.manifest_head(branch).await?;
        let known = self.commit_log(branch);
        let fragments: BTreeSet<u64> = manifest.manifest.fragments.iter().map(|f| f.id).collect();
        let log = match known {
            Some(log) if log.version == manifest.version_id() => return Ok(log.records),
            Some(log) if log.fragments.is_subset(&fragments) => {
                let new: Vec<_> = manifest
                    .manifest
                    .fragments
                    .iter()
                    .filter(|f| !log.fragments.contains(&f.id))
                    .cloned()
                    .collect();
                let mut records = log.records.to_vec();
                records.extend(
                    manifest::read_commits_in(&manifest, Some(new))
                        .await?
                        .into_iter()
                        .map(Arc::new),
                );
                manifest::sort_commits(&mut records);
                CommitLog {
                    version: manifest.version_id(),
                    fragments,
                    records: records.into(),
                }
            }
            _ => CommitLog {
                version: manifest.version_id(),
                fragments,
                records: manifest::read_commits(&manifest)
                    .await?
                    .into_iter()
                    .map(Arc::new)
                    .collect(),
            },
        };
        let records = log.records.clone();
        self.remember_commit_log(branch, log);
        Ok(records)
    }
}
