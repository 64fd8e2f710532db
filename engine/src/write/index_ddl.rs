//! `CREATE INDEX` and `DROP INDEX`: edits of a property's `@index` annotation, applied as
//! a schema migration, so an index travels with its branch's schema through merges and is
//! built (or dropped) in the migration's own commit.

use super::WriteOptions;
use super::commit::CommitOutcome;
use super::indexes::{IndexOrigin, IndexSpec, indexable, required_indexes};
use crate::error::{Error, IndexError, Result};
use crate::graph::Graph;
use crate::schema::{
    GraphSchema, IndexDecl, IndexMethod, TableDef, VectorMetric, set_property_index,
};

/// What `CREATE INDEX` indexes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexDefinition {
    /// `None`: `<table>_<column>_idx`.
    pub name: Option<String>,
    pub table: String,
    pub column: String,
    /// `None`: the column type's default (`IndexMethod::default_for`).
    pub method: Option<IndexMethod>,
    /// A vector index's operator class; `None`: cosine distance.
    pub metric: Option<VectorMetric>,
}

/// What `CREATE INDEX` or `DROP INDEX` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexDdlOutcome {
    pub index: String,
    /// `None` when `DROP INDEX IF EXISTS` found no such index.
    pub table: Option<String>,
    /// `None` when `IF [NOT] EXISTS` found nothing to do; `skipped` says why.
    pub commit: Option<CommitOutcome>,
    pub skipped: Option<String>,
}

/// Every index of `schema` with the table it is on.
fn all_indexes(schema: &GraphSchema) -> impl Iterator<Item = (TableDef<'_>, IndexSpec)> {
    schema
        .tables()
        .flat_map(|def| required_indexes(def).into_iter().map(move |s| (def, s)))
}

fn valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

impl Graph {
    /// `CREATE INDEX [IF NOT EXISTS] name ON table [USING method] (column)` on `branch`:
    /// marks the property `@index` and migrates the schema, which builds the index in
    /// the same commit.
    pub async fn create_index(
        &self,
        branch: &str,
        def: &IndexDefinition,
        if_not_exists: bool,
        opts: &WriteOptions,
    ) -> Result<IndexDdlOutcome> {
        let snapshot = self.snapshot(branch).await?;
        let schema = snapshot.schema();
        let table = schema
            .table(&def.table)
            .ok_or_else(|| Error::UnknownTable(def.table.clone()))?;
        let t = table.table();
        let name = def
            .name
            .clone()
            .unwrap_or_else(|| format!("{t}_{}_idx", def.column));
        let outcome = |skipped: Option<String>, commit| IndexDdlOutcome {
            index: name.clone(),
            table: Some(t.to_string()),
            commit,
            skipped,
        };
        let taken =
            schema.table(&name).is_some() || all_indexes(schema).any(|(_, spec)| spec.name == name);
        if taken {
            if if_not_exists {
                return Ok(outcome(
                    Some(format!("relation \"{name}\" already exists, skipping")),
                    None,
                ));
            }
            return Err(IndexError::NameTaken(name).into());
        }
        if !valid_name(&name) {
            return Err(IndexError::InvalidName(name).into());
        }
        let existing = required_indexes(table)
            .into_iter()
            .find(|s| s.column == def.column);
        let property = table.properties().iter().find(|p| p.column == def.column);
        if let Some(index) = existing.map(|s| s.name) {
            let already = IndexError::AlreadyIndexed {
                table: t.to_string(),
                column: def.column.clone(),
                index,
            };
            if if_not_exists {
                return Ok(outcome(Some(format!("{already}, skipping")), None));
            }
            return Err(already.into());
        }
        let Some(property) = property else {
            return Err(IndexError::UnknownColumn {
                table: t.to_string(),
                column: def.column.clone(),
            }
            .into());
        };
        if !indexable(&property.ty) {
            return Err(IndexError::NotIndexable {
                column: def.column.clone(),
                ty: property.ty.to_string(),
            }
            .into());
        }
        if let Some(method) = def.method
            && !method.supports(&property.ty)
        {
            return Err(IndexError::MethodUnsupported {
                method: method.to_string(),
                column: def.column.clone(),
                ty: property.ty.to_string(),
            }
            .into());
        }
        let method = def
            .method
            .unwrap_or_else(|| IndexMethod::default_for(&property.ty));
        if def.metric.is_some() && !method.is_vector() {
            return Err(IndexError::MethodUnsupported {
                method: format!("{method} with an operator class"),
                column: def.column.clone(),
                ty: property.ty.to_string(),
            }
            .into());
        }
        let decl = IndexDecl {
            name: def.name.clone(),
            method: def.method,
            metric: def.metric,
        };
        let source = set_property_index(&schema.source, t, &def.column, Some(&decl))?;
        let opts = with_message(opts, || {
            format!("create index {name} on {t} ({})", def.column)
        });
        let applied = self.apply_schema(branch, &source, &opts).await?;
        Ok(outcome(None, applied.commit))
    }

    /// `DROP INDEX [IF EXISTS] name` on `branch`: removes the property's `@index` and
    /// migrates the schema, which drops the index in the same commit. The indexes of keys,
    /// `@unique` properties, ids and endpoints belong to the schema and are not dropped.
    pub async fn drop_index(
        &self,
        branch: &str,
        name: &str,
        if_exists: bool,
        opts: &WriteOptions,
    ) -> Result<IndexDdlOutcome> {
        let snapshot = self.snapshot(branch).await?;
        let schema = snapshot.schema();
        let Some((table, spec)) = all_indexes(schema).find(|(_, spec)| spec.name == name) else {
            if if_exists {
                return Ok(IndexDdlOutcome {
                    index: name.to_string(),
                    table: None,
                    commit: None,
                    skipped: Some(format!("index \"{name}\" does not exist, skipping")),
                });
            }
            return Err(IndexError::UnknownIndex(name.to_string()).into());
        };
        let t = table.table();
        let reason = match spec.origin {
            IndexOrigin::Declared => None,
            IndexOrigin::Id => Some(format!("it is the primary key of {t}")),
            IndexOrigin::Endpoint => Some(format!("it indexes edge {t}'s {}", spec.column)),
            IndexOrigin::Key => Some(format!("it indexes {t}'s key column {}", spec.column)),
            IndexOrigin::Unique => Some(format!("it enforces @unique on {t}.{}", spec.column)),
        };
        if let Some(reason) = reason {
            return Err(IndexError::Required {
                index: name.to_string(),
                reason,
            }
            .into());
        }
        let source = set_property_index(&schema.source, t, &spec.column, None)?;
        let opts = with_message(opts, || format!("drop index {name} on {t}"));
        let applied = self.apply_schema(branch, &source, &opts).await?;
        Ok(IndexDdlOutcome {
            index: name.to_string(),
            table: Some(t.to_string()),
            commit: applied.commit,
            skipped: None,
        })
    }
}

fn with_message(opts: &WriteOptions, message: impl FnOnce() -> String) -> WriteOptions {
    WriteOptions {
        actor: opts.actor.clone(),
        message: Some(opts.message.clone().unwrap_or_else(message)),
    }
}
