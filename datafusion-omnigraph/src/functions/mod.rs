//! Table functions: `as_of` for time travel, `diff`, the procedures, and the traversals;
//! and PostgreSQL's versions of built-in functions (`to_char` with PostgreSQL's
//! templates, string, array and numeric functions), registered over DataFusion's.

pub mod aggregates;
pub mod args;
pub mod arrays;
pub mod as_of;
pub mod bitwise;
pub mod datetime;
pub mod diff;
pub mod errors;
pub mod intervals;
pub mod json;
pub mod json_text;
pub mod like_escape;
pub mod numeric;
pub mod operators;
pub mod ordered_set;
pub mod procedures;
pub mod rank_fusion;
pub mod regex;
pub mod registry;
pub mod text;
pub mod text_match;
pub mod text_search;
pub mod to_char;
pub mod traversal;
pub mod typed_text;
pub mod vector;
pub mod windows;

use datafusion::logical_expr::ScalarUDF;

/// PostgreSQL's scalar functions where DataFusion's differ or are missing, to register
/// with [`registry::register_overrides`].
pub fn postgres_functions() -> Vec<ScalarUDF> {
    let mut udfs = vec![to_char::to_char()];
    udfs.extend(text::functions());
    udfs.push(like_escape::like_escape());
    udfs.extend(regex::functions());
    udfs.extend(bitwise::functions());
    udfs.extend(arrays::functions());
    udfs.extend(numeric::functions());
    udfs.extend(datetime::functions());
    udfs.extend(vector::functions());
    udfs.push(rank_fusion::rrf());
    udfs
}

use std::sync::Arc;

use datafusion::arrow::datatypes::SchemaRef;
use datafusion::physical_expr::EquivalenceProperties;
use datafusion::physical_plan::execution_plan::{Boundedness, EmissionType};
use datafusion::physical_plan::{Partitioning, PlanProperties};

/// Properties of a one-partition, bounded leaf operator producing `full` projected by
/// `projection` (procedures and traversals).
pub(crate) fn leaf_properties(
    full: SchemaRef,
    projection: &Option<Vec<usize>>,
    emission: EmissionType,
) -> datafusion::error::Result<Arc<PlanProperties>> {
    let schema = match projection {
        Some(p) => Arc::new(full.project(p)?),
        None => full,
    };
    Ok(Arc::new(PlanProperties::new(
        EquivalenceProperties::new(schema),
        Partitioning::UnknownPartitioning(1),
        emission,
        Boundedness::Bounded,
    )))
}
