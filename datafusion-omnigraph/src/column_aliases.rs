//! A table alias that names fewer columns than its relation has (`FROM company AS c(x, y)`
//! of a three-column table): PostgreSQL renames the first columns and keeps the others'
//! names, where DataFusion refuses the alias. The relation is planned without its column
//! names, and the alias given back with the remaining columns' own names appended.

use datafusion::logical_expr::planner::{
    PlannedRelation, RelationPlanner, RelationPlannerContext, RelationPlanning,
};
use datafusion::sql::sqlparser::ast::{Ident, TableAlias, TableAliasColumnDef, TableFactor};

use crate::error::DfResult;

#[derive(Debug, Default)]
pub struct PartialColumnAliases;

impl RelationPlanner for PartialColumnAliases {
    fn plan_relation(
        &self,
        mut relation: TableFactor,
        context: &mut dyn RelationPlannerContext,
    ) -> DfResult<RelationPlanning> {
        let alias = match &mut relation {
            TableFactor::Table { alias, .. } | TableFactor::Derived { alias, .. } => alias,
            _ => return Ok(RelationPlanning::Original(Box::new(relation))),
        };
        let Some(named) = alias.take_if(|a| !a.columns.is_empty()) else {
            return Ok(RelationPlanning::Original(Box::new(relation)));
        };
        let plan = context.plan(relation)?;
        let mut columns = named.columns.clone();
        for field in plan.schema().fields().iter().skip(columns.len()) {
            columns.push(TableAliasColumnDef {
                name: Ident::with_quote('"', field.name()),
                data_type: None,
            });
        }
        let alias = TableAlias { columns, ..named };
        Ok(RelationPlanning::Planned(Box::new(PlannedRelation::new(
            plan,
            Some(alias),
        ))))
    }
}
