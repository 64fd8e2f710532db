//! `text_search(table, column, query [, k [, mode]])`: the rows of a node or edge table
//! whose text `column` matches `query`, ranked by BM25 on the column's inverted index
//! (Lance's), as `(id, score)`, best first. Joined with the table (or a traversal) by
//! `id`, it filters and orders any query; it reads the statement's snapshot, so it
//! follows the session's branch and `omnigraph.as_of`.
//!
//! `mode` is one of [`TextMode`]'s.

use std::sync::Arc;

use async_trait::async_trait;
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::catalog::{Session, TableFunctionArgs, TableFunctionImpl, TableProvider};
use datafusion::logical_expr::{Expr, TableType};
use datafusion::physical_expr::PhysicalExpr;
use datafusion::physical_expr::expressions::{CastExpr, Column};
use datafusion::physical_plan::ExecutionPlan;
use datafusion::physical_plan::projection::ProjectionExec;
use omnigraph_engine::lance_index::scalar::FullTextSearchQuery;

use super::args::{Args, invalid};
use crate::context::{GraphContext, SnapshotSelector};
use crate::error::{DfResult, lance_to_df, to_df};
use crate::statement_context::StatementContext;
use crate::text_query::{SCORE_COLUMN, TextMode, fts_query, require_text_index};

pub const NAME: &str = "text_search";

/// One call: what to search and how many rows to return.
#[derive(Debug, Clone)]
struct Search {
    table: String,
    column: String,
    query: String,
    k: Option<u64>,
    mode: TextMode,
}

#[derive(Debug)]
pub struct TextSearchFunction {
    ctx: Arc<GraphContext>,
}

impl TextSearchFunction {
    pub fn new(ctx: Arc<GraphContext>) -> Self {
        TextSearchFunction { ctx }
    }
}

impl TableFunctionImpl for TextSearchFunction {
    fn call_with_args(&self, args: TableFunctionArgs) -> DfResult<Arc<dyn TableProvider>> {
        let a = Args::new(NAME, args.exprs(), 3, 5)?;
        let k = a.nullable_u64(3, "k")?;
        if k == Some(0) {
            return Err(invalid(format!("{NAME}(): k must be positive")));
        }
        let search = Search {
            table: a.text(0, "table")?,
            column: a.text(1, "column")?,
            query: a.text(2, "query")?,
            k,
            mode: match a.opt_text(4, "mode")? {
                Some(m) => TextMode::parse(NAME, &m)?,
                None => TextMode::Match,
            },
        };
        Ok(Arc::new(TextSearchTable {
            ctx: self.ctx.clone(),
            search,
        }))
    }
}

#[derive(Debug)]
struct TextSearchTable {
    ctx: Arc<GraphContext>,
    search: Search,
}

fn schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new("id", DataType::Utf8, false),
        Field::new("score", DataType::Float64, false),
    ]))
}

#[async_trait]
impl TableProvider for TextSearchTable {
    fn schema(&self) -> SchemaRef {
        schema()
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
        let search = &self.search;
        let statement = StatementContext::of(state.config());
        let snapshot = self
            .ctx
            .pinned(&SnapshotSelector::Current, statement.as_deref())
            .await
            .map_err(to_df)?;
        let (def, _) = snapshot.table(&search.table).map_err(to_df)?;
        require_text_index(NAME, def, &search.column)?;
        let dataset = snapshot.dataset(def.table()).await.map_err(to_df)?;
        let query = fts_query(&search.column, &search.query, search.mode);
        let query = FullTextSearchQuery::new_query(query).limit(search.k.map(|k| k as i64));
        let mut scanner = dataset.scan();
        scanner.disable_scoring_autoprojection();
        scanner
            .project(&["id", SCORE_COLUMN])
            .map_err(lance_to_df)?;
        scanner.full_text_search(query).map_err(lance_to_df)?;
        let plan = scanner.create_plan().await.map_err(lance_to_df)?;
        let output = plan.schema();
        let id: Arc<dyn PhysicalExpr> = Arc::new(Column::new("id", output.index_of("id")?));
        let score: Arc<dyn PhysicalExpr> = Arc::new(CastExpr::new(
            Arc::new(Column::new(SCORE_COLUMN, output.index_of(SCORE_COLUMN)?)),
            DataType::Float64,
            None,
        ));
        let columns = [(id, "id".to_string()), (score, "score".to_string())];
        let exprs: Vec<_> = match projection {
            Some(p) => p.iter().map(|i| columns[*i].clone()).collect(),
            None => columns.to_vec(),
        };
        Ok(Arc::new(ProjectionExec::try_new(exprs, plan)?))
    }
}
