//! The merge base of two branch heads: their lowest common ancestor in the commit DAG.

use std::collections::{HashMap, HashSet, VecDeque};

use crate::error::{Error, Result};
use crate::manifest::CommitRecord;

/// The commit graph known from two branches' histories (borrowed: building it copies no
/// commit).
pub(crate) struct CommitGraph<'a> {
    commits: HashMap<&'a str, &'a CommitRecord>,
}

impl<'a> CommitGraph<'a> {
    pub(crate) fn new(histories: impl IntoIterator<Item = &'a CommitRecord>) -> Self {
        let mut commits = HashMap::new();
        for c in histories {
            commits.entry(c.commit_id.as_str()).or_insert(c);
        }
        CommitGraph { commits }
    }

    /// `start` and every commit reachable through parents.
    pub(crate) fn ancestors<'s>(&'s self, start: &'s str) -> HashSet<&'s str> {
        self.reach(std::iter::once(start))
    }

    fn reach<'s>(&'s self, starts: impl Iterator<Item = &'s str>) -> HashSet<&'s str> {
        let mut seen: HashSet<&str> = HashSet::new();
        let mut queue: VecDeque<&str> = starts.collect();
        while let Some(id) = queue.pop_front() {
            if !seen.insert(id) {
                continue;
            }
            if let Some(c) = self.commits.get(id) {
                queue.extend(
                    c.parents
                        .iter()
                        .map(String::as_str)
                        .filter(|p| !seen.contains(p)),
                );
            }
        }
        seen
    }

    /// The best common ancestors of `a` and `b`: common ancestors that are not ancestors of
    /// another common ancestor. Criss-cross histories have several; the most recent is
    /// returned first.
    pub(crate) fn merge_bases(&self, a: &str, b: &str) -> Vec<&'a CommitRecord> {
        let of_a = self.ancestors(a);
        let of_b = self.ancestors(b);
        let common: Vec<&str> = of_a.intersection(&of_b).copied().collect();
        let dominated = self.reach(
            common
                .iter()
                .filter_map(|id| self.commits.get(id))
                .flat_map(|c| c.parents.iter().map(String::as_str)),
        );
        let mut best: Vec<&'a CommitRecord> = common
            .into_iter()
            .filter(|id| !dominated.contains(id))
            .filter_map(|id| self.commits.get(id).copied())
            .collect();
        best.sort_by(|x, y| {
            (y.committed_at_micros, y.graph_version, &y.commit_id).cmp(&(
                x.committed_at_micros,
                x.graph_version,
                &x.commit_id,
            ))
        });
        best
    }

    /// The merge base of `a` and `b`.
    pub(crate) fn merge_base(&self, a: &str, b: &str) -> Result<&'a CommitRecord> {
        self.merge_bases(a, b).into_iter().next().ok_or_else(|| {
            Error::MergeRefused(format!(
                "commits {a} and {b} have no common ancestor in the known history"
            ))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn commit(id: &str, parents: &[&str], at: i64) -> CommitRecord {
        CommitRecord {
            commit_id: id.to_string(),
            parents: parents.iter().map(|p| p.to_string()).collect(),
            branch: "main".into(),
            graph_version: at as u64,
            actor: "t".into(),
            message: String::new(),
            committed_at_micros: at,
        }
    }

    #[test]
    fn linear_and_forked_histories() {
        let commits = [
            commit("r", &[], 1),
            commit("a", &["r"], 2),
            commit("b", &["a"], 3),
            commit("x", &["a"], 4),
        ];
        let g = CommitGraph::new(&commits);
        assert_eq!(g.merge_base("b", "x").unwrap().commit_id, "a");
        assert_eq!(g.merge_base("b", "a").unwrap().commit_id, "a");
        assert_eq!(g.merge_base("r", "x").unwrap().commit_id, "r");
    }

    #[test]
    fn after_an_earlier_merge_the_base_moves_to_the_merged_head() {
        // main: r - m1 - M(m1, f1) - m2 ; feature: r - f1 - f2
        let commits = [
            commit("r", &[], 1),
            commit("m1", &["r"], 2),
            commit("f1", &["r"], 3),
            commit("M", &["m1", "f1"], 4),
            commit("m2", &["M"], 5),
            commit("f2", &["f1"], 6),
        ];
        let g = CommitGraph::new(&commits);
        assert_eq!(g.merge_base("m2", "f2").unwrap().commit_id, "f1");
    }

    #[test]
    fn criss_cross_has_two_bases_and_picks_the_latest() {
        // a1, b1 fork from r; A = merge(a1, b1) on a; B = merge(b1, a1) on b.
        let commits = [
            commit("r", &[], 1),
            commit("a1", &["r"], 2),
            commit("b1", &["r"], 3),
            commit("A", &["a1", "b1"], 4),
            commit("B", &["b1", "a1"], 5),
        ];
        let g = CommitGraph::new(&commits);
        let bases: Vec<&str> = g
            .merge_bases("A", "B")
            .iter()
            .map(|c| c.commit_id.as_str())
            .collect();
        assert_eq!(bases, vec!["b1", "a1"]);
    }
}
