//! `CAST(format('%I.%I', schema, table) AS regclass)`: a relation named by two columns.

use std::ops::ControlFlow;

use datafusion::sql::sqlparser::ast::{
    BinaryOperator, DataType, Expr, FunctionArg, FunctionArgExpr, FunctionArguments, Ident,
    SelectItem, Statement, TableWithJoins, Value, visit_expressions_mut,
};

use super::CatalogRewrite;
use super::ast::{
    all_of, binary, catalog_table, column, function_call, join_on, last_name_is, query, select,
    table,
};

/// `CAST(format('%I.%I', schema, table) AS regclass)`, the OID of a relation named by
/// two columns (Metabase's column sync passes it to `col_description`): the relation's
/// `pg_class.oid` read by a correlated subquery (its aliases chosen not to shadow the
/// outer query's), NULL where PostgreSQL would fail for a missing relation.
/// datafusion-pg-catalog resolves only literal and placeholder names; other computed
/// names are left to fail.
pub struct FormattedRelationName;

impl CatalogRewrite for FormattedRelationName {
    fn name(&self) -> &'static str {
        "formatted_relation_name"
    }

    fn rewrite(&self, statement: &mut Statement) {
        let _ = visit_expressions_mut(statement, |expr| {
            if let Expr::Cast {
                expr: operand,
                data_type,
                ..
            } = expr
                && is_regclass(data_type)
                && let Some((schema, table)) = qualified_name_parts(operand)
            {
                *expr = relation_oid(schema.clone(), table.clone());
            }
            ControlFlow::<()>::Continue(())
        });
    }
}

/// `(SELECT max(named_relation.oid) FROM pg_catalog.pg_class named_relation
/// JOIN pg_catalog.pg_namespace named_schema ON named_relation.relnamespace =
/// named_schema.oid WHERE named_schema.nspname = schema AND named_relation.relname = table)`
pub(super) fn relation_oid(schema: Expr, table_name: Expr) -> Expr {
    let from = TableWithJoins {
        relation: table(catalog_table("pg_class"), None, Some("named_relation")),
        joins: vec![join_on(
            table(catalog_table("pg_namespace"), None, Some("named_schema")),
            binary(
                column("named_relation", "relnamespace"),
                BinaryOperator::Eq,
                column("named_schema", "oid"),
            ),
        )],
    };
    let named = all_of(vec![
        binary(
            column("named_schema", "nspname"),
            BinaryOperator::Eq,
            schema,
        ),
        binary(
            column("named_relation", "relname"),
            BinaryOperator::Eq,
            table_name,
        ),
    ]);
    let oid = function_call("max", vec![column("named_relation", "oid")]);
    Expr::Subquery(Box::new(query(select(
        vec![SelectItem::UnnamedExpr(oid)],
        vec![from],
        named,
    ))))
}

/// `regclass` or `pg_catalog.regclass`, as written without quotes in any case.
fn is_regclass(data_type: &DataType) -> bool {
    match data_type {
        DataType::Regclass => true,
        DataType::Custom(name, modifiers) if modifiers.is_empty() => {
            let parts: Option<Vec<&Ident>> = name.0.iter().map(|p| p.as_ident()).collect();
            let unquoted = |i: &&Ident| i.quote_style.is_none();
            match parts.as_deref() {
                Some([t]) => unquoted(t) && last_name_is(name, "regclass"),
                Some([schema, t]) => {
                    unquoted(schema)
                        && unquoted(t)
                        && schema.value.eq_ignore_ascii_case("pg_catalog")
                        && last_name_is(name, "regclass")
                }
                _ => false,
            }
        }
        _ => false,
    }
}

/// The schema and table expressions of `format('%I.%I', schema, table)`.
fn qualified_name_parts(expr: &Expr) -> Option<(&Expr, &Expr)> {
    let Expr::Function(f) = expr else {
        return None;
    };
    let FunctionArguments::List(list) = &f.args else {
        return None;
    };
    let [
        FunctionArg::Unnamed(FunctionArgExpr::Expr(template)),
        FunctionArg::Unnamed(FunctionArgExpr::Expr(schema)),
        FunctionArg::Unnamed(FunctionArgExpr::Expr(table)),
    ] = list.args.as_slice()
    else {
        return None;
    };
    let qualified_template = matches!(
        template,
        Expr::Value(v) if matches!(&v.value, Value::SingleQuotedString(t) if t == "%I.%I")
    );
    (last_name_is(&f.name, "format") && qualified_template).then_some((schema, table))
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{assert_rewrites_to, rewritten};
    use super::*;

    #[test]
    fn formatted_relation_names_cast_to_regclass_are_looked_up() {
        assert_eq!(
            rewritten(
                "SELECT col_description(CAST(CAST(format('%I.%I', c.s, c.t) AS regclass) AS oid), 1) FROM c",
                &FormattedRelationName
            ),
            "SELECT col_description(CAST((SELECT max(named_relation.oid) \
             FROM pg_catalog.pg_class named_relation JOIN pg_catalog.pg_namespace named_schema \
             ON named_relation.relnamespace = named_schema.oid \
             WHERE named_schema.nspname = c.s AND named_relation.relname = c.t) AS oid), 1) FROM c"
        );
        // Other operands are left as written.
        let other = "SELECT CAST(format('%s', c.t) AS REGCLASS) FROM c";
        assert_eq!(rewritten(other, &FormattedRelationName), other);
    }

    #[test]
    fn the_lookup_is_the_subquery_its_text_parses_to() {
        assert_rewrites_to(
            &FormattedRelationName,
            "SELECT CAST(format('%I.%I', 'public', t.name) AS pg_catalog.regclass) FROM t",
            "SELECT (SELECT max(named_relation.oid) \
             FROM pg_catalog.pg_class named_relation JOIN pg_catalog.pg_namespace named_schema \
             ON named_relation.relnamespace = named_schema.oid \
             WHERE named_schema.nspname = 'public' AND named_relation.relname = t.name) FROM t",
        );
    }

    #[test]
    fn only_regclass_casts_are_looked_up() {
        let as_text = "SELECT CAST(format('%I.%I', c.s, c.t) AS TEXT) FROM c";
        assert_eq!(rewritten(as_text, &FormattedRelationName), as_text);
        let quoted = "SELECT CAST(format('%I.%I', c.s, c.t) AS \"regclass\") FROM c";
        assert_eq!(rewritten(quoted, &FormattedRelationName), quoted);
    }
}
