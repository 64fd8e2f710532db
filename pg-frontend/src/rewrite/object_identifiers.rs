//! Casts to the object identifier types `regclass` and `regtype`, read as PostgreSQL reads
//! them. datafusion-pg-catalog plans both as the `int4` OID, so on their own they would
//! print numbers and look names up loosely; these rewrites run before its own (which turns
//! a literal name into the OID's lookup), on the statement as the client wrote it:
//!
//! - an OID shown as text (`conrelid::regclass::text`, `atttypid::regtype::text`) or as a
//!   result column (`indexrelid::regclass AS index`) is the object's name: a relation's
//!   from `pg_class` (schema-qualified unless visible, the OID's digits if there is none),
//!   a type's as `format_type` prints it;
//! - a literal name (`'person'::regclass`, `'integer'::regtype`) must name an object:
//!   PostgreSQL fails with 42P01 or 42704 otherwise, and type names are read as SQL
//!   writes them (`integer`, `character varying`, `text[]`).

use std::ops::ControlFlow;

use datafusion::sql::sqlparser::ast::{
    BinaryOperator, DataType, Expr, Ident, SelectItem, SetExpr, Statement, TableWithJoins,
    visit_expressions_mut,
};
use omnigraph_sql::column_name::column_name;

use super::CatalogRewrite;
use super::ast::{
    aliased, all_of, binary, catalog_table, column, function_call, join_on, last_name,
    literal_cast, null, query, select, table, text,
};

/// The object identifier types whose names these rewrites read.
#[derive(Debug, Clone, Copy, PartialEq)]
enum ObjectKind {
    Relation,
    Type,
}

impl ObjectKind {
    /// The kind `data_type` is a cast to: `regclass`, `regtype`, optionally qualified by
    /// `pg_catalog`.
    fn of(data_type: &DataType) -> Option<ObjectKind> {
        let name = match data_type {
            DataType::Regclass => return Some(ObjectKind::Relation),
            DataType::Custom(name, modifiers) if modifiers.is_empty() => name,
            _ => return None,
        };
        let parts: Vec<&Ident> = name.0.iter().filter_map(|p| p.as_ident()).collect();
        let unqualified = match parts.as_slice() {
            [t] => t,
            [schema, t] if schema.value.eq_ignore_ascii_case("pg_catalog") => t,
            _ => return None,
        };
        match unqualified.value.to_ascii_lowercase().as_str() {
            "regclass" => Some(ObjectKind::Relation),
            "regtype" => Some(ObjectKind::Type),
            _ => None,
        }
    }

    /// The function that tags a name as this kind's output (the column's type).
    fn output_function(self) -> &'static str {
        match self {
            ObjectKind::Relation => "omnigraph_regclass_text",
            ObjectKind::Type => "omnigraph_regtype_text",
        }
    }

    /// The function that fails for a name that found no OID.
    fn existing_function(self) -> &'static str {
        match self {
            ObjectKind::Relation => "omnigraph_existing_relation",
            ObjectKind::Type => "omnigraph_existing_type",
        }
    }
}

/// Casts to `regclass` and `regtype` read as PostgreSQL reads them.
pub struct ObjectIdentifierNames;

impl CatalogRewrite for ObjectIdentifierNames {
    fn name(&self) -> &'static str {
        "object_identifier_names"
    }

    /// Names shown as text first: the result columns' names then hold casts to text of
    /// their own (the OID's digits) that must stay casts.
    fn rewrite(&self, statement: &mut Statement) {
        keep_result_names(statement);
        let _ = visit_expressions_mut(statement, |expr| {
            if let Some(named) = shown_as_text(expr) {
                *expr = named;
            }
            ControlFlow::<()>::Continue(())
        });
        name_result_columns(statement);
        let _ = visit_expressions_mut(statement, |expr| {
            if let Some(checked) = checked_literal(expr) {
                *expr = checked;
            }
            ControlFlow::<()>::Continue(())
        });
    }
}

fn is_text_type(data_type: &DataType) -> bool {
    match data_type {
        DataType::Text | DataType::Varchar(_) | DataType::CharacterVarying(_) => true,
        DataType::Custom(name, modifiers) if modifiers.is_empty() => last_name(name)
            .is_some_and(|n| matches!(n.value.to_ascii_lowercase().as_str(), "text" | "name")),
        _ => false,
    }
}

/// `oid::regclass::text` as the relation's name, `oid::regtype::text` as the type's.
fn shown_as_text(expr: &Expr) -> Option<Expr> {
    let Expr::Cast {
        expr: inner,
        data_type,
        ..
    } = expr
    else {
        return None;
    };
    let Expr::Cast {
        data_type: identifier_type,
        ..
    } = inner.as_ref()
    else {
        return None;
    };
    let kind = ObjectKind::of(identifier_type)?;
    is_text_type(data_type).then(|| object_name(kind, inner.as_ref().clone()))
}

/// The outermost query's select list, if it is a plain select.
fn result_columns(statement: &mut Statement) -> Option<&mut Vec<SelectItem>> {
    let Statement::Query(query) = statement else {
        return None;
    };
    match query.body.as_mut() {
        SetExpr::Select(select) => Some(&mut select.projection),
        _ => None,
    }
}

fn has_object_identifier_cast(expr: &Expr) -> bool {
    let mut found = false;
    let _ = datafusion::sql::sqlparser::ast::visit_expressions(expr, |e| {
        if let Expr::Cast { data_type, .. } = e
            && ObjectKind::of(data_type).is_some()
        {
            found = true;
            return ControlFlow::Break(());
        }
        ControlFlow::Continue(())
    });
    found
}

/// The outermost query's unnamed result columns that the rewrites change, named as
/// PostgreSQL names them from what the client wrote (`'x'::regclass::text` is `text`).
fn keep_result_names(statement: &mut Statement) {
    let Some(items) = result_columns(statement) else {
        return;
    };
    for item in items.iter_mut() {
        if let SelectItem::UnnamedExpr(expr) = item
            && has_object_identifier_cast(expr)
        {
            let alias = Ident::with_quote('"', column_name(expr));
            *item = aliased(expr.clone(), alias);
        }
    }
}

/// The outermost query's result columns that are casts to `regclass` or `regtype`, as
/// the objects' names tagged with the type (named as PostgreSQL names the column).
fn name_result_columns(statement: &mut Statement) {
    let Some(items) = result_columns(statement) else {
        return;
    };
    for item in items.iter_mut() {
        let (expr, alias) = match item {
            SelectItem::UnnamedExpr(expr) => (expr.clone(), None),
            SelectItem::ExprWithAlias { expr, alias } => (expr.clone(), Some(alias.clone())),
            _ => continue,
        };
        let Expr::Cast { data_type, .. } = &expr else {
            continue;
        };
        let Some(kind) = ObjectKind::of(data_type) else {
            continue;
        };
        let alias = alias.unwrap_or_else(|| Ident::new(column_name(&expr)));
        let named = function_call(kind.output_function(), vec![object_name(kind, expr)]);
        *item = aliased(named, alias);
    }
}

/// The name of the object whose OID `oid` (a cast to `kind`) is, as PostgreSQL prints it.
fn object_name(kind: ObjectKind, oid: Expr) -> Expr {
    match kind {
        ObjectKind::Type => function_call("format_type", vec![oid, null()]),
        ObjectKind::Relation => function_call(
            "coalesce",
            vec![relation_name(oid.clone()), cast_to_text(oid)],
        ),
    }
}

fn cast_to_text(expr: Expr) -> Expr {
    Expr::Cast {
        kind: datafusion::sql::sqlparser::ast::CastKind::Cast,
        expr: Box::new(expr),
        data_type: DataType::Text,
        array: false,
        format: None,
    }
}

/// `(SELECT max(CASE WHEN pg_table_is_visible(shown_relation.oid) THEN
/// quote_ident(shown_relation.relname) ELSE quote_ident(shown_schema.nspname) || '.' ||
/// quote_ident(shown_relation.relname) END) FROM pg_catalog.pg_class shown_relation JOIN
/// pg_catalog.pg_namespace shown_schema ON shown_relation.relnamespace = shown_schema.oid
/// WHERE shown_relation.oid = oid)`
fn relation_name(oid: Expr) -> Expr {
    let from = TableWithJoins {
        relation: table(catalog_table("pg_class"), None, Some("shown_relation")),
        joins: vec![join_on(
            table(catalog_table("pg_namespace"), None, Some("shown_schema")),
            binary(
                column("shown_relation", "relnamespace"),
                BinaryOperator::Eq,
                column("shown_schema", "oid"),
            ),
        )],
    };
    let quoted =
        |relation: &str, name: &str| function_call("quote_ident", vec![column(relation, name)]);
    let qualified = binary(
        binary(
            quoted("shown_schema", "nspname"),
            BinaryOperator::StringConcat,
            text("."),
        ),
        BinaryOperator::StringConcat,
        quoted("shown_relation", "relname"),
    );
    let shown = Expr::Case {
        case_token: datafusion::sql::sqlparser::ast::helpers::attached_token::AttachedToken::empty(
        ),
        end_token: datafusion::sql::sqlparser::ast::helpers::attached_token::AttachedToken::empty(),
        operand: None,
        conditions: vec![datafusion::sql::sqlparser::ast::CaseWhen {
            condition: function_call("pg_table_is_visible", vec![column("shown_relation", "oid")]),
            result: quoted("shown_relation", "relname"),
        }],
        else_result: Some(Box::new(qualified)),
    };
    let selection = all_of(vec![binary(
        column("shown_relation", "oid"),
        BinaryOperator::Eq,
        oid,
    )]);
    Expr::Subquery(Box::new(query(select(
        vec![SelectItem::UnnamedExpr(function_call("max", vec![shown]))],
        vec![from],
        selection,
    ))))
}

/// `'name'::regclass` as `omnigraph_existing_relation('name'::regclass, 'name')`, which
/// fails when no relation has the name; `'integer'::regtype` with the name read as SQL
/// writes types (`'int4'::regtype`), failing when no type has it. Relations of
/// `pg_catalog` and `information_schema` we do not model stay NULL, as before.
fn checked_literal(expr: &Expr) -> Option<Expr> {
    let (data_type, name) = literal_cast(expr)?;
    let kind = ObjectKind::of(data_type)?;
    if name.is_empty() || name.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let looked_up = match kind {
        // `pg_catalog` comes first on every search path, where the lookup only tries
        // the current schema.
        ObjectKind::Relation if is_catalog_relation_name(name) => {
            if name.contains('.') {
                return None;
            }
            let mut cast = expr.clone();
            if let Expr::Cast { expr: operand, .. } = &mut cast {
                **operand = text(&format!("pg_catalog.{name}"));
            }
            return Some(cast);
        }
        ObjectKind::Relation => expr.clone(),
        ObjectKind::Type => {
            let mut cast = expr.clone();
            if let Expr::Cast { expr: operand, .. } = &mut cast {
                **operand = text(&type_name(name));
            }
            cast
        }
    };
    Some(function_call(
        kind.existing_function(),
        vec![looked_up, text(name)],
    ))
}

fn is_catalog_relation_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    lower.starts_with("pg_")
        || lower.starts_with("pg_catalog.")
        || lower.starts_with("information_schema.")
}

/// `pg_type.typname` of a type as SQL writes it: `integer` is `int4`, `text[]` is
/// `_text`, `varchar(10)` is `varchar`; other names as written, in lower case.
pub(super) fn type_name(written: &str) -> String {
    let mut name = written.trim().to_ascii_lowercase();
    if let Some(unqualified) = name.strip_prefix("pg_catalog.") {
        name = unqualified.to_string();
    }
    let array = name.ends_with("[]");
    if array {
        name.truncate(name.len() - 2);
    }
    if let Some(open) = name.find('(')
        && name.ends_with(')')
    {
        let rest = name[open..]
            .split_once(')')
            .map_or("", |(_, r)| r)
            .to_string();
        name = format!("{}{rest}", name[..open].trim_end());
    }
    let words: Vec<&str> = name.split_whitespace().collect();
    let base = match words.join(" ").as_str() {
        "integer" | "int" => "int4",
        "smallint" => "int2",
        "bigint" => "int8",
        "boolean" => "bool",
        "real" => "float4",
        "double precision" | "float" => "float8",
        "character varying" => "varchar",
        "character" => "bpchar",
        "decimal" => "numeric",
        "timestamp without time zone" => "timestamp",
        "timestamp with time zone" => "timestamptz",
        "time without time zone" => "time",
        "time with time zone" => "timetz",
        "bit varying" => "varbit",
        "\"char\"" => "char",
        other => {
            return if array {
                format!("_{other}")
            } else {
                other.to_string()
            };
        }
    };
    if array {
        format!("_{base}")
    } else {
        base.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::rewritten;
    use super::*;

    #[test]
    fn type_names_are_read_as_sql_writes_them() {
        assert_eq!(type_name("integer"), "int4");
        assert_eq!(type_name("int8"), "int8");
        assert_eq!(type_name("Character  Varying(10)"), "varchar");
        assert_eq!(type_name("text[]"), "_text");
        assert_eq!(
            type_name("pg_catalog.timestamp with time zone"),
            "timestamptz"
        );
        assert_eq!(type_name("person"), "person");
    }

    #[test]
    fn relation_oids_shown_as_text_are_names() {
        let sql = rewritten(
            "SELECT conrelid::regclass::text FROM pg_constraint",
            &ObjectIdentifierNames,
        );
        assert!(
            sql.starts_with("SELECT coalesce((SELECT max(CASE WHEN pg_table_is_visible"),
            "{sql}"
        );
        assert!(
            sql.contains("WHERE shown_relation.oid = conrelid::REGCLASS"),
            "{sql}"
        );
        let types = rewritten(
            "SELECT atttypid::regtype::text FROM pg_attribute",
            &ObjectIdentifierNames,
        );
        assert_eq!(
            types,
            "SELECT format_type(atttypid::regtype, NULL) AS \"atttypid\" FROM pg_attribute"
        );
    }

    #[test]
    fn result_columns_of_object_identifiers_keep_postgres_names() {
        let sql = rewritten(
            "SELECT indexrelid::regclass, atttypid::regtype AS t FROM pg_index",
            &ObjectIdentifierNames,
        );
        assert!(
            sql.starts_with("SELECT omnigraph_regclass_text(coalesce("),
            "{sql}"
        );
        assert!(sql.contains(") AS \"indexrelid\", omnigraph_regtype_text(format_type(atttypid::regtype, NULL)) AS t FROM"), "{sql}");
    }

    #[test]
    fn literal_names_must_name_an_object() {
        assert_eq!(
            rewritten(
                "SELECT 1 WHERE c.oid = 'person'::regclass",
                &ObjectIdentifierNames
            ),
            "SELECT 1 WHERE c.oid = omnigraph_existing_relation('person'::REGCLASS, 'person')"
        );
        assert_eq!(
            rewritten(
                "SELECT 1 WHERE t.oid = 'integer'::regtype",
                &ObjectIdentifierNames
            ),
            "SELECT 1 WHERE t.oid = omnigraph_existing_type('int4'::regtype, 'integer')"
        );
        let catalog = "SELECT 1 WHERE d.classid = 'pg_catalog.pg_class'::REGCLASS";
        assert_eq!(rewritten(catalog, &ObjectIdentifierNames), catalog);
        assert_eq!(
            rewritten(
                "SELECT 1 WHERE d.classid = 'pg_class'::regclass",
                &ObjectIdentifierNames
            ),
            "SELECT 1 WHERE d.classid = 'pg_catalog.pg_class'::REGCLASS"
        );
        let numeric = "SELECT 1 WHERE c.oid = '16384'::REGCLASS";
        assert_eq!(rewritten(numeric, &ObjectIdentifierNames), numeric);
    }
}
