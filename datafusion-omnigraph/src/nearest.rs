//! Indexed nearest-neighbour search: `ORDER BY emb <=> $1 LIMIT k` over a graph table
//! whose `emb` has a vector index of the same metric reads its `k` nearest candidates
//! from the index (Lance's `nearest`, prefiltered by the query's `WHERE`), instead of
//! every row. The sort above still orders the candidates by the exact distance, so the
//! index only chooses which rows; without a matching index the plan scans every row and
//! the answer is exact.

use std::sync::Arc;

use async_trait::async_trait;
use datafusion::arrow::array::Float32Array;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::catalog::{Session, TableProvider};
use datafusion::common::Result as DfResult;
use datafusion::common::tree_node::{Transformed, TreeNode};
use datafusion::datasource::{provider_as_source, source_as_provider};
use datafusion::logical_expr::expr::ScalarFunction;
use datafusion::logical_expr::utils::conjunction;
use datafusion::logical_expr::{
    Expr, LogicalPlan, Projection, Sort, TableProviderFilterPushDown, TableScan, TableType,
};
use datafusion::optimizer::{ApplyOrder, OptimizerConfig, OptimizerRule};
use datafusion::physical_plan::ExecutionPlan;
use datafusion::physical_plan::projection::ProjectionExec;
use omnigraph_engine::schema::IndexMethod;
use omnigraph_engine::schema::VectorMetric;
use omnigraph_engine::write::indexes::{distance_type, vector_index};

use crate::error::{lance_to_df, to_df};
use crate::functions::vector::constant_vector;
use crate::options::OmniGraphOptions;
use crate::provider::GraphTable;

/// The metric whose index answers an ordering by the function `name`.
fn metric_of(name: &str) -> Option<VectorMetric> {
    match name {
        "l2_distance" => Some(VectorMetric::L2),
        "cosine_distance" => Some(VectorMetric::Cosine),
        "vector_negative_inner_product" => Some(VectorMetric::InnerProduct),
        _ => None,
    }
}

/// Rewrites the scan under a top-k sort by a vector distance into a [`NearestScan`].
#[derive(Debug, Default)]
pub struct NearestNeighbours;

impl OptimizerRule for NearestNeighbours {
    fn name(&self) -> &str {
        "omnigraph_nearest_neighbours"
    }

    fn apply_order(&self) -> Option<ApplyOrder> {
        Some(ApplyOrder::TopDown)
    }

    fn rewrite(
        &self,
        plan: LogicalPlan,
        _config: &dyn OptimizerConfig,
    ) -> DfResult<Transformed<LogicalPlan>> {
        let LogicalPlan::Sort(sort) = &plan else {
            return Ok(Transformed::no(plan));
        };
        let Some(search) = search_of(sort) else {
            return Ok(Transformed::no(plan));
        };
        let LogicalPlan::Sort(sort) = plan else {
            unreachable!("matched above")
        };
        let input = Arc::unwrap_or_clone(sort.input).transform_down(|node| match node {
            LogicalPlan::TableScan(scan) => {
                let provider = source_as_provider(&scan.source)?;
                let table = provider
                    .downcast_ref::<GraphTable>()
                    .expect("search_of found a graph table")
                    .clone();
                let nearest = NearestScan {
                    table,
                    search: search.clone(),
                };
                Ok(Transformed::yes(LogicalPlan::TableScan(TableScan {
                    source: provider_as_source(Arc::new(nearest)),
                    ..scan
                })))
            }
            other => Ok(Transformed::no(other)),
        })?;
        Ok(Transformed::yes(LogicalPlan::Sort(Sort {
            expr: sort.expr,
            input: Arc::new(input.data),
            fetch: sort.fetch,
        })))
    }
}

/// One nearest-neighbour search: the `k` rows nearest to `query` in `column`.
#[derive(Debug, Clone)]
struct Search {
    column: String,
    query: Vec<f32>,
    k: usize,
    metric: VectorMetric,
}

/// The search a top-k sort asks of the graph table under it: the first key orders
/// ascending by a vector distance between one of the table's columns and a constant,
/// and between the sort and the scan there are only projections (a filter the scan
/// could not take whole would leave fewer than `k` rows).
fn search_of(sort: &Sort) -> Option<Search> {
    let k = sort.fetch?;
    let first = sort.expr.first()?;
    if !first.asc {
        return None;
    }
    // A bound parameter keeps its expression's name as an alias.
    let mut key = first.expr.clone().unalias_nested().data;
    let mut node = sort.input.as_ref();
    let scan = loop {
        match node {
            LogicalPlan::Projection(projection) => {
                key = through_projection(key, projection)?;
                node = projection.input.as_ref();
            }
            LogicalPlan::TableScan(scan) => break scan,
            _ => return None,
        }
    };
    if scan.fetch.is_some() {
        return None;
    }
    let provider = source_as_provider(&scan.source).ok()?;
    let table = provider.downcast_ref::<GraphTable>()?;
    let Expr::ScalarFunction(ScalarFunction { func, args }) = key.unalias_nested().data else {
        return None;
    };
    let metric = metric_of(func.name())?;
    let (column, constant) = match args.as_slice() {
        [Expr::Column(c), Expr::Literal(v, _)] | [Expr::Literal(v, _), Expr::Column(c)] => (c, v),
        _ => return None,
    };
    let field = table.schema().field_with_name(&column.name).ok()?.clone();
    let &datafusion::arrow::datatypes::DataType::FixedSizeList(_, dims) = field.data_type() else {
        return None;
    };
    let query = constant_vector(constant)?;
    if query.len() != dims as usize {
        return None;
    }
    Some(Search {
        column: column.name.clone(),
        query,
        k,
        metric,
    })
}

/// `key` (over `projection`'s output) as an expression over its input.
pub(crate) fn through_projection(key: Expr, projection: &Projection) -> Option<Expr> {
    key.transform(|e| match e {
        Expr::Column(c) => {
            let i = projection.schema.index_of_column(&c)?;
            let expr = projection.expr[i].clone().unalias_nested().data;
            Ok(Transformed::yes(expr))
        }
        other => Ok(Transformed::no(other)),
    })
    .ok()
    .map(|t| t.data)
}

/// The `omnigraph.ef_search` and `omnigraph.refine_factor` a search of an index of
/// `method` uses when they are 0: IVF_PQ re-ranks ten times `k` candidates by their
/// exact vectors (recall@10 of 1.0 on random 128-d vectors, 0.8 without), IVF_HNSW_SQ
/// keeps 300 candidates per partition (0.88 there).
pub const fn search_defaults(method: IndexMethod) -> (u64, u64) {
    match method {
        IndexMethod::Hnsw => (300, 0),
        _ => (0, 10),
    }
}

fn nonzero_or(value: u64, default: u64) -> u64 {
    if value > 0 { value } else { default }
}

/// A graph table read through its vector index: the `k` rows nearest to the search's
/// query among those the pushed filters keep.
#[derive(Debug)]
struct NearestScan {
    table: GraphTable,
    search: Search,
}

#[async_trait]
impl TableProvider for NearestScan {
    fn schema(&self) -> SchemaRef {
        self.table.schema()
    }

    fn table_type(&self) -> TableType {
        TableType::Base
    }

    fn supports_filters_pushdown(
        &self,
        filters: &[&Expr],
    ) -> DfResult<Vec<TableProviderFilterPushDown>> {
        self.table.supports_filters_pushdown(filters)
    }

    async fn scan(
        &self,
        state: &dyn Session,
        projection: Option<&Vec<usize>>,
        filters: &[Expr],
        limit: Option<usize>,
    ) -> DfResult<Arc<dyn ExecutionPlan>> {
        let search = &self.search;
        let dataset = self.table.scan_dataset(state).await?;
        let method = match vector_index(&dataset, &search.column)
            .await
            .map_err(to_df)?
        {
            Some((method, metric)) if metric == search.metric => method,
            _ => return self.table.scan(state, projection, filters, limit).await,
        };
        let schema = self.table.schema();
        let columns: Vec<String> = match projection {
            Some(p) => p.iter().map(|i| schema.field(*i).name().clone()).collect(),
            None => schema.fields().iter().map(|f| f.name().clone()).collect(),
        };
        let mut scanner = dataset.scan();
        scanner.prefilter(true);
        scanner.disable_scoring_autoprojection();
        scanner.project(&columns).map_err(lance_to_df)?;
        if let Some(filter) = conjunction(filters.to_vec()) {
            scanner.filter_expr(filter);
        }
        scanner
            .nearest(
                &search.column,
                &Float32Array::from(search.query.clone()),
                search.k,
            )
            .map_err(lance_to_df)?;
        scanner.distance_metric(distance_type(search.metric));
        let options = state
            .config_options()
            .extensions
            .get::<OmniGraphOptions>()
            .cloned()
            .unwrap_or_default();
        if options.nprobes > 0 {
            scanner.nprobes(options.nprobes as usize);
        }
        let (ef_search, refine_factor) = search_defaults(method);
        let ef_search = nonzero_or(options.ef_search, ef_search);
        if ef_search > 0 {
            scanner.ef(ef_search as usize);
        }
        let refine_factor = nonzero_or(options.refine_factor, refine_factor);
        if refine_factor > 0 {
            scanner.refine(refine_factor as u32);
        }
        let plan = scanner.create_plan().await.map_err(lance_to_df)?;
        // The scan's rows are the projected columns alone, in their order.
        let output = plan.schema();
        let exprs = columns
            .iter()
            .map(|name| {
                let i = output.index_of(name)?;
                let column: Arc<dyn datafusion::physical_expr::PhysicalExpr> =
                    Arc::new(datafusion::physical_expr::expressions::Column::new(name, i));
                Ok((column, name.clone()))
            })
            .collect::<DfResult<Vec<_>>>()?;
        Ok(Arc::new(ProjectionExec::try_new(exprs, plan)?))
    }
}
