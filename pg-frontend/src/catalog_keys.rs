//! Keys in `pg_catalog` (found by `catalog::graph_keys`): `pg_constraint` and `pg_index`
//! list one `<table>_pkey` per graph table, `pg_constraint` each edge table's foreign keys
//! `<edge>_src_fkey` and `<edge>_dst_fkey`, and `pg_class` lists the indexes and marks
//! the graph tables `relhasindex`.
//! These three tables are computed at each scan from the connection's `pg_catalog`
//! (datafusion-pg-catalog's, whose `pg_class` OIDs they reuse), with the array columns
//! typed as in PostgreSQL (`conkey` is `int2[]`, `indkey` an `int2vector`: a list of `int2`
//! sent with that type), which drivers unnest.
//! `pg_class` also gets `reloptions` (psql's `\d+`).

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use arrow::array::{
    Array, ArrayRef, BooleanArray, Float64Array, Int16Array, Int16Builder, Int32Array,
    Int32Builder, ListBuilder, RecordBatch, StringArray, new_null_array,
};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use async_trait::async_trait;
use datafusion::catalog::{CatalogProviderList, SchemaProvider, Session, TableProvider};
use datafusion::common::{DataFusionError, Result};
use datafusion::datasource::TableType;
use datafusion::datasource::empty::EmptyTable;
use datafusion::datasource::memory::MemorySourceConfig;
use datafusion::logical_expr::Expr;
use datafusion::physical_plan::ExecutionPlan;
use datafusion_omnigraph::GraphContext;

use crate::catalog::graph_keys::{
    BTREE_ACCESS_METHOD, GraphKeys, KeySource, PrimaryKey, SecondaryIndex, column, scan_all,
};
use crate::catalog::key_definitions::KeyDefinitions;

/// The schema of each relation OID in `pg_class`, as of the connection's last scan of it:
/// `pg_table_is_visible(oid)` is read from it, since the OIDs are handed out by scans.
pub type RelationSchemas = Arc<Mutex<HashMap<i32, String>>>;

/// `pg_catalog` with keyed `pg_class`, `pg_index` and `pg_constraint`, and the tables of
/// `replaced` (the connection's own `pg_settings`); every other table comes from `inner`.
#[derive(Debug)]
pub struct KeyedPgCatalog {
    inner: Arc<dyn SchemaProvider>,
    replaced: HashMap<String, Arc<dyn TableProvider>>,
    catalogs: Arc<dyn CatalogProviderList>,
    graph_catalog: String,
    graph: Arc<GraphContext>,
    relation_schemas: RelationSchemas,
    key_definitions: KeyDefinitions,
    databases: Arc<Vec<String>>,
}

/// What the keyed tables are computed from and record into.
pub struct KeyedPgCatalogSources {
    pub catalogs: Arc<dyn CatalogProviderList>,
    pub graph_catalog: String,
    pub graph: Arc<GraphContext>,
    pub relation_schemas: RelationSchemas,
    pub key_definitions: KeyDefinitions,
    /// Every database (graph) the server has, the connection's first.
    pub databases: Vec<String>,
}

impl KeyedPgCatalog {
    pub fn new(
        inner: Arc<dyn SchemaProvider>,
        sources: KeyedPgCatalogSources,
        replaced: HashMap<String, Arc<dyn TableProvider>>,
    ) -> KeyedPgCatalog {
        KeyedPgCatalog {
            inner,
            replaced,
            catalogs: sources.catalogs,
            graph_catalog: sources.graph_catalog,
            graph: sources.graph,
            relation_schemas: sources.relation_schemas,
            databases: Arc::new(sources.databases),
            key_definitions: sources.key_definitions,
        }
    }
}

#[async_trait]
impl SchemaProvider for KeyedPgCatalog {
    fn table_names(&self) -> Vec<String> {
        let mut names = self.inner.table_names();
        for extra in self
            .replaced
            .keys()
            .map(String::as_str)
            .chain(["pg_indexes"])
        {
            if !names.iter().any(|n| n == extra) {
                names.push(extra.to_string());
            }
        }
        names
    }

    async fn table(&self, name: &str) -> Result<Option<Arc<dyn TableProvider>>> {
        Ok(self
            .untyped_table(name)
            .await?
            .map(|table| crate::catalog::typed_tables::typed("pg_catalog", name, table)))
    }

    fn table_exist(&self, name: &str) -> bool {
        let name = name.to_ascii_lowercase();
        self.replaced.contains_key(&name) || name == "pg_indexes" || self.inner.table_exist(&name)
    }
}

impl KeyedPgCatalog {
    async fn untyped_table(&self, name: &str) -> Result<Option<Arc<dyn TableProvider>>> {
        if let Some(table) = self.replaced.get(&name.to_ascii_lowercase()) {
            return Ok(Some(table.clone()));
        }
        let kind = match name.to_ascii_lowercase().as_str() {
            "pg_class" => KeyedKind::Class,
            "pg_index" => KeyedKind::Index,
            "pg_constraint" => KeyedKind::Constraint,
            "pg_indexes" => KeyedKind::Indexes,
            "pg_database" => {
                let databases = self.databases.clone();
                return Ok(self
                    .inner
                    .table(name)
                    .await?
                    .map(|table| database_locale(table, databases)));
            }
            "pg_namespace" => {
                return Ok(self.inner.table(name).await?.map(public_schema_owner));
            }
            _ => return self.inner.table(name).await,
        };
        let base = match kind {
            KeyedKind::Indexes => Arc::new(EmptyTable::new(indexes_schema())),
            _ => match self.inner.table(name).await? {
                Some(base) => base,
                None => return Ok(None),
            },
        };
        let schema = kind.schema(&base.schema());
        Ok(Some(Arc::new(KeyedTable {
            kind,
            schema,
            base,
            catalog: self.key_source(),
        })))
    }

    /// datafusion-pg-catalog's tables, which the keyed ones are computed from.
    pub fn unkeyed(&self) -> Arc<dyn SchemaProvider> {
        self.inner.clone()
    }

    /// Where the graph tables' keys are read from (`information_schema` lists them too).
    pub fn key_source(&self) -> KeySource {
        KeySource {
            pg_catalog: self.inner.clone(),
            catalogs: self.catalogs.clone(),
            graph_catalog: self.graph_catalog.clone(),
            graph: self.graph.clone(),
            relation_schemas: self.relation_schemas.clone(),
            key_definitions: self.key_definitions.clone(),
        }
    }
}

#[derive(Debug, Clone, Copy)]
enum KeyedKind {
    Class,
    Index,
    Constraint,
    /// The view `pg_indexes`.
    Indexes,
}

/// `pg_database` with the server's databases only (datafusion-pg-catalog adds a
/// `postgres` database where there is none; `psql -l` would list it) and the locale the
/// server sorts and compares in: C, from libc.
fn database_locale(
    table: Arc<dyn TableProvider>,
    databases: Arc<Vec<String>>,
) -> Arc<dyn TableProvider> {
    use crate::catalog::typed_tables::{mapped, with_text};
    mapped(
        table,
        Arc::new(move |batch| {
            let names = column::<StringArray>(&batch, "datname")?;
            let served: BooleanArray = names
                .iter()
                .map(|name| Some(name.is_some_and(|n| databases.iter().any(|d| d == n))))
                .collect();
            let batch = arrow::compute::filter_record_batch(&batch, &served)?;
            let batch = with_text(batch, "datcollate", "C")?;
            let batch = with_text(batch, "datctype", "C")?;
            with_text(batch, "datlocprovider", "c")
        }),
    )
}

/// `pg_namespace` with `public` owned by `pg_database_owner`, as in PostgreSQL 15 (psql's
/// `\dn` shows it); the other schemas stay the bootstrap superuser's.
fn public_schema_owner(table: Arc<dyn TableProvider>) -> Arc<dyn TableProvider> {
    use crate::catalog::typed_tables::mapped;
    mapped(
        table,
        Arc::new(|batch| {
            let (Ok(names), Ok(owner)) = (
                column::<StringArray>(&batch, "nspname"),
                batch.schema().index_of("nspowner"),
            ) else {
                return Ok(batch);
            };
            let Some(owners) = batch.column(owner).as_any().downcast_ref::<Int32Array>() else {
                return Ok(batch);
            };
            let owners: Int32Array = (0..batch.num_rows())
                .map(|i| match names.value(i) {
                    datafusion_omnigraph::PUBLIC_SCHEMA => Some(DATABASE_OWNER_ROLE),
                    _ => (!owners.is_null(i)).then(|| owners.value(i)),
                })
                .collect();
            let mut columns = batch.columns().to_vec();
            columns[owner] = Arc::new(owners);
            Ok(RecordBatch::try_new(batch.schema(), columns)?)
        }),
    )
}

/// The OID of PostgreSQL's `pg_database_owner` role.
pub const DATABASE_OWNER_ROLE: i32 = 6171;

fn indexes_schema() -> SchemaRef {
    let name = |n: &str| {
        datafusion_omnigraph::pg_type::with_pg_type(Field::new(n, DataType::Utf8, true), "name")
    };
    Arc::new(Schema::new(vec![
        name("schemaname"),
        name("tablename"),
        name("indexname"),
        name("tablespace"),
        Field::new("indexdef", DataType::Utf8, true),
    ]))
}

fn int2_list() -> DataType {
    DataType::List(Arc::new(Field::new_list_field(DataType::Int16, true)))
}

/// `oidvector`.
fn oid_list() -> DataType {
    DataType::List(Arc::new(Field::new_list_field(DataType::Int32, true)))
}

impl KeyedKind {
    /// The table's columns: the base table's, with PostgreSQL's array types.
    fn schema(self, base: &SchemaRef) -> SchemaRef {
        let mut fields: Vec<Field> = base
            .fields()
            .iter()
            .map(|f| {
                // `pg_index`'s are vectors (`int2vector`, `oidvector`), written
                // space-separated in text, which pg_dump parses; `pg_constraint`'s arrays.
                let array = match (self, f.name().as_str()) {
                    (KeyedKind::Index, "indkey" | "indoption") => {
                        Some((int2_list(), Some("int2vector")))
                    }
                    (KeyedKind::Constraint, "conkey" | "confkey") => Some((int2_list(), None)),
                    (KeyedKind::Index, "indclass" | "indcollation") => {
                        Some((oid_list(), Some("oidvector")))
                    }
                    _ => None,
                };
                match array {
                    Some((t, None)) => Field::new(f.name(), t, true),
                    Some((t, Some(vector))) => datafusion_omnigraph::pg_type::with_pg_type(
                        Field::new(f.name(), t, true),
                        vector,
                    ),
                    None => f.as_ref().clone(),
                }
            })
            .collect();
        // psql's `\d+` reads `reloptions`, `\dp` reads `relacl` (no grants: NULL).
        for extra in ["relacl", "reloptions"] {
            if matches!(self, KeyedKind::Class) && base.index_of(extra).is_err() {
                fields.push(Field::new(
                    extra,
                    DataType::List(Arc::new(Field::new_list_field(DataType::Utf8, true))),
                    true,
                ));
            }
        }
        Arc::new(Schema::new(fields))
    }
}

/// A keyed catalog table.
#[derive(Debug)]
struct KeyedTable {
    kind: KeyedKind,
    schema: SchemaRef,
    base: Arc<dyn TableProvider>,
    catalog: KeySource,
}

/// Rows of `schema` for `count` new objects: each column from `values` if given, else
/// NULL where allowed, else the type's zero.
fn rows(schema: &SchemaRef, count: usize, values: HashMap<&str, ArrayRef>) -> Result<RecordBatch> {
    let columns = schema
        .fields()
        .iter()
        .map(|f| {
            if let Some(v) = values.get(f.name().as_str()) {
                return Ok(v.clone());
            }
            if f.is_nullable() {
                return Ok(new_null_array(f.data_type(), count));
            }
            let zero: ArrayRef = match f.data_type() {
                DataType::Int16 => Arc::new(Int16Array::from(vec![0; count])),
                DataType::Int32 => Arc::new(Int32Array::from(vec![0; count])),
                DataType::Float64 => Arc::new(Float64Array::from(vec![0.0; count])),
                DataType::Boolean => Arc::new(BooleanArray::from(vec![false; count])),
                DataType::Utf8 => Arc::new(StringArray::from(vec![""; count])),
                other => {
                    return Err(DataFusionError::Internal(format!(
                        "no default for pg_catalog column {} of type {other}",
                        f.name()
                    )));
                }
            };
            Ok(zero)
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(RecordBatch::try_new(schema.clone(), columns)?)
}

fn int32s<T>(items: &[T], f: impl Fn(&T) -> i32) -> ArrayRef {
    Arc::new(Int32Array::from(items.iter().map(f).collect::<Vec<_>>()))
}

fn int16s<T>(items: &[T], value: i16) -> ArrayRef {
    Arc::new(Int16Array::from(vec![value; items.len()]))
}

fn texts<T>(items: &[T], f: impl Fn(&T) -> String) -> ArrayRef {
    Arc::new(StringArray::from(items.iter().map(f).collect::<Vec<_>>()))
}

fn flags<T>(items: &[T], value: bool) -> ArrayRef {
    Arc::new(BooleanArray::from(vec![value; items.len()]))
}

fn key_columns(keys: &[PrimaryKey]) -> ArrayRef {
    let mut lists = ListBuilder::new(Int16Builder::new());
    for key in keys {
        lists.values().append_value(key.column);
        lists.append(true);
    }
    Arc::new(lists.finish())
}

fn zero_per_key<T>(keys: &[T]) -> ArrayRef {
    let mut lists = ListBuilder::new(Int16Builder::new());
    for _ in keys {
        lists.values().append_value(0);
        lists.append(true);
    }
    Arc::new(lists.finish())
}

/// `oidvector` of one 0 per key: no operator class or collation of PostgreSQL's applies.
fn zero_oid_per_key<T>(keys: &[T]) -> ArrayRef {
    let mut lists = ListBuilder::new(Int32Builder::new());
    for _ in keys {
        lists.values().append_value(0);
        lists.append(true);
    }
    Arc::new(lists.finish())
}

impl KeyedTable {
    async fn batches(&self, state: &dyn Session) -> Result<Vec<RecordBatch>> {
        let GraphKeys {
            primary: keys,
            foreign,
            secondary,
        } = self.catalog.keys(state).await?;
        let schema = &self.schema;
        let text = |s: &str| texts(&keys, |_| s.to_string());
        Ok(match self.kind {
            KeyedKind::Class => {
                let mut batches = Vec::new();
                let indexed: HashSet<i32> = keys.iter().map(|k| k.table_oid).collect();
                // PostgreSQL enforces a foreign key by triggers on both of its tables.
                let triggered: HashSet<i32> = foreign
                    .iter()
                    .flat_map(|k| [k.table_oid, k.target_oid])
                    .collect();
                for batch in scan_all(&self.base, state).await? {
                    let batch = with_indexes_marked(batch, &indexed)?;
                    let batch = with_flag_set(batch, "relhastriggers", &triggered)?;
                    let mut columns = batch.columns().to_vec();
                    while columns.len() < schema.fields().len() {
                        columns.push(new_null_array(
                            schema.field(columns.len()).data_type(),
                            batch.num_rows(),
                        ));
                    }
                    batches.push(RecordBatch::try_new(schema.clone(), columns)?);
                }
                batches.push(rows(
                    schema,
                    keys.len(),
                    HashMap::from([
                        ("oid", int32s(&keys, PrimaryKey::index_oid)),
                        ("relname", texts(&keys, PrimaryKey::name)),
                        ("relnamespace", int32s(&keys, |k| k.namespace_oid)),
                        ("relam", int32s(&keys, |_| BTREE_ACCESS_METHOD)),
                        ("relkind", text("i")),
                        ("relpersistence", text("p")),
                        ("relreplident", text("n")),
                        ("relnatts", int16s(&keys, 1)),
                        ("relispopulated", flags(&keys, true)),
                    ]),
                )?);
                batches.push(secondary_class_rows(schema, &secondary)?);
                batches
            }
            KeyedKind::Index => vec![
                rows(
                    schema,
                    keys.len(),
                    HashMap::from([
                        ("indexrelid", int32s(&keys, PrimaryKey::index_oid)),
                        ("indrelid", int32s(&keys, |k| k.table_oid)),
                        ("indnatts", int16s(&keys, 1)),
                        ("indnkeyatts", int16s(&keys, 1)),
                        ("indisunique", flags(&keys, true)),
                        ("indisprimary", flags(&keys, true)),
                        ("indimmediate", flags(&keys, true)),
                        ("indisvalid", flags(&keys, true)),
                        ("indisready", flags(&keys, true)),
                        ("indislive", flags(&keys, true)),
                        ("indkey", key_columns(&keys)),
                        ("indoption", zero_per_key(&keys)),
                        ("indclass", zero_oid_per_key(&keys)),
                        ("indcollation", zero_oid_per_key(&keys)),
                    ]),
                )?,
                // The other indexes after the keys', as PostgreSQL creates them.
                secondary_index_rows(schema, &secondary)?,
            ],
            KeyedKind::Indexes => {
                let definitions = self.catalog.key_definitions_now();
                // The view calls `pg_get_indexdef(oid)`, which always qualifies the table.
                let on_path = |_: &str| false;
                let texts = |f: &dyn Fn(&PrimaryKey) -> Option<String>| -> ArrayRef {
                    Arc::new(StringArray::from(keys.iter().map(f).collect::<Vec<_>>()))
                };
                let others = |f: &dyn Fn(&SecondaryIndex) -> Option<String>| -> ArrayRef {
                    Arc::new(StringArray::from(
                        secondary.iter().map(f).collect::<Vec<_>>(),
                    ))
                };
                vec![
                    RecordBatch::try_new(
                        schema.clone(),
                        vec![
                            texts(&|k| Some(k.namespace.clone())),
                            texts(&|k| Some(k.table.clone())),
                            texts(&|k| Some(k.name())),
                            texts(&|_| None),
                            texts(&|k| {
                                definitions
                                    .get(&k.index_oid())
                                    .and_then(|d| d.index_definition(&on_path))
                            }),
                        ],
                    )?,
                    RecordBatch::try_new(
                        schema.clone(),
                        vec![
                            others(&|i| Some(i.namespace.clone())),
                            others(&|i| Some(i.table.clone())),
                            others(&|i| Some(i.name.clone())),
                            others(&|_| None),
                            others(&|i| {
                                definitions
                                    .get(&i.oid)
                                    .and_then(|d| d.index_definition(&on_path))
                            }),
                        ],
                    )?,
                ]
            }
            KeyedKind::Constraint => vec![
                primary_key_rows(schema, &keys)?,
                foreign_key_rows(schema, &foreign)?,
            ],
        })
    }
}

/// `batch` of `pg_class` with its boolean column `flag` set for the relations in `oids`.
fn with_flag_set(batch: RecordBatch, flag: &str, set: &HashSet<i32>) -> Result<RecordBatch> {
    let (Ok(flag), Ok(oids)) = (
        batch.schema().index_of(flag),
        column::<Int32Array>(&batch, "oid"),
    ) else {
        return Ok(batch);
    };
    let Some(old) = batch.column(flag).as_any().downcast_ref::<BooleanArray>() else {
        return Ok(batch);
    };
    let marked: BooleanArray = (0..batch.num_rows())
        .map(|i| Some(old.value(i) || set.contains(&oids.value(i))))
        .collect();
    let mut columns = batch.columns().to_vec();
    columns[flag] = Arc::new(marked);
    Ok(RecordBatch::try_new(batch.schema(), columns)?)
}

/// `batch` of `pg_class` with `relhasindex` set for the tables in `indexed`, the tables'
/// access method and type filled in, and no page counts.
fn with_indexes_marked(batch: RecordBatch, indexed: &HashSet<i32>) -> Result<RecordBatch> {
    let batch = with_flag_set(batch, "relhasindex", indexed)?;
    let mut columns = batch.columns().to_vec();
    // Tables use the heap access method (psql's `\d` shows it) and are of no type.
    let kinds = column::<StringArray>(&batch, "relkind")?;
    for (name, value) in [("relam", HEAP_ACCESS_METHOD), ("reloftype", 0)] {
        let Ok(index) = batch.schema().index_of(name) else {
            continue;
        };
        let old = arrow::compute::cast(&columns[index], &DataType::Int32)?;
        let Some(old) = old.as_any().downcast_ref::<Int32Array>() else {
            continue;
        };
        let filled: Int32Array = (0..batch.num_rows())
            .map(|i| match old.is_null(i) || old.value(i) == 0 {
                true if name == "reloftype" || kinds.value(i) == "r" => Some(value),
                _ => (!old.is_null(i)).then(|| old.value(i)),
            })
            .collect();
        columns[index] = arrow::compute::cast(&filled, columns[index].data_type())?;
    }
    // No relation is stored in PostgreSQL's pages, so none has a page count, as a table
    // PostgreSQL has never vacuumed or analyzed: DuckDB's scanner splits a table with
    // pages into `ctid` ranges, which graph tables do not have.
    if let Ok(index) = batch.schema().index_of("relpages") {
        let zeros = Int32Array::from(vec![0; batch.num_rows()]);
        columns[index] = arrow::compute::cast(&zeros, columns[index].data_type())?;
    }
    Ok(RecordBatch::try_new(batch.schema(), columns)?)
}

/// `pg_am.oid` of `heap`.
const HEAP_ACCESS_METHOD: i32 = 2;

/// `pg_class` rows of the indexes besides the primary keys'.
fn secondary_class_rows(schema: &SchemaRef, indexes: &[SecondaryIndex]) -> Result<RecordBatch> {
    let text = |s: &str| texts(indexes, |_| s.to_string());
    rows(
        schema,
        indexes.len(),
        HashMap::from([
            ("oid", int32s(indexes, |i| i.oid)),
            ("relname", texts(indexes, |i| i.name.clone())),
            ("relnamespace", int32s(indexes, |i| i.namespace_oid)),
            ("relam", int32s(indexes, |i| i.access_method)),
            ("relkind", text("i")),
            ("relpersistence", text("p")),
            ("relreplident", text("n")),
            ("relnatts", int16s(indexes, 1)),
            ("relispopulated", flags(indexes, true)),
        ]),
    )
}

/// `pg_index` rows of the indexes besides the primary keys'.
fn secondary_index_rows(schema: &SchemaRef, indexes: &[SecondaryIndex]) -> Result<RecordBatch> {
    let mut columns = ListBuilder::new(Int16Builder::new());
    for index in indexes {
        columns.values().append_value(index.column);
        columns.append(true);
    }
    let unique: ArrayRef = Arc::new(BooleanArray::from(
        indexes.iter().map(|i| i.unique).collect::<Vec<_>>(),
    ));
    rows(
        schema,
        indexes.len(),
        HashMap::from([
            ("indexrelid", int32s(indexes, |i| i.oid)),
            ("indrelid", int32s(indexes, |i| i.table_oid)),
            ("indnatts", int16s(indexes, 1)),
            ("indnkeyatts", int16s(indexes, 1)),
            ("indisunique", unique),
            ("indisprimary", flags(indexes, false)),
            ("indimmediate", flags(indexes, true)),
            ("indisvalid", flags(indexes, true)),
            ("indisready", flags(indexes, true)),
            ("indislive", flags(indexes, true)),
            ("indkey", Arc::new(columns.finish()) as ArrayRef),
            ("indoption", zero_per_key(indexes)),
            ("indclass", zero_oid_per_key(indexes)),
            ("indcollation", zero_oid_per_key(indexes)),
        ]),
    )
}

fn foreign_key_rows(
    schema: &SchemaRef,
    keys: &[crate::catalog::graph_keys::ForeignKey],
) -> Result<RecordBatch> {
    let ints = |f: &dyn Fn(&crate::catalog::graph_keys::ForeignKey) -> i32| -> ArrayRef {
        Arc::new(Int32Array::from(keys.iter().map(f).collect::<Vec<_>>()))
    };
    let text = |s: &str| -> ArrayRef { Arc::new(StringArray::from(vec![s; keys.len()])) };
    let flag = |v: bool| -> ArrayRef { Arc::new(BooleanArray::from(vec![v; keys.len()])) };
    let columns = |f: &dyn Fn(&crate::catalog::graph_keys::ForeignKey) -> i16| -> ArrayRef {
        let mut lists = ListBuilder::new(Int16Builder::new());
        for key in keys {
            lists.values().append_value(f(key));
            lists.append(true);
        }
        Arc::new(lists.finish())
    };
    rows(
        schema,
        keys.len(),
        HashMap::from([
            ("oid", ints(&|k| k.oid)),
            (
                "conname",
                Arc::new(StringArray::from(
                    keys.iter().map(|k| k.name.clone()).collect::<Vec<_>>(),
                )) as ArrayRef,
            ),
            ("connamespace", ints(&|k| k.namespace_oid)),
            ("contype", text("f")),
            ("convalidated", flag(true)),
            ("conrelid", ints(&|k| k.table_oid)),
            ("conindid", ints(&|k| k.target_index_oid)),
            ("confrelid", ints(&|k| k.target_oid)),
            // NO ACTION on update and delete, MATCH SIMPLE: PostgreSQL's defaults.
            ("confupdtype", text("a")),
            ("confdeltype", text("a")),
            ("confmatchtype", text("s")),
            ("conislocal", flag(true)),
            ("connoinherit", flag(true)),
            ("conparentid", ints(&|_| 0)),
            ("conkey", columns(&|k| k.column)),
            ("confkey", columns(&|k| k.target_column)),
        ]),
    )
}

fn primary_key_rows(schema: &SchemaRef, keys: &[PrimaryKey]) -> Result<RecordBatch> {
    let text = |s: &str| texts(keys, |_| s.to_string());
    rows(
        schema,
        keys.len(),
        HashMap::from([
            ("oid", int32s(keys, PrimaryKey::constraint_oid)),
            ("conname", texts(keys, PrimaryKey::name)),
            ("connamespace", int32s(keys, |k| k.namespace_oid)),
            ("contype", text("p")),
            ("convalidated", flags(keys, true)),
            ("conrelid", int32s(keys, |k| k.table_oid)),
            ("conindid", int32s(keys, PrimaryKey::index_oid)),
            ("confupdtype", text(" ")),
            ("confdeltype", text(" ")),
            ("confmatchtype", text(" ")),
            ("conislocal", flags(keys, true)),
            ("connoinherit", flags(keys, true)),
            ("conparentid", int32s(keys, |_| 0)),
            ("conkey", key_columns(keys)),
        ]),
    )
}

#[async_trait]
impl TableProvider for KeyedTable {
    fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }

    fn table_type(&self) -> TableType {
        TableType::View
    }

    async fn scan(
        &self,
        state: &dyn Session,
        projection: Option<&Vec<usize>>,
        _filters: &[Expr],
        _limit: Option<usize>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let batches = self.batches(state).await?;
        let plan: Arc<dyn ExecutionPlan> =
            MemorySourceConfig::try_new_exec(&[batches], self.schema.clone(), projection.cloned())?;
        Ok(plan)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn index_rows_carry_the_key_column_as_an_int2_array() {
        let base = Arc::new(Schema::new(vec![
            Field::new("indexrelid", DataType::Int32, false),
            Field::new("indkey", DataType::Utf8, false),
            Field::new("indisprimary", DataType::Boolean, false),
        ]));
        let schema = KeyedKind::Index.schema(&base);
        assert_eq!(schema.field(1).data_type(), &int2_list());
        let keys = [PrimaryKey {
            table_oid: 16387,
            namespace_oid: 16385,
            namespace: "public".into(),
            table: "person".into(),
            column: 1,
        }];
        let batch = rows(
            &schema,
            1,
            HashMap::from([
                ("indexrelid", int32s(&keys, PrimaryKey::index_oid)),
                ("indkey", key_columns(&keys)),
            ]),
        )
        .unwrap();
        assert_eq!(batch.num_rows(), 1);
        let flag = column::<BooleanArray>(&batch, "indisprimary").unwrap();
        assert!(!flag.value(0), "unset flags read false");
        assert_eq!(keys[0].name(), "person_pkey");
    }
}
