//! SQL/PGQ `GRAPH_TABLE (g MATCH ... COLUMNS (...))`: the property graph is the graph's
//! schema (node and edge types are labels, columns are properties).
//!
//! The dialect parses the body ([`parser`]) into an argument of a `graph_table` table
//! factor ([`encoding`]); the relation planner ([`planner`]) plans it into one
//! [`node::GraphMatchNode`] per path pattern, whose inputs are the element filters'
//! queries, joined with the tables whose properties the query reads; the physical planner
//! turns a match node into an [`exec::GraphMatchExec`] running the pattern on the
//! topology index (`omnigraph_engine::pattern`).

pub mod ast;
pub mod check;
pub mod encoding;
pub mod error;
pub mod exec;
pub mod node;
pub mod parser;
pub mod planner;
pub mod spec;

use std::collections::BTreeSet;
use std::sync::Arc;

use async_trait::async_trait;
use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::datatypes::{DataType, Schema};
use datafusion::common::{DFSchema, ScalarValue};
use datafusion::execution::SessionState;
use datafusion::execution::context::QueryPlanner;
use datafusion::logical_expr::{
    ColumnarValue, Expr, LogicalPlan, ScalarUDF, ScalarUDFImpl, Signature, UserDefinedLogicalNode,
    Volatility,
};
use datafusion::physical_plan::ExecutionPlan;
use datafusion::physical_planner::{DefaultPhysicalPlanner, ExtensionPlanner, PhysicalPlanner};

use crate::context::{GraphContext, SnapshotSelector};
use crate::error::{DfResult, to_df};
use crate::functions::args::invalid;
use crate::statement_context::StatementContext;
use node::{GraphMatchNode, GraphVersion};
use spec::{Candidates, SpecFactor};

pub use error::GraphTableError;
pub use planner::GraphTablePlanner;

/// Plans match nodes: pins the statement's snapshot (or the one `AS OF` names) and
/// evaluates the id lists.
#[derive(Debug)]
pub struct GraphMatchPlanner {
    ctx: Arc<GraphContext>,
}

/// The value of a constant expression (an id list entry, its parameters bound).
fn constant(expr: &Expr, state: &SessionState) -> DfResult<ScalarValue> {
    let physical = state.create_physical_expr(expr.clone(), &DFSchema::empty())?;
    let batch = RecordBatch::try_new_with_options(
        Arc::new(Schema::empty()),
        vec![],
        &datafusion::arrow::array::RecordBatchOptions::new().with_row_count(Some(1)),
    )?;
    match physical.evaluate(&batch)? {
        ColumnarValue::Scalar(v) => Ok(v),
        ColumnarValue::Array(a) => ScalarValue::try_from_array(&a, 0),
    }
}

#[async_trait]
impl ExtensionPlanner for GraphMatchPlanner {
    async fn plan_extension(
        &self,
        _planner: &dyn PhysicalPlanner,
        node: &dyn UserDefinedLogicalNode,
        logical_inputs: &[&LogicalPlan],
        physical_inputs: &[Arc<dyn ExecutionPlan>],
        state: &SessionState,
    ) -> DfResult<Option<Arc<dyn ExecutionPlan>>> {
        let Some(node) = node.as_any().downcast_ref::<GraphMatchNode>() else {
            return Ok(None);
        };
        let snapshot = match &node.version {
            GraphVersion::Current => {
                let statement = StatementContext::of(state.config());
                self.ctx
                    .pinned(&SnapshotSelector::Current, statement.as_deref())
                    .await
            }
            GraphVersion::At { branch, reference } => {
                self.ctx.graph().snapshot_at_text(branch, reference).await
            }
        }
        .map_err(to_df)?;
        let id_lists = node
            .id_lists
            .iter()
            .map(|list| list.iter().map(|e| constant(e, state)).collect())
            .collect::<DfResult<Vec<Vec<ScalarValue>>>>()?;
        // A one-table node filter is checked on cached columns rather than by its plan.
        let node_inputs: BTreeSet<usize> = node
            .spec
            .factors
            .iter()
            .filter_map(|f| match f {
                SpecFactor::Node {
                    tables,
                    candidates: Candidates::Input(n),
                    ..
                } if tables.len() == 1 => Some(*n),
                _ => None,
            })
            .collect();
        let mut plans = Vec::new();
        let mut sources = Vec::new();
        for (i, (logical, physical)) in logical_inputs.iter().zip(physical_inputs).enumerate() {
            let check = if node_inputs.contains(&i) {
                check::NodeCheck::from_plan(logical, state)?
            } else {
                None
            };
            sources.push(match check {
                Some(check) => exec::InputSource::Check(Arc::new(check)),
                None => {
                    plans.push(physical.clone());
                    exec::InputSource::Plan(plans.len() - 1)
                }
            });
        }
        Ok(Some(Arc::new(exec::GraphMatchExec::new(
            snapshot,
            node.spec.clone(),
            plans,
            sources,
            id_lists,
            node.schema.inner().clone(),
        ))))
    }
}

/// DataFusion's physical planner with match nodes.
#[derive(Debug)]
pub struct GraphQueryPlanner {
    ctx: Arc<GraphContext>,
}

impl GraphQueryPlanner {
    pub fn new(ctx: Arc<GraphContext>) -> Self {
        GraphQueryPlanner { ctx }
    }
}

#[async_trait]
impl QueryPlanner for GraphQueryPlanner {
    async fn create_physical_plan(
        &self,
        logical_plan: &LogicalPlan,
        session_state: &SessionState,
    ) -> DfResult<Arc<dyn ExecutionPlan>> {
        DefaultPhysicalPlanner::with_extension_planners(vec![Arc::new(GraphMatchPlanner {
            ctx: self.ctx.clone(),
        })])
        .create_physical_plan(logical_plan, session_state)
        .await
    }
}

/// `element_id(x)`, `path_length(p)`, `vertices(p)`, `edges(p)`: read inside a
/// `GRAPH_TABLE`'s `COLUMNS` and `WHERE`, where they are replaced by the match's
/// columns. Anywhere else they are an error.
#[derive(Debug, PartialEq, Eq, Hash)]
struct PatternFunction {
    name: &'static str,
    signature: Signature,
}

impl ScalarUDFImpl for PatternFunction {
    fn name(&self) -> &str {
        self.name
    }
    fn signature(&self) -> &Signature {
        &self.signature
    }
    fn return_type(&self, _args: &[DataType]) -> DfResult<DataType> {
        Err(invalid(format!(
            "{}() reads an element or path variable of a GRAPH_TABLE pattern, inside its COLUMNS or WHERE",
            self.name
        )))
    }
    fn invoke_with_args(
        &self,
        _args: datafusion::logical_expr::ScalarFunctionArgs,
    ) -> DfResult<ColumnarValue> {
        Err(invalid(format!("{}() outside GRAPH_TABLE", self.name)))
    }
}

pub const PATTERN_FUNCTIONS: [&str; 4] = ["element_id", "path_length", "vertices", "edges"];

pub fn pattern_functions() -> Vec<ScalarUDF> {
    PATTERN_FUNCTIONS
        .iter()
        .map(|name| {
            ScalarUDF::new_from_impl(PatternFunction {
                name,
                signature: Signature::any(1, Volatility::Immutable),
            })
        })
        .collect()
}
