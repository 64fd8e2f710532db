//! DataFusion extension for OmniGraph: the graph's branches as schemas, node and edge
//! types as tables (Lance scans with projection, filter and limit pushdown), time travel
//! (`as_of` and `FOR SYSTEM_TIME AS OF`), procedures as table functions, traversals on a
//! CSR topology index, and the `omnigraph` system tables.
//!
//! ```no_run
//! # async fn demo() -> datafusion::error::Result<()> {
//! use datafusion::prelude::SessionContext;
//! let graph = omnigraph_engine::Graph::open("/tmp/social").await.unwrap();
//! let ctx = SessionContext::new();
//! datafusion_omnigraph::register(&ctx, graph).await?;
//! ctx.sql("SELECT name, age FROM person WHERE age > 30").await?.show().await?;
//! # Ok(()) }
//! ```

mod blocking;
pub mod catalog;
pub mod column_aliases;
pub mod context;
pub mod dialect;
pub mod dml;
pub mod dml_guard;
pub mod error;
mod expression_rewrite;
pub mod functions;
pub mod graph_table;
pub mod nearest;
pub mod nested;
pub mod numbers;
pub mod options;
pub mod pg_type;
pub mod privilege;
pub mod provider;
pub mod pushdown;
mod rebuilt_state;
pub mod set_operations;
pub mod statement_context;
pub mod subqueries;
pub mod syntax_builders;
pub mod system_tables;
pub mod text_query;
pub mod text_scan;
pub mod time_travel;
pub mod transaction;
pub mod types;
pub mod unnest_relations;
mod written_rows;

use std::sync::Arc;

use datafusion::execution::registry::FunctionRegistry;
use datafusion::prelude::SessionContext;
use omnigraph_engine::Graph;

pub use catalog::{GraphCatalog, PUBLIC_SCHEMA, SYSTEM_SCHEMA};
pub use context::{GraphContext, SessionSettings, SnapshotSelector};
pub use dialect::OmniGraphDialect;
pub use error::{engine_error, to_df};
pub use functions::procedures::{
    Effect, PROCEDURES, ProcedureCall, ProcedureSpec, ProcedureTable, procedure,
};
pub use functions::traversal::{TRAVERSAL_FUNCTIONS, TraversalCall, TraversalExec};
pub use nested::plan_nested_statements;
pub use options::OmniGraphOptions;
pub use privilege::{Role, required_role};
pub use statement_context::StatementContext;
pub use transaction::{Savepoint, Transaction};

/// Installs `graph` into `ctx` and returns the session's graph state.
///
/// The graph's catalog replaces the context's default catalog (schemas registered there
/// before, other than `public`, stay reachable): schema `public` is the session's
/// branch, every branch is a schema of its own name, and `omnigraph` holds the system
/// tables. Also registers `as_of` and the procedures as table functions, and the
/// relation planner for `FOR SYSTEM_TIME AS OF` (parse with [`OmniGraphDialect`]).
pub async fn register(
    ctx: &SessionContext,
    graph: Graph,
) -> datafusion::error::Result<Arc<GraphContext>> {
    let graph_ctx = GraphContext::new(graph);
    graph_ctx.refresh_branches().await.map_err(to_df)?;
    register_context(ctx, graph_ctx.clone())?;
    Ok(graph_ctx)
}

/// Like [`register`], with a graph state the caller already holds.
pub fn register_context(
    ctx: &SessionContext,
    graph_ctx: Arc<GraphContext>,
) -> datafusion::error::Result<()> {
    {
        // The `omnigraph.*` settings live in the session's configuration.
        let state = ctx.state_ref();
        let mut state = state.write();
        let options = state.config_mut().options_mut();
        if options.extensions.get::<OmniGraphOptions>().is_none() {
            options.extensions.insert(OmniGraphOptions::default());
        }
        // A hash join's dynamic filter (`key >= min AND key <= max` pushed into the probe
        // side) drops NULL keys, which `INTERSECT` matches as equal: PostgreSQL's
        // `SELECT NULL INTERSECT SELECT NULL` is one row, with the filter it is none.
        options.optimizer.enable_join_dynamic_filter_pushdown = false;
        // `1.5` is `numeric` in PostgreSQL: exact, and shown with the digits written.
        options.sql_parser.parse_float_as_decimal = true;
    }
    graph_ctx.attach_session(ctx.state_weak_ref());
    let catalog_name = ctx
        .state()
        .config()
        .options()
        .catalog
        .default_catalog
        .clone();
    // Schemas other than the graph's (pg_catalog of a Postgres front end, an embedding
    // application's own) live beside them.
    let previous = ctx.catalog(&catalog_name).or_else(|| {
        Some(Arc::new(datafusion::catalog::MemoryCatalogProvider::new())
            as Arc<dyn datafusion::catalog::CatalogProvider>)
    });
    ctx.register_catalog(
        &catalog_name,
        Arc::new(GraphCatalog::new(graph_ctx.clone(), previous)),
    );
    // PostgreSQL's functions (`to_char` templates, ...) in place of DataFusion's.
    functions::registry::register_overrides(ctx, functions::postgres_functions());
    for aggregate in functions::aggregates::aggregates() {
        ctx.register_udaf(aggregate);
    }
    for window in functions::windows::window_functions() {
        ctx.register_udwf(window);
    }
    ctx.register_udf(types::pg_typeof::pg_typeof());
    ctx.register_udtf(
        "as_of",
        Arc::new(functions::as_of::AsOfFunction::new(graph_ctx.clone())),
    );
    ctx.register_udtf(
        "diff",
        Arc::new(functions::diff::DiffFunction::new(graph_ctx.clone())),
    );
    for procedure in PROCEDURES {
        ctx.register_udtf(
            procedure.name,
            Arc::new(functions::procedures::ProcedureFunction::new(
                graph_ctx.clone(),
                procedure.name,
            )),
        );
    }
    ctx.register_udtf(
        functions::text_search::NAME,
        Arc::new(functions::text_search::TextSearchFunction::new(
            graph_ctx.clone(),
        )),
    );
    for name in TRAVERSAL_FUNCTIONS {
        ctx.register_udtf(
            name,
            Arc::new(functions::traversal::TraversalFunction::new(
                graph_ctx.clone(),
                name,
            )),
        );
    }
    ctx.add_analyzer_rule(std::sync::Arc::new(dml_guard::DmlGuard));
    numbers::register(ctx)?;
    functions::datetime::register(ctx)?;
    for rule in subqueries::rules() {
        ctx.add_analyzer_rule(rule);
    }
    ctx.add_analyzer_rule(std::sync::Arc::new(set_operations::MultisetOperations));
    ctx.add_analyzer_rule(Arc::new(functions::intervals::PostgresIntervals));
    ctx.add_analyzer_rule(Arc::new(types::casts::PostgresCasts));
    ctx.add_analyzer_rule(Arc::new(set_operations::UnionTypeTags));
    ctx.add_analyzer_rule(Arc::new(types::pg_typeof::ResolvePgTypeof));
    types::type_planner::install(ctx);
    functions::operators::install(ctx);
    ctx.state_ref()
        .write()
        .register_expr_planner(Arc::new(types::resolution::BooleanNumberComparison))?;
    ctx.state_ref()
        .write()
        .register_expr_planner(Arc::new(types::resolution::AmbiguousAggregates))?;
    ctx.add_optimizer_rule(std::sync::Arc::new(dml_guard::DmlEmptyGuard));
    ctx.add_optimizer_rule(Arc::new(nearest::NearestNeighbours));
    ctx.add_optimizer_rule(Arc::new(text_scan::FullTextScans));
    for function in functions::text_match::functions() {
        ctx.register_udf(function);
    }
    for function in graph_table::pattern_functions() {
        ctx.register_udf(function);
    }
    graph_ctx.add_property_graph_name(&catalog_name);
    if let Some(name) = graph_ctx.graph().name() {
        graph_ctx.add_property_graph_name(&name);
    }
    rebuilt_state::rebuild(ctx, |builder| {
        builder.with_query_planner(Arc::new(graph_table::GraphQueryPlanner::new(
            graph_ctx.clone(),
        )))
    });
    ctx.register_relation_planner(Arc::new(graph_table::GraphTablePlanner::new(
        graph_ctx.clone(),
    )))?;
    ctx.register_relation_planner(Arc::new(time_travel::AsOfRelationPlanner::new(graph_ctx)))?;
    ctx.register_relation_planner(Arc::new(column_aliases::PartialColumnAliases))?;
    ctx.register_relation_planner(Arc::new(unnest_relations::UnnestRelations))?;
    Ok(())
}
