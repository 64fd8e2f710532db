//! `FOR SYSTEM_TIME AS OF <ref>` on graph tables, planned by a DataFusion relation planner.
//!
//! DataFusion's default planner ignores version clauses (a silently-latest read), so every
//! versioned table factor is intercepted here: graph tables get a fixed-snapshot provider,
//! anything else is an error.

use std::sync::Arc;

use datafusion::common::{DFSchema, plan_err};
use datafusion::datasource::provider_as_source;
use datafusion::logical_expr::planner::{
    PlannedRelation, RelationPlanner, RelationPlannerContext, RelationPlanning,
};
use datafusion::logical_expr::{Expr, LogicalPlanBuilder};
use datafusion::sql::sqlparser::ast::{TableFactor, TableVersion};

use crate::catalog::{PUBLIC_SCHEMA, SYSTEM_SCHEMA};
use crate::context::GraphContext;
use crate::error::DfResult;
use crate::functions::args::literal_text;
use crate::functions::as_of::as_of_table;

#[derive(Debug)]
pub struct AsOfRelationPlanner {
    ctx: Arc<GraphContext>,
}

impl AsOfRelationPlanner {
    pub fn new(ctx: Arc<GraphContext>) -> Self {
        AsOfRelationPlanner { ctx }
    }
}

/// The ref text of a version clause value: a string, an integer or a typed literal.
fn ref_text(expr: &Expr) -> DfResult<String> {
    match expr {
        Expr::Literal(v, _) => match literal_text(v) {
            Some(text) => Ok(text),
            None => plan_err!("AS OF needs a branch, commit id, version or timestamp, got {v}"),
        },
        Expr::Cast(c) => ref_text(&c.expr),
        Expr::TryCast(c) => ref_text(&c.expr),
        other => plan_err!(
            "AS OF needs a literal (a branch, commit id, version or timestamp), got {other}"
        ),
    }
}

impl RelationPlanner for AsOfRelationPlanner {
    fn plan_relation(
        &self,
        relation: TableFactor,
        context: &mut dyn RelationPlannerContext,
    ) -> DfResult<RelationPlanning> {
        let TableFactor::Table {
            name,
            alias,
            version: Some(version),
            args: None,
            ..
        } = relation
        else {
            return Ok(RelationPlanning::Original(Box::new(relation)));
        };
        let value = match version {
            TableVersion::ForSystemTimeAsOf(e)
            | TableVersion::TimestampAsOf(e)
            | TableVersion::VersionAsOf(e) => e,
            other => {
                return plan_err!(
                    "unsupported version clause '{other}' (use FOR SYSTEM_TIME AS OF <ref>)"
                );
            }
        };
        let reference = ref_text(&context.sql_to_expr(value, &DFSchema::empty())?)?;
        let table_ref = context.object_name_to_table_reference(name)?;
        let current = self.ctx.settings().branch;
        let branch = match table_ref.schema() {
            None | Some(PUBLIC_SCHEMA) => current,
            Some(SYSTEM_SCHEMA) => {
                return plan_err!("system tables have no history; AS OF applies to graph tables");
            }
            Some(branch) => branch.to_string(),
        };
        let provider = as_of_table(&self.ctx, &branch, table_ref.table(), &reference)?;
        let plan = LogicalPlanBuilder::scan(table_ref.clone(), provider_as_source(provider), None)?
            .build()?;
        Ok(RelationPlanning::Planned(Box::new(PlannedRelation::new(
            plan, alias,
        ))))
    }
}
