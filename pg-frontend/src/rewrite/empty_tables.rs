//! Catalog tables that are empty in every graph, and the SELECTs that read no rows
//! because they join one.

use std::ops::ControlFlow;

use datafusion::sql::sqlparser::ast::{
    Expr, Function, FunctionArgumentClause, FunctionArguments, GroupByExpr, JoinOperator,
    ObjectName, Query, Select, TableFactor, TableWithJoins, Visit, Visitor,
};

use super::ast::{last_name, last_name_is};

/// `pg_catalog` tables that are empty in every graph: each records a PostgreSQL feature
/// graphs do not have, and datafusion-pg-catalog serves it as an empty fixed table that
/// [`crate::catalog`] does not replace (the test below holds the first part to that).
pub const ALWAYS_EMPTY: &[&str] = &[
    // Row-level security.
    "pg_policy",
    // Extended statistics.
    "pg_statistic_ext",
    "pg_statistic_ext_data",
    // Logical replication.
    "pg_publication",
    "pg_publication_namespace",
    "pg_publication_rel",
    "pg_subscription",
    "pg_subscription_rel",
    "pg_replication_origin",
    // Sequences.
    "pg_sequence",
    // Table inheritance and partitioning.
    "pg_inherits",
    "pg_partitioned_table",
    // Triggers.
    "pg_trigger",
    "pg_event_trigger",
    // Foreign tables.
    "pg_foreign_data_wrapper",
    "pg_foreign_server",
    "pg_foreign_table",
    "pg_user_mapping",
    // Large objects.
    "pg_largeobject",
    "pg_largeobject_metadata",
    // Default privileges (`ALTER DEFAULT PRIVILEGES`).
    "pg_default_acl",
    // Security labels.
    "pg_seclabel",
    "pg_shseclabel",
];

/// Whether `relation` is one of the [`ALWAYS_EMPTY`] tables: named so, and in
/// `pg_catalog` or unqualified (the catalog comes first on every search path).
pub fn is_always_empty(relation: &TableFactor) -> bool {
    let TableFactor::Table {
        name, args: None, ..
    } = relation
    else {
        return false;
    };
    in_pg_catalog(name)
        && last_name(name).is_some_and(|table| {
            ALWAYS_EMPTY
                .iter()
                .any(|empty| table.value.eq_ignore_ascii_case(empty))
        })
}

/// Whether `name` names a relation of `pg_catalog`: `[[catalog.]pg_catalog.]relation`.
fn in_pg_catalog(name: &ObjectName) -> bool {
    let parts = &name.0;
    match parts.len() {
        1 => true,
        2 | 3 => parts[parts.len() - 2]
            .as_ident()
            .is_some_and(|schema| schema.value.eq_ignore_ascii_case("pg_catalog")),
        _ => false,
    }
}

/// Whether `select` returns no rows whatever its condition: it does not aggregate (an
/// aggregate over no rows is a row) and its FROM joins an [`ALWAYS_EMPTY`] table where
/// the join keeps only matched rows.
pub fn reads_no_rows(select: &Select) -> bool {
    !aggregates(select) && select.from.iter().any(joins_no_rows)
}

/// Whether `select` is an aggregate query: it groups, has HAVING, or calls an aggregate
/// function in its projection (a subquery's aggregates are the subquery's).
pub fn aggregates(select: &Select) -> bool {
    let groups = match &select.group_by {
        GroupByExpr::All(_) => true,
        GroupByExpr::Expressions(exprs, modifiers) => !exprs.is_empty() || !modifiers.is_empty(),
    };
    groups || select.having.is_some() || calls_aggregate(&select.projection)
}

/// Whether `node`, outside its subqueries, calls an aggregate function.
pub fn calls_aggregate(node: &impl Visit) -> bool {
    node.visit(&mut AggregateCalls { subquery_depth: 0 })
        .is_break()
}

/// Breaks at the first aggregate call outside subqueries.
struct AggregateCalls {
    subquery_depth: usize,
}

impl Visitor for AggregateCalls {
    type Break = ();

    fn pre_visit_query(&mut self, _: &Query) -> ControlFlow<()> {
        self.subquery_depth += 1;
        ControlFlow::Continue(())
    }

    fn post_visit_query(&mut self, _: &Query) -> ControlFlow<()> {
        self.subquery_depth -= 1;
        ControlFlow::Continue(())
    }

    fn pre_visit_expr(&mut self, expr: &Expr) -> ControlFlow<()> {
        match expr {
            Expr::Function(f) if self.subquery_depth == 0 && is_aggregate(f) => {
                ControlFlow::Break(())
            }
            _ => ControlFlow::Continue(()),
        }
    }
}

/// Whether `call` is an aggregate: a known one, or any with the clauses only aggregates
/// take (`FILTER`, `WITHIN GROUP`, `DISTINCT` or `ORDER BY` arguments). Calls with `OVER`
/// are window functions, which keep the row count.
fn is_aggregate(call: &Function) -> bool {
    let aggregate_clauses = call.filter.is_some()
        || !call.within_group.is_empty()
        || matches!(&call.args, FunctionArguments::List(list)
            if list.duplicate_treatment.is_some()
                || list.clauses.iter().any(|c| matches!(c, FunctionArgumentClause::OrderBy(_))));
    call.over.is_none()
        && (aggregate_clauses || AGGREGATES.iter().any(|a| last_name_is(&call.name, a)))
}

/// Aggregate functions of PostgreSQL and DataFusion.
const AGGREGATES: &[&str] = &[
    "any_value",
    "approx_distinct",
    "approx_median",
    "approx_percentile_cont",
    "array_agg",
    "avg",
    "bit_and",
    "bit_or",
    "bit_xor",
    "bool_and",
    "bool_or",
    "corr",
    "count",
    "covar_pop",
    "covar_samp",
    "every",
    "first_value",
    "grouping",
    "json_agg",
    "json_object_agg",
    "jsonb_agg",
    "jsonb_object_agg",
    "last_value",
    "max",
    "median",
    "min",
    "mode",
    "nth_value",
    "percentile_cont",
    "percentile_disc",
    "range_agg",
    "range_intersect_agg",
    "regr_avgx",
    "regr_avgy",
    "regr_count",
    "regr_intercept",
    "regr_r2",
    "regr_slope",
    "regr_sxx",
    "regr_sxy",
    "regr_syy",
    "stddev",
    "stddev_pop",
    "stddev_samp",
    "string_agg",
    "sum",
    "var_pop",
    "var_samp",
    "variance",
    "xmlagg",
];

/// Whether `from` (one FROM item and its joins, left to right) has no rows: an
/// always-empty table is joined where the join keeps only matched rows, not on the side
/// an outer join keeps unmatched.
fn joins_no_rows(from: &TableWithJoins) -> bool {
    from.joins
        .iter()
        .fold(has_no_rows(&from.relation), |left, join| {
            let right = has_no_rows(&join.relation);
            match join.join_operator {
                JoinOperator::Join(_)
                | JoinOperator::Inner(_)
                | JoinOperator::CrossJoin(_)
                | JoinOperator::StraightJoin(_)
                | JoinOperator::Semi(_)
                | JoinOperator::LeftSemi(_)
                | JoinOperator::RightSemi(_)
                | JoinOperator::CrossApply => left || right,
                JoinOperator::Left(_)
                | JoinOperator::LeftOuter(_)
                | JoinOperator::Anti(_)
                | JoinOperator::LeftAnti(_)
                | JoinOperator::OuterApply => left,
                JoinOperator::Right(_)
                | JoinOperator::RightOuter(_)
                | JoinOperator::RightAnti(_) => right,
                JoinOperator::FullOuter(_) => left && right,
                // Joins PostgreSQL does not have: whatever they keep, an empty table
                // inner-joined after them still empties the result.
                _ => false,
            }
        })
}

fn has_no_rows(relation: &TableFactor) -> bool {
    match relation {
        TableFactor::NestedJoin {
            table_with_joins, ..
        } => joins_no_rows(table_with_joins),
        _ => is_always_empty(relation),
    }
}

#[cfg(test)]
mod tests {
    use datafusion::arrow::array::Int64Array;
    use datafusion::prelude::SessionContext;
    use datafusion::sql::sqlparser::ast::{SetExpr, Statement};
    use datafusion_pg_catalog::pg_catalog::context::EmptyContextProvider;

    use super::super::test_support::parsed;
    use super::*;

    fn no_rows(sql: &str) -> bool {
        let Statement::Query(query) = parsed(sql) else {
            panic!("a query")
        };
        let SetExpr::Select(select) = query.body.as_ref() else {
            panic!("a select")
        };
        reads_no_rows(select)
    }

    #[test]
    fn a_select_joining_an_empty_table_reads_no_rows() {
        assert!(no_rows(
            "SELECT polname FROM pg_catalog.pg_policy WHERE polrelid = 1"
        ));
        assert!(no_rows("SELECT x FROM pg_policy p, pg_class c"));
        assert!(no_rows(
            "SELECT x FROM pg_class c JOIN pg_catalog.pg_trigger t ON t.tgrelid = c.oid"
        ));
        assert!(no_rows("SELECT x FROM pg_class c CROSS JOIN pg_inherits i"));
        assert!(no_rows(
            "SELECT x FROM pg_sequence s LEFT JOIN pg_class c ON c.oid = s.seqrelid"
        ));
        assert!(no_rows(
            "SELECT x FROM pg_class c RIGHT JOIN pg_sequence s ON c.oid = s.seqrelid"
        ));
        assert!(no_rows(
            "SELECT x FROM pg_class c JOIN (pg_class d JOIN pg_policy p ON true) ON true"
        ));
        assert!(no_rows(
            "SELECT DISTINCT x, row_number() OVER () FROM omnigraph.pg_catalog.pg_policy"
        ));
        assert!(no_rows(
            "SELECT (SELECT count(*) FROM pg_class c WHERE c.oid = p.polrelid) FROM pg_policy p"
        ));
    }

    #[test]
    fn a_select_that_may_read_rows_is_known_apart() {
        assert!(!no_rows("SELECT x FROM pg_class"));
        assert!(!no_rows("SELECT 1"));
        assert!(!no_rows(
            "SELECT x FROM pg_class c LEFT JOIN pg_policy p ON p.polrelid = c.oid"
        ));
        assert!(!no_rows(
            "SELECT x FROM pg_policy p FULL JOIN pg_class c ON p.polrelid = c.oid"
        ));
        assert!(!no_rows("SELECT x FROM public.pg_policy"));
        assert!(!no_rows("SELECT x FROM (SELECT * FROM pg_policy) p"));
        // An aggregate over no rows is one row.
        assert!(!no_rows("SELECT count(*) FROM pg_policy"));
        assert!(!no_rows("SELECT pg_catalog.MAX(polname) FROM pg_policy"));
        assert!(!no_rows("SELECT my_agg(x ORDER BY y) FROM pg_policy"));
        assert!(!no_rows("SELECT 1 FROM pg_policy HAVING true"));
        assert!(!no_rows("SELECT x FROM pg_policy GROUP BY x"));
    }

    #[tokio::test]
    async fn always_empty_tables_are_served_empty() {
        let ctx = SessionContext::new();
        datafusion_pg_catalog::setup_pg_catalog(&ctx, "datafusion", EmptyContextProvider)
            .expect("pg_catalog");
        for table in ALWAYS_EMPTY {
            let counted = ctx
                .sql(&format!("SELECT count(*) FROM pg_catalog.{table}"))
                .await
                .expect(table);
            let batches = counted.collect().await.expect(table);
            let count = batches[0].column(0).as_any().downcast_ref::<Int64Array>();
            assert_eq!(count.map(|c| c.value(0)), Some(0), "{table}");
        }
    }
}
