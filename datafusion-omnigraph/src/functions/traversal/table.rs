//! A traversal call as a table: its schema, and the plan that expands its starts.

use std::sync::Arc;

use async_trait::async_trait;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::catalog::{Session, TableFunctionArgs, TableFunctionImpl, TableProvider};
use datafusion::common::exec_err;
use datafusion::execution::SessionState;
use datafusion::logical_expr::{Expr, LogicalPlan, TableType};
use datafusion::physical_plan::ExecutionPlan;
use datafusion::sql::parser::DFParser;
use omnigraph_engine::schema::TableDef;
use omnigraph_engine::{Direction, Side};

use crate::context::{GraphContext, SnapshotSelector};
use crate::dialect::OmniGraphDialect;
use crate::error::{DfResult, to_df};
use crate::functions::args::invalid;
use crate::statement_context::StatementContext;

use super::call::{Starts, TraversalCall, Walk};
use super::exec::TraversalExec;

#[derive(Debug)]
pub struct TraversalFunction {
    ctx: Arc<GraphContext>,
    name: &'static str,
}

impl TraversalFunction {
    pub fn new(ctx: Arc<GraphContext>, name: &'static str) -> Self {
        TraversalFunction { ctx, name }
    }
}

impl TableFunctionImpl for TraversalFunction {
    fn call_with_args(&self, args: TableFunctionArgs) -> DfResult<Arc<dyn TableProvider>> {
        let call = TraversalCall::parse(self.name, args.exprs())?;
        Ok(Arc::new(TraversalTable {
            ctx: self.ctx.clone(),
            call,
            start_plan: tokio::sync::OnceCell::new(),
        }))
    }
}

/// A traversal call as a table. A start query is planned once, with the statement that
/// holds it ([`crate::nested::plan_nested_statements`]), so what it does is part of
/// what the statement does when its privilege is decided.
#[derive(Debug)]
pub struct TraversalTable {
    ctx: Arc<GraphContext>,
    call: TraversalCall,
    start_plan: tokio::sync::OnceCell<LogicalPlan>,
}

impl TraversalTable {
    /// The start query's text, when the starts come from a query.
    pub fn start_query(&self) -> Option<&str> {
        match &self.call.starts {
            Starts::Query(sql) => Some(sql),
            Starts::Id(_) => None,
        }
    }

    /// The start query's plan, once planned.
    pub fn start_plan(&self) -> Option<&LogicalPlan> {
        self.start_plan.get()
    }

    /// Plans the start query on the statement's `state` (once); `None` without one.
    pub async fn plan_start_query(&self, state: &SessionState) -> DfResult<Option<&LogicalPlan>> {
        let Some(sql) = self.start_query() else {
            return Ok(None);
        };
        let function = self.call.function;
        let plan = self
            .start_plan
            .get_or_try_init(|| async {
                // The same dialect as the statement, so the start query may use AS OF too.
                let mut statements =
                    DFParser::parse_sql_with_dialect(sql, &OmniGraphDialect::default())?;
                if statements.len() != 1 {
                    return Err(invalid(format!(
                        "{function}(): the start query must be one SELECT"
                    )));
                }
                let statement = statements.pop_front().expect("one statement");
                let plan = state.statement_to_plan(statement).await?;
                if matches!(
                    plan,
                    LogicalPlan::Dml(_)
                        | LogicalPlan::Ddl(_)
                        | LogicalPlan::Statement(_)
                        | LogicalPlan::Copy(_)
                ) {
                    return Err(invalid(format!(
                        "{function}(): the start query must be a SELECT"
                    )));
                }
                if plan.schema().fields().is_empty() {
                    return Err(invalid(format!(
                        "{function}(): the start query returns no columns"
                    )));
                }
                Ok(plan)
            })
            .await?;
        Ok(Some(plan))
    }
}

/// Where an id may be, for a walk leaving it in `direction`: (node table, side).
fn start_sides(
    edge: &omnigraph_engine::schema::EdgeType,
    direction: Direction,
) -> Vec<(String, Side)> {
    match direction {
        Direction::Out => vec![(edge.src_table.clone(), Side::Src)],
        Direction::In => vec![(edge.dst_table.clone(), Side::Dst)],
        Direction::Both => vec![
            (edge.src_table.clone(), Side::Src),
            (edge.dst_table.clone(), Side::Dst),
        ],
    }
}

#[async_trait]
impl TableProvider for TraversalTable {
    fn schema(&self) -> SchemaRef {
        self.call.schema()
    }

    fn table_type(&self) -> TableType {
        TableType::Temporary
    }

    async fn scan(
        &self,
        state: &dyn Session,
        projection: Option<&Vec<usize>>,
        _filters: &[Expr],
        _limit: Option<usize>,
    ) -> DfResult<Arc<dyn ExecutionPlan>> {
        let statement = StatementContext::of(state.config());
        let snapshot = self
            .ctx
            .pinned(&SnapshotSelector::Current, statement.as_deref())
            .await
            .map_err(to_df)?;
        let (def, _) = snapshot.table(&self.call.edge_table).map_err(to_df)?;
        let TableDef::Edge(edge) = def else {
            return Err(invalid(format!(
                "{}(): '{}' is a node table; traversals need an edge table",
                self.call.function,
                def.table()
            )));
        };
        let direction = match &self.call.walk {
            Walk::Neighbors { direction }
            | Walk::Traverse { direction, .. }
            | Walk::ShortestPath { direction, .. } => *direction,
        };
        let edge = edge.clone();
        let input = match self.start_query() {
            None => None,
            Some(_) => {
                let Some(session_state) = state.as_any().downcast_ref::<SessionState>() else {
                    return exec_err!("{}() needs a DataFusion SessionState", self.call.function);
                };
                let plan = self
                    .plan_start_query(session_state)
                    .await?
                    .expect("a start query");
                Some(session_state.create_physical_plan(plan).await?)
            }
        };
        Ok(Arc::new(TraversalExec::new(
            snapshot,
            edge.table.clone(),
            start_sides(&edge, direction),
            start_sides(&edge, direction.reverse()),
            self.call.clone(),
            input,
            projection.cloned(),
        )?))
    }
}
