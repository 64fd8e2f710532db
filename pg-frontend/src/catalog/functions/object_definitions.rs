//! Descriptions, definitions and locations of catalog objects, which our tables have
//! none of.

use arrow::datatypes::DataType;
use datafusion::common::ScalarValue;
use datafusion::logical_expr::{ColumnarValue, ScalarUDF};

use super::{CatalogFunction, ConnectionFacts, any_arguments};

pub const FUNCTIONS: &[CatalogFunction] = &[
    CatalogFunction {
        name: "col_description",
        build: none,
    },
    CatalogFunction {
        name: "obj_description",
        build: none,
    },
    CatalogFunction {
        name: "shobj_description",
        build: none,
    },
    CatalogFunction {
        name: "pg_get_indexdef",
        build: none,
    },
    CatalogFunction {
        name: "pg_get_viewdef",
        build: none,
    },
    CatalogFunction {
        name: "pg_get_function_result",
        build: none,
    },
    CatalogFunction {
        name: "pg_get_function_arguments",
        build: none,
    },
    CatalogFunction {
        name: "pg_get_function_identity_arguments",
        build: none,
    },
    CatalogFunction {
        name: "pg_get_serial_sequence",
        build: none,
    },
    CatalogFunction {
        name: "pg_tablespace_location",
        build: default_tablespace_location,
    },
];

/// Descriptions, index and view definitions, serial sequences: our tables have none,
/// and PostgreSQL answers NULL for an object without one (any argument list).
fn none(name: &'static str, _: &ConnectionFacts) -> ScalarUDF {
    any_arguments(name, DataType::Utf8, |_| {
        Ok(ColumnarValue::Scalar(ScalarValue::Utf8(None)))
    })
}

/// Everything lives in the default tablespace, whose location PostgreSQL gives as ''.
fn default_tablespace_location(name: &'static str, _: &ConnectionFacts) -> ScalarUDF {
    any_arguments(name, DataType::Utf8, |_| {
        Ok(ColumnarValue::Scalar(ScalarValue::Utf8(
            Some(String::new()),
        )))
    })
}
