//! `FOR SYSTEM_TIME AS OF <ref>` on graph tables, planned by a DataFusion relation planner.
//!
//! DataFusion's default planner ignores version clauses (a silently-latest read), so every
//! versioned table factor is intercepted here: graph tables get a fixed-snapshot provider,
//! anything else is an error.

use std::sync::Arc;

use datafusion::common::DFSchema;
use datafusion::datasource::provider_as_source;
use datafusion::logical_expr::planner::{
    PlannedRelation, RelationPlanner, RelationPlannerContext, RelationPlanning,
};
use datafusion::logical_expr::{Expr, LogicalPlanBuilder};
use datafusion::sql::sqlparser::ast::{TableFactor, TableVersion};

use crate::catalog::{PUBLIC_SCHEMA, SYSTEM_SCHEMA};
use crate::context::GraphContext;
use crate::error::{DfResult, to_df};
use crate::functions::args::{invalid, literal_text};
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

/// A clause this planner does not handle (SQLSTATE 0A000 over SQL).
fn not_supported(message: String) -> datafusion::error::DataFusionError {
    to_df(omnigraph_engine::Error::NotSupported(message))
}

/// The ref text of a version clause value: a string, an integer or a typed literal.
fn ref_text(expr: &Expr) -> DfResult<String> {
    match expr {
        Expr::Literal(v, _) => match literal_text(v) {
            Some(text) => Ok(text),
            None => Err(invalid(format!(
                "AS OF needs a branch, commit id, version or timestamp, got {v}"
            ))),
        },
        Expr::Cast(c) => ref_text(&c.expr),
        Expr::TryCast(c) => ref_text(&c.expr),
        other => Err(invalid(format!(
            "AS OF needs a literal (a branch, commit id, version or timestamp), got {other}"
        ))),
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
                return Err(not_supported(format!(
                    "version clause '{other}' (use FOR SYSTEM_TIME AS OF <ref>)"
                )));
            }
        };
        let reference = ref_text(&context.sql_to_expr(value, &DFSchema::empty())?)?;
        let table_ref = context.object_name_to_table_reference(name)?;
        let current = self.ctx.branch();
        let branch = match table_ref.schema() {
            None | Some(PUBLIC_SCHEMA) => current,
            Some(SYSTEM_SCHEMA) => {
                return Err(not_supported(
                    "AS OF on system tables, which have no history (AS OF applies to graph tables)"
                        .to_string(),
                ));
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
