//! The branches of a graph: listing them and testing for one.

use super::handle::Graph;
use super::names::{MAIN_BRANCH, TRANSACTION_PREFIX};
use crate::error::Result;

/// A branch of the whole graph.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BranchInfo {
    pub name: String,
    pub head_commit: Option<String>,
    pub head_version: u64,
    /// `branch@version` this branch was created from; `None` for `main`.
    pub created_from: Option<String>,
}

impl Graph {
    pub async fn branch_exists(&self, name: &str) -> Result<bool> {
        if name == MAIN_BRANCH {
            return Ok(true);
        }
        let main = self.manifest_head(MAIN_BRANCH).await?;
        Ok(crate::storage::branch_refs(&main).await?.contains_key(name))
    }

    /// Branch names, `main` first, then by name (one listing, no per-branch reads).
    pub async fn branch_names(&self) -> Result<Vec<String>> {
        let main = self.manifest_head(MAIN_BRANCH).await?;
        let mut names: Vec<String> = crate::storage::branch_refs(&main)
            .await?
            .into_keys()
            .filter(|n| !n.starts_with(TRANSACTION_PREFIX))
            .collect();
        names.sort();
        names.insert(0, MAIN_BRANCH.to_string());
        Ok(names)
    }

    /// Every branch, `main` first, then by name.
    pub async fn branches(&self) -> Result<Vec<BranchInfo>> {
        let main = self.manifest_head(MAIN_BRANCH).await?;
        let mut listed: Vec<_> = crate::storage::branch_refs(&main)
            .await?
            .into_iter()
            .filter(|(n, _)| !n.starts_with(TRANSACTION_PREFIX))
            .collect();
        listed.sort_by(|a, b| a.0.cmp(&b.0));
        let mut out = Vec::with_capacity(listed.len() + 1);
        let main_state = self.state_of(MAIN_BRANCH, &main).await?;
        out.push(BranchInfo {
            name: MAIN_BRANCH.to_string(),
            head_commit: main_state.0.head_commit.clone(),
            head_version: main.version_id(),
            created_from: None,
        });
        for (name, contents) in listed {
            let Ok(head) = self.manifest_head(&name).await else {
                continue;
            };
            let state = self.state_of(&name, &head).await?;
            out.push(BranchInfo {
                name: name.clone(),
                head_commit: state.0.head_commit.clone(),
                head_version: head.version_id(),
                created_from: Some(format!(
                    "{}@{}",
                    contents.parent_branch.as_deref().unwrap_or(MAIN_BRANCH),
                    contents.parent_version
                )),
            });
        }
        Ok(out)
    }
}
