//! PostgreSQL's meaning for subquery predicates, as analyzer rules that run after type
//! coercion (every operand has its final type) and before DataFusion's optimizer.
//!
//! DataFusion plans `x op ANY/ALL (subquery)` as `EXISTS` subqueries its decorrelation
//! gets wrong, and executes `EXISTS`/`IN (subquery)` only where they filter rows. These
//! rules put in their place scalar subqueries over aggregates of the subquery's rows,
//! which DataFusion decorrelates wherever they appear, combined with PostgreSQL's
//! three-valued logic ([`counts`]).

mod array_membership;
mod counts;
mod lateral_unnest;
mod ordering;
mod predicates;
mod quantified;
mod scalar_values;

use std::sync::Arc;

use datafusion::optimizer::analyzer::AnalyzerRule;

pub use array_membership::ArrayMembership;
pub use lateral_unnest::LateralUnnest;
pub use ordering::SubqueriesInOrderBy;
pub use predicates::SubqueryPredicatesAsValues;
pub use quantified::QuantifiedComparisons;
pub use scalar_values::{ScalarSubqueryValues, SubqueryError};

/// The subquery rules, in the order they apply: lateral `unnest`s run over the rows
/// before them; quantified comparisons; then
/// subqueries in `ORDER BY` move into a projection, where the last rule makes values of
/// `EXISTS` and `IN`; `x = ANY (array)` gets its NULL answers; scalar subqueries
/// are checked to have at most one row.
pub fn rules() -> Vec<Arc<dyn AnalyzerRule + Send + Sync>> {
    vec![
        Arc::new(LateralUnnest),
        Arc::new(QuantifiedComparisons),
        Arc::new(SubqueriesInOrderBy),
        Arc::new(SubqueryPredicatesAsValues),
        Arc::new(ArrayMembership),
        Arc::new(ScalarSubqueryValues),
    ]
}
