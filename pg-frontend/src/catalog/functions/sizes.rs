//! Sizes on disk: `pg_database_size`, `pg_table_size`, `pg_indexes_size`, and
//! `pg_size_pretty` to print them.

use std::sync::Arc;

use arrow::array::{Int64Array, StringArray};
use arrow::datatypes::DataType;
use datafusion::common::ScalarValue;
use datafusion::logical_expr::{ColumnarValue, ScalarUDF, Volatility, create_udf};

use super::{CatalogFunction, ConnectionFacts, any_arguments, first_argument};

pub const FUNCTIONS: &[CatalogFunction] = &[
    CatalogFunction {
        name: "pg_database_size",
        build: database_size,
    },
    CatalogFunction {
        name: "pg_table_size",
        build: untracked_size,
    },
    CatalogFunction {
        name: "pg_indexes_size",
        build: untracked_size,
    },
    CatalogFunction {
        name: "pg_size_pretty",
        build: pretty_size,
    },
];

/// The bytes under the graph's directory, whichever database is named.
fn database_size(name: &'static str, connection: &ConnectionFacts) -> ScalarUDF {
    let root = connection.graph_root.clone();
    any_arguments(name, DataType::Int64, move |_| {
        let bytes = directory_size(std::path::Path::new(&root)).ok();
        Ok(ColumnarValue::Scalar(ScalarValue::Int64(
            bytes.map(|b| b as i64),
        )))
    })
}

/// Graph tables live in Lance datasets whose size the catalog does not track.
fn untracked_size(name: &'static str, _: &ConnectionFacts) -> ScalarUDF {
    create_udf(
        name,
        vec![DataType::Int64],
        DataType::Int64,
        Volatility::Stable,
        Arc::new(|_: &[ColumnarValue]| Ok(ColumnarValue::Scalar(ScalarValue::Int64(Some(0))))),
    )
}

fn pretty_size(name: &'static str, _: &ConnectionFacts) -> ScalarUDF {
    create_udf(
        name,
        vec![DataType::Int64],
        DataType::Utf8,
        Volatility::Immutable,
        Arc::new(|args: &[ColumnarValue]| {
            let arrays = ColumnarValue::values_to_arrays(args)?;
            let sizes: &Int64Array = first_argument(&arrays, "pg_size_pretty", "bigint")?;
            let values: StringArray = sizes.iter().map(|s| s.map(size_pretty)).collect();
            Ok(ColumnarValue::Array(Arc::new(values)))
        }),
    )
}

/// The bytes of the files under `path`.
fn directory_size(path: &std::path::Path) -> std::io::Result<u64> {
    let mut total = 0;
    for entry in std::fs::read_dir(path)? {
        let entry = entry?;
        let kind = entry.file_type()?;
        if kind.is_dir() {
            total += directory_size(&entry.path())?;
        } else if kind.is_file() {
            total += entry.metadata()?.len();
        }
    }
    Ok(total)
}

/// PostgreSQL's `pg_size_pretty`: bytes up to 10 kB, then kB, MB, GB, TB, rounded.
pub fn size_pretty(bytes: i64) -> String {
    let units = ["bytes", "kB", "MB", "GB", "TB", "PB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value.abs() >= 10.0 * 1024.0 - 0.5 && unit < units.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    format!("{} {}", value.round() as i64, units[unit])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_print_like_postgres() {
        assert_eq!(size_pretty(123), "123 bytes");
        assert_eq!(size_pretty(10 * 1024), "10 kB");
        assert_eq!(size_pretty(5 * 1024 * 1024 * 1024), "5120 MB");
    }
}
