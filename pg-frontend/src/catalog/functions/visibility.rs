//! `pg_*_is_visible(oid)`: whether an object is reached by its name alone.

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, BooleanArray, Int64Array, ListBuilder, StringBuilder};
use arrow::datatypes::{DataType, Field};
use datafusion::logical_expr::{ColumnarValue, ScalarUDF, Volatility, create_udf};

use super::{CatalogFunction, ConnectionFacts, first_argument};

pub const FUNCTIONS: &[CatalogFunction] = &[
    CatalogFunction {
        name: "pg_table_is_visible",
        build: table_is_visible,
    },
    CatalogFunction {
        name: "pg_type_is_visible",
        build: always_visible,
    },
    CatalogFunction {
        name: "pg_function_is_visible",
        build: always_visible,
    },
    CatalogFunction {
        name: "pg_collation_is_visible",
        build: always_visible,
    },
    CatalogFunction {
        name: "pg_operator_is_visible",
        build: always_visible,
    },
    CatalogFunction {
        name: "pg_opclass_is_visible",
        build: always_visible,
    },
    CatalogFunction {
        name: "pg_opfamily_is_visible",
        build: always_visible,
    },
    CatalogFunction {
        name: "pg_conversion_is_visible",
        build: always_visible,
    },
    CatalogFunction {
        name: "pg_ts_config_is_visible",
        build: always_visible,
    },
    CatalogFunction {
        name: "current_schemas",
        build: current_schemas,
    },
];

/// `current_schemas(include_implicit)`: the search path's schemas (without `"$user"`,
/// as no schema is named after a user), after `pg_catalog` when the implicitly searched
/// schemas are asked for and the path does not name it, as PostgreSQL orders them.
fn current_schemas(name: &'static str, connection: &ConnectionFacts) -> ScalarUDF {
    let settings = connection.settings.clone();
    create_udf(
        name,
        vec![DataType::Boolean],
        DataType::List(Arc::new(Field::new_list_field(DataType::Utf8, true))),
        Volatility::Stable,
        Arc::new(move |args: &[ColumnarValue]| {
            let arrays = ColumnarValue::values_to_arrays(args)?;
            let implicit: &BooleanArray = first_argument(&arrays, "current_schemas", "a boolean")?;
            let search_path = settings
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .get("search_path")
                .unwrap_or_default()
                .to_string();
            let explicit: Vec<String> = search_path
                .split(',')
                .map(|s| s.trim().trim_matches('"').to_string())
                .filter(|s| !s.is_empty() && s != "$user")
                .collect();
            let mut lists = ListBuilder::new(StringBuilder::new());
            for row in 0..implicit.len() {
                if implicit.is_null(row) {
                    lists.append(false);
                    continue;
                }
                if implicit.value(row) && !explicit.iter().any(|s| s == "pg_catalog") {
                    lists.values().append_value("pg_catalog");
                }
                for schema in &explicit {
                    lists.values().append_value(schema);
                }
                lists.append(true);
            }
            Ok(ColumnarValue::Array(Arc::new(lists.finish())))
        }),
    )
}

/// `pg_table_is_visible(oid)`: whether the relation's schema is on the search path
/// (`pg_catalog` always is). A graph's tables are also in the schema of each branch
/// (`main`, `"feature/x"`), where only a schema-qualified name reaches them; psql's `\dt`
/// and SQLAlchemy's reflection list each table once by this. A relation no scan of
/// `pg_class` has reported yet counts as visible.
fn table_is_visible(name: &'static str, connection: &ConnectionFacts) -> ScalarUDF {
    let relation_schemas = connection.relation_schemas.clone();
    let settings = connection.settings.clone();
    create_udf(
        name,
        vec![DataType::Int64],
        DataType::Boolean,
        Volatility::Stable,
        Arc::new(move |args: &[ColumnarValue]| {
            let arrays = ColumnarValue::values_to_arrays(args)?;
            let oids = [arrow::compute::cast(&arrays[0], &DataType::Int64)?];
            let oids: &Int64Array = first_argument(&oids, "pg_table_is_visible", "an oid")?;
            let search_path = settings
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .get("search_path")
                .unwrap_or_default()
                .to_string();
            let on_path: Vec<String> = search_path
                .split(',')
                .map(|s| s.trim().trim_matches('"').to_string())
                .chain(std::iter::once("pg_catalog".to_string()))
                .collect();
            let schemas = relation_schemas.lock().unwrap_or_else(|p| p.into_inner());
            let visible: BooleanArray = oids
                .iter()
                .map(|oid| {
                    oid.map(
                        |oid| match i32::try_from(oid).ok().and_then(|o| schemas.get(&o)) {
                            Some(schema) => on_path.iter().any(|p| p == schema),
                            None => true,
                        },
                    )
                })
                .collect();
            Ok(ColumnarValue::Array(Arc::new(visible)))
        }),
    )
}

/// Types, functions, operators, collations... all live in `pg_catalog`, which is always on the path.
fn always_visible(name: &'static str, _: &ConnectionFacts) -> ScalarUDF {
    create_udf(
        name,
        vec![DataType::Int64],
        DataType::Boolean,
        Volatility::Stable,
        Arc::new(|args: &[ColumnarValue]| {
            let arrays = ColumnarValue::values_to_arrays(args)?;
            let all_true: ArrayRef = Arc::new(BooleanArray::from(vec![true; arrays[0].len()]));
            Ok(ColumnarValue::Array(all_true))
        }),
    )
}
