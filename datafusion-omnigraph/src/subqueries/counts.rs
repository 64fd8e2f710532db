//! Scalar subqueries over one subquery's rows: how many there are, how many are not
//! null, how many equal a value, their smallest and largest value. From these the
//! quantified comparisons and membership tests follow with SQL's NULL rules, and
//! DataFusion decorrelates an aggregated scalar subquery wherever it appears.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use datafusion::common::tree_node::{Transformed, TreeNode};
use datafusion::common::{Column, DFSchema, ExprSchema, Result, ScalarValue};
use datafusion::functions_aggregate::count::count_all;
use datafusion::functions_aggregate::expr_fn::{count, max, min};
use datafusion::logical_expr::{Expr, LogicalPlan, LogicalPlanBuilder, Subquery, lit, when};

/// Numbers the names [`SubqueryRows::named_rows`] gives subqueries, so nested ones differ.
static ROWS_NAMES: AtomicUsize = AtomicUsize::new(0);

/// The rows of a subquery whose first column is compared or searched.
pub(super) struct SubqueryRows<'a> {
    subquery: &'a Subquery,
    /// The name of the subquery's rows.
    alias: String,
}

impl<'a> SubqueryRows<'a> {
    pub(super) fn new(subquery: &'a Subquery) -> Self {
        let number = ROWS_NAMES.fetch_add(1, Ordering::Relaxed);
        SubqueryRows {
            subquery,
            alias: format!("__subquery_rows_{number}"),
        }
    }

    /// The subquery's first column.
    fn value(&self) -> Expr {
        Expr::Column(Column::from(
            self.subquery.subquery.schema().qualified_field(0),
        ))
    }

    /// The subquery's first column, as [`Self::named_rows`] name it.
    fn named_value(&self) -> Expr {
        let name = self.subquery.subquery.schema().field(0).name();
        Expr::Column(Column::new(Some(self.alias.as_str()), name))
    }

    /// `(SELECT aggregate FROM rows)`, over `rows` (the subquery's, maybe filtered).
    fn aggregated(&self, rows: LogicalPlan, aggregate: Expr) -> Result<Expr> {
        let plan = LogicalPlanBuilder::from(rows)
            .aggregate(Vec::<Expr>::new(), vec![aggregate])?
            .build()?;
        Ok(Expr::ScalarSubquery(Subquery {
            outer_ref_columns: plan.all_out_ref_exprs(),
            subquery: Arc::new(plan),
            spans: self.subquery.spans.clone(),
        }))
    }

    fn rows(&self) -> LogicalPlan {
        self.subquery.subquery.as_ref().clone()
    }

    /// The subquery's rows under a name of their own: a correlated filter comparing them
    /// with the outer query's would otherwise be ambiguous when both read the same table
    /// (`age = ANY (SELECT age FROM person ...)` in a query of `person`). Only there:
    /// DataFusion cannot pull a subquery's own correlated filter up through the name.
    fn named_rows(&self) -> Result<LogicalPlan> {
        LogicalPlanBuilder::from(self.rows())
            .alias(self.alias.as_str())?
            .build()
    }

    /// How many rows.
    pub(super) fn count(&self) -> Result<Expr> {
        self.aggregated(self.rows(), count_all())
    }

    /// How many rows have a value that is not null.
    pub(super) fn count_values(&self) -> Result<Expr> {
        self.aggregated(self.rows(), count(self.value()))
    }

    /// The smallest value.
    pub(super) fn min(&self) -> Result<Expr> {
        self.aggregated(self.rows(), min(self.value()))
    }

    /// The largest value.
    pub(super) fn max(&self) -> Result<Expr> {
        self.aggregated(self.rows(), max(self.value()))
    }

    /// How many rows have a value equal to `needle`, an expression of the outer query.
    pub(super) fn count_equal(&self, needle: &Expr, outer: &DFSchema) -> Result<Expr> {
        let needle = outer_reference(needle.clone(), outer)?;
        let rows = LogicalPlanBuilder::from(self.named_rows()?)
            .filter(self.named_value().eq(needle))?
            .build()?;
        self.aggregated(rows, count_all())
    }

    /// Whether `needle` is among the values, with SQL's NULL rules: true when one equals
    /// it; else false when there are no rows; else NULL when `needle` or a value is null.
    pub(super) fn contains(&self, needle: &Expr, outer: &DFSchema) -> Result<Expr> {
        let unknown = needle.clone().is_null().or(self.has_null()?);
        when(self.count_equal(needle, outer)?.gt(lit(0i64)), lit(true))
            .when(self.count()?.eq(lit(0i64)), lit(false))
            .when(unknown, null_boolean())
            .otherwise(lit(false))
    }

    /// Whether some value is null (only asked once the rows are known not to be none).
    pub(super) fn has_null(&self) -> Result<Expr> {
        Ok(self.count_values()?.lt(self.count()?))
    }
}

pub(super) fn null_boolean() -> Expr {
    Expr::Literal(ScalarValue::Boolean(None), None)
}

/// `expr` with its columns made references to the outer query, as it reads inside a
/// subquery.
fn outer_reference(expr: Expr, outer: &DFSchema) -> Result<Expr> {
    expr.transform_up(|expr| match expr {
        Expr::Column(column) => {
            let field = outer.field_from_column(&column)?;
            Ok(Transformed::yes(Expr::OuterReferenceColumn(
                Arc::clone(field),
                column,
            )))
        }
        other => Ok(Transformed::no(other)),
    })
    .map(|t| t.data)
}
