//! The functions drivers and BI tools call that DataFusion and datafusion-pg-catalog do
//! not answer, or answer for no particular connection. Each module lists the functions
//! it holds as [`CatalogFunction`]s; [`catalog_functions`] gathers them for `install`.

pub mod acl;
pub mod arrays;
pub mod json;
pub mod object_definitions;
pub mod object_identifiers;
pub mod session_info;
pub mod settings;
pub mod sizes;
pub mod text;
pub mod text_arguments;
pub mod types;
pub mod visibility;

use std::sync::{Arc, Mutex};

use arrow::array::{Array, ArrayRef};
use arrow::datatypes::{DataType, FieldRef};
use datafusion::common::{DataFusionError, Result as DFResult};
use datafusion::logical_expr::{
    ColumnarValue, ReturnFieldArgs, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature,
    SimpleScalarUDF, Volatility,
};
use datafusion_omnigraph::pg_type::with_pg_type;

use crate::catalog::key_definitions::KeyDefinitions;
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
    /// The definitions of the keys, as of the connection's last scan of `pg_index` or
    /// `pg_constraint`.
    pub key_definitions: KeyDefinitions,
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
const GROUPS: [&[CatalogFunction]; 11] = [
    session_info::FUNCTIONS,
    settings::FUNCTIONS,
    visibility::FUNCTIONS,
    object_definitions::FUNCTIONS,
    sizes::FUNCTIONS,
    types::FUNCTIONS,
    arrays::FUNCTIONS,
    text::FUNCTIONS,
    json::FUNCTIONS,
    object_identifiers::FUNCTIONS,
    acl::FUNCTIONS,
];

/// Every catalog function, group by group.
pub fn catalog_functions() -> impl Iterator<Item = &'static CatalogFunction> {
    GROUPS.into_iter().flatten()
}

/// The functions whose result PostgreSQL types `name` (psql shows `pg_get_userbyid`'s as
/// a table's owner, drivers read `current_schema()`): their results are tagged so the
/// wire sends `name` too.
pub const NAME_RESULTS: [&str; 9] = [
    "pg_encoding_to_char",
    "pg_client_encoding",
    "getdatabaseencoding",
    "current_database",
    "current_schema",
    "current_user",
    "session_user",
    "user",
    "pg_get_userbyid",
];

/// The functions whose result PostgreSQL types `name[]`.
pub const NAME_ARRAY_RESULTS: [&str; 1] = ["current_schemas"];

/// `udf` with its result tagged as PostgreSQL type `pg_type`.
pub fn with_result_type(udf: ScalarUDF, pg_type: &'static str) -> ScalarUDF {
    ScalarUDF::new_from_impl(TypedResult {
        inner: udf,
        pg_type,
    })
}

/// A function whose result field carries a PostgreSQL type tag; it computes as `inner`.
#[derive(Debug, PartialEq, Eq, Hash)]
struct TypedResult {
    inner: ScalarUDF,
    pg_type: &'static str,
}

impl ScalarUDFImpl for TypedResult {
    fn name(&self) -> &str {
        self.inner.name()
    }

    fn aliases(&self) -> &[String] {
        self.inner.aliases()
    }

    fn signature(&self) -> &Signature {
        self.inner.signature()
    }

    fn return_type(&self, arg_types: &[DataType]) -> DFResult<DataType> {
        self.inner.return_type(arg_types)
    }

    fn return_field_from_args(&self, args: ReturnFieldArgs) -> DFResult<FieldRef> {
        let field = self.inner.return_field_from_args(args)?;
        Ok(Arc::new(with_pg_type(field.as_ref().clone(), self.pg_type)))
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> DFResult<ColumnarValue> {
        self.inner.invoke_with_args(args)
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> DFResult<Vec<DataType>> {
        self.inner.coerce_types(arg_types)
    }
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
            key_definitions: KeyDefinitions::default(),
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
        assert_eq!(names.len(), 52);
    }
}
