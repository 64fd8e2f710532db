//! Table compaction: which fragments to rewrite together, rewriting them (files only, no
//! commit), and the `Rewrite` transaction that swaps them in under the commit protocol.
//!
//! Lance's own `compact_files` is not used: it commits two versions through Lance's
//! rebasing path, outside the graph's compare-and-swap, and its planner never merges
//! fragments that different index segments cover (the engine's uncovered tail always is).

use lance::Dataset;
use lance::dataset::optimize::{CompactionOptions, CompactionTask, TaskData};
use lance::dataset::transaction::{Operation, RewriteGroup, Transaction};
use lance_table::format::Fragment;

use crate::error::{Error, Result};

/// Rows a compacted fragment holds at most (Lance's default target).
pub const TARGET_ROWS_PER_FRAGMENT: u64 = 1024 * 1024;

/// Live rows of a fragment (physical rows less its deletions).
fn live_rows(f: &Fragment) -> u64 {
    let physical = f.physical_rows.unwrap_or(0) as u64;
    let deleted = f
        .deletion_file
        .as_ref()
        .and_then(|d| d.num_deleted_rows)
        .unwrap_or(0) as u64;
    physical.saturating_sub(deleted)
}

/// Whether a fragment is worth rewriting: it is smaller than the target, or it has
/// deleted rows (compaction drops them).
fn is_candidate(f: &Fragment) -> bool {
    (f.physical_rows.unwrap_or(0) as u64) < TARGET_ROWS_PER_FRAGMENT || f.deletion_file.is_some()
}

/// Groups of adjacent fragments of `ds` to rewrite together, each holding at most
/// [`TARGET_ROWS_PER_FRAGMENT`] live rows. A group of one fragment without deletions
/// would rewrite it unchanged, so it is left out. Adjacent only, so rows keep their order.
pub(crate) fn plan(ds: &Dataset) -> Vec<Vec<Fragment>> {
    let mut groups: Vec<Vec<Fragment>> = Vec::new();
    let mut current: Vec<Fragment> = Vec::new();
    let mut rows = 0;
    let mut close = |current: &mut Vec<Fragment>, rows: &mut u64| {
        let worth = current.len() > 1 || current.iter().any(|f| f.deletion_file.is_some());
        if worth {
            groups.push(std::mem::take(current));
        } else {
            current.clear();
        }
        *rows = 0;
    };
    for f in ds.manifest.fragments.iter() {
        if !is_candidate(f) {
            close(&mut current, &mut rows);
            continue;
        }
        let live = live_rows(f);
        if !current.is_empty() && rows + live > TARGET_ROWS_PER_FRAGMENT {
            close(&mut current, &mut rows);
        }
        rows += live;
        current.push(f.clone());
    }
    close(&mut current, &mut rows);
    groups
}

/// How much of a table a compaction takes on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CompactionStyle {
    /// Every fragment below the target size or with deletions (`CALL optimize`).
    Full,
    /// Only the newest fragments, folded size-tiered: a run of the newest fragments takes
    /// an older one while it holds at most twice the rows gathered so far. Each row is
    /// rewritten a logarithmic number of times however often the table is written, so it
    /// suits automatic maintenance after small commits.
    Tiered,
}

/// [`plan`] for `style`.
pub(crate) fn plan_styled(ds: &Dataset, style: CompactionStyle) -> Vec<Vec<Fragment>> {
    match style {
        CompactionStyle::Full => plan(ds),
        CompactionStyle::Tiered => plan_tiered(ds),
    }
}

fn plan_tiered(ds: &Dataset) -> Vec<Vec<Fragment>> {
    let mut run: Vec<Fragment> = Vec::new();
    let mut rows = 0;
    for f in ds.manifest.fragments.iter().rev() {
        let live = live_rows(f);
        if !is_candidate(f) || (!run.is_empty() && live > 2 * rows.max(1)) {
            break;
        }
        rows += live;
        run.push(f.clone());
    }
    run.reverse();
    if run.len() > 1 { vec![run] } else { Vec::new() }
}

/// Writes the rewritten fragments of each group (new data files under the table, no
/// commit). The result's fragments have no ids yet; [`rewrite_txn`] assigns them.
pub(crate) async fn rewrite(ds: &Dataset, groups: Vec<Vec<Fragment>>) -> Result<Vec<RewriteGroup>> {
    let options = CompactionOptions {
        target_rows_per_fragment: TARGET_ROWS_PER_FRAGMENT as usize,
        // Nothing is remapped: address-domain segments lose the rewritten fragments and
        // the commit's index step covers them again.
        has_eager_remappable_index: Some(false),
        ..Default::default()
    };
    let mut out = Vec::with_capacity(groups.len());
    for fragments in groups {
        let task = CompactionTask {
            task: TaskData { fragments },
            read_version: ds.version_id(),
            options: options.clone(),
        };
        let result = task.execute(ds).await?;
        out.push(RewriteGroup {
            old_fragments: result.original_fragments,
            new_fragments: result.new_fragments,
        });
    }
    Ok(out)
}

/// Whether every fragment `groups` rewrites is still in `ds` exactly as it was rewritten
/// from (same files, same deletions): only then do the new fragments hold its live rows.
pub(crate) fn still_applies(ds: &Dataset, groups: &[RewriteGroup]) -> bool {
    groups.iter().flat_map(|g| &g.old_fragments).all(|old| {
        ds.manifest
            .fragments
            .iter()
            .any(|f| f.id == old.id && f.files == old.files && f.deletion_file == old.deletion_file)
    })
}

/// The `Rewrite` transaction of `groups` on `ds`'s version, with fresh fragment ids (a
/// rewrite must name its new fragments before it commits; ids are never reused).
pub(crate) fn rewrite_txn(
    ds: &Dataset,
    mut groups: Vec<RewriteGroup>,
    what: &str,
) -> Result<Transaction> {
    if !still_applies(ds, &groups) {
        return Err(Error::Conflict(format!(
            "{what}: a concurrent commit changed fragments that optimize rewrote"
        )));
    }
    let first = ds.manifest.max_fragment_id().map_or(0, |m| m + 1);
    let new_fragments = groups.iter_mut().flat_map(|g| g.new_fragments.iter_mut());
    for (id, fragment) in (first..).zip(new_fragments) {
        fragment.id = id;
    }
    Ok(Transaction::new(
        ds.version_id(),
        Operation::Rewrite {
            groups,
            rewritten_indices: vec![],
            frag_reuse_index: None,
        },
        None,
    ))
}
