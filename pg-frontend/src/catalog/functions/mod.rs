//! The functions drivers and BI tools call that DataFusion and datafusion-pg-catalog do
//! not answer, or answer for no particular connection. Each module lists the functions
//! it holds as [`CatalogFunction`]s; [`catalog_functions`] gathers them for `install`.

pub mod arrays;
pub mod json;
pub mod object_definitions;
pub mod session_info;
pub mod settings;
pub mod sizes;
pub mod text;
pub mod types;
pub mod visibility;

use std::sync::{Arc, Mutex};

use arrow::array::{Array, ArrayRef};
use arrow::datatypes::DataType;
use datafusion::common::{DataFusionError, Result as DFResult};
use datafusion::logical_expr::{ColumnarValue, ScalarUDF, Signature, SimpleScalarUDF, Volatility};

use crate::catalog_keys::RelationSchemas;
use crate::connection::PgSettings;

/// What a connection's functions answer from.
#[derive(Clone)]
pub struct ConnectionFacts {
    pub database: String,
    pub user: String,
    /// The connection's run-time parameters as they are now (`SET` changes them).
    pub settings: Arc<Mutex<PgSettings>>,
    /// The schema of each relation OID, as of the connection's last scan of `pg_class`.
    pub relation_schemas: RelationSchemas,
    /// The directory the graph is stored in.
    pub graph_root: String,
}

/// One function under one name; several names may share a `build` (PostgreSQL's
/// `*_description` functions all answer NULL here).
pub struct CatalogFunction {
    pub name: &'static str,
    /// The function named `name`, answering for `connection`.
    pub build: fn(name: &'static str, connection: &ConnectionFacts) -> ScalarUDF,
}

/// Every group of functions, each in its module.
const GROUPS: [&[CatalogFunction]; 9] = [
    session_info::FUNCTIONS,
    settings::FUNCTIONS,
    visibility::FUNCTIONS,
    object_definitions::FUNCTIONS,
    sizes::FUNCTIONS,
    types::FUNCTIONS,
    arrays::FUNCTIONS,
    text::FUNCTIONS,
    json::FUNCTIONS,
];

/// Every catalog function, group by group.
pub fn catalog_functions() -> impl Iterator<Item = &'static CatalogFunction> {
    GROUPS.into_iter().flatten()
}

/// A function of any arguments (PostgreSQL's overloads of it all answer alike here).
pub fn any_arguments(
    name: &str,
    returns: DataType,
    body: impl Fn(&[ColumnarValue]) -> DFResult<ColumnarValue> + Send + Sync + 'static,
) -> ScalarUDF {
    ScalarUDF::from(SimpleScalarUDF::new_with_signature(
        name,
        Signature::variadic_any(Volatility::Stable),
        returns,
        Arc::new(body),
    ))
}

/// The array `arrays[0]` as `A`, or the error that `function` takes `what`.
pub fn first_argument<'a, A: Array + 'static>(
    arrays: &'a [ArrayRef],
    function: &str,
    what: &str,
) -> DFResult<&'a A> {
    arrays[0]
        .as_any()
        .downcast_ref::<A>()
        .ok_or_else(|| DataFusionError::Execution(format!("{function} takes {what}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_function_has_one_name_and_is_built_under_it() {
        let connection = ConnectionFacts {
            database: "graph".to_string(),
            user: "alice".to_string(),
            settings: Arc::new(Mutex::new(PgSettings::default())),
            relation_schemas: RelationSchemas::default(),
            graph_root: std::env::temp_dir().display().to_string(),
        };
        let mut names = std::collections::HashSet::new();
        for function in catalog_functions() {
            assert!(names.insert(function.name), "{} twice", function.name);
            assert_eq!(
                (function.build)(function.name, &connection).name(),
                function.name
            );
        }
        assert_eq!(names.len(), 30);
    }
}
