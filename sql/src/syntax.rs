//! Syntax built from parts rather than from text: the query a `CALL` or a
//! `COPY table TO` stands for, the subquery of an `ARRAY(SELECT ...)`.

use std::sync::LazyLock;

use datafusion::sql::sqlparser::ast::{
    Expr, FunctionArg, Ident, ObjectName, Query, SelectItem, SetExpr, Statement, TableFactor,
    TableFunctionArgs,
};
use datafusion::sql::sqlparser::dialect::PostgreSqlDialect;
use datafusion::sql::sqlparser::parser::Parser;

/// `SELECT * FROM t`: the shape both queries share. Built from a fixed text once (a
/// `Select` has many fields, all but the relation and projection at their defaults).
static SELECT_ALL: LazyLock<Query> = LazyLock::new(|| {
    let statements =
        Parser::parse_sql(&PostgreSqlDialect {}, "SELECT * FROM t").expect("a fixed query parses");
    match statements.into_iter().next() {
        Some(Statement::Query(query)) => *query,
        other => unreachable!("a fixed query parses as a query, got {other:?}"),
    }
});

/// `SELECT * FROM t` with `name` (called with `args`, if given) for `t`, and `columns`
/// as the projection if any.
fn select(name: ObjectName, args: Option<Vec<FunctionArg>>, columns: &[Ident]) -> Box<Query> {
    let mut query = SELECT_ALL.clone();
    if let SetExpr::Select(select) = query.body.as_mut() {
        if let TableFactor::Table {
            name: table,
            args: table_args,
            ..
        } = &mut select.from[0].relation
        {
            *table = name;
            *table_args = args.map(|args| TableFunctionArgs {
                args,
                settings: None,
            });
        }
        if !columns.is_empty() {
            select.projection = columns
                .iter()
                .map(|c| SelectItem::UnnamedExpr(Expr::Identifier(c.clone())))
                .collect();
        }
    }
    Box::new(query)
}

/// `SELECT * FROM name(args)`.
pub fn select_all_from_function(name: ObjectName, args: Vec<FunctionArg>) -> Box<Query> {
    select(name, Some(args), &[])
}

/// `SELECT columns FROM name` (`*` without columns).
pub fn select_from_table(name: ObjectName, columns: &[Ident]) -> Box<Query> {
    select(name, None, columns)
}

/// `SELECT projection FROM relation`.
pub fn select_from_relation(relation: TableFactor, projection: Vec<SelectItem>) -> Box<Query> {
    let mut query = SELECT_ALL.clone();
    if let SetExpr::Select(select) = query.body.as_mut() {
        select.from[0].relation = relation;
        select.projection = projection;
    }
    Box::new(query)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn built_queries_read_as_written() {
        let name = ObjectName::from(vec![Ident::new("merge")]);
        let arg = FunctionArg::Unnamed(datafusion::sql::sqlparser::ast::FunctionArgExpr::Expr(
            Expr::value(datafusion::sql::sqlparser::ast::Value::SingleQuotedString(
                "x".into(),
            )),
        ));
        assert_eq!(
            select_all_from_function(name, vec![arg]).to_string(),
            "SELECT * FROM merge('x')"
        );
        let table = ObjectName::from(vec![Ident::new("person")]);
        assert_eq!(
            select_from_table(table, &[Ident::new("name"), Ident::new("age")]).to_string(),
            "SELECT name, age FROM person"
        );
    }
}
