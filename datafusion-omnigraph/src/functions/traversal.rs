//! Traversal table functions on the CSR topology index.
//!
//! | function | rows |
//! |----------|------|
//! | `neighbors(edge_table, start_id [, direction])` | `start_id, node_id, edge_id` |
//! | `traverse(edge_table, start_id, max_depth [, min_depth [, direction]])` | `node_id, depth` |
//! | `shortest_path(edge_table, from_id, to_id [, max_depth [, direction]])` | `step, node_id, edge_id` |
//! | `neighbors_of(edge_table, start_query [, direction])` | `start_id, node_id, edge_id` |
//! | `traverse_from(edge_table, start_query, max_depth [, min_depth [, direction]])` | `start_id, node_id, depth` |
//!
//! Every function is one operator, [`TraversalExec`], whose start nodes come either from
//! literal ids or from the first column of a query (set-at-a-time expansion).

use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;
use datafusion::arrow::array::{
    Array, ArrayRef, Int32Builder, RecordBatch, StringArray, StringBuilder,
};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::catalog::{Session, TableFunctionArgs, TableFunctionImpl, TableProvider};
use datafusion::common::exec_err;
use datafusion::execution::{SessionState, TaskContext};
use datafusion::logical_expr::{Expr, LogicalPlan, TableType};
use datafusion::physical_plan::ExecutionPlanProperties;
use datafusion::physical_plan::execution_plan::EmissionType;
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::physical_plan::{
    DisplayAs, DisplayFormatType, ExecutionPlan, PlanProperties, SendableRecordBatchStream,
};
use datafusion::scalar::ScalarValue;
use datafusion::sql::parser::DFParser;
use futures::{StreamExt, TryStreamExt};
use omnigraph_engine::schema::TableDef;
use omnigraph_engine::{Direction, IdIndex, Side, Snapshot, Topology};

use super::args::{Args, invalid};
use crate::context::{GraphContext, SnapshotSelector};
use crate::dialect::OmniGraphDialect;
use crate::error::{DfResult, to_df};
use crate::statement_context::StatementContext;

/// Names of the traversal functions.
pub const TRAVERSAL_FUNCTIONS: [&str; 5] = [
    "neighbors",
    "traverse",
    "shortest_path",
    "neighbors_of",
    "traverse_from",
];

/// What a traversal computes for each start node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Walk {
    Neighbors {
        direction: Direction,
    },
    Traverse {
        min_depth: u32,
        max_depth: u32,
        direction: Direction,
    },
    ShortestPath {
        to: String,
        max_depth: Option<u32>,
        direction: Direction,
    },
}

/// Where start nodes come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Starts {
    Id(String),
    /// A query whose first column holds start ids.
    Query(String),
}

fn depth_arg(exprs: &[Expr], i: usize, name: &str, function: &str) -> DfResult<u32> {
    match &exprs[i] {
        Expr::Literal(ScalarValue::Int64(Some(n)), _) if *n >= 0 && *n <= u32::MAX as i64 => {
            Ok(*n as u32)
        }
        Expr::Literal(ScalarValue::Int64(Some(n)), _) => Err(invalid(format!(
            "{function}(): {name} must be >= 0, got {n}"
        ))),
        other => Err(invalid(format!(
            "{function}(): {name} must be a non-negative integer literal, got {other}"
        ))),
    }
}

fn direction_arg(args: &Args, i: usize) -> DfResult<Direction> {
    match args.opt_text(i, "direction")? {
        Some(d) => d.parse::<Direction>().map_err(to_df),
        None => Ok(Direction::Out),
    }
}

/// A parsed traversal call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TraversalCall {
    pub function: &'static str,
    pub edge_table: String,
    pub starts: Starts,
    pub walk: Walk,
}

impl TraversalCall {
    pub fn parse(function: &'static str, exprs: &[Expr]) -> DfResult<TraversalCall> {
        let (min, max) = match function {
            "neighbors" | "neighbors_of" => (2, 3),
            "traverse" | "traverse_from" => (3, 5),
            "shortest_path" => (3, 5),
            other => {
                return datafusion::common::internal_err!("unknown traversal function '{other}'");
            }
        };
        let a = Args::new(function, exprs, min, max)?;
        let edge_table = a.text(0, "edge_table")?;
        let start = a.text(
            1,
            if function.ends_with("_of") || function.ends_with("_from") {
                "start_query"
            } else {
                "start_id"
            },
        )?;
        let starts = match function {
            "neighbors_of" | "traverse_from" => Starts::Query(start),
            _ => Starts::Id(start),
        };
        let walk = match function {
            "neighbors" | "neighbors_of" => Walk::Neighbors {
                direction: direction_arg(&a, 2)?,
            },
            "traverse" | "traverse_from" => {
                let max_depth = depth_arg(exprs, 2, "max_depth", function)?;
                let min_depth = if a.len() > 3 {
                    depth_arg(exprs, 3, "min_depth", function)?
                } else {
                    1
                };
                if min_depth > max_depth {
                    return Err(invalid(format!(
                        "{function}(): min_depth {min_depth} is greater than max_depth {max_depth}"
                    )));
                }
                Walk::Traverse {
                    min_depth,
                    max_depth,
                    direction: direction_arg(&a, 4)?,
                }
            }
            _ => Walk::ShortestPath {
                to: a.text(2, "to_id")?,
                max_depth: if a.len() > 3 {
                    Some(depth_arg(exprs, 3, "max_depth", function)?)
                } else {
                    None
                },
                direction: direction_arg(&a, 4)?,
            },
        };
        Ok(TraversalCall {
            function,
            edge_table,
            starts,
            walk,
        })
    }

    pub fn schema(&self) -> SchemaRef {
        let text = |n: &str, nullable: bool| Field::new(n, DataType::Utf8, nullable);
        let int = |n: &str| Field::new(n, DataType::Int32, false);
        let with_start = matches!(self.starts, Starts::Query(_));
        let fields = match (&self.walk, with_start) {
            (Walk::Neighbors { .. }, _) => vec![
                text("start_id", false),
                text("node_id", false),
                text("edge_id", false),
            ],
            (Walk::Traverse { .. }, false) => vec![text("node_id", false), int("depth")],
            (Walk::Traverse { .. }, true) => vec![
                text("start_id", false),
                text("node_id", false),
                int("depth"),
            ],
            (Walk::ShortestPath { .. }, _) => {
                vec![int("step"), text("node_id", false), text("edge_id", true)]
            }
        };
        Arc::new(Schema::new(fields))
    }
}

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

/// Expands start nodes on an edge table's topology.
pub struct TraversalExec {
    snapshot: Snapshot,
    edge_table: String,
    /// Where start ids may be (node table, side).
    start_sides: Vec<(String, Side)>,
    /// Where shortest-path targets may be.
    target_sides: Vec<(String, Side)>,
    call: TraversalCall,
    input: Option<Arc<dyn ExecutionPlan>>,
    projection: Option<Vec<usize>>,
    properties: Arc<PlanProperties>,
}

impl fmt::Debug for TraversalExec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TraversalExec")
            .field("call", &self.call)
            .finish()
    }
}

impl TraversalExec {
    fn new(
        snapshot: Snapshot,
        edge_table: String,
        start_sides: Vec<(String, Side)>,
        target_sides: Vec<(String, Side)>,
        call: TraversalCall,
        input: Option<Arc<dyn ExecutionPlan>>,
        projection: Option<Vec<usize>>,
    ) -> DfResult<Self> {
        let properties =
            super::leaf_properties(call.schema(), &projection, EmissionType::Incremental)?;
        Ok(TraversalExec {
            snapshot,
            edge_table,
            start_sides,
            target_sides,
            call,
            input,
            projection,
            properties,
        })
    }
}

impl DisplayAs for TraversalExec {
    fn fmt_as(&self, _t: DisplayFormatType, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "TraversalExec: {}({}) version={}",
            self.call.function,
            self.edge_table,
            self.snapshot.version()
        )
    }
}

/// Rows of one start node's walk, appended to column builders.
struct Output {
    start: StringBuilder,
    node: StringBuilder,
    edge: StringBuilder,
    int: Int32Builder,
}

impl Output {
    fn new() -> Self {
        Output {
            start: StringBuilder::new(),
            node: StringBuilder::new(),
            edge: StringBuilder::new(),
            int: Int32Builder::new(),
        }
    }

    fn finish(mut self, call: &TraversalCall) -> Vec<ArrayRef> {
        let with_start = matches!(call.starts, Starts::Query(_));
        let (start, node, edge, int): (ArrayRef, ArrayRef, ArrayRef, ArrayRef) = (
            Arc::new(self.start.finish()),
            Arc::new(self.node.finish()),
            Arc::new(self.edge.finish()),
            Arc::new(self.int.finish()),
        );
        match (&call.walk, with_start) {
            (Walk::Neighbors { .. }, _) => vec![start, node, edge],
            (Walk::Traverse { .. }, false) => vec![node, int],
            (Walk::Traverse { .. }, true) => vec![start, node, int],
            (Walk::ShortestPath { .. }, _) => vec![int, node, edge],
        }
    }
}

/// The node tables (with their id index) an id may be in, and the side it has there.
type Candidates = Vec<(String, Side, Arc<IdIndex>)>;

/// Resolves an id to a topology ordinal: `Ok(None)` for an existing node without edges,
/// an error for an id in none of the candidate node tables.
fn resolve_id(
    topology: &Topology,
    candidates: &Candidates,
    id: &str,
    function: &str,
) -> DfResult<Option<u32>> {
    for (_, side, index) in candidates {
        if index.contains(id) {
            return Ok(topology.ordinal_on(id, *side));
        }
    }
    let mut tables: Vec<&str> = candidates.iter().map(|(t, _, _)| t.as_str()).collect();
    tables.dedup();
    Err(invalid(format!(
        "{function}(): node '{id}' does not exist in {}",
        tables.join(" or ")
    )))
}

fn walk_one(
    topology: &Topology,
    starts: &Candidates,
    targets: &Candidates,
    call: &TraversalCall,
    start_id: &str,
    out: &mut Output,
) -> DfResult<()> {
    let start = resolve_id(topology, starts, start_id, call.function)?;
    match &call.walk {
        Walk::Neighbors { direction } => {
            if let Some(s) = start {
                topology.for_each_neighbor(s, *direction, |m, e| {
                    out.start.append_value(start_id);
                    out.node.append_value(topology.node_id(m));
                    out.edge.append_value(topology.edge_id(e));
                });
            }
        }
        Walk::Traverse {
            min_depth,
            max_depth,
            direction,
        } => match start {
            Some(s) => {
                for (n, d) in topology.traverse(s, *min_depth, *max_depth, *direction) {
                    out.start.append_value(start_id);
                    out.node.append_value(topology.node_id(n));
                    out.int.append_value(d as i32);
                }
            }
            None if *min_depth == 0 => {
                out.start.append_value(start_id);
                out.node.append_value(start_id);
                out.int.append_value(0);
            }
            None => {}
        },
        Walk::ShortestPath {
            to,
            max_depth,
            direction,
        } => {
            let target = resolve_id(topology, targets, to, call.function)?;
            if start_id == to {
                out.int.append_value(0);
                out.node.append_value(start_id);
                out.edge.append_null();
                return Ok(());
            }
            if let (Some(s), Some(t)) = (start, target)
                && let Some(path) = topology.shortest_path(s, t, *max_depth, *direction)
            {
                for (i, step) in path.iter().enumerate() {
                    out.int.append_value(i as i32);
                    out.node.append_value(topology.node_id(step.node));
                    match step.edge {
                        Some(e) => out.edge.append_value(topology.edge_id(e)),
                        None => out.edge.append_null(),
                    }
                }
            }
        }
    }
    Ok(())
}

impl ExecutionPlan for TraversalExec {
    fn name(&self) -> &str {
        "TraversalExec"
    }

    fn properties(&self) -> &Arc<PlanProperties> {
        &self.properties
    }

    fn children(&self) -> Vec<&Arc<dyn ExecutionPlan>> {
        self.input.iter().collect()
    }

    fn with_new_children(
        self: Arc<Self>,
        children: Vec<Arc<dyn ExecutionPlan>>,
    ) -> DfResult<Arc<dyn ExecutionPlan>> {
        Ok(Arc::new(TraversalExec::new(
            self.snapshot.clone(),
            self.edge_table.clone(),
            self.start_sides.clone(),
            self.target_sides.clone(),
            self.call.clone(),
            children.into_iter().next(),
            self.projection.clone(),
        )?))
    }

    fn execute(
        &self,
        _partition: usize,
        context: Arc<TaskContext>,
    ) -> DfResult<SendableRecordBatchStream> {
        let snapshot = self.snapshot.clone();
        let edge_table = self.edge_table.clone();
        let (start_sides, target_sides) = (self.start_sides.clone(), self.target_sides.clone());
        let call = self.call.clone();
        let projection = self.projection.clone();
        let full_schema = call.schema();
        let out_schema = self.properties.eq_properties.schema().clone();
        let input = match &self.input {
            Some(plan) => {
                let mut streams = Vec::new();
                for p in 0..plan.output_partitioning().partition_count() {
                    streams.push(plan.execute(p, context.clone())?);
                }
                Some(futures::stream::select_all(streams))
            }
            None => None,
        };
        let stream = futures::stream::once(async move {
            let topology = snapshot.topology(&edge_table).await.map_err(to_df)?;
            let mut starts: Candidates = Vec::new();
            for (t, side) in &start_sides {
                starts.push((t.clone(), *side, snapshot.node_ids(t).await.map_err(to_df)?));
            }
            let mut targets: Candidates = Vec::new();
            for (t, side) in &target_sides {
                targets.push((t.clone(), *side, snapshot.node_ids(t).await.map_err(to_df)?));
            }
            let project = move |columns: Vec<ArrayRef>| -> DfResult<RecordBatch> {
                let batch = RecordBatch::try_new(full_schema.clone(), columns)?;
                Ok(match &projection {
                    Some(p) => batch.project(p)?,
                    None => batch,
                })
            };
            let batches: futures::stream::BoxStream<'static, DfResult<RecordBatch>> =
                match (input, &call.starts) {
                    (None, Starts::Id(id)) => {
                        let mut out = Output::new();
                        walk_one(&topology, &starts, &targets, &call, id, &mut out)?;
                        Box::pin(futures::stream::once(futures::future::ready(project(
                            out.finish(&call),
                        ))))
                    }
                    (Some(input), _) => {
                        let call = call.clone();
                        Box::pin(input.map(move |batch| {
                            let batch = batch?;
                            let ids = cast(batch.column(0), &DataType::Utf8)?;
                            let ids = ids
                                .as_any()
                                .downcast_ref::<StringArray>()
                                .expect("cast to Utf8");
                            let mut out = Output::new();
                            for i in 0..ids.len() {
                                if ids.is_valid(i) {
                                    walk_one(
                                        &topology,
                                        &starts,
                                        &targets,
                                        &call,
                                        ids.value(i),
                                        &mut out,
                                    )?;
                                }
                            }
                            project(out.finish(&call))
                        }))
                    }
                    (None, Starts::Query(_)) => return exec_err!("start query was not planned"),
                };
            Ok::<_, datafusion::error::DataFusionError>(batches)
        })
        .try_flatten();
        Ok(Box::pin(RecordBatchStreamAdapter::new(out_schema, stream)))
    }
}
