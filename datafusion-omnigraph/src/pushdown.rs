//! Which filters Lance evaluates exactly.
//!
//! A filter reported `Exact` is removed from DataFusion's plan and evaluated by Lance
//! alone, so only shapes Lance evaluates with SQL semantics are claimed: comparisons,
//! `IN` lists, `BETWEEN` and null tests of a column against literals, combined with
//! AND / OR / NOT. Anything else stays in DataFusion (`Unsupported`).

use datafusion::arrow::datatypes::{DataType, Schema};
use datafusion::logical_expr::{Between, BinaryExpr, Expr, Operator, TableProviderFilterPushDown};

fn scalar_type_ok(dt: &DataType) -> bool {
    dt.is_primitive()
        || matches!(
            dt,
            DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View | DataType::Boolean
        )
}

/// A column whose comparisons Lance evaluates like DataFusion. Floats are excluded:
/// Lance compares them by IEEE rules (`-0.0 = 0`), DataFusion by total order.
fn is_column(e: &Expr, schema: &Schema) -> bool {
    match e {
        Expr::Column(c) => schema
            .field_with_name(&c.name)
            .is_ok_and(|f| scalar_type_ok(f.data_type()) && !f.data_type().is_floating()),
        _ => false,
    }
}

fn is_literal(e: &Expr) -> bool {
    matches!(e, Expr::Literal(v, _) if !v.is_null() && scalar_type_ok(&v.data_type()) && !v.data_type().is_floating())
}

/// Whether Lance evaluates `expr` exactly as DataFusion would, on a table of `schema`.
pub fn is_exact(expr: &Expr, schema: &Schema) -> bool {
    let col = |e: &Expr| is_column(e, schema);
    match expr {
        Expr::BinaryExpr(BinaryExpr { left, op, right }) => match op {
            Operator::And | Operator::Or => is_exact(left, schema) && is_exact(right, schema),
            Operator::Eq
            | Operator::NotEq
            | Operator::Lt
            | Operator::LtEq
            | Operator::Gt
            | Operator::GtEq => {
                (col(left) && is_literal(right)) || (is_literal(left) && col(right))
            }
            _ => false,
        },
        Expr::Not(inner) => is_exact(inner, schema),
        Expr::IsNull(inner) | Expr::IsNotNull(inner) => col(inner),
        Expr::InList(list) => {
            col(&list.expr) && !list.list.is_empty() && list.list.iter().all(is_literal)
        }
        Expr::Between(Between {
            expr, low, high, ..
        }) => col(expr) && is_literal(low) && is_literal(high),
        _ => false,
    }
}

pub fn classify(filters: &[&Expr], schema: &Schema) -> Vec<TableProviderFilterPushDown> {
    filters
        .iter()
        .map(|f| {
            if is_exact(f, schema) {
                TableProviderFilterPushDown::Exact
            } else {
                TableProviderFilterPushDown::Unsupported
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use datafusion::arrow::datatypes::Field;
    use datafusion::logical_expr::{col, lit};
    use datafusion::scalar::ScalarValue;

    use super::*;

    #[test]
    fn simple_predicates_are_exact_and_others_are_not() {
        let schema = Schema::new(vec![
            Field::new("id", DataType::Utf8, false),
            Field::new("name", DataType::Utf8, true),
            Field::new("age", DataType::Int32, true),
            Field::new("score", DataType::Float64, true),
        ]);
        let exact = |e: Expr| is_exact(&e, &schema);
        assert!(exact(col("age").gt(lit(30))));
        assert!(exact(col("name").eq(lit("alice")).or(col("age").is_null())));
        assert!(exact(col("age").between(lit(1), lit(5))));
        assert!(exact(col("name").in_list(vec![lit("a"), lit("b")], false)));
        assert!(!exact(col("name").like(lit("a%"))));
        assert!(!exact((col("age") + lit(1)).gt(lit(3))));
        assert!(!exact(col("age").eq(col("id"))));
        assert!(!exact(col("age").eq(lit(ScalarValue::Int32(None)))));
        assert!(
            !exact(col("score").eq(lit(0.0))),
            "float comparisons differ on -0.0"
        );
        assert!(!exact(col("missing").eq(lit(1))));
    }
}
