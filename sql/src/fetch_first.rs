//! `FETCH FIRST n ROWS ONLY`, the standard's `LIMIT n`, given to DataFusion as the
//! `LIMIT` it plans (its planner refuses `FETCH`). `WITH TIES` and `PERCENT` stay as
//! written, refused.

use std::ops::ControlFlow;

use datafusion::sql::parser::Statement as DFStatement;
use datafusion::sql::sqlparser::ast::{
    Expr, Fetch, LimitClause, Query, Value, VisitMut, VisitorMut,
};

/// Every `FETCH FIRST n ROWS ONLY` of `statement` as `LIMIT n` (`n` is 1 when omitted).
pub fn with_fetch_as_limit(statement: &mut DFStatement) {
    struct Fetches;
    impl VisitorMut for Fetches {
        type Break = ();
        fn pre_visit_query(&mut self, query: &mut Query) -> ControlFlow<()> {
            as_limit(query);
            ControlFlow::Continue(())
        }
    }
    if let DFStatement::Statement(statement) = statement {
        let _ = statement.visit(&mut Fetches);
    }
}

fn as_limit(query: &mut Query) {
    let Some(Fetch {
        with_ties: false,
        percent: false,
        quantity,
    }) = &query.fetch
    else {
        return;
    };
    let count = quantity
        .clone()
        .unwrap_or_else(|| Expr::value(Value::Number("1".into(), false)));
    let offset = match query.limit_clause.take() {
        None => None,
        Some(LimitClause::LimitOffset {
            limit: None,
            offset,
            limit_by,
        }) if limit_by.is_empty() => offset,
        Some(other) => {
            // `LIMIT` and `FETCH` together: PostgreSQL refuses, and so will DataFusion.
            query.limit_clause = Some(other);
            return;
        }
    };
    query.fetch = None;
    query.limit_clause = Some(LimitClause::LimitOffset {
        limit: Some(count),
        offset,
        limit_by: vec![],
    });
}
