//! Creating and deleting branches of the whole graph.

use std::sync::Arc;

use super::branches::BranchInfo;
use super::handle::Graph;
use super::names::{MAIN_BRANCH, is_fork_of, validate_branch_name};
use crate::error::{Error, Result};
use crate::storage;

impl Graph {
    /// Validates a name for a new branch of this graph: the engine's rules
    /// ([`validate_branch_name`]) and the names reserved with [`Graph::reserve_names`].
    pub fn validate_branch_name(&self, name: &str) -> Result<()> {
        validate_branch_name(name)?;
        let lower = name.to_ascii_lowercase();
        if self.reserved_names().contains(&lower) {
            return Err(Error::InvalidBranchName {
                name: name.to_string(),
                reason: "the name is reserved".to_string(),
            });
        }
        Ok(())
    }

    /// Creates branch `name` of the whole graph from `from` (default: head of `main`);
    /// versions and timestamps in `from` are read on `main`.
    ///
    /// Only the manifest is branched; each table forks lazily on its first write.
    pub async fn create_branch(&self, name: &str, from: Option<&str>) -> Result<BranchInfo> {
        self.create_branch_on(name, from, MAIN_BRANCH).await
    }

    /// Like [`Graph::create_branch`], reading versions and timestamps in `from` on
    /// `current_branch` (and defaulting to its head).
    pub async fn create_branch_on(
        &self,
        name: &str,
        from: Option<&str>,
        current_branch: &str,
    ) -> Result<BranchInfo> {
        self.validate_branch_name(name)?;
        self.create_branch_unchecked(name, from, current_branch)
            .await
    }

    pub(super) async fn create_branch_unchecked(
        &self,
        name: &str,
        from: Option<&str>,
        current_branch: &str,
    ) -> Result<BranchInfo> {
        self.require_writable()?;
        let _guard = self.inner.write_lock.lock().await;
        if self.branch_exists(name).await? {
            return Err(Error::BranchExists(name.to_string()));
        }
        let source = match from {
            None => self.snapshot(current_branch).await?,
            Some(text) => self.snapshot_at_text(current_branch, text).await?,
        };
        let source_manifest = self.manifest_at(source.branch(), source.version()).await?;
        let mut handle = (*source_manifest).clone();
        let fork_from = (source.branch(), source.version());
        let created = match handle.create_branch(name, fork_from, None).await {
            Ok(ds) => ds,
            Err(_)
                if !crate::storage::branch_refs(&handle)
                    .await?
                    .contains_key(name) =>
            {
                // A crash inside an earlier create_branch can leave a zombie dataset with
                // no branch record: it is not a branch we know, so reclaim the name.
                handle.force_delete_branch(name).await?;
                handle.create_branch(name, fork_from, None).await?
            }
            Err(e) => return Err(e.into()),
        };
        self.remember_head(name, Arc::new(created));
        // The new branch's first version is the source version, rows and addresses
        // alike: its first snapshot reads nothing back.
        self.remember_state(name, Arc::new(source.state().clone()));
        // Its commits are the source's at that version. (Only at exactly that version:
        // fragment ids are not unique across branches, so another version's fragments
        // do not tell which commits the new branch has.)
        if from.is_none() {
            self.commit_records(source.branch()).await?;
        }
        if let Some(log) = self
            .commit_log(source.branch())
            .filter(|log| log.version == source.version())
        {
            self.remember_commit_log(name, log);
        }
        Ok(BranchInfo {
            name: name.to_string(),
            head_commit: source.head_commit().map(str::to_string),
            head_version: source.version(),
            created_from: Some(format!("{}@{}", source.branch(), source.version())),
        })
    }

    /// Deletes branch `name` and the table forks that only it used.
    pub async fn delete_branch(&self, name: &str) -> Result<()> {
        self.require_writable()?;
        if name == MAIN_BRANCH {
            return Err(Error::CannotDeleteMain);
        }
        let _guard = self.inner.write_lock.lock().await;
        let main = self.manifest_head(MAIN_BRANCH).await?;
        let listed = crate::storage::branch_refs(&main).await?;
        if !listed.contains_key(name) {
            return Err(Error::UnknownBranch(name.to_string()));
        }
        let children: Vec<&String> = listed
            .iter()
            .filter(|(_, c)| c.parent_branch.as_deref() == Some(name))
            .map(|(n, _)| n)
            .collect();
        if !children.is_empty() {
            let mut names: Vec<&str> = children.iter().map(|s| s.as_str()).collect();
            names.sort();
            return Err(Error::InvalidArgument(format!(
                "branch '{name}' cannot be deleted while branches created from it exist ({}); delete those first",
                names.join(", ")
            )));
        }
        let snapshot = self.snapshot(name).await?;
        // The manifest branch is the authority: once it is gone the table forks are
        // unreferenced, and a crash before they are removed leaves only reclaimable forks.
        let mut handle = (*main).clone();
        handle.delete_branch(name).await?;
        self.forget_branch(name);
        for entry in snapshot.table_entries() {
            if entry
                .lance_branch
                .as_deref()
                .is_some_and(|lb| is_fork_of(lb, name))
            {
                let mut table =
                    storage::open_dataset(self.session(), &self.table_uri(&entry.path), None, None)
                        .await?;
                let fork = entry.lance_branch.as_deref().expect("checked above");
                let _refs = self.table_store().fork_refs.lock().await;
                match table.force_delete_branch(fork).await {
                    Ok(())
                    | Err(lance::Error::RefNotFound { .. })
                    | Err(lance::Error::NotFound { .. }) => {}
                    Err(e) => return Err(e.into()),
                }
            }
        }
        Ok(())
    }
}
