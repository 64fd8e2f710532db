//! Aggregates PostgreSQL knows under other names: `every` (`bool_and`) and `variance`
//! (`var_samp`); and those DataFusion lacks ([`super::ordered_set`], [`super::json`]).

use datafusion::functions_aggregate::{bool_and_or, variance};
use datafusion::logical_expr::AggregateUDF;

/// DataFusion's aggregates with PostgreSQL's names added, to register over the originals
/// (each keeps its own names, so none is left behind under one of them).
pub fn aggregates() -> Vec<AggregateUDF> {
    let mut aggregates = vec![
        bool_and_or::bool_and_udaf()
            .as_ref()
            .clone()
            .with_aliases(["every"]),
        variance::var_samp_udaf()
            .as_ref()
            .clone()
            .with_aliases(["variance"]),
    ];
    aggregates.extend(super::ordered_set::aggregates());
    aggregates.extend(super::json::aggregates());
    aggregates
}
