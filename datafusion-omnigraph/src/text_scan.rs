//! Full-text search as a predicate: `WHERE text_match(body, 'q')` over a graph table reads
//! the matching rows from the column's inverted index (Lance's BM25 search, prefiltered by
//! the rest of the `WHERE` the scan takes) instead of every row, and carries their score
//! as a column that `text_score(body, 'q')` anywhere above resolves to. Under `ORDER BY
//! text_score(...) DESC LIMIT k` the index returns only the best `k`.
//!
//! The rule rewrites the whole plan at once: the `Filter` over a graph table's scan loses
//! its `text_match` and the scan becomes a [`TextSearchScan`]; then every node between
//! that scan and a `text_score` of it passes the score up (a projection appends it; a
//! node that cannot pass a column, such as an aggregate, leaves the `text_score` to fail
//! clearly when run).

use std::collections::HashSet;
use std::sync::Arc;

use async_trait::async_trait;
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::catalog::{Session, TableProvider};
use datafusion::common::tree_node::{Transformed, TreeNode, TreeNodeRecursion};
use datafusion::common::{Column, Result as DfResult, ScalarValue};
use datafusion::datasource::{provider_as_source, source_as_provider};
use datafusion::logical_expr::WriteOp;
use datafusion::logical_expr::expr::ScalarFunction;
use datafusion::logical_expr::expr_rewriter::NamePreserver;
use datafusion::logical_expr::utils::{conjunction, split_conjunction_owned};
use datafusion::logical_expr::{
    Expr, Filter, LogicalPlan, Projection, Sort, TableProviderFilterPushDown, TableScan, TableType,
};
use datafusion::optimizer::{OptimizerConfig, OptimizerRule};
use datafusion::physical_expr::PhysicalExpr;
use datafusion::physical_expr::expressions::{CastExpr, Column as ColumnExpr};
use datafusion::physical_plan::ExecutionPlan;
use datafusion::physical_plan::projection::ProjectionExec;
use omnigraph_engine::lance_index::scalar::FullTextSearchQuery;

use crate::error::{lance_to_df, to_df};
use crate::functions::text_match::{MATCH, SCORE};
use crate::nearest::through_projection;
use crate::provider::GraphTable;
use crate::text_query::{SCORE_COLUMN, TextMode, fts_query, require_text_index};

/// One search of a text column: what `text_match(column, query, mode)` asks.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct TextSearch {
    column: String,
    query: String,
    mode: TextMode,
}

impl TextSearch {
    /// The name of the column carrying the search's score up the plan.
    fn score_name(&self) -> String {
        format!(
            "{SCORE}({}, '{}', {})",
            self.column,
            self.query.replace('\'', "''"),
            self.mode
        )
    }
}

fn text_literal(expr: &Expr) -> Option<Option<&str>> {
    match expr {
        Expr::Literal(
            ScalarValue::Utf8(s) | ScalarValue::LargeUtf8(s) | ScalarValue::Utf8View(s),
            _,
        ) => Some(s.as_deref()),
        Expr::Literal(ScalarValue::Null, _) => Some(None),
        _ => None,
    }
}

/// The column and search of a call of `function` (`text_match` or `text_score`) whose
/// first argument is a column and the others non-NULL constants; an unknown mode is an
/// error (22023).
fn search_call(expr: &Expr, function: &str) -> DfResult<Option<(Column, TextSearch)>> {
    let Expr::ScalarFunction(ScalarFunction { func, args }) = expr else {
        return Ok(None);
    };
    if func.name() != function {
        return Ok(None);
    }
    let (column, query, mode) = match args.as_slice() {
        [Expr::Column(c), q] => (c, q, None),
        [Expr::Column(c), q, m] => (c, q, Some(m)),
        _ => return Ok(None),
    };
    let Some(Some(query)) = text_literal(query) else {
        return Ok(None);
    };
    let mode = match mode.map(text_literal) {
        None => TextMode::default(),
        Some(Some(Some(m))) => TextMode::parse(function, m)?,
        Some(_) => return Ok(None),
    };
    Ok(Some((
        column.clone(),
        TextSearch {
            column: column.name.clone(),
            query: query.to_string(),
            mode,
        },
    )))
}

fn mentions_text_search(plan: &LogicalPlan) -> bool {
    plan.exists(|node| {
        node.expressions().iter().try_fold(false, |found, e| {
            Ok(found
                || e.exists(|e| {
                    Ok(matches!(e, Expr::ScalarFunction(f)
                        if f.func.name() == MATCH || f.func.name() == SCORE))
                })?)
        })
    })
    .unwrap_or(false)
}

/// Answers `text_match` and `text_score` from the full-text index; see the module doc.
#[derive(Debug, Default)]
pub struct FullTextScans;

impl OptimizerRule for FullTextScans {
    fn name(&self) -> &str {
        "omnigraph_full_text_scans"
    }

    fn rewrite(
        &self,
        plan: LogicalPlan,
        _config: &dyn OptimizerConfig,
    ) -> DfResult<Transformed<LogicalPlan>> {
        // DELETE and UPDATE hand their filters to the table, which reads the matches
        // itself ([`matching_rows`]); a rewritten plan would hand it the rest alone.
        let writes_filtered_rows = matches!(&plan, LogicalPlan::Dml(dml)
            if matches!(dml.op, WriteOp::Delete | WriteOp::Update));
        if writes_filtered_rows || !mentions_text_search(&plan) {
            return Ok(Transformed::no(plan));
        }
        let before = plan.schema().clone();
        let mut changed = false;
        let plan = rewrite_node(plan, &HashSet::new(), &mut changed)?;
        if !changed {
            return Ok(Transformed::no(plan));
        }
        // A score passed up to the top (through a sort, say) is not part of the answer.
        if plan.schema().fields().len() != before.fields().len() {
            let columns = before
                .iter()
                .map(|(qualifier, field)| {
                    Expr::Column(Column::new(qualifier.cloned(), field.name()))
                })
                .collect();
            let projection = Projection::try_new(columns, Arc::new(plan))?;
            return Ok(Transformed::yes(LogicalPlan::Projection(projection)));
        }
        Ok(Transformed::yes(plan))
    }
}

/// The score columns `node`'s own expressions read (by `text_score`).
fn scores_read(node: &LogicalPlan) -> DfResult<HashSet<String>> {
    let mut names = HashSet::new();
    node.apply_expressions(|e| {
        e.apply(|e| {
            if let Some((_, search)) = search_call(e, SCORE)? {
                names.insert(search.score_name());
            }
            Ok(TreeNodeRecursion::Continue)
        })
    })?;
    Ok(names)
}

/// Whether `node` passes its inputs' columns up (so a score can cross it).
fn passes_columns(node: &LogicalPlan) -> bool {
    matches!(
        node,
        LogicalPlan::Projection(_)
            | LogicalPlan::Filter(_)
            | LogicalPlan::Sort(_)
            | LogicalPlan::Limit(_)
            | LogicalPlan::SubqueryAlias(_)
            | LogicalPlan::Join(_)
            | LogicalPlan::Repartition(_)
            | LogicalPlan::Window(_)
    )
}

/// `node` with its searches answered by the index and the scores `wanted` above it
/// passed up through it where it can.
fn rewrite_node(
    node: LogicalPlan,
    wanted: &HashSet<String>,
    changed: &mut bool,
) -> DfResult<LogicalPlan> {
    let mut wanted_below = scores_read(&node)?;
    if passes_columns(&node) {
        wanted_below.extend(wanted.iter().cloned());
    }
    if let LogicalPlan::Filter(filter) = &node
        && let Some(plan) = search_filter(filter, &wanted_below)?
    {
        *changed = true;
        // The rest of the filter may read the score (`AND text_score(...) > 1`).
        return resolve_scores(plan, changed)?.recompute_schema();
    }
    let node = node
        .map_children(|child| rewrite_node(child, &wanted_below, changed).map(Transformed::yes))?
        .data;
    let node = resolve_scores(node, changed)?;
    let node = match node {
        LogicalPlan::Projection(projection) => pass_scores(projection, wanted)?,
        LogicalPlan::Sort(sort) => limit_search(sort)?,
        other => other,
    };
    node.recompute_schema()
}

/// The `text_score` calls of `node` whose score column an input carries, replaced by
/// that column (keeping the output names).
fn resolve_scores(node: LogicalPlan, changed: &mut bool) -> DfResult<LogicalPlan> {
    let inputs: Vec<_> = node
        .inputs()
        .into_iter()
        .map(|i| i.schema().clone())
        .collect();
    let preserver = NamePreserver::new(&node);
    let keeps_names = !matches!(node, LogicalPlan::Sort(_));
    Ok(node
        .map_expressions(|expr| {
            let saved = preserver.save(&expr);
            let rewritten = expr.transform_up(|e| {
                let Some((column, search)) = search_call(&e, SCORE)? else {
                    return Ok(Transformed::no(e));
                };
                let score = Column::new(column.relation.clone(), search.score_name());
                if inputs.iter().any(|schema| schema.has_column(&score)) {
                    *changed = true;
                    Ok(Transformed::yes(Expr::Column(score)))
                } else {
                    Ok(Transformed::no(e))
                }
            })?;
            if rewritten.transformed && keeps_names {
                Ok(rewritten.update_data(|e| saved.restore(e)))
            } else {
                Ok(rewritten)
            }
        })?
        .data)
}

/// `projection` also passing up the score columns of its input that are `wanted` above.
fn pass_scores(projection: Projection, wanted: &HashSet<String>) -> DfResult<LogicalPlan> {
    let mut expr = projection.expr;
    for (qualifier, field) in projection.input.schema().iter() {
        if !wanted.contains(field.name()) {
            continue;
        }
        let column = Column::new(qualifier.cloned(), field.name());
        if !projection.schema.has_column(&column) {
            expr.push(Expr::Column(column));
        }
    }
    Ok(LogicalPlan::Projection(Projection::try_new(
        expr,
        projection.input,
    )?))
}

/// A filter over a graph table's scan with a `text_match` of its columns, as the rest of
/// the filter over a [`TextSearchScan`] (which carries the score when it is `wanted`).
/// One search per scan: a second `text_match` stays, to fail when run.
fn search_filter(filter: &Filter, wanted: &HashSet<String>) -> DfResult<Option<LogicalPlan>> {
    let LogicalPlan::TableScan(scan) = filter.input.as_ref() else {
        return Ok(None);
    };
    let Ok(provider) = source_as_provider(&scan.source) else {
        return Ok(None);
    };
    let Some(table) = provider.downcast_ref::<GraphTable>() else {
        return Ok(None);
    };
    let mut search = None;
    let mut rest = Vec::new();
    for conjunct in split_conjunction_owned(filter.predicate.clone()) {
        if search.is_none()
            && let Some((column, found)) = search_call(&conjunct, MATCH)?
            && scan.projected_schema.has_column(&column)
        {
            search = Some(found);
        } else {
            rest.push(conjunct);
        }
    }
    let Some(search) = search else {
        return Ok(None);
    };
    let provider = TextSearchScan::new(table.clone(), search, None);
    let score_index = provider.schema.fields().len() - 1;
    let mut projection = scan
        .projection
        .clone()
        .unwrap_or_else(|| (0..score_index).collect());
    if wanted.contains(&provider.search.score_name()) {
        projection.push(score_index);
    }
    let scan = TableScan::try_new(
        scan.table_name.clone(),
        provider_as_source(Arc::new(provider)),
        Some(projection),
        scan.filters.clone(),
        scan.fetch,
    )?;
    let scan = LogicalPlan::TableScan(scan);
    Ok(Some(match conjunction(rest) {
        Some(predicate) => LogicalPlan::Filter(Filter::try_new(predicate, Arc::new(scan))?),
        None => scan,
    }))
}

/// `ORDER BY <a search's score> DESC LIMIT k` directly over the search (only projections
/// between): the index returns the best `k` alone. With a second sort key ties at the
/// k-th score would need every match, so only a single key limits the search.
fn limit_search(sort: Sort) -> DfResult<LogicalPlan> {
    let (Some(k), [key]) = (sort.fetch, sort.expr.as_slice()) else {
        return Ok(LogicalPlan::Sort(sort));
    };
    if key.asc {
        return Ok(LogicalPlan::Sort(sort));
    }
    let mut key = key.expr.clone().unalias_nested().data;
    let mut node = sort.input.as_ref();
    let scan = loop {
        match node {
            LogicalPlan::Projection(projection) => {
                let Some(inner) = through_projection(key, projection) else {
                    return Ok(LogicalPlan::Sort(sort));
                };
                key = inner;
                node = projection.input.as_ref();
            }
            LogicalPlan::TableScan(scan) => break scan,
            _ => return Ok(LogicalPlan::Sort(sort)),
        }
    };
    let Some(search) = text_search_scan(scan) else {
        return Ok(LogicalPlan::Sort(sort));
    };
    let score = search.search.score_name();
    if scan.fetch.is_some() || !matches!(&key, Expr::Column(c) if c.name == score) {
        return Ok(LogicalPlan::Sort(sort));
    }
    let limited = Arc::new(TextSearchScan::new(
        search.table.clone(),
        search.search.clone(),
        Some(k),
    ));
    let input = Arc::unwrap_or_clone(sort.input).transform_down(|node| match node {
        LogicalPlan::TableScan(scan) if text_search_scan(&scan).is_some() => {
            Ok(Transformed::yes(LogicalPlan::TableScan(TableScan {
                source: provider_as_source(limited.clone()),
                ..scan
            })))
        }
        other => Ok(Transformed::no(other)),
    })?;
    Ok(LogicalPlan::Sort(Sort {
        expr: sort.expr,
        input: Arc::new(input.data),
        fetch: sort.fetch,
    }))
}

/// For DELETE and UPDATE, which read their rows by the filters DataFusion hands the
/// table: the rows of `table` (every column) that a `text_match` among `filters` keeps,
/// read from the index with the exact filters pushed, and the filters left to apply.
pub(crate) async fn matching_rows(
    table: &GraphTable,
    state: &dyn Session,
    filters: &[Expr],
) -> DfResult<Option<(Arc<dyn ExecutionPlan>, Vec<Expr>)>> {
    let mut search = None;
    let mut rest = Vec::new();
    for conjunct in filters.iter().cloned().flat_map(split_conjunction_owned) {
        if search.is_none()
            && let Some((_, found)) = search_call(&conjunct, MATCH)?
        {
            search = Some(found);
        } else {
            rest.push(conjunct);
        }
    }
    let Some(search) = search else {
        return Ok(None);
    };
    let schema = table.schema();
    let exact: Vec<Expr> = rest
        .iter()
        .filter(|f| crate::pushdown::is_exact(f, &schema))
        .cloned()
        .collect();
    let columns: Vec<usize> = (0..schema.fields().len()).collect();
    let rows = TextSearchScan::new(table.clone(), search, None)
        .scan(state, Some(&columns), &exact, None)
        .await?;
    Ok(Some((rows, rest)))
}

fn text_search_scan(scan: &TableScan) -> Option<Arc<TextSearchScan>> {
    source_as_provider(&scan.source)
        .ok()?
        .downcast_ref::<TextSearchScan>()
        .map(|s| Arc::new(s.clone()))
}

/// A graph table read through a text column's inverted index: the rows matching the
/// search among those the pushed filters keep (the best `k` by score when limited),
/// with their BM25 score as one more column.
#[derive(Debug, Clone)]
struct TextSearchScan {
    table: GraphTable,
    search: TextSearch,
    k: Option<usize>,
    schema: SchemaRef,
}

impl TextSearchScan {
    fn new(table: GraphTable, search: TextSearch, k: Option<usize>) -> TextSearchScan {
        let table_schema = table.schema();
        let mut fields: Vec<Field> = table_schema
            .fields()
            .iter()
            .map(|f| f.as_ref().clone())
            .collect();
        fields.push(Field::new(search.score_name(), DataType::Float64, true));
        TextSearchScan {
            table,
            search,
            k,
            schema: Arc::new(Schema::new(fields)),
        }
    }
}

#[async_trait]
impl TableProvider for TextSearchScan {
    fn schema(&self) -> SchemaRef {
        self.schema.clone()
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
        let snapshot = self.table.scan_snapshot(state).await?;
        let (def, _) = snapshot.table(self.table.name()).map_err(to_df)?;
        require_text_index(MATCH, def, &search.column)?;
        let dataset = self.table.scan_dataset(state).await?;
        let score_index = self.schema.fields().len() - 1;
        let projection: Vec<usize> = match projection {
            Some(p) => p.clone(),
            None => (0..=score_index).collect(),
        };
        let columns: Vec<String> = projection
            .iter()
            .filter(|i| **i != score_index)
            .map(|i| self.schema.field(*i).name().clone())
            .collect();
        let mut scanner = dataset.scan();
        let mut read = columns;
        read.push(SCORE_COLUMN.to_string());
        scanner.disable_scoring_autoprojection();
        scanner.project(&read).map_err(lance_to_df)?;
        if let Some(filter) = conjunction(filters.to_vec()) {
            scanner.prefilter(true);
            scanner.filter_expr(filter);
        }
        let k = self.k.or(limit).and_then(|k| i64::try_from(k).ok());
        let query =
            FullTextSearchQuery::new_query(fts_query(&search.column, &search.query, search.mode))
                .limit(k);
        scanner.full_text_search(query).map_err(lance_to_df)?;
        let plan = scanner.create_plan().await.map_err(lance_to_df)?;
        let output = plan.schema();
        let exprs = projection
            .iter()
            .map(|&i| {
                let field = self.schema.field(i);
                let expr: Arc<dyn PhysicalExpr> = if i == score_index {
                    Arc::new(CastExpr::new(
                        Arc::new(ColumnExpr::new(
                            SCORE_COLUMN,
                            output.index_of(SCORE_COLUMN)?,
                        )),
                        DataType::Float64,
                        None,
                    ))
                } else {
                    Arc::new(ColumnExpr::new(
                        field.name(),
                        output.index_of(field.name())?,
                    ))
                };
                Ok((expr, field.name().clone()))
            })
            .collect::<DfResult<Vec<_>>>()?;
        Ok(Arc::new(ProjectionExec::try_new(exprs, plan)?))
    }
}
