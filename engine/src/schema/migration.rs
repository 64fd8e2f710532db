//! Additive schema migration: what may change between two accepted schemas.

use std::collections::{BTreeMap, BTreeSet};

use super::model::{GraphSchema, Property, TableDef};
use crate::error::{Error, Result};
use crate::write::indexes::required_indexes;

/// The additive changes that take an accepted schema to a new one.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Migration {
    /// Tables that did not exist before, in deterministic order.
    pub new_tables: Vec<String>,
    /// New nullable columns per existing table.
    pub new_columns: BTreeMap<String, Vec<Property>>,
    /// Existing tables whose indexes change (`@index` added, removed, renamed or given
    /// another method, or a new column's index).
    pub reindexed_tables: BTreeSet<String>,
}

impl Migration {
    pub fn is_empty(&self) -> bool {
        self.new_tables.is_empty()
            && self.new_columns.is_empty()
            && self.reindexed_tables.is_empty()
    }
}

fn refuse(message: String) -> Error {
    Error::SchemaChange(message)
}

/// Checks that `new` only adds to `old` and returns the additions.
///
/// Refused: dropping a type or property, changing a type, key, endpoint, nullability or
/// `@unique`, and adding a required property to an existing type (its existing rows would
/// have no value). `@index` may be added, removed or changed.
pub fn plan_migration(old: &GraphSchema, new: &GraphSchema) -> Result<Migration> {
    let mut migration = Migration::default();
    for old_def in old.tables() {
        let name = old_def.table();
        let Some(new_def) = new.table(name).filter(|d| d.table() == name) else {
            return Err(refuse(format!(
                "type '{}' would be dropped; dropping types is not supported",
                old_def.declared_name()
            )));
        };
        if old_def.kind() != new_def.kind() {
            return Err(refuse(format!(
                "type '{}' cannot change from {} to {}",
                old_def.declared_name(),
                old_def.kind().as_str(),
                new_def.kind().as_str()
            )));
        }
        if old_def.key() != new_def.key() {
            return Err(refuse(format!(
                "the key of '{}' cannot change (was [{}], now [{}])",
                old_def.declared_name(),
                old_def.key().join(", "),
                new_def.key().join(", ")
            )));
        }
        if let (TableDef::Edge(o), TableDef::Edge(n)) = (old_def, new_def) {
            if o.src_table != n.src_table || o.dst_table != n.dst_table {
                return Err(refuse(format!(
                    "the endpoints of edge '{}' cannot change",
                    o.declared_name
                )));
            }
            if o.cardinality != n.cardinality {
                return Err(refuse(format!(
                    "the cardinality of edge '{}' cannot change after creation",
                    o.declared_name
                )));
            }
        }
        for old_prop in old_def.properties() {
            let Some(new_prop) = new_def
                .properties()
                .iter()
                .find(|p| p.column == old_prop.column)
            else {
                return Err(refuse(format!(
                    "property '{}.{}' would be dropped; dropping properties is not supported",
                    old_def.declared_name(),
                    old_prop.declared_name
                )));
            };
            if new_prop.ty != old_prop.ty {
                return Err(refuse(format!(
                    "property '{}.{}' cannot change type from {} to {}",
                    old_def.declared_name(),
                    old_prop.declared_name,
                    old_prop.ty,
                    new_prop.ty
                )));
            }
            if new_prop.nullable != old_prop.nullable {
                return Err(refuse(format!(
                    "property '{}.{}' cannot change nullability",
                    old_def.declared_name(),
                    old_prop.declared_name
                )));
            }
            if new_prop.unique != old_prop.unique {
                return Err(refuse(format!(
                    "@unique on '{}.{}' cannot be added or removed after creation",
                    old_def.declared_name(),
                    old_prop.declared_name
                )));
            }
        }
        let mut added = Vec::new();
        for new_prop in new_def.properties() {
            if old_def
                .properties()
                .iter()
                .any(|p| p.column == new_prop.column)
            {
                continue;
            }
            if !new_prop.nullable {
                return Err(refuse(format!(
                    "new property '{}.{}' must be nullable ('{}: {}?'): existing rows have no value for it",
                    new_def.declared_name(),
                    new_prop.declared_name,
                    new_prop.declared_name,
                    new_prop.ty
                )));
            }
            if new_prop.unique {
                return Err(refuse(format!(
                    "new property '{}.{}' cannot be @unique on an existing type",
                    new_def.declared_name(),
                    new_prop.declared_name
                )));
            }
            added.push(new_prop.clone());
        }
        if !added.is_empty() {
            migration.new_columns.insert(name.to_string(), added);
        }
        if required_indexes(old_def) != required_indexes(new_def) {
            migration.reindexed_tables.insert(name.to_string());
        }
    }
    for new_def in new.tables() {
        if old
            .table(new_def.table())
            .is_none_or(|d| d.table() != new_def.table())
        {
            migration.new_tables.push(new_def.table().to_string());
        }
    }
    Ok(migration)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::parser::parse_schema;

    #[test]
    fn additive_changes_are_planned() {
        let old = parse_schema("node A { k: String @key }").unwrap();
        let new = parse_schema("node A { k: String @key, x: I32? }\nnode B {}").unwrap();
        let m = plan_migration(&old, &new).unwrap();
        assert_eq!(m.new_tables, vec!["b"]);
        assert_eq!(m.new_columns["a"][0].column, "x");
    }

    #[test]
    fn destructive_changes_are_refused_with_reason() {
        let old = parse_schema("node A { k: String @key, x: I32? }").unwrap();
        for (src, needle) in [
            ("node B {}", "dropped"),
            ("node A { k: String @key }", "dropped"),
            ("node A { k: String @key, x: I64? }", "change type"),
            (
                "node A { k: String @key, x: I32?, y: I32 }",
                "must be nullable",
            ),
            ("node A { k: String, x: I32? }", "key"),
        ] {
            let new = parse_schema(src).unwrap();
            let err = plan_migration(&old, &new).unwrap_err().to_string();
            assert!(err.contains(needle), "{src}: {err}");
        }
    }
}
