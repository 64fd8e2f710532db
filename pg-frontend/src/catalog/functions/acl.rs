//! `acldefault(type, owner)`: the privileges an object of a kind has when no `GRANT` or
//! `REVOKE` changed them, which pg_dump compares each object's ACL with (no ACL column
//! differs here, so it dumps no `GRANT`).

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, Int64Array, ListBuilder, StringArray, StringBuilder};
use arrow::compute::cast;
use arrow::datatypes::{DataType, Field};
use datafusion::common::{DataFusionError, Result as DFResult};
use datafusion::logical_expr::{ColumnarValue, ScalarUDF, Signature, SimpleScalarUDF, Volatility};

use super::{CatalogFunction, ConnectionFacts};
use crate::catalog::dump_catalog::builtin_role_name;

pub const FUNCTIONS: &[CatalogFunction] = &[CatalogFunction {
    name: "acldefault",
    build: acldefault,
}];

fn acldefault(name: &'static str, _: &ConnectionFacts) -> ScalarUDF {
    ScalarUDF::from(SimpleScalarUDF::new_with_signature(
        name,
        Signature::any(2, Volatility::Stable),
        DataType::List(Arc::new(Field::new_list_field(DataType::Utf8, true))),
        Arc::new(|args: &[ColumnarValue]| {
            let scalars = args
                .iter()
                .all(|arg| matches!(arg, ColumnarValue::Scalar(_)));
            let arrays = ColumnarValue::values_to_arrays(args)?;
            let result = default_acls(&arrays[0], &arrays[1])?;
            Ok(if scalars {
                ColumnarValue::Scalar(datafusion::scalar::ScalarValue::try_from_array(&result, 0)?)
            } else {
                ColumnarValue::Array(result)
            })
        }),
    ))
}

/// The privileges PostgreSQL 15 grants by default, by `acldefault`'s object type letter:
/// what everyone holds (`PUBLIC`) and what the owner holds.
fn default_privileges(kind: &str) -> Option<(&'static str, &'static str)> {
    Some(match kind {
        "c" => ("", ""),
        "r" => ("", "arwdDxt"),
        "s" => ("", "rwU"),
        "d" => ("Tc", "CTc"),
        "f" => ("X", "X"),
        "l" => ("U", "U"),
        "L" => ("", "rw"),
        "n" => ("", "UC"),
        "t" => ("", "C"),
        "F" => ("", "U"),
        "S" => ("", "U"),
        "T" => ("U", "U"),
        "p" => ("", "sA"),
        _ => return None,
    })
}

/// A role as an ACL item names it: the roles every cluster has (the bootstrap superuser,
/// `pg_database_owner`) by name, any other owner by its OID (no object here is owned by
/// anyone else).
fn role_name(oid: i64) -> String {
    builtin_role_name(oid).map_or_else(|| oid.to_string(), str::to_string)
}

fn default_acls(kinds: &ArrayRef, owners: &ArrayRef) -> DFResult<ArrayRef> {
    let kinds = cast(kinds, &DataType::Utf8)?;
    let kinds = kinds
        .as_any()
        .downcast_ref::<StringArray>()
        .ok_or_else(|| DataFusionError::Execution("acldefault takes a \"char\"".into()))?;
    let owners = cast(owners, &DataType::Int64)?;
    let owners = owners
        .as_any()
        .downcast_ref::<Int64Array>()
        .ok_or_else(|| DataFusionError::Execution("acldefault takes an oid".into()))?;
    let mut lists = ListBuilder::new(StringBuilder::new());
    for row in 0..kinds.len() {
        if kinds.is_null(row) || owners.is_null(row) {
            lists.append(false);
            continue;
        }
        let kind = kinds.value(row);
        let (public, owner) = default_privileges(kind).ok_or_else(|| {
            DataFusionError::Execution(format!("unrecognized object type abbreviation: {kind}"))
        })?;
        let grantor = role_name(owners.value(row));
        if !public.is_empty() {
            lists.values().append_value(format!("={public}/{grantor}"));
        }
        if !owner.is_empty() {
            lists
                .values()
                .append_value(format!("{grantor}={owner}/{grantor}"));
        }
        lists.append(true);
    }
    Ok(Arc::new(lists.finish()))
}

#[cfg(test)]
mod tests {
    use arrow::array::{Int32Array, ListArray};

    use super::*;

    fn items(kind: &str) -> Vec<String> {
        let kinds: ArrayRef = Arc::new(StringArray::from(vec![kind]));
        let owners: ArrayRef = Arc::new(Int32Array::from(vec![10]));
        let result = default_acls(&kinds, &owners).unwrap();
        let lists = result.as_any().downcast_ref::<ListArray>().unwrap();
        let values = lists.value(0);
        let values = values.as_any().downcast_ref::<StringArray>().unwrap();
        values.iter().map(|v| v.unwrap().to_string()).collect()
    }

    #[test]
    fn defaults_are_postgres_15s() {
        assert_eq!(items("n"), ["postgres=UC/postgres"]);
        assert_eq!(items("f"), ["=X/postgres", "postgres=X/postgres"]);
        assert_eq!(items("r"), ["postgres=arwdDxt/postgres"]);
        assert!(items("c").is_empty());
    }

    #[test]
    fn public_owner_is_named() {
        let kinds: ArrayRef = Arc::new(StringArray::from(vec!["n"]));
        let owners: ArrayRef = Arc::new(Int32Array::from(vec![6171]));
        let result = default_acls(&kinds, &owners).unwrap();
        let lists = result.as_any().downcast_ref::<ListArray>().unwrap();
        let values = lists.value(0);
        let values = values.as_any().downcast_ref::<StringArray>().unwrap();
        assert_eq!(values.value(0), "pg_database_owner=UC/pg_database_owner");
    }
}
