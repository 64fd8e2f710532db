//! Builders of the sqlparser nodes the rewrites put in place, each shaped exactly as the
//! parser would produce it from the SQL it prints (the rules' tests hold them to that),
//! and the name tests the rules match nodes by.

use datafusion::sql::sqlparser::ast::helpers::attached_token::AttachedToken;
use datafusion::sql::sqlparser::ast::{
    BinaryOperator, DataType, Expr, Function, FunctionArg, FunctionArgExpr, FunctionArgumentList,
    FunctionArguments, GroupByExpr, Ident, Join, JoinConstraint, JoinOperator, ObjectName, Query,
    Select, SelectFlavor, SelectItem, SetExpr, TableAlias, TableFactor, TableFunctionArgs,
    TableWithJoins, Value,
};

/// Whether the last part of `name` is the identifier `wanted`, in any case
/// (`pg_catalog.generate_series` and `GENERATE_SERIES` both name `generate_series`).
pub fn last_name_is(name: &ObjectName, wanted: &str) -> bool {
    last_name(name).is_some_and(|last| last.value.eq_ignore_ascii_case(wanted))
}

/// The identifier that ends `name`, if it ends in one.
pub fn last_name(name: &ObjectName) -> Option<&Ident> {
    name.0.last().and_then(|part| part.as_ident())
}

/// `pg_catalog.<table>`.
pub fn catalog_table(table: &str) -> ObjectName {
    ObjectName::from(vec![Ident::new("pg_catalog"), Ident::new(table)])
}

/// The type and the text of a string literal cast to it (`'person'::regclass`).
pub fn literal_cast(expr: &Expr) -> Option<(&DataType, &str)> {
    let Expr::Cast {
        expr: operand,
        data_type,
        ..
    } = expr
    else {
        return None;
    };
    let Expr::Value(value) = operand.as_ref() else {
        return None;
    };
    let Value::SingleQuotedString(text) = &value.value else {
        return None;
    };
    Some((data_type, text))
}

/// `name(args...)`, each argument a plain expression.
pub fn function_call(name: &str, args: Vec<Expr>) -> Expr {
    function_call_with(
        ObjectName::from(vec![Ident::new(name)]),
        args.into_iter()
            .map(|a| FunctionArg::Unnamed(FunctionArgExpr::Expr(a)))
            .collect(),
    )
}

/// `name(args...)` with the arguments as written elsewhere (named, wildcard, ...).
pub fn function_call_with(name: ObjectName, args: Vec<FunctionArg>) -> Expr {
    Expr::Function(Function {
        name,
        uses_odbc_syntax: false,
        parameters: FunctionArguments::None,
        args: FunctionArguments::List(FunctionArgumentList {
            duplicate_treatment: None,
            args,
            clauses: vec![],
        }),
        filter: None,
        null_treatment: None,
        over: None,
        within_group: vec![],
    })
}

/// `relation.column`.
pub fn column(relation: &str, column: &str) -> Expr {
    Expr::CompoundIdentifier(vec![Ident::new(relation), Ident::new(column)])
}

/// An integer literal.
pub fn number(n: i64) -> Expr {
    Expr::value(Value::Number(n.to_string(), false))
}

/// A `'text'` literal.
pub fn text(value: &str) -> Expr {
    Expr::value(Value::SingleQuotedString(value.to_string()))
}

pub fn boolean(value: bool) -> Expr {
    Expr::value(Value::Boolean(value))
}

pub fn null() -> Expr {
    Expr::value(Value::Null)
}

/// `left op right`.
pub fn binary(left: Expr, op: BinaryOperator, right: Expr) -> Expr {
    Expr::BinaryOp {
        left: Box::new(left),
        op,
        right: Box::new(right),
    }
}

/// The conditions joined by `AND`, left to right; `None` for no condition.
pub fn all_of(conditions: Vec<Expr>) -> Option<Expr> {
    conditions
        .into_iter()
        .reduce(|left, right| binary(left, BinaryOperator::And, right))
}

/// `CASE WHEN condition THEN result END`.
pub fn case_when(condition: Expr, result: Expr) -> Expr {
    Expr::Case {
        case_token: AttachedToken::empty(),
        end_token: AttachedToken::empty(),
        operand: None,
        conditions: vec![datafusion::sql::sqlparser::ast::CaseWhen { condition, result }],
        else_result: None,
    }
}

/// `expr AS alias` in a select list.
pub fn aliased(expr: Expr, alias: Ident) -> SelectItem {
    SelectItem::ExprWithAlias { expr, alias }
}

/// `name [alias]` in FROM; `args` make it a table function, `name(args...)`.
pub fn table(name: ObjectName, args: Option<Vec<FunctionArg>>, alias: Option<&str>) -> TableFactor {
    TableFactor::Table {
        name,
        alias: alias.map(|a| TableAlias {
            explicit: false,
            name: Ident::new(a),
            columns: vec![],
            at: None,
        }),
        args: args.map(|args| TableFunctionArgs {
            args,
            settings: None,
        }),
        with_hints: vec![],
        version: None,
        with_ordinality: false,
        partitions: vec![],
        json_path: None,
        sample: None,
        index_hints: vec![],
    }
}

/// `JOIN relation ON condition`.
pub fn join_on(relation: TableFactor, condition: Expr) -> Join {
    Join {
        relation,
        global: false,
        join_operator: JoinOperator::Join(JoinConstraint::On(condition)),
    }
}

/// `SELECT projection [FROM from] [WHERE selection]`.
pub fn select(
    projection: Vec<SelectItem>,
    from: Vec<TableWithJoins>,
    selection: Option<Expr>,
) -> Select {
    Select {
        select_token: AttachedToken::empty(),
        optimizer_hints: vec![],
        distinct: None,
        select_modifiers: None,
        top: None,
        top_before_distinct: false,
        projection,
        exclude: None,
        into: None,
        from,
        lateral_views: vec![],
        prewhere: None,
        selection,
        connect_by: vec![],
        group_by: GroupByExpr::Expressions(vec![], vec![]),
        cluster_by: vec![],
        distribute_by: vec![],
        sort_by: vec![],
        having: None,
        named_window: vec![],
        qualify: None,
        window_before_qualify: false,
        value_table_mode: None,
        flavor: SelectFlavor::Standard,
    }
}

/// A query of `select` alone: no `WITH`, `ORDER BY` or `LIMIT`.
pub fn query(select: Select) -> Query {
    Query {
        with: None,
        body: Box::new(SetExpr::Select(Box::new(select))),
        order_by: None,
        limit_clause: None,
        fetch: None,
        locks: vec![],
        for_clause: None,
        settings: None,
        format_clause: None,
        pipe_operators: vec![],
    }
}
