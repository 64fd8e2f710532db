//! Descriptions, definitions and locations of catalog objects: the keys' definitions
//! (`pg_get_indexdef`, `pg_get_constraintdef`), and NULL for what our tables have none of.

use std::sync::Arc;

use arrow::array::{Array, Int64Array, StringArray};
use arrow::compute::cast;
use arrow::datatypes::DataType;
use datafusion::common::ScalarValue;
use datafusion::logical_expr::{ColumnarValue, ScalarUDF};

use super::{CatalogFunction, ConnectionFacts, any_arguments};
use crate::catalog::graph_routines;
use crate::catalog::key_definitions::KeyDefinition;

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
        build: index_definition,
    },
    CatalogFunction {
        name: "pg_get_constraintdef",
        build: constraint_definition,
    },
    CatalogFunction {
        name: "pg_get_viewdef",
        build: none,
    },
    // Column defaults, index expressions and check constraints: our tables have none.
    CatalogFunction {
        name: "pg_get_expr",
        build: none,
    },
    CatalogFunction {
        name: "pg_get_function_result",
        build: routine_text,
    },
    CatalogFunction {
        name: "pg_get_function_arguments",
        build: routine_text,
    },
    CatalogFunction {
        name: "pg_get_function_identity_arguments",
        build: routine_text,
    },
    CatalogFunction {
        name: "pg_get_functiondef",
        build: routine_text,
    },
    // psql's `\df+` reads a SQL-bodied function's body: no routine here has one.
    CatalogFunction {
        name: "pg_get_function_sqlbody",
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

/// `pg_get_function_result(oid)`, `pg_get_function_arguments(oid)`,
/// `pg_get_function_identity_arguments(oid)` and `pg_get_functiondef(oid)` of the graph's
/// procedures and table functions (`\df`, `\sf`); NULL for PostgreSQL's built-ins, whose
/// signatures and definitions are not rendered yet.
fn routine_text(name: &'static str, _: &ConnectionFacts) -> ScalarUDF {
    any_arguments(name, DataType::Utf8, move |args| {
        let arrays = ColumnarValue::values_to_arrays(args)?;
        let Some(oids) = arrays.first() else {
            return Ok(ColumnarValue::Scalar(ScalarValue::Utf8(None)));
        };
        let oids = cast(oids, &DataType::Int64)?;
        let Some(oids) = oids.as_any().downcast_ref::<Int64Array>() else {
            return Ok(ColumnarValue::Scalar(ScalarValue::Utf8(None)));
        };
        let texts: StringArray = oids
            .iter()
            .map(|oid| {
                let routine = graph_routines::routine(oid?)?;
                match name {
                    "pg_get_function_result" => routine.result(),
                    "pg_get_function_arguments" => Some(routine.arguments()),
                    "pg_get_functiondef" => Some(routine.definition()),
                    _ => Some(routine.identity_arguments()),
                }
            })
            .collect();
        Ok(ColumnarValue::Array(Arc::new(texts)))
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

/// The schemas of the connection's `search_path`, with `pg_catalog` (always searched);
/// `"$user"` stands for the schema named after the user.
fn schemas_on_path(connection: &ConnectionFacts) -> Vec<String> {
    let search_path = connection
        .settings
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .get("search_path")
        .unwrap_or_default()
        .to_string();
    search_path
        .split(',')
        .map(|s| s.trim().trim_matches('"').to_string())
        .map(|s| {
            if s == "$user" {
                connection.user.clone()
            } else {
                s
            }
        })
        .chain(std::iter::once("pg_catalog".to_string()))
        .collect()
}

/// A function of an OID and optional further arguments answering from the key
/// definition of that OID (`definition` gets the definition, the search path and the
/// second argument as an integer); NULL for any other OID, as PostgreSQL answers for an
/// OID that names no such object.
fn key_function(
    name: &'static str,
    connection: &ConnectionFacts,
    definition: fn(&KeyDefinition, &[String], Option<i64>, bool) -> Option<String>,
) -> ScalarUDF {
    let connection = connection.clone();
    any_arguments(name, DataType::Utf8, move |args| {
        let rows = args
            .iter()
            .find_map(|a| match a {
                ColumnarValue::Array(a) => Some(a.len()),
                ColumnarValue::Scalar(_) => None,
            })
            .unwrap_or(1);
        let as_int64 = |i: usize| -> datafusion::common::Result<Option<Int64Array>> {
            let Some(arg) = args.get(i) else {
                return Ok(None);
            };
            let array = arg.to_array(rows)?;
            let array = cast(&array, &DataType::Int64)?;
            Ok(array.as_any().downcast_ref::<Int64Array>().cloned())
        };
        let oids = as_int64(0)?.unwrap_or_else(|| Int64Array::new_null(rows));
        let columns = as_int64(1)?;
        let pretty = as_int64(if name == "pg_get_indexdef" { 2 } else { 1 })?;
        let path = schemas_on_path(&connection);
        let definitions = connection
            .key_definitions
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        let texts: StringArray = (0..rows)
            .map(|i| {
                if oids.is_null(i) {
                    return None;
                }
                let key = definitions.get(&i32::try_from(oids.value(i)).ok()?)?;
                let column = columns
                    .as_ref()
                    .and_then(|c| (!c.is_null(i)).then(|| c.value(i)));
                let pretty = pretty
                    .as_ref()
                    .is_some_and(|p| !p.is_null(i) && p.value(i) != 0);
                definition(key, &path, column, pretty)
            })
            .collect();
        let result = ColumnarValue::Array(Arc::new(texts));
        if rows == 1 && args.iter().all(|a| matches!(a, ColumnarValue::Scalar(_))) {
            return Ok(ColumnarValue::Scalar(ScalarValue::try_from_array(
                &result.to_array(1)?,
                0,
            )?));
        }
        Ok(result)
    })
}

/// `pg_get_indexdef(oid [, column, pretty])`: a primary key's index as `CREATE UNIQUE
/// INDEX`, or for column `n` > 0 that key column's name. As in PostgreSQL the table is
/// schema-qualified unless `pretty` is true and its schema is on the search path.
fn index_definition(name: &'static str, connection: &ConnectionFacts) -> ScalarUDF {
    key_function(name, connection, |key, path, column, pretty| match column {
        Some(n) if n > 0 => key.index_column(n),
        _ => key.index_definition(&|schema| pretty && path.iter().any(|p| p == schema)),
    })
}

/// `pg_get_constraintdef(oid [, pretty])`: `PRIMARY KEY (id)`, `FOREIGN KEY (src)
/// REFERENCES person(id)`.
fn constraint_definition(name: &'static str, connection: &ConnectionFacts) -> ScalarUDF {
    key_function(name, connection, |key, path, _, _| {
        key.constraint_definition(&|schema| path.iter().any(|p| p == schema))
    })
}
