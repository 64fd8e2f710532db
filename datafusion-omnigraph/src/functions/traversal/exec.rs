//! [`TraversalExec`]: one operator expanding start nodes on the CSR topology.

use std::fmt;
use std::sync::Arc;

use datafusion::arrow::array::{
    Array, ArrayRef, Int32Builder, RecordBatch, StringArray, StringBuilder,
};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::DataType;
use datafusion::common::exec_err;
use datafusion::execution::TaskContext;
use datafusion::physical_plan::ExecutionPlanProperties;
use datafusion::physical_plan::execution_plan::EmissionType;
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::physical_plan::{
    DisplayAs, DisplayFormatType, ExecutionPlan, PlanProperties, SendableRecordBatchStream,
};
use futures::{StreamExt, TryStreamExt};
use omnigraph_engine::{IdIndex, Side, Snapshot, Topology};

use crate::error::{DfResult, to_df};
use crate::functions::args::invalid;

use super::call::{Starts, TraversalCall, Walk};

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
    pub(super) fn new(
        snapshot: Snapshot,
        edge_table: String,
        start_sides: Vec<(String, Side)>,
        target_sides: Vec<(String, Side)>,
        call: TraversalCall,
        input: Option<Arc<dyn ExecutionPlan>>,
        projection: Option<Vec<usize>>,
    ) -> DfResult<Self> {
        let properties = crate::functions::leaf_properties(
            call.schema(),
            &projection,
            EmissionType::Incremental,
        )?;
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
