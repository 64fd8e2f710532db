//! [`GraphMatchExec`]: runs one path pattern on the snapshot's topology index. The
//! element filters' inputs are read first (into node and edge sets), the pattern is
//! compiled against the tables it names, and the search runs on a blocking thread,
//! sending rows in batches.

use std::fmt;
use std::sync::Arc;

use datafusion::arrow::array::{
    Array, ArrayRef, Int64Builder, ListBuilder, RecordBatch, StringArray, StringBuilder,
};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, SchemaRef};
use datafusion::common::ScalarValue;
use datafusion::execution::TaskContext;
use datafusion::physical_expr::EquivalenceProperties;
use datafusion::physical_plan::execution_plan::{Boundedness, EmissionType};
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::physical_plan::{
    DisplayAs, DisplayFormatType, ExecutionPlan, ExecutionPlanProperties, Partitioning,
    PlanProperties, SendableRecordBatchStream,
};
use futures::TryStreamExt;
use omnigraph_engine::Snapshot;
use omnigraph_engine::pattern::{
    EdgeSet, EdgeTable, EdgeTest, Element, NodeRef, NodeSet, NodeTable, NodeTest, PathElements,
    PatternGraph, ProgramBuilder, match_paths,
};
use omnigraph_engine::schema::TableDef;

use super::spec::{Candidates, PathSpec, SpecFactor};
use crate::error::{DfResult, to_df};
use crate::functions::args::invalid;

/// Rows per output batch.
const BATCH_ROWS: usize = 8192;

pub struct GraphMatchExec {
    snapshot: Snapshot,
    spec: Arc<PathSpec>,
    inputs: Vec<Arc<dyn ExecutionPlan>>,
    id_lists: Vec<Vec<ScalarValue>>,
    properties: Arc<PlanProperties>,
}

impl fmt::Debug for GraphMatchExec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GraphMatchExec")
            .field("spec", &self.spec)
            .finish()
    }
}

impl GraphMatchExec {
    pub fn new(
        snapshot: Snapshot,
        spec: Arc<PathSpec>,
        inputs: Vec<Arc<dyn ExecutionPlan>>,
        id_lists: Vec<Vec<ScalarValue>>,
        schema: SchemaRef,
    ) -> Self {
        let properties = Arc::new(PlanProperties::new(
            EquivalenceProperties::new(schema),
            Partitioning::UnknownPartitioning(1),
            EmissionType::Incremental,
            Boundedness::Bounded,
        ));
        GraphMatchExec {
            snapshot,
            spec,
            inputs,
            id_lists,
            properties,
        }
    }
}

impl DisplayAs for GraphMatchExec {
    fn fmt_as(&self, _t: DisplayFormatType, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "GraphMatchExec: {:?} {:?} version={}",
            self.spec.selector,
            self.spec.mode,
            self.snapshot.version()
        )
    }
}

impl ExecutionPlan for GraphMatchExec {
    fn name(&self) -> &str {
        "GraphMatchExec"
    }

    fn properties(&self) -> &Arc<PlanProperties> {
        &self.properties
    }

    fn children(&self) -> Vec<&Arc<dyn ExecutionPlan>> {
        self.inputs.iter().collect()
    }

    fn with_new_children(
        self: Arc<Self>,
        children: Vec<Arc<dyn ExecutionPlan>>,
    ) -> DfResult<Arc<dyn ExecutionPlan>> {
        Ok(Arc::new(GraphMatchExec::new(
            self.snapshot.clone(),
            self.spec.clone(),
            children,
            self.id_lists.clone(),
            self.properties.eq_properties.schema().clone(),
        )))
    }

    fn execute(
        &self,
        _partition: usize,
        context: Arc<TaskContext>,
    ) -> DfResult<SendableRecordBatchStream> {
        let schema = self.properties.eq_properties.schema().clone();
        let mut input_streams = Vec::new();
        for plan in &self.inputs {
            let mut streams = Vec::new();
            for p in 0..plan.output_partitioning().partition_count() {
                streams.push(plan.execute(p, context.clone())?);
            }
            input_streams.push(futures::stream::select_all(streams));
        }
        let snapshot = self.snapshot.clone();
        let spec = self.spec.clone();
        let id_lists = self.id_lists.clone();
        let out_schema = schema.clone();
        let stream = futures::stream::once(async move {
            let mut inputs = Vec::new();
            for stream in input_streams {
                inputs.push(stream.try_collect::<Vec<RecordBatch>>().await?);
            }
            let graph = pattern_graph(&snapshot, &spec).await?;
            let (tx, rx) = tokio::sync::mpsc::channel::<DfResult<RecordBatch>>(2);
            tokio::task::spawn_blocking(move || {
                let result = run(&graph, &spec, &inputs, &id_lists, &out_schema, &tx);
                if let Err(e) = result {
                    let _ = tx.blocking_send(Err(e));
                }
            });
            Ok::<_, datafusion::error::DataFusionError>(tokio_stream_of(rx))
        })
        .try_flatten();
        Ok(Box::pin(RecordBatchStreamAdapter::new(schema, stream)))
    }
}

fn tokio_stream_of(
    mut rx: tokio::sync::mpsc::Receiver<DfResult<RecordBatch>>,
) -> futures::stream::BoxStream<'static, DfResult<RecordBatch>> {
    Box::pin(futures::stream::poll_fn(move |cx| rx.poll_recv(cx)))
}

/// The node and edge tables `spec` names (and the node tables of its edge tables), read
/// from `snapshot`.
async fn pattern_graph(snapshot: &Snapshot, spec: &PathSpec) -> DfResult<PatternGraph> {
    let schema = snapshot.schema();
    let mut node_names: Vec<String> = Vec::new();
    let mut edge_names: Vec<String> = Vec::new();
    for f in &spec.factors {
        match f {
            SpecFactor::Node { tables, .. } => {
                if tables.is_empty() {
                    node_names.extend(schema.nodes.values().map(|n| n.table.clone()));
                }
                node_names.extend(tables.iter().cloned());
            }
            SpecFactor::Edge { tables, .. } => edge_names.extend(tables.iter().cloned()),
            _ => {}
        }
    }
    edge_names.sort();
    edge_names.dedup();
    for e in &edge_names {
        let (def, _) = snapshot.table(e).map_err(to_df)?;
        if let TableDef::Edge(edge) = def {
            node_names.push(edge.src_table.clone());
            node_names.push(edge.dst_table.clone());
        }
    }
    node_names.sort();
    node_names.dedup();
    let mut graph = PatternGraph::default();
    for name in &node_names {
        graph.nodes.push(NodeTable {
            name: name.clone(),
            ids: snapshot.node_ids(name).await.map_err(to_df)?,
        });
    }
    let node_index = |name: &str| node_names.iter().position(|n| n == name).map(|i| i as u16);
    for name in &edge_names {
        let (def, _) = snapshot.table(name).map_err(to_df)?;
        let TableDef::Edge(edge) = def else {
            return Err(invalid(format!("'{name}' is not an edge table")));
        };
        let (src, dst) = (
            node_index(&edge.src_table).expect("listed"),
            node_index(&edge.dst_table).expect("listed"),
        );
        graph.edges.push(EdgeTable {
            name: name.clone(),
            topology: snapshot.topology(name).await.map_err(to_df)?,
            endpoints: snapshot.endpoint_positions(name).await.map_err(to_df)?,
            src,
            dst,
        });
    }
    Ok(graph)
}

fn node_table(graph: &PatternGraph, name: &str) -> u16 {
    graph
        .nodes
        .iter()
        .position(|t| t.name == name)
        .expect("the graph holds every table of the pattern") as u16
}

fn edge_table(graph: &PatternGraph, name: &str) -> u16 {
    graph
        .edges
        .iter()
        .position(|t| t.name == name)
        .expect("the graph holds every table of the pattern") as u16
}

/// An element's id and, from a labelled input, its table.
type CandidateId = (String, Option<String>);

/// (id, label) pairs an element filter admits: an input's rows or an id list's values.
fn candidate_ids(
    candidates: Candidates,
    inputs: &[Vec<RecordBatch>],
    id_lists: &[Vec<ScalarValue>],
) -> DfResult<Option<Vec<CandidateId>>> {
    match candidates {
        Candidates::Any => Ok(None),
        Candidates::Ids(n) => Ok(Some(
            id_lists[n]
                .iter()
                .filter(|v| !v.is_null())
                .map(|v| {
                    let text = v.cast_to(&DataType::Utf8)?;
                    Ok((text.to_string(), None))
                })
                .collect::<DfResult<_>>()?,
        )),
        Candidates::Input(n) => {
            let mut out = Vec::new();
            for batch in &inputs[n] {
                let ids = cast(batch.column(0), &DataType::Utf8)?;
                let ids = ids.as_any().downcast_ref::<StringArray>().expect("Utf8");
                let labels = if batch.num_columns() > 1 {
                    Some(cast(batch.column(1), &DataType::Utf8)?)
                } else {
                    None
                };
                let labels = labels
                    .as_ref()
                    .map(|l| l.as_any().downcast_ref::<StringArray>().expect("Utf8"));
                for i in 0..ids.len() {
                    if ids.is_valid(i) {
                        out.push((
                            ids.value(i).to_string(),
                            labels.map(|l| l.value(i).to_string()),
                        ));
                    }
                }
            }
            Ok(Some(out))
        }
    }
}

fn run(
    graph: &PatternGraph,
    spec: &PathSpec,
    inputs: &[Vec<RecordBatch>],
    id_lists: &[Vec<ScalarValue>],
    schema: &SchemaRef,
    tx: &tokio::sync::mpsc::Sender<DfResult<RecordBatch>>,
) -> DfResult<()> {
    let mut builder = ProgramBuilder::new();
    for f in &spec.factors {
        match f {
            SpecFactor::Node {
                slot,
                tables,
                candidates,
            } => {
                let table_ids: Vec<u16> = tables.iter().map(|t| node_table(graph, t)).collect();
                let allowed = candidate_ids(*candidates, inputs, id_lists)?.map(|ids| {
                    let mut set = NodeSet::default();
                    for (id, label) in ids {
                        for &t in &table_ids {
                            if label
                                .as_ref()
                                .is_some_and(|l| *l != graph.nodes[t as usize].name)
                            {
                                continue;
                            }
                            if let Some(n) = graph.node(t, &id) {
                                set.insert(n);
                            }
                        }
                    }
                    Arc::new(set)
                });
                builder.node(NodeTest {
                    slot: *slot,
                    tables: table_ids,
                    allowed,
                });
            }
            SpecFactor::Edge {
                slot,
                tables,
                direction,
                candidates,
            } => {
                let table_ids: Vec<u16> = tables.iter().map(|t| edge_table(graph, t)).collect();
                let allowed = candidate_ids(*candidates, inputs, id_lists)?.map(|ids| {
                    let mut set = EdgeSet::default();
                    for (id, label) in ids {
                        for &t in &table_ids {
                            if label
                                .as_ref()
                                .is_none_or(|l| *l == graph.edges[t as usize].name)
                            {
                                set.insert(t, &id);
                            }
                        }
                    }
                    Arc::new(set)
                });
                builder.edge(EdgeTest {
                    slot: *slot,
                    tables: table_ids,
                    direction: *direction,
                    allowed,
                });
            }
            SpecFactor::BeginRepeat { min, max } => {
                builder.begin_repeat(*min, *max).map_err(to_df)?
            }
            SpecFactor::EndRepeat => builder.end_repeat().map_err(to_df)?,
        }
    }
    let program = builder
        .finish(spec.selector, spec.mode, spec.slots.len())
        .map_err(to_df)?;
    let start = program.start_test();
    let mut starts: Vec<NodeRef> = match &start.allowed {
        Some(allowed) => allowed.iter().copied().collect(),
        None => graph.all_nodes(&start.tables),
    };
    starts.sort_unstable();
    let want_path = spec.path_variable.is_some();
    let mut out = Output::new(spec);
    let mut consumer_gone = false;
    let result = match_paths(
        graph,
        &program,
        &starts,
        want_path,
        &mut |bindings, path| {
            out.push(graph, bindings, path);
            if out.rows >= BATCH_ROWS {
                let batch = out.finish(schema)?;
                if tx.blocking_send(Ok(batch)).is_err() {
                    // The consumer is gone (LIMIT reached, query cancelled): stop searching.
                    consumer_gone = true;
                    return Err(omnigraph_engine::Error::InvalidArgument(
                        "the query stopped reading".into(),
                    ));
                }
            }
            Ok(())
        },
    );
    if consumer_gone {
        return Ok(());
    }
    result.map_err(to_df)?;
    if out.rows > 0 {
        let _ = tx.blocking_send(Ok(out.finish(schema)?));
    }
    Ok(())
}

/// Column builders of a match node's output.
struct Output {
    rows: usize,
    /// Per slot: id and, when labelled, label.
    slots: Vec<(StringBuilder, Option<StringBuilder>)>,
    path: Option<(
        Int64Builder,
        ListBuilder<StringBuilder>,
        ListBuilder<StringBuilder>,
    )>,
}

impl Output {
    fn new(spec: &PathSpec) -> Self {
        Output {
            rows: 0,
            slots: spec
                .slots
                .iter()
                .map(|s| (StringBuilder::new(), s.labelled().then(StringBuilder::new)))
                .collect(),
            path: spec.path_variable.as_ref().map(|_| {
                (
                    Int64Builder::new(),
                    ListBuilder::new(StringBuilder::new()),
                    ListBuilder::new(StringBuilder::new()),
                )
            }),
        }
    }

    fn push(
        &mut self,
        graph: &PatternGraph,
        bindings: &[Option<Element>],
        path: Option<&PathElements>,
    ) {
        self.rows += 1;
        for ((ids, labels), element) in self.slots.iter_mut().zip(bindings) {
            let (id, label) = match element {
                Some(Element::Node(n)) => (
                    Some(graph.node_id(*n)),
                    graph.nodes[n.table as usize].name.as_str(),
                ),
                Some(Element::Edge(e)) => (
                    Some(graph.edge_id(*e)),
                    graph.edges[e.table as usize].name.as_str(),
                ),
                None => (None, ""),
            };
            ids.append_option(id);
            if let Some(labels) = labels {
                labels.append_option(id.map(|_| label));
            }
        }
        if let (Some((length, vertices, edges)), Some(path)) = (&mut self.path, path) {
            length.append_value(path.edges.len() as i64);
            for n in &path.nodes {
                vertices.values().append_value(graph.node_id(*n));
            }
            vertices.append(true);
            for e in &path.edges {
                edges.values().append_value(graph.edge_id(*e));
            }
            edges.append(true);
        }
    }

    fn finish(&mut self, schema: &SchemaRef) -> DfResult<RecordBatch> {
        let mut columns: Vec<ArrayRef> = Vec::new();
        for (ids, labels) in &mut self.slots {
            columns.push(Arc::new(ids.finish()));
            if let Some(labels) = labels {
                columns.push(Arc::new(labels.finish()));
            }
        }
        if let Some((length, vertices, edges)) = &mut self.path {
            columns.push(Arc::new(length.finish()));
            columns.push(Arc::new(vertices.finish()));
            columns.push(Arc::new(edges.finish()));
        }
        self.rows = 0;
        Ok(RecordBatch::try_new(schema.clone(), columns)?)
    }
}
