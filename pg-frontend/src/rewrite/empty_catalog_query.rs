//! Queries that can only return no rows, since they join a catalog table that is empty
//! in every graph, as an empty SELECT DataFusion plans whatever the query computes.

use datafusion::sql::sqlparser::ast::{
    Expr, Ident, Query, Select, SelectItem, SetExpr, SetOperator, Statement,
};

use super::CatalogRewrite;
use super::ast::{aliased, boolean, null, query, select};
use super::empty_tables::{calls_aggregate, reads_no_rows};
use omnigraph_sql::column_name::column_name;

/// A query, or a branch of a set operation, that reads no rows because its FROM joins an
/// always-empty table (see [`reads_no_rows`]) becomes `SELECT NULL AS <name>, ... WHERE
/// false`: the same column names, each NULL (cast as the column was, if it was a cast),
/// and nothing DataFusion may fail to plan. psql's `\d` asks so for row-level policies
/// (`array(SELECT ...)`), extended statistics (`'d' = any(stxkind)`, a char against text)
/// and publications (a UNION of three SELECTs, each over publications).
pub struct EmptyCatalogQuery;

impl CatalogRewrite for EmptyCatalogQuery {
    fn name(&self) -> &'static str {
        "empty_catalog_query"
    }

    fn rewrite(&self, statement: &mut Statement) {
        if let Statement::Query(query) = statement {
            without_empty_reads(query);
        }
    }
}

/// `query` as the empty select of its first branch's columns if it reads no rows (its
/// ORDER BY and LIMIT go: there is nothing to order), else with each branch that reads
/// no rows so.
fn without_empty_reads(whole: &mut Query) {
    if has_no_rows(whole)
        && let Some(empty) = first_select(&whole.body).and_then(empty_select)
    {
        *whole = query(empty);
    } else if let SetExpr::SetOperation { left, right, .. } = whole.body.as_mut() {
        without_empty_branches(left);
        without_empty_branches(right);
    }
}

fn without_empty_branches(body: &mut SetExpr) {
    match body {
        SetExpr::Select(select) => {
            if reads_no_rows(select)
                && let Some(empty) = empty_select(select)
            {
                **select = empty;
            }
        }
        SetExpr::Query(query) => without_empty_reads(query),
        SetExpr::SetOperation { left, right, .. } => {
            without_empty_branches(left);
            without_empty_branches(right);
        }
        _ => {}
    }
}

/// Whether `query` returns no rows: its SELECT reads none (and its ORDER BY does not
/// make it an aggregate query), or its set operation keeps none.
fn has_no_rows(query: &Query) -> bool {
    match query.body.as_ref() {
        SetExpr::Select(select) => reads_no_rows(select) && !calls_aggregate(&query.order_by),
        body => keeps_no_rows(body),
    }
}

fn keeps_no_rows(body: &SetExpr) -> bool {
    match body {
        SetExpr::Select(select) => reads_no_rows(select),
        SetExpr::Query(query) => has_no_rows(query),
        SetExpr::SetOperation {
            op, left, right, ..
        } => match op {
            SetOperator::Union => keeps_no_rows(left) && keeps_no_rows(right),
            SetOperator::Intersect => keeps_no_rows(left) || keeps_no_rows(right),
            SetOperator::Except | SetOperator::Minus => keeps_no_rows(left),
        },
        _ => false,
    }
}

/// The SELECT that names a set operation's columns: its leftmost.
fn first_select(body: &SetExpr) -> Option<&Select> {
    match body {
        SetExpr::Select(select) => Some(select),
        SetExpr::Query(query) => first_select(&query.body),
        SetExpr::SetOperation { left, .. } => first_select(left),
        _ => None,
    }
}

/// `SELECT NULL AS <name>, ... WHERE false` with `select`'s column names; none for a
/// select of `*`, whose columns are its tables' (so not known here), or one that fills
/// a table (`SELECT ... INTO`).
fn empty_select(of: &Select) -> Option<Select> {
    if of.into.is_some() {
        return None;
    }
    let columns = of
        .projection
        .iter()
        .map(|item| match item {
            SelectItem::UnnamedExpr(expr) => Some(aliased(
                null_like(expr),
                Ident::with_quote('"', column_name(expr)),
            )),
            SelectItem::ExprWithAlias { expr, alias } => {
                Some(aliased(null_like(expr), alias.clone()))
            }
            // `*`, and aliases of several columns (`AS (a, b)`), which PostgreSQL lacks.
            _ => None,
        })
        .collect::<Option<Vec<_>>>()?;
    Some(select(columns, vec![], Some(boolean(false))))
}

/// NULL, of `expr`'s type when `expr` names it (a cast).
fn null_like(expr: &Expr) -> Expr {
    match expr {
        Expr::Cast {
            kind,
            data_type,
            array,
            format,
            ..
        } => Expr::Cast {
            kind: kind.clone(),
            expr: Box::new(null()),
            data_type: data_type.clone(),
            array: *array,
            format: format.clone(),
        },
        Expr::Nested(inner) => null_like(inner),
        _ => null(),
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::assert_rewrites_to;
    use super::*;

    /// psql 15's `\d <table>` queries, as `psql -E` shows them.
    const PSQL_POLICIES: &str = "SELECT pol.polname, pol.polpermissive,
  CASE WHEN pol.polroles = '{0}' THEN NULL ELSE pg_catalog.array_to_string(array(select rolname from pg_catalog.pg_roles where oid = any (pol.polroles) order by 1),',') END,
  pg_catalog.pg_get_expr(pol.polqual, pol.polrelid),
  pg_catalog.pg_get_expr(pol.polwithcheck, pol.polrelid),
  CASE pol.polcmd
    WHEN 'r' THEN 'SELECT'
    WHEN 'a' THEN 'INSERT'
    WHEN 'w' THEN 'UPDATE'
    WHEN 'd' THEN 'DELETE'
    END AS cmd
FROM pg_catalog.pg_policy pol
WHERE pol.polrelid = '16390' ORDER BY 1;";

    const PSQL_STATISTICS: &str = "SELECT oid, stxrelid::pg_catalog.regclass, stxnamespace::pg_catalog.regnamespace::pg_catalog.text AS nsp, stxname,
pg_catalog.pg_get_statisticsobjdef_columns(oid) AS columns,
  'd' = any(stxkind) AS ndist_enabled,
  'f' = any(stxkind) AS deps_enabled,
  'm' = any(stxkind) AS mcv_enabled,
stxstattarget
FROM pg_catalog.pg_statistic_ext
WHERE stxrelid = '16390'
ORDER BY nsp, stxname;";

    const PSQL_PUBLICATIONS: &str = "SELECT pubname
     , NULL
     , NULL
FROM pg_catalog.pg_publication p
     JOIN pg_catalog.pg_publication_namespace pn ON p.oid = pn.pnpubid
     JOIN pg_catalog.pg_class pc ON pc.relnamespace = pn.pnnspid
WHERE pc.oid ='16390' and pg_catalog.pg_relation_is_publishable('16390')
UNION
SELECT pubname
     , pg_get_expr(pr.prqual, c.oid)
     , (CASE WHEN pr.prattrs IS NOT NULL THEN
         (SELECT string_agg(attname, ', ')
           FROM pg_catalog.generate_series(0, pg_catalog.array_upper(pr.prattrs::pg_catalog.int2[], 1)) s,
                pg_catalog.pg_attribute
          WHERE attrelid = pr.prrelid AND attnum = prattrs[s])
        ELSE NULL END) FROM pg_catalog.pg_publication p
     JOIN pg_catalog.pg_publication_rel pr ON p.oid = pr.prpubid
     JOIN pg_catalog.pg_class c ON c.oid = pr.prrelid
WHERE pr.prrelid = '16390'
UNION
SELECT pubname
     , NULL
     , NULL
FROM pg_catalog.pg_publication p
WHERE p.puballtables AND pg_catalog.pg_relation_is_publishable('16390')
ORDER BY 1;";

    #[test]
    fn psqls_policy_statistics_and_publication_queries_are_empty_selects() {
        assert_rewrites_to(
            &EmptyCatalogQuery,
            PSQL_POLICIES,
            "SELECT NULL AS \"polname\", NULL AS \"polpermissive\", \
             NULL AS \"array_to_string\", NULL AS \"pg_get_expr\", NULL AS \"pg_get_expr\", \
             NULL AS cmd WHERE false",
        );
        assert_rewrites_to(
            &EmptyCatalogQuery,
            PSQL_STATISTICS,
            "SELECT NULL AS \"oid\", NULL::pg_catalog.regclass AS \"stxrelid\", \
             NULL::pg_catalog.text AS nsp, NULL AS \"stxname\", NULL AS columns, \
             NULL AS ndist_enabled, NULL AS deps_enabled, NULL AS mcv_enabled, \
             NULL AS \"stxstattarget\" WHERE false",
        );
        assert_rewrites_to(
            &EmptyCatalogQuery,
            PSQL_PUBLICATIONS,
            "SELECT NULL AS \"pubname\", NULL AS \"?column?\", NULL AS \"?column?\" WHERE false",
        );
    }

    #[test]
    fn only_the_branches_that_read_no_rows_are_emptied() {
        assert_rewrites_to(
            &EmptyCatalogQuery,
            "SELECT c.relname, c.oid::regclass FROM pg_class c \
             UNION ALL SELECT t.tgname, t.tgrelid FROM pg_trigger t \
             UNION ALL (SELECT polname, 1 FROM pg_policy ORDER BY 1) ORDER BY 1 LIMIT 5",
            "SELECT c.relname, c.oid::REGCLASS FROM pg_class c \
             UNION ALL SELECT NULL AS \"tgname\", NULL AS \"tgrelid\" WHERE false \
             UNION ALL (SELECT NULL AS \"polname\", NULL AS \"?column?\" WHERE false) \
             ORDER BY 1 LIMIT 5",
        );
    }

    #[test]
    fn queries_that_may_return_rows_are_left_alone() {
        for sql in [
            // An aggregate over no rows is a row.
            "SELECT count(*) FROM pg_catalog.pg_policy pol WHERE pol.polrelid = 1",
            "SELECT 1 AS one FROM pg_catalog.pg_policy ORDER BY max(polname)",
            // The policies are the optional side.
            "SELECT c.relname, pol.polname FROM pg_catalog.pg_class c \
             LEFT JOIN pg_catalog.pg_policy pol ON pol.polrelid = c.oid",
            // Not a catalog table.
            "SELECT polname FROM public.pg_policy",
            // Columns we cannot name.
            "SELECT * FROM pg_catalog.pg_policy",
            // A table to create, if empty.
            "SELECT polname INTO policies FROM pg_catalog.pg_policy",
            // Not every branch is empty.
            "SELECT relname FROM pg_class UNION SELECT relname FROM pg_class",
        ] {
            assert_rewrites_to(&EmptyCatalogQuery, sql, sql);
        }
    }
}
