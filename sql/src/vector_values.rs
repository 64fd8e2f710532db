//! pgvector's text for a `Vector(n)` column in `INSERT ... VALUES`: PostgreSQL gives an
//! untyped literal the type of its target column, so `VALUES ('[1,2,3]')` is a vector.
//! DataFusion types `VALUES` before it knows the target, and no cast from text to a list
//! exists, so such a literal is written as `'[1,2,3]'::vector(3)` first.

use datafusion::arrow::datatypes::DataType;
use datafusion::sql::parser::Statement as DFStatement;
use datafusion::sql::sqlparser::ast::{
    CastKind, DataType as SqlType, Expr, Ident, ObjectName, SetExpr, Statement, Value,
};
use datafusion_omnigraph::GraphContext;

use crate::names;

/// A text literal that may be vector text (which always starts with `[`): only an
/// `INSERT` with one looks its table up.
fn vector_like_text(expr: &Expr) -> bool {
    matches!(expr, Expr::Value(v)
        if matches!(&v.value, Value::SingleQuotedString(t) if t.trim_start().starts_with('[')))
}

/// `statement` with its `VALUES` text literals bound for `Vector(n)` columns cast to
/// `vector(n)`. A table it cannot find is left for the planner to report.
pub(crate) async fn with_vector_casts(graph: &GraphContext, statement: &mut DFStatement) {
    let DFStatement::Statement(statement) = statement else {
        return;
    };
    let Statement::Insert(insert) = statement.as_mut() else {
        return;
    };
    let has_text = match insert.source.as_deref().map(|q| q.body.as_ref()) {
        Some(SetExpr::Values(values)) => values
            .rows
            .iter()
            .flat_map(|row| &row.content)
            .any(vector_like_text),
        _ => false,
    };
    if !has_text {
        return;
    }
    let Ok((snapshot, table)) = crate::on_conflict::insert_target(graph, insert).await else {
        return;
    };
    // The table's columns as DataFusion plans the insert: its dataset's, in their order.
    let Ok(dataset) = snapshot.dataset(&table).await else {
        return;
    };
    let schema = datafusion::arrow::datatypes::Schema::from(dataset.schema());
    let targets: Vec<Option<i32>> = if insert.columns.is_empty() {
        schema
            .fields()
            .iter()
            .map(|f| vector_dims(f.data_type()))
            .collect()
    } else {
        insert
            .columns
            .iter()
            .map(|c| {
                let name = c.0.last()?.as_ident().map(names::normalized)?;
                schema
                    .field_with_name(&name)
                    .ok()
                    .and_then(|f| vector_dims(f.data_type()))
            })
            .collect()
    };
    let Some(SetExpr::Values(values)) = insert.source.as_deref_mut().map(|q| q.body.as_mut())
    else {
        return;
    };
    for row in &mut values.rows {
        for (value, dims) in row.content.iter_mut().zip(&targets) {
            let Some(dims) = dims else { continue };
            if vector_like_text(value) {
                let literal = std::mem::replace(value, Expr::value(Value::Null));
                *value = Expr::Cast {
                    kind: CastKind::DoubleColon,
                    expr: Box::new(literal),
                    data_type: SqlType::Custom(
                        ObjectName::from(vec![Ident::new("vector")]),
                        vec![dims.to_string()],
                    ),
                    array: false,
                    format: None,
                };
            }
        }
    }
}

/// `n` for the type of a `Vector(n)` property.
fn vector_dims(data_type: &DataType) -> Option<i32> {
    match data_type {
        DataType::FixedSizeList(element, n) if element.data_type() == &DataType::Float32 => {
            Some(*n)
        }
        _ => None,
    }
}
