//! Schema language, catalog model, Arrow mapping and migration planning.

mod arrow;
mod edit;
mod lexer;
mod migration;
mod model;
mod names;
mod parser;

pub use arrow::{arrow_type, table_arrow_schema};
pub use edit::set_property_index;
pub use migration::{Migration, plan_migration};
pub use model::{
    Cardinality, EdgeType, GraphSchema, IndexDecl, IndexMethod, NodeType, PropType, Property,
    TableDef, TableKind, VectorMetric,
};
pub use names::snake_case;
pub use parser::{RESERVED_COLUMNS, parse_schema, parse_schema_reserving};
