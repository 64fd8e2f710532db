//! Which filters Lance evaluates exactly.
//!
//! A filter reported `Exact` is removed from DataFusion's plan and evaluated by Lance
//! alone, so only shapes Lance evaluates with SQL semantics are claimed: comparisons,
//! `IN` lists, `BETWEEN` and null tests of a column against literals, combined with
//! AND / OR / NOT. Anything else stays in DataFusion (`Unsupported`).

use datafusion::arrow::datatypes::DataType;
use datafusion::logical_expr::{Between, BinaryExpr, Expr, Operator, TableProviderFilterPushDown};

fn scalar_type_ok(dt: &DataType) -> bool {
    dt.is_primitive()
        || matches!(
            dt,
            DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View | DataType::Boolean
        )
}

fn is_column(e: &Expr) -> bool {
    matches!(e, Expr::Column(_))
}

fn is_literal(e: &Expr) -> bool {
    matches!(e, Expr::Literal(v, _) if !v.is_null() && scalar_type_ok(&v.data_type()))
}

/// Whether Lance evaluates `expr` exactly as DataFusion would.
pub fn is_exact(expr: &Expr) -> bool {
    match expr {
        Expr::BinaryExpr(BinaryExpr { left, op, right }) => match op {
            Operator::And | Operator::Or => is_exact(left) && is_exact(right),
            Operator::Eq
            | Operator::NotEq
            | Operator::Lt
            | Operator::LtEq
            | Operator::Gt
            | Operator::GtEq => {
                (is_column(left) && is_literal(right)) || (is_literal(left) && is_column(right))
            }
            _ => false,
        },
        Expr::Not(inner) => is_exact(inner),
        Expr::IsNull(inner) | Expr::IsNotNull(inner) => is_column(inner),
        Expr::InList(list) => {
            is_column(&list.expr) && !list.list.is_empty() && list.list.iter().all(is_literal)
        }
        Expr::Between(Between {
            expr, low, high, ..
        }) => is_column(expr) && is_literal(low) && is_literal(high),
        _ => false,
    }
}

pub fn classify(filters: &[&Expr]) -> Vec<TableProviderFilterPushDown> {
    filters
        .iter()
        .map(|f| {
            if is_exact(f) {
                TableProviderFilterPushDown::Exact
            } else {
                TableProviderFilterPushDown::Unsupported
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use datafusion::logical_expr::{col, lit};
    use datafusion::scalar::ScalarValue;

    use super::*;

    #[test]
    fn simple_predicates_are_exact_and_others_are_not() {
        assert!(is_exact(&col("age").gt(lit(30))));
        assert!(is_exact(
            &col("name").eq(lit("alice")).or(col("age").is_null())
        ));
        assert!(is_exact(&col("age").between(lit(1), lit(5))));
        assert!(is_exact(
            &col("name").in_list(vec![lit("a"), lit("b")], false)
        ));
        assert!(!is_exact(&col("name").like(lit("a%"))));
        assert!(!is_exact(&(col("age") + lit(1)).gt(lit(3))));
        assert!(!is_exact(&col("age").eq(col("id"))));
        assert!(!is_exact(&col("age").eq(lit(ScalarValue::Int32(None)))));
    }
}
