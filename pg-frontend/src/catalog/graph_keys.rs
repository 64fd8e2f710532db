//! The keys of the graph's tables as `pg_catalog` reports them: every graph table's `id`
//! is its primary key (a node's `id` is derived from its `@key`, an edge's is its own),
//! and an edge table's `src` and `dst` are foreign keys to its endpoint node tables' `id`.
//! The other indexes the schema declares (the engine's `required_indexes`: an edge's
//! endpoints, `@key`, `@unique` and `@index` properties) are listed beside the keys'.
//! Found at each scan from the connection's `pg_class` (whose OIDs they reuse) and the
//! graph schema of each branch schema.

use std::collections::HashMap;
use std::sync::Arc;

use arrow::array::{Int32Array, RecordBatch, StringArray};
use datafusion::catalog::{CatalogProviderList, SchemaProvider, Session, TableProvider};
use datafusion::common::{DataFusionError, Result};
use datafusion::physical_plan::collect;
use datafusion_omnigraph::{GraphContext, PUBLIC_SCHEMA, SnapshotSelector};
use omnigraph_engine::schema::TableDef;
use omnigraph_engine::write::indexes::{IndexMethod, IndexOrigin, IndexSpec, required_indexes};

use super::key_definitions::{KeyDefinition, KeyDefinitions, KeyKind};
use crate::catalog_keys::RelationSchemas;

/// Added to a table's OID to number its primary-key index, twice to number the primary
/// key, three and four times to number the foreign keys from `src` and `dst`: far above
/// the OIDs datafusion-pg-catalog hands out one by one.
const KEY_OID_OFFSET: i32 = 1 << 24;

/// `pg_am.oid` of `btree`.
pub const BTREE_ACCESS_METHOD: i32 = 403;

/// The OID of a table's `n`th index besides its primary key's: numbered after the keys'
/// offsets (1 to 4); None past what an `i32` holds.
fn secondary_oid(table_oid: i32, n: usize) -> Option<i32> {
    let multiple = i32::try_from(n).ok()?.checked_add(5)?;
    table_oid.checked_add(multiple.checked_mul(KEY_OID_OFFSET)?)
}

/// Schemas whose tables are not graph tables.
const NOT_GRAPH_SCHEMAS: [&str; 3] = [
    "pg_catalog",
    "information_schema",
    datafusion_omnigraph::SYSTEM_SCHEMA,
];

/// The key column every graph table has.
pub const KEY_COLUMN: &str = "id";

/// One graph table's primary key.
pub struct PrimaryKey {
    pub table_oid: i32,
    pub namespace_oid: i32,
    pub namespace: String,
    pub table: String,
    /// The 1-based column number of `id`.
    pub column: i16,
}

impl PrimaryKey {
    pub fn index_oid(&self) -> i32 {
        self.table_oid + KEY_OID_OFFSET
    }

    pub fn constraint_oid(&self) -> i32 {
        self.table_oid + 2 * KEY_OID_OFFSET
    }

    pub fn name(&self) -> String {
        super::key_definitions::primary_key_name(&self.table)
    }
}

/// An edge table's `src` or `dst` referencing its endpoint table's `id`.
pub struct ForeignKey {
    pub oid: i32,
    pub name: String,
    pub table_oid: i32,
    pub namespace_oid: i32,
    /// The 1-based column number of `src` or `dst`.
    pub column: i16,
    pub target_oid: i32,
    /// The endpoint's primary-key index.
    pub target_index_oid: i32,
    /// The 1-based column number of the endpoint's `id`.
    pub target_column: i16,
}

/// What one namespace's graph schema says of its tables.
#[derive(Default)]
struct SchemaFacts {
    /// Each edge table's endpoint tables, by edge table name.
    endpoints: HashMap<String, [String; 2]>,
    /// The indexes each table declares besides its primary key's, by table name.
    indexes: HashMap<String, Vec<IndexSpec>>,
}

/// An index the graph schema declares on a table besides its primary key's.
pub struct SecondaryIndex {
    pub oid: i32,
    pub table_oid: i32,
    pub namespace_oid: i32,
    pub namespace: String,
    pub table: String,
    pub name: String,
    /// The 1-based column number of the indexed column.
    pub column: i16,
    pub unique: bool,
    /// `pg_am.oid` of `btree` for a BTree, 0 for Lance's other methods (PostgreSQL has no
    /// `bitmap` or `labellist` access method).
    pub access_method: i32,
}

/// Every graph table's keys, and its other indexes.
#[derive(Default)]
pub struct GraphKeys {
    pub primary: Vec<PrimaryKey>,
    pub foreign: Vec<ForeignKey>,
    pub secondary: Vec<SecondaryIndex>,
}

/// Where the keys are read from, and where each scan records what functions look up.
#[derive(Debug, Clone)]
pub struct KeySource {
    pub pg_catalog: Arc<dyn SchemaProvider>,
    pub catalogs: Arc<dyn CatalogProviderList>,
    pub graph_catalog: String,
    pub graph: Arc<GraphContext>,
    pub relation_schemas: RelationSchemas,
    pub key_definitions: KeyDefinitions,
}

pub async fn scan_all(
    table: &Arc<dyn TableProvider>,
    state: &dyn Session,
) -> Result<Vec<RecordBatch>> {
    let plan = table.scan(state, None, &[], None).await?;
    collect(plan, state.task_ctx()).await
}

pub fn column<'a, T: 'static>(batch: &'a RecordBatch, name: &str) -> Result<&'a T> {
    batch
        .column_by_name(name)
        .and_then(|c| c.as_any().downcast_ref::<T>())
        .ok_or_else(|| DataFusionError::Internal(format!("pg_catalog column {name}")))
}

/// A graph table as `pg_class` lists it.
struct GraphTable {
    oid: i32,
    namespace_oid: i32,
    namespace: String,
    name: String,
    columns: Vec<String>,
}

impl GraphTable {
    fn position(&self, column: &str) -> Option<i16> {
        self.columns
            .iter()
            .position(|c| c == column)
            .map(|p| p as i16 + 1)
    }
}

impl KeySource {
    async fn pg_table(&self, name: &str) -> Result<Arc<dyn TableProvider>> {
        self.pg_catalog
            .table(name)
            .await?
            .ok_or_else(|| DataFusionError::Internal(format!("pg_catalog.{name}")))
    }

    /// The graph tables `pg_class` lists; records every relation's schema on the way.
    async fn graph_tables(&self, state: &dyn Session) -> Result<Vec<GraphTable>> {
        let mut namespaces = HashMap::new();
        for batch in scan_all(&self.pg_table("pg_namespace").await?, state).await? {
            let oids = column::<Int32Array>(&batch, "oid")?;
            let names = column::<StringArray>(&batch, "nspname")?;
            for i in 0..batch.num_rows() {
                namespaces.insert(oids.value(i), names.value(i).to_string());
            }
        }
        let Some(catalog) = self.catalogs.catalog(&self.graph_catalog) else {
            return Ok(vec![]);
        };
        let mut tables = Vec::new();
        let mut relation_schemas = HashMap::new();
        for batch in scan_all(&self.pg_table("pg_class").await?, state).await? {
            let oids = column::<Int32Array>(&batch, "oid")?;
            let names = column::<StringArray>(&batch, "relname")?;
            let namespace_oids = column::<Int32Array>(&batch, "relnamespace")?;
            let kinds = column::<StringArray>(&batch, "relkind")?;
            for i in 0..batch.num_rows() {
                let Some(namespace) = namespaces.get(&namespace_oids.value(i)) else {
                    continue;
                };
                relation_schemas.insert(oids.value(i), namespace.clone());
                if kinds.value(i) != "r" || NOT_GRAPH_SCHEMAS.contains(&namespace.as_str()) {
                    continue;
                }
                let Some(schema) = catalog.schema(namespace) else {
                    continue;
                };
                let Some(provider) = schema.table(names.value(i)).await? else {
                    continue;
                };
                tables.push(GraphTable {
                    oid: oids.value(i),
                    namespace_oid: namespace_oids.value(i),
                    namespace: namespace.clone(),
                    name: names.value(i).to_string(),
                    columns: provider
                        .schema()
                        .fields()
                        .iter()
                        .map(|f| f.name().clone())
                        .collect(),
                });
            }
        }
        for table in &tables {
            relation_schemas.insert(table.oid + KEY_OID_OFFSET, table.namespace.clone());
        }
        *self
            .relation_schemas
            .lock()
            .unwrap_or_else(|p| p.into_inner()) = relation_schemas;
        Ok(tables)
    }

    /// What the schema of `namespace` (a branch's, `public` the session's) says of its
    /// tables; resolved once per scan of the keys.
    async fn schema_facts(&self, namespace: &str) -> SchemaFacts {
        let selector = if namespace == PUBLIC_SCHEMA {
            SnapshotSelector::Current
        } else {
            SnapshotSelector::Branch(namespace.to_string())
        };
        let Ok(snapshot) = self.graph.resolve(&selector).await else {
            return SchemaFacts::default();
        };
        let mut facts = SchemaFacts::default();
        for table in snapshot.schema().tables() {
            if let TableDef::Edge(edge) = table {
                facts.endpoints.insert(
                    edge.table.clone(),
                    [edge.src_table.clone(), edge.dst_table.clone()],
                );
            }
            let declared = required_indexes(table)
                .into_iter()
                .filter(|spec| spec.origin != IndexOrigin::Id)
                .collect();
            facts.indexes.insert(table.table().to_string(), declared);
        }
        facts
    }

    /// The key definitions the last scan recorded.
    pub fn key_definitions_now(&self) -> HashMap<i32, KeyDefinition> {
        self.key_definitions
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Every graph table's keys; records their definitions for `pg_get_indexdef` and
    /// `pg_get_constraintdef`.
    pub async fn keys(&self, state: &dyn Session) -> Result<GraphKeys> {
        let tables = self.graph_tables(state).await?;
        let mut keys = GraphKeys::default();
        let mut definitions = HashMap::new();
        for table in &tables {
            let Some(column) = table.position(KEY_COLUMN) else {
                continue;
            };
            let key = PrimaryKey {
                table_oid: table.oid,
                namespace_oid: table.namespace_oid,
                namespace: table.namespace.clone(),
                table: table.name.clone(),
                column,
            };
            let definition = |kind| KeyDefinition {
                schema: table.namespace.clone(),
                table: table.name.clone(),
                kind,
            };
            definitions.insert(
                key.index_oid(),
                definition(KeyKind::PrimaryKeyIndex {
                    index: key.name(),
                    column: KEY_COLUMN.to_string(),
                }),
            );
            definitions.insert(
                key.constraint_oid(),
                definition(KeyKind::PrimaryKey {
                    column: KEY_COLUMN.to_string(),
                }),
            );
            keys.primary.push(key);
        }
        let mut facts_by_namespace: HashMap<String, SchemaFacts> = HashMap::new();
        for table in &tables {
            if !facts_by_namespace.contains_key(&table.namespace) {
                let facts = self.schema_facts(&table.namespace).await;
                facts_by_namespace.insert(table.namespace.clone(), facts);
            }
        }
        for table in &tables {
            let Some(ends) = facts_by_namespace[&table.namespace]
                .endpoints
                .get(&table.name)
            else {
                continue;
            };
            for (n, (column_name, target_name)) in ["src", "dst"].iter().zip(ends).enumerate() {
                let target = tables
                    .iter()
                    .find(|t| t.namespace == table.namespace && &t.name == target_name);
                let (Some(column), Some(target)) = (table.position(column_name), target) else {
                    continue;
                };
                let Some(target_column) = target.position(KEY_COLUMN) else {
                    continue;
                };
                let key = ForeignKey {
                    oid: table.oid + (3 + n as i32) * KEY_OID_OFFSET,
                    name: super::key_definitions::foreign_key_name(&table.name, column_name),
                    table_oid: table.oid,
                    namespace_oid: table.namespace_oid,
                    column,
                    target_oid: target.oid,
                    target_index_oid: target.oid + KEY_OID_OFFSET,
                    target_column,
                };
                definitions.insert(
                    key.oid,
                    KeyDefinition {
                        schema: table.namespace.clone(),
                        table: table.name.clone(),
                        kind: KeyKind::ForeignKey {
                            column: column_name.to_string(),
                            target_schema: target.namespace.clone(),
                            target_table: target.name.clone(),
                            target_column: KEY_COLUMN.to_string(),
                        },
                    },
                );
                keys.foreign.push(key);
            }
        }
        for table in &tables {
            let Some(specs) = facts_by_namespace[&table.namespace]
                .indexes
                .get(&table.name)
            else {
                continue;
            };
            for (n, spec) in specs.iter().enumerate() {
                let (Some(column), Some(oid)) =
                    (table.position(&spec.column), secondary_oid(table.oid, n))
                else {
                    continue;
                };
                let index = SecondaryIndex {
                    oid,
                    table_oid: table.oid,
                    namespace_oid: table.namespace_oid,
                    namespace: table.namespace.clone(),
                    table: table.name.clone(),
                    name: spec.name.clone(),
                    column,
                    unique: spec.origin == IndexOrigin::Unique,
                    access_method: match spec.method {
                        IndexMethod::BTree => BTREE_ACCESS_METHOD,
                        _ => 0,
                    },
                };
                definitions.insert(
                    oid,
                    KeyDefinition {
                        schema: table.namespace.clone(),
                        table: table.name.clone(),
                        kind: KeyKind::Index {
                            index: spec.name.clone(),
                            column: spec.column.clone(),
                            method: spec.method.as_str().to_string(),
                            unique: index.unique,
                        },
                    },
                );
                keys.secondary.push(index);
            }
        }
        *self
            .key_definitions
            .lock()
            .unwrap_or_else(|p| p.into_inner()) = definitions;
        Ok(keys)
    }
}
