//! [`GraphMatchExec`]: runs one path pattern on the snapshot's topology index. The
//! element filters' inputs are read first (into node and edge sets), the pattern is
//! compiled against the tables it names, and the search runs on a blocking thread,
//! sending rows in batches.

use std::fmt;
use std::sync::Arc;

use datafusion::arrow::array::{
    Array, ArrayRef, BooleanArray, Int64Builder, ListBuilder, RecordBatch, RecordBatchOptions,
    StringArray, StringBuilder,
};
use datafusion::arrow::compute::{cast, filter_record_batch};
use datafusion::arrow::datatypes::{DataType, SchemaRef};
use datafusion::common::ScalarValue;
use datafusion::error::DataFusionError;
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
    PatternGraph, ProgramBuilder, Selector, match_paths,
};
use omnigraph_engine::schema::TableDef;

use super::check::{LoadedCheck, NodeCheck};
use super::spec::{Candidates, PathSpec, SpecFactor};
use crate::error::{DfResult, to_df};
use crate::functions::args::invalid;

/// Rows per output batch.
const BATCH_ROWS: usize = 8192;

/// Where the rows of a pattern input (`Candidates::Input(n)`) come from.
#[derive(Debug, Clone)]
pub enum InputSource {
    /// The `n`th child plan's ids.
    Plan(usize),
    /// A check of the table's cached columns (the input's plan is not run).
    Check(Arc<NodeCheck>),
}

pub struct GraphMatchExec {
    snapshot: Snapshot,
    spec: Arc<PathSpec>,
    /// The plans of the inputs that are not checks.
    plans: Vec<Arc<dyn ExecutionPlan>>,
    sources: Vec<InputSource>,
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
        plans: Vec<Arc<dyn ExecutionPlan>>,
        sources: Vec<InputSource>,
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
            plans,
            sources,
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
        )?;
        let checks: Vec<String> = self
            .sources
            .iter()
            .filter_map(|s| match s {
                InputSource::Check(c) => Some(format!("{c:?}")),
                InputSource::Plan(_) => None,
            })
            .collect();
        if !checks.is_empty() {
            write!(f, " checks=[{}]", checks.join(", "))?;
        }
        Ok(())
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
        self.plans.iter().collect()
    }

    fn with_new_children(
        self: Arc<Self>,
        children: Vec<Arc<dyn ExecutionPlan>>,
    ) -> DfResult<Arc<dyn ExecutionPlan>> {
        Ok(Arc::new(GraphMatchExec::new(
            self.snapshot.clone(),
            self.spec.clone(),
            children,
            self.sources.clone(),
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
        let mut plan_streams = Vec::new();
        for plan in &self.plans {
            let mut streams = Vec::new();
            for p in 0..plan.output_partitioning().partition_count() {
                streams.push(plan.execute(p, context.clone())?);
            }
            plan_streams.push(Some(futures::stream::select_all(streams)));
        }
        let snapshot = self.snapshot.clone();
        let spec = self.spec.clone();
        let sources = self.sources.clone();
        let id_lists = self.id_lists.clone();
        let out_schema = schema.clone();
        let stream = futures::stream::once(async move {
            let mut inputs = Vec::new();
            for source in sources {
                inputs.push(match source {
                    InputSource::Plan(n) => {
                        let stream = plan_streams[n].take().expect("each plan feeds one input");
                        Input::Rows(stream.try_collect::<Vec<RecordBatch>>().await?)
                    }
                    InputSource::Check(check) => Input::Check(check.load(&snapshot).await?),
                });
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

/// What a pattern input holds when the search starts.
enum Input {
    /// The ids (and labels) its plan returned.
    Rows(Vec<RecordBatch>),
    /// A node filter over cached columns.
    Check(LoadedCheck),
}

/// With at most this many start nodes, a filter on the pattern's last node is checked on
/// the nodes the search reached (a few) rather than on the whole table first.
const DEFER_MAX_STARTS: usize = 1024;

/// An element's id and, from a labelled input, its table.
type CandidateId = (String, Option<String>);

/// (id, label) pairs an input's rows or an id list's values admit.
fn candidate_ids(
    candidates: Candidates,
    inputs: &[Input],
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
            let Input::Rows(batches) = &inputs[n] else {
                return Err(DataFusionError::Internal(
                    "a checked input read as rows".into(),
                ));
            };
            let mut out = Vec::new();
            for batch in batches {
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

/// The nodes of `tables` a node filter admits (`None`: all of them).
fn node_allowed(
    graph: &PatternGraph,
    tables: &[u16],
    candidates: Candidates,
    inputs: &[Input],
    id_lists: &[Vec<ScalarValue>],
) -> DfResult<Option<Arc<NodeSet>>> {
    let mut set = NodeSet::default();
    if let Candidates::Input(n) = candidates
        && let Input::Check(check) = &inputs[n]
    {
        for &t in tables {
            let table = &graph.nodes[t as usize];
            if table.name != check.table() {
                continue;
            }
            let passed = check.evaluate_all(table.ids.len())?;
            for position in passed.values().set_indices() {
                set.insert(NodeRef {
                    table: t,
                    position: position as u32,
                });
            }
        }
        return Ok(Some(Arc::new(set)));
    }
    let Some(ids) = candidate_ids(candidates, inputs, id_lists)? else {
        return Ok(None);
    };
    for (id, label) in ids {
        for &t in tables {
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
    Ok(Some(Arc::new(set)))
}

/// A filter on the pattern's last node, checked on the matches' nodes as they are
/// emitted. Each node is checked once.
struct DeferredCheck<'a> {
    slot: usize,
    check: &'a LoadedCheck,
    /// Bits by position: checked, and passed.
    checked: Vec<u64>,
    passed: Vec<u64>,
}

impl<'a> DeferredCheck<'a> {
    fn new(slot: usize, check: &'a LoadedCheck, rows: usize) -> Self {
        DeferredCheck {
            slot,
            check,
            checked: vec![0; rows.div_ceil(64)],
            passed: vec![0; rows.div_ceil(64)],
        }
    }

    /// Which of the nodes at `positions` pass.
    fn mask(&mut self, positions: &[u32]) -> DfResult<BooleanArray> {
        let bit = |bits: &[u64], p: u32| bits[p as usize / 64] & (1 << (p % 64)) != 0;
        let mut unknown: Vec<u32> = positions
            .iter()
            .copied()
            .filter(|p| !bit(&self.checked, *p))
            .collect();
        unknown.sort_unstable();
        unknown.dedup();
        if !unknown.is_empty() {
            let verdicts = self.check.evaluate_at(&unknown)?;
            for (i, p) in unknown.into_iter().enumerate() {
                self.checked[p as usize / 64] |= 1 << (p % 64);
                if verdicts.value(i) {
                    self.passed[p as usize / 64] |= 1 << (p % 64);
                }
            }
        }
        Ok(positions
            .iter()
            .map(|p| Some(bit(&self.passed, *p)))
            .collect())
    }
}

fn run(
    graph: &PatternGraph,
    spec: &PathSpec,
    inputs: &[Input],
    id_lists: &[Vec<ScalarValue>],
    schema: &SchemaRef,
    tx: &tokio::sync::mpsc::Sender<DfResult<RecordBatch>>,
) -> DfResult<()> {
    // The last factor, when it is a node (so outside any repetition) whose filter is a
    // check and no selector ranks paths: with few starts it is checked after the search,
    // which then emits the same matches and more rows to drop, but reads no table.
    let last = spec.factors.len() - 1;
    let deferrable = match &spec.factors[last] {
        SpecFactor::Node {
            slot: Some(slot),
            candidates: Candidates::Input(n),
            ..
        } if last > 0
            && spec.selector == Selector::All
            && matches!(inputs[*n], Input::Check(_)) =>
        {
            Some((*slot as usize, *n))
        }
        _ => None,
    };
    let mut deferred: Option<DeferredCheck> = None;
    let mut builder = ProgramBuilder::new();
    let mut starts: Vec<NodeRef> = Vec::new();
    for (i, f) in spec.factors.iter().enumerate() {
        match f {
            SpecFactor::Node {
                slot,
                tables,
                candidates,
            } => {
                let table_ids: Vec<u16> = tables.iter().map(|t| node_table(graph, t)).collect();
                let allowed = match deferrable {
                    Some((slot, n)) if i == last && starts.len() <= DEFER_MAX_STARTS => {
                        let Input::Check(check) = &inputs[n] else {
                            unreachable!("deferrable inputs are checks")
                        };
                        let rows = table_ids
                            .iter()
                            .map(|t| graph.nodes[*t as usize].ids.len())
                            .max()
                            .unwrap_or(0);
                        deferred = Some(DeferredCheck::new(slot, check, rows));
                        None
                    }
                    _ => node_allowed(graph, &table_ids, *candidates, inputs, id_lists)?,
                };
                if i == 0 {
                    starts = match &allowed {
                        Some(allowed) => allowed.iter().collect(),
                        None => graph.all_nodes(&table_ids),
                    };
                    starts.sort_unstable();
                }
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
    let want_path = spec.path_variable.is_some();
    let mut out = Output::new(spec, deferred.as_ref().map(|d| d.slot));
    let mut consumer_gone = false;
    let result = match_paths(
        graph,
        &program,
        &starts,
        want_path,
        &mut |bindings, path| {
            if spec
                .distinct
                .iter()
                .any(|(x, y)| bindings[*x as usize] == bindings[*y as usize])
            {
                return Ok(());
            }
            out.push(graph, bindings, path);
            if out.rows >= BATCH_ROWS {
                let batch = out.finish(schema, deferred.as_mut())?;
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
        let batch = out.finish(schema, deferred.as_mut())?;
        let _ = tx.blocking_send(Ok(batch));
    }
    Ok(())
}

/// Column builders of a match node's output.
struct Output {
    rows: usize,
    /// Per slot the query reads: id and, when labelled, label.
    slots: Vec<Option<(StringBuilder, Option<StringBuilder>)>>,
    path: Option<(
        Int64Builder,
        ListBuilder<StringBuilder>,
        ListBuilder<StringBuilder>,
    )>,
    /// The slot whose filter is checked on output, and its nodes' positions by row.
    deferred: Option<(usize, Vec<u32>)>,
}

impl Output {
    fn new(spec: &PathSpec, deferred_slot: Option<usize>) -> Self {
        Output {
            rows: 0,
            deferred: deferred_slot.map(|s| (s, Vec::new())),
            slots: spec
                .slots
                .iter()
                .map(|s| {
                    s.output
                        .then(|| (StringBuilder::new(), s.labelled().then(StringBuilder::new)))
                })
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
        if let Some((slot, positions)) = &mut self.deferred {
            let Some(Element::Node(n)) = bindings[*slot] else {
                unreachable!("the pattern's last node is bound in every match")
            };
            positions.push(n.position);
        }
        for (builders, element) in self.slots.iter_mut().zip(bindings) {
            let Some((ids, labels)) = builders else {
                continue;
            };
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

    /// The rows so far as a batch, without those the deferred check refuses.
    fn finish(
        &mut self,
        schema: &SchemaRef,
        deferred: Option<&mut DeferredCheck>,
    ) -> DfResult<RecordBatch> {
        let mut columns: Vec<ArrayRef> = Vec::new();
        for (ids, labels) in self.slots.iter_mut().flatten() {
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
        let batch = RecordBatch::try_new_with_options(
            schema.clone(),
            columns,
            &RecordBatchOptions::new().with_row_count(Some(self.rows)),
        )?;
        self.rows = 0;
        match (deferred, &mut self.deferred) {
            (Some(check), Some((_, positions))) => {
                let mask = check.mask(positions)?;
                positions.clear();
                Ok(filter_record_batch(&batch, &mask)?)
            }
            _ => Ok(batch),
        }
    }
}
