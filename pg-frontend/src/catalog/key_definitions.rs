//! The definitions `pg_get_indexdef` and `pg_get_constraintdef` print for the keys
//! `pg_index` and `pg_constraint` list (see `catalog_keys`): each graph table's primary key
//! on `id` and its index, and each edge table's foreign keys from `src` and `dst` to its
//! endpoint tables' `id`, and the other indexes the schema declares. They are recorded by
//! OID at each scan of those tables, since the OIDs are handed out by scans.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// The key definitions of the connection's last scan, by index or constraint OID.
pub type KeyDefinitions = Arc<Mutex<HashMap<i32, KeyDefinition>>>;

/// One index or constraint on a graph table.
#[derive(Debug, Clone, PartialEq)]
pub struct KeyDefinition {
    pub schema: String,
    pub table: String,
    pub kind: KeyKind,
}

#[derive(Debug, Clone, PartialEq)]
pub enum KeyKind {
    /// The unique btree index behind a primary key.
    PrimaryKeyIndex {
        index: String,
        column: String,
    },
    PrimaryKey {
        column: String,
    },
    /// An index the graph schema declares besides the primary key's: an edge's `src` or
    /// `dst`, a `@key`, `@unique` or `@index` property (`method` is Lance's: `btree`,
    /// `bitmap`, `labellist`).
    Index {
        index: String,
        column: String,
        method: String,
        unique: bool,
    },
    ForeignKey {
        column: String,
        target_schema: String,
        target_table: String,
        target_column: String,
    },
}

/// The name PostgreSQL gives the primary key of `table` (and its index).
pub fn primary_key_name(table: &str) -> String {
    format!("{table}_pkey")
}

/// The name PostgreSQL gives the foreign key of `table` from `column`.
pub fn foreign_key_name(table: &str, column: &str) -> String {
    format!("{table}_{column}_fkey")
}

impl KeyDefinition {
    /// The constraint's name; None for an index.
    pub fn constraint_name(&self) -> Option<String> {
        match &self.kind {
            KeyKind::PrimaryKey { .. } => Some(primary_key_name(&self.table)),
            KeyKind::ForeignKey { column, .. } => Some(foreign_key_name(&self.table, column)),
            KeyKind::PrimaryKeyIndex { .. } | KeyKind::Index { .. } => None,
        }
    }
}

/// `name` as PostgreSQL prints an identifier: quoted unless it is a plain lower-case one.
pub fn quote_identifier(name: &str) -> String {
    let plain = name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if plain {
        name.to_string()
    } else {
        format!("\"{}\"", name.replace('"', "\"\""))
    }
}

/// `table` of `schema`, qualified unless `visible` says its schema is on the search path
/// (as PostgreSQL's `pg_get_*def` print relation names).
fn relation_name(schema: &str, table: &str, visible: &dyn Fn(&str) -> bool) -> String {
    if visible(schema) {
        quote_identifier(table)
    } else {
        format!("{}.{}", quote_identifier(schema), quote_identifier(table))
    }
}

impl KeyDefinition {
    /// `pg_get_indexdef(oid)`: the `CREATE INDEX` statement; None for a constraint.
    pub fn index_definition(&self, visible: &dyn Fn(&str) -> bool) -> Option<String> {
        match &self.kind {
            KeyKind::PrimaryKeyIndex { index, column } => Some(format!(
                "CREATE UNIQUE INDEX {} ON {} USING btree ({})",
                quote_identifier(index),
                relation_name(&self.schema, &self.table, visible),
                quote_identifier(column)
            )),
            KeyKind::Index {
                index,
                column,
                method,
                unique,
            } => Some(format!(
                "CREATE {}INDEX {} ON {} USING {method} ({})",
                if *unique { "UNIQUE " } else { "" },
                quote_identifier(index),
                relation_name(&self.schema, &self.table, visible),
                quote_identifier(column)
            )),
            _ => None,
        }
    }

    /// `pg_get_indexdef(oid, n, pretty)` for column `n` > 0: that key column's name.
    pub fn index_column(&self, n: i64) -> Option<String> {
        match &self.kind {
            KeyKind::PrimaryKeyIndex { column, .. } | KeyKind::Index { column, .. } if n == 1 => {
                Some(quote_identifier(column))
            }
            _ => None,
        }
    }

    /// `pg_get_constraintdef(oid)`: the constraint's clause; None for an index.
    pub fn constraint_definition(&self, visible: &dyn Fn(&str) -> bool) -> Option<String> {
        match &self.kind {
            KeyKind::PrimaryKeyIndex { .. } | KeyKind::Index { .. } => None,
            KeyKind::PrimaryKey { column } => {
                Some(format!("PRIMARY KEY ({})", quote_identifier(column)))
            }
            KeyKind::ForeignKey {
                column,
                target_schema,
                target_table,
                target_column,
            } => Some(format!(
                "FOREIGN KEY ({}) REFERENCES {}({})",
                quote_identifier(column),
                relation_name(target_schema, target_table, visible),
                quote_identifier(target_column)
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn definitions_read_as_postgres_prints_them() {
        let on_path = |schema: &str| schema == "public";
        let index = KeyDefinition {
            schema: "public".into(),
            table: "person".into(),
            kind: KeyKind::PrimaryKeyIndex {
                index: "person_pkey".into(),
                column: "id".into(),
            },
        };
        assert_eq!(
            index.index_definition(&on_path).as_deref(),
            Some("CREATE UNIQUE INDEX person_pkey ON person USING btree (id)")
        );
        assert_eq!(
            index.index_definition(&|_| false).as_deref(),
            Some("CREATE UNIQUE INDEX person_pkey ON public.person USING btree (id)")
        );
        let foreign = KeyDefinition {
            schema: "feature/x".into(),
            table: "knows".into(),
            kind: KeyKind::ForeignKey {
                column: "src".into(),
                target_schema: "feature/x".into(),
                target_table: "person".into(),
                target_column: "id".into(),
            },
        };
        assert_eq!(
            foreign.constraint_definition(&on_path).as_deref(),
            Some("FOREIGN KEY (src) REFERENCES \"feature/x\".person(id)")
        );
    }
}
