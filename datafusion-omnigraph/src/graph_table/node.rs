//! [`GraphMatchNode`]: one path pattern as a logical plan node. Its inputs are the
//! queries of its element filters (planned, optimised and parameterised like any other
//! part of the statement); its output is one row per match: each variable's id (and
//! label, when it may have several), and the path's parts for a path variable.

use std::fmt;
use std::sync::Arc;

use datafusion::common::DFSchemaRef;
use datafusion::logical_expr::{Expr, LogicalPlan, UserDefinedLogicalNodeCore};

use super::spec::{PathSpec, SpecFactor};
use crate::error::DfResult;

/// Which graph version a pattern reads.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum GraphVersion {
    /// The statement's snapshot (session branch, `omnigraph.as_of`).
    Current,
    /// `FOR SYSTEM_TIME AS OF <reference>`, resolved on `branch`.
    At { branch: String, reference: String },
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct GraphMatchNode {
    pub version: GraphVersion,
    pub spec: Arc<PathSpec>,
    pub inputs: Vec<LogicalPlan>,
    /// Id lists written in the pattern (`x.id = $1`): constant expressions.
    pub id_lists: Vec<Vec<Expr>>,
    pub schema: DFSchemaRef,
}

impl PartialOrd for GraphMatchNode {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        (self == other).then_some(std::cmp::Ordering::Equal)
    }
}

impl GraphMatchNode {
    /// The pattern as EXPLAIN shows it.
    fn describe(&self) -> String {
        let mut out = String::new();
        for f in &self.spec.factors {
            match f {
                SpecFactor::Node { slot, tables, .. } => {
                    let var = slot
                        .map(|s| self.spec.slots[s as usize].variable.clone())
                        .unwrap_or_default();
                    out.push_str(&format!("({var}:{})", tables.join("|")));
                }
                SpecFactor::Edge {
                    slot,
                    tables,
                    direction,
                    ..
                } => {
                    let var = slot
                        .map(|s| self.spec.slots[s as usize].variable.clone())
                        .unwrap_or_default();
                    let (l, r) = match direction {
                        omnigraph_engine::Direction::Out => ("-", "->"),
                        omnigraph_engine::Direction::In => ("<-", "-"),
                        omnigraph_engine::Direction::Both => ("-", "-"),
                    };
                    out.push_str(&format!("{l}[{var}:{}]{r}", tables.join("|")));
                }
                SpecFactor::BeginRepeat { .. } => out.push('('),
                SpecFactor::EndRepeat => out.push(')'),
            }
        }
        out
    }
}

impl UserDefinedLogicalNodeCore for GraphMatchNode {
    fn name(&self) -> &str {
        "GraphMatch"
    }

    fn inputs(&self) -> Vec<&LogicalPlan> {
        self.inputs.iter().collect()
    }

    fn schema(&self) -> &DFSchemaRef {
        &self.schema
    }

    fn expressions(&self) -> Vec<Expr> {
        self.id_lists.iter().flatten().cloned().collect()
    }

    fn fmt_for_explain(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(
            f,
            "GraphMatch: {} {:?} {:?}",
            self.describe(),
            self.spec.selector,
            self.spec.mode
        )
    }

    fn with_exprs_and_inputs(&self, exprs: Vec<Expr>, inputs: Vec<LogicalPlan>) -> DfResult<Self> {
        let mut exprs = exprs.into_iter();
        let id_lists = self
            .id_lists
            .iter()
            .map(|list| exprs.by_ref().take(list.len()).collect())
            .collect();
        Ok(GraphMatchNode {
            version: self.version.clone(),
            spec: self.spec.clone(),
            inputs,
            id_lists,
            schema: self.schema.clone(),
        })
    }
}
