//! Literal function names cast to `regproc` and `regprocedure`, looked up as PostgreSQL
//! looks them up (psql's `\sf name` and `\sf name(text, int)`): `'f'::regproc` is the one
//! function named `f` (42725 when several are, 42883 when none is), `'f(text,
//! integer)'::regprocedure` the function of that name and those argument types. A
//! schema-qualified name (`'omnigraph.neighbors'`) looks in that schema only.

use std::ops::ControlFlow;

use datafusion::sql::sqlparser::ast::{
    BinaryOperator, DataType, Expr, SelectItem, Statement, TableWithJoins, visit_expressions_mut,
};

use super::CatalogRewrite;
use super::ast::{
    all_of, binary, catalog_table, column, function_call, join_on, last_name, literal_cast, query,
    select, table, text,
};
use super::object_identifiers::type_name;

pub struct FunctionIdentifiers;

impl CatalogRewrite for FunctionIdentifiers {
    fn name(&self) -> &'static str {
        "function_identifiers"
    }

    fn rewrite(&self, statement: &mut Statement) {
        let _ = visit_expressions_mut(statement, |expr| {
            if let Some(looked_up) = function_lookup(expr) {
                *expr = looked_up;
            }
            ControlFlow::<()>::Continue(())
        });
    }
}

/// Which of the two types a cast names.
#[derive(Debug, Clone, Copy, PartialEq)]
enum FunctionIdentifier {
    /// `regproc`: a name.
    Name,
    /// `regprocedure`: a name and its argument types.
    Signature,
}

fn identifier_type(data_type: &DataType) -> Option<FunctionIdentifier> {
    let DataType::Custom(name, modifiers) = data_type else {
        return None;
    };
    if !modifiers.is_empty() {
        return None;
    }
    match last_name(name)?.value.to_ascii_lowercase().as_str() {
        "regproc" => Some(FunctionIdentifier::Name),
        "regprocedure" => Some(FunctionIdentifier::Signature),
        _ => None,
    }
}

/// A function as written in a literal: `[schema.]name[(type, ...)]`.
#[derive(Debug, PartialEq)]
struct WrittenFunction {
    schema: Option<String>,
    name: String,
    argument_types: Option<Vec<String>>,
}

impl WrittenFunction {
    fn parse(written: &str) -> Option<WrittenFunction> {
        let written = written.trim();
        let (head, argument_types) = match written.split_once('(') {
            Some((head, rest)) => {
                let inside = rest.trim_end().strip_suffix(')')?;
                let types: Vec<String> = inside
                    .split(',')
                    .map(|t| t.trim().to_string())
                    .filter(|t| !t.is_empty())
                    .collect();
                (head.trim(), Some(types))
            }
            None => (written, None),
        };
        let unquote = |s: &str| {
            let s = s.trim();
            match s.strip_prefix('"').and_then(|s| s.strip_suffix('"')) {
                Some(quoted) => quoted.to_string(),
                None => s.to_ascii_lowercase(),
            }
        };
        let (schema, name) = match head.rsplit_once('.') {
            Some((schema, name)) => (Some(unquote(schema)), unquote(name)),
            None => (None, unquote(head)),
        };
        (!name.is_empty()).then_some(WrittenFunction {
            schema,
            name,
            argument_types,
        })
    }
}

/// `'f'::regproc` as `omnigraph_one_function(<how many match>, <their largest OID>, 'f')`.
fn function_lookup(expr: &Expr) -> Option<Expr> {
    let (data_type, written) = literal_cast(expr)?;
    let identifier = identifier_type(data_type)?;
    if written.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let function = WrittenFunction::parse(written)?;
    let argument_types = match identifier {
        FunctionIdentifier::Name => None,
        FunctionIdentifier::Signature => Some(function.argument_types.clone().unwrap_or_default()),
    };
    let matching =
        |aggregate: Expr| matching_functions(&function, argument_types.as_deref(), aggregate);
    Some(function_call(
        "omnigraph_one_function",
        vec![
            matching(function_call(
                "count",
                vec![column("named_function", "oid")],
            )),
            matching(function_call("max", vec![column("named_function", "oid")])),
            text(written),
        ],
    ))
}

/// `(SELECT aggregate FROM pg_catalog.pg_proc named_function JOIN pg_catalog.pg_namespace
/// function_schema ON ... WHERE proname = name [AND nspname = schema] [AND the argument
/// types are these])`.
fn matching_functions(
    function: &WrittenFunction,
    argument_types: Option<&[String]>,
    aggregate: Expr,
) -> Expr {
    let from = TableWithJoins {
        relation: table(catalog_table("pg_proc"), None, Some("named_function")),
        joins: vec![join_on(
            table(catalog_table("pg_namespace"), None, Some("function_schema")),
            binary(
                column("named_function", "pronamespace"),
                BinaryOperator::Eq,
                column("function_schema", "oid"),
            ),
        )],
    };
    let mut conditions = vec![binary(
        column("named_function", "proname"),
        BinaryOperator::Eq,
        text(&function.name),
    )];
    if let Some(schema) = &function.schema {
        conditions.push(binary(
            column("function_schema", "nspname"),
            BinaryOperator::Eq,
            text(schema),
        ));
    }
    if let Some(types) = argument_types {
        // `proargtypes` is an `oidvector`: its text is the OIDs separated by spaces.
        let oids: Vec<Expr> = types.iter().map(|t| type_oid(&type_name(t))).collect();
        let written = match oids.is_empty() {
            true => text(""),
            false => function_call("concat_ws", [vec![text(" ")], oids].concat()),
        };
        conditions.push(binary(
            function_call(
                "array_to_string",
                vec![column("named_function", "proargtypes"), text(" ")],
            ),
            BinaryOperator::Eq,
            written,
        ));
    }
    Expr::Subquery(Box::new(query(select(
        vec![SelectItem::UnnamedExpr(aggregate)],
        vec![from],
        all_of(conditions),
    ))))
}

/// `(SELECT max(argument_type.oid) FROM pg_catalog.pg_type argument_type WHERE
/// argument_type.typname = typname)`: NULL for a type that does not exist, which no
/// function's argument types then match.
fn type_oid(typname: &str) -> Expr {
    let from = TableWithJoins {
        relation: table(catalog_table("pg_type"), None, Some("argument_type")),
        joins: vec![],
    };
    Expr::Subquery(Box::new(query(select(
        vec![SelectItem::UnnamedExpr(function_call(
            "max",
            vec![column("argument_type", "oid")],
        ))],
        vec![from],
        Some(binary(
            column("argument_type", "typname"),
            BinaryOperator::Eq,
            text(typname),
        )),
    ))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn written_functions_are_read_as_postgresql_reads_them() {
        assert_eq!(
            WrittenFunction::parse("omnigraph.Neighbors(text, integer)"),
            Some(WrittenFunction {
                schema: Some("omnigraph".into()),
                name: "neighbors".into(),
                argument_types: Some(vec!["text".into(), "integer".into()]),
            })
        );
        assert_eq!(
            WrittenFunction::parse("\"Odd\"()"),
            Some(WrittenFunction {
                schema: None,
                name: "Odd".into(),
                argument_types: Some(vec![]),
            })
        );
        assert_eq!(WrittenFunction::parse("f(text"), None);
    }

    #[test]
    fn a_regproc_literal_is_looked_up() {
        let statement = datafusion::sql::sqlparser::parser::Parser::parse_sql(
            &datafusion::sql::sqlparser::dialect::PostgreSqlDialect {},
            "SELECT 'traverse(text, text, int)'::pg_catalog.regprocedure::pg_catalog.oid",
        )
        .unwrap();
        let mut statement = statement.into_iter().next().unwrap();
        FunctionIdentifiers.rewrite(&mut statement);
        let sql = statement.to_string();
        assert!(sql.contains("omnigraph_one_function("), "{sql}");
        assert!(sql.contains("named_function.proname = 'traverse'"), "{sql}");
        assert!(sql.contains("argument_type.typname = 'int4'"), "{sql}");
    }
}
