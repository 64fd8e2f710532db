//! Table functions: `as_of` for time travel, `diff`, the procedures, and the traversals;
//! and `to_char` with PostgreSQL's templates.

pub mod args;
pub mod as_of;
pub mod diff;
pub mod procedures;
pub mod to_char;
pub mod traversal;

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
