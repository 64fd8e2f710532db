//! The name PostgreSQL gives an output column that has no alias (its parser's
//! `FigureColname`), so that result columns reach clients under the names PostgreSQL
//! would send.

use datafusion::sql::sqlparser::ast::{
    AccessExpr, ArrayElemTypeDef, DataType, Expr, Ident, ObjectName, SelectItem, SetExpr,
    TimezoneInfo, TrimWhereField,
};

use crate::names::normalized;

/// What PostgreSQL calls a column with no name of its own.
pub const UNNAMED: &str = "?column?";

/// The identifier that ends `name`, if it ends in one.
fn last_name(name: &ObjectName) -> Option<&Ident> {
    name.0.last().and_then(|part| part.as_ident())
}

/// The name PostgreSQL gives the unaliased output column `expr` (its parser's
/// `FigureColname`): a column's name, a function's name, a cast's operand's name (else
/// its type's), a CASE's ELSE result's name (else `case`), and so on; else `?column?`.
pub fn column_name(expr: &Expr) -> String {
    figured(expr)
        .map(|(name, _)| name)
        .unwrap_or_else(|| UNNAMED.to_string())
}

/// How surely a name was figured: a name the expression holds beats the name of a cast's
/// type or of `CASE`, which an enclosing cast or CASE replaces.
#[derive(PartialEq, Eq)]
enum Strength {
    Fallback,
    Held,
}

fn figured(expr: &Expr) -> Option<(String, Strength)> {
    let held = |name: String| Some((name, Strength::Held));
    match expr {
        Expr::Identifier(ident) => held(normalized(ident)),
        Expr::CompoundIdentifier(parts) => held(normalized(parts.last()?)),
        Expr::Function(f) => held(normalized(last_name(&f.name)?)),
        Expr::Nested(inner) => figured(inner),
        Expr::Cast {
            expr, data_type, ..
        } => match figured(expr) {
            Some((name, Strength::Held)) => held(name),
            _ => Some((type_name(data_type), Strength::Fallback)),
        },
        Expr::Case { else_result, .. } => match else_result.as_deref().and_then(figured) {
            Some((name, Strength::Held)) => held(name),
            _ => Some(("case".to_string(), Strength::Fallback)),
        },
        Expr::Exists { .. } => held("exists".to_string()),
        // The SQL-syntax functions PostgreSQL's grammar turns into calls of these.
        Expr::Substring {
            shorthand: true, ..
        } => held("substr".to_string()),
        Expr::Substring { .. } => held("substring".to_string()),
        Expr::Position { .. } => held("position".to_string()),
        Expr::Trim { trim_where, .. } => held(
            match trim_where {
                Some(TrimWhereField::Leading) => "ltrim",
                Some(TrimWhereField::Trailing) => "rtrim",
                _ => "btrim",
            }
            .to_string(),
        ),
        Expr::Overlay { .. } => held("overlay".to_string()),
        Expr::Ceil { .. } => held("ceil".to_string()),
        Expr::Floor { .. } => held("floor".to_string()),
        Expr::Extract { .. } => held("extract".to_string()),
        Expr::AtTimeZone { .. } => held("timezone".to_string()),
        // PostgreSQL calls the function `overlaps`.
        Expr::BinaryOp {
            op: datafusion::sql::sqlparser::ast::BinaryOperator::Overlaps,
            ..
        } => held("overlaps".to_string()),
        Expr::Collate { expr, .. } => figured(expr),
        // `DATE '2024-01-02'` and `INTERVAL '1 day'` are casts of a string literal.
        Expr::TypedString(typed) => Some((type_name(&typed.data_type), Strength::Fallback)),
        Expr::Interval(_) => Some(("interval".to_string(), Strength::Fallback)),
        // A subscript keeps the name of what it indexes; a field access is named by
        // the field.
        Expr::CompoundFieldAccess { root, access_chain } => match access_chain.last() {
            Some(AccessExpr::Dot(Expr::Identifier(field))) => held(normalized(field)),
            Some(AccessExpr::Dot(_)) => None,
            _ => figured(root),
        },
        Expr::Array(_) => held("array".to_string()),
        Expr::Subquery(query) => match query.body.as_ref() {
            SetExpr::Select(select) => match select.projection.as_slice() {
                [SelectItem::ExprWithAlias { alias, .. }] => held(normalized(alias)),
                [SelectItem::UnnamedExpr(expr)] => {
                    figured(expr).filter(|(_, s)| *s == Strength::Held)
                }
                _ => None,
            },
            _ => None,
        },
        _ => None,
    }
}

/// The name PostgreSQL knows `data_type` by (`integer` is `int4`), without modifiers or
/// array bounds, as a cast to it names its column.
fn type_name(data_type: &DataType) -> String {
    let name = match data_type {
        DataType::Custom(name, _) => return last_name(name).map(normalized).unwrap_or_default(),
        DataType::Array(
            ArrayElemTypeDef::SquareBracket(element, _)
            | ArrayElemTypeDef::AngleBracket(element)
            | ArrayElemTypeDef::Parenthesis(element),
        ) => return type_name(element),
        DataType::Int2(_) | DataType::SmallInt(_) => "int2",
        DataType::Int(_) | DataType::Int4(_) | DataType::Integer(_) => "int4",
        DataType::Int8(_) | DataType::BigInt(_) => "int8",
        DataType::Real | DataType::Float4 => "float4",
        DataType::Float8 | DataType::DoublePrecision | DataType::Double(_) => "float8",
        DataType::Float(_) => "float8",
        DataType::Bool | DataType::Boolean => "bool",
        DataType::Text => "text",
        DataType::Varchar(_) | DataType::CharacterVarying(_) | DataType::CharVarying(_) => {
            "varchar"
        }
        DataType::Char(_) | DataType::Character(_) => "bpchar",
        DataType::Numeric(_) | DataType::Decimal(_) | DataType::Dec(_) => "numeric",
        DataType::Date => "date",
        DataType::Time(_, TimezoneInfo::WithTimeZone | TimezoneInfo::Tz) => "timetz",
        DataType::Time(..) => "time",
        DataType::Timestamp(_, TimezoneInfo::WithTimeZone | TimezoneInfo::Tz) => "timestamptz",
        DataType::Timestamp(..) => "timestamp",
        DataType::Interval { .. } => "interval",
        DataType::Bytea => "bytea",
        DataType::JSON => "json",
        DataType::JSONB => "jsonb",
        DataType::Uuid => "uuid",
        DataType::Regclass => "regclass",
        _ => UNNAMED,
    };
    name.to_string()
}

#[cfg(test)]
mod tests {
    use datafusion::sql::sqlparser::ast::Statement;

    use super::*;

    fn names(sql: &str) -> Vec<String> {
        let parsed = crate::statement::parse_one(sql).expect("parses");
        let Some(Statement::Query(query)) = parsed.sql_statement().cloned() else {
            panic!("a query")
        };
        let SetExpr::Select(select) = *query.body else {
            panic!("a select")
        };
        select
            .projection
            .iter()
            .map(|item| match item {
                SelectItem::UnnamedExpr(expr) => column_name(expr),
                _ => panic!("unaliased"),
            })
            .collect()
    }

    #[test]
    fn columns_are_named_as_postgresql_names_them() {
        assert_eq!(
            names(
                "SELECT a, t.B, \"T\".\"Cc\", pg_catalog.Count(*), 1, a + 1, (a), \
                 x::pg_catalog.regclass, 1::integer, NULL::text[], (x::regnamespace)::text, \
                 CASE WHEN a THEN 1 ELSE f(a) END, CASE WHEN a THEN 1 END, \
                 EXISTS (SELECT 1), ARRAY[1], (SELECT b AS c), (SELECT t.d)"
            ),
            [
                "a", "b", "Cc", "count", "?column?", "?column?", "a", "x", "int4", "text", "x",
                "f", "case", "exists", "array", "c", "d",
            ]
        );
        // PostgreSQL 15's names for SQL-syntax functions, literals and subscripts.
        assert_eq!(
            names(
                "SELECT substring('abc' FROM 2), substr('abc', 2), position('b' IN 'abc'), \
                 trim('  a '), trim(LEADING 'x' FROM 'xa'), trim(TRAILING ' ' FROM 'a '), \
                 overlay('abc' PLACING 'x' FROM 2), ceil(2.5), floor(2.5), \
                 extract(year FROM d), DATE '2024-01-02', TIMESTAMP '2024-01-02 00:00', \
                 INTERVAL '1 day', DATE '2024-01-02'::text, ARRAY[1, 2][1], \
                 string_to_array('a,b', ',')[1]"
            ),
            [
                "substring",
                "substr",
                "position",
                "btrim",
                "ltrim",
                "rtrim",
                "overlay",
                "ceil",
                "floor",
                "extract",
                "date",
                "timestamp",
                "interval",
                "text",
                "array",
                "string_to_array",
            ]
        );
    }
}
