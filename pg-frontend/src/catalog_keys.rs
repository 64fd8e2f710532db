//! Primary keys in `pg_catalog`. Every graph table's `id` column is its primary key (a
//! node's `id` is derived from its `@key`, an edge's is its own), so `pg_constraint` and
//! `pg_index` list one `<table>_pkey` per graph table and `pg_class` lists those indexes.
//! These three tables are computed at each scan from the connection's `pg_catalog`
//! (datafusion-pg-catalog's, whose `pg_class` OIDs they reuse), with the array columns
//! typed as in PostgreSQL (`conkey`, `indkey` are `int2[]`), which drivers unnest.
//! `pg_class` also gets `reloptions` (psql's `\d+`).

use std::collections::HashMap;
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
use datafusion::datasource::memory::MemorySourceConfig;
use datafusion::logical_expr::Expr;
use datafusion::physical_plan::{ExecutionPlan, collect};

/// Added to a table's OID to number its primary-key index, and twice to number the
/// constraint: far above the OIDs datafusion-pg-catalog hands out one by one.
const INDEX_OID_OFFSET: i32 = 1 << 24;

/// Schemas whose tables are not graph tables.
const NOT_GRAPH_SCHEMAS: [&str; 3] = [
    "pg_catalog",
    "information_schema",
    datafusion_omnigraph::SYSTEM_SCHEMA,
];

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
    relation_schemas: RelationSchemas,
}

impl KeyedPgCatalog {
    pub fn new(
        inner: Arc<dyn SchemaProvider>,
        catalogs: Arc<dyn CatalogProviderList>,
        graph_catalog: &str,
        relation_schemas: RelationSchemas,
        replaced: HashMap<String, Arc<dyn TableProvider>>,
    ) -> KeyedPgCatalog {
        KeyedPgCatalog {
            inner,
            replaced,
            catalogs,
            graph_catalog: graph_catalog.to_string(),
            relation_schemas,
        }
    }
}

#[async_trait]
impl SchemaProvider for KeyedPgCatalog {
    fn table_names(&self) -> Vec<String> {
        self.inner.table_names()
    }

    async fn table(&self, name: &str) -> Result<Option<Arc<dyn TableProvider>>> {
        if let Some(table) = self.replaced.get(&name.to_ascii_lowercase()) {
            return Ok(Some(table.clone()));
        }
        let kind = match name.to_ascii_lowercase().as_str() {
            "pg_class" => KeyedKind::Class,
            "pg_index" => KeyedKind::Index,
            "pg_constraint" => KeyedKind::Constraint,
            _ => return self.inner.table(name).await,
        };
        let Some(base) = self.inner.table(name).await? else {
            return Ok(None);
        };
        let schema = kind.schema(&base.schema());
        Ok(Some(Arc::new(KeyedTable {
            kind,
            schema,
            base,
            catalog: KeySource {
                pg_catalog: self.inner.clone(),
                catalogs: self.catalogs.clone(),
                graph_catalog: self.graph_catalog.clone(),
                relation_schemas: self.relation_schemas.clone(),
            },
        })))
    }

    fn table_exist(&self, name: &str) -> bool {
        self.inner.table_exist(name)
    }
}

#[derive(Debug, Clone, Copy)]
enum KeyedKind {
    Class,
    Index,
    Constraint,
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
                let array = match (self, f.name().as_str()) {
                    (KeyedKind::Index, "indkey" | "indoption")
                    | (KeyedKind::Constraint, "conkey" | "confkey") => Some(int2_list()),
                    (KeyedKind::Index, "indclass" | "indcollation") => Some(oid_list()),
                    _ => None,
                };
                match array {
                    Some(t) => Field::new(f.name(), t, true),
                    None => f.as_ref().clone(),
                }
            })
            .collect();
        if matches!(self, KeyedKind::Class) && base.index_of("reloptions").is_err() {
            fields.push(Field::new(
                "reloptions",
                DataType::List(Arc::new(Field::new_list_field(DataType::Utf8, true))),
                true,
            ));
        }
        Arc::new(Schema::new(fields))
    }
}

/// One graph table's primary key.
struct PrimaryKey {
    table_oid: i32,
    namespace_oid: i32,
    table: String,
    /// The 1-based column number of `id`.
    column: i16,
}

impl PrimaryKey {
    fn index_oid(&self) -> i32 {
        self.table_oid + INDEX_OID_OFFSET
    }

    fn constraint_oid(&self) -> i32 {
        self.table_oid + 2 * INDEX_OID_OFFSET
    }

    fn name(&self) -> String {
        format!("{}_pkey", self.table)
    }
}

#[derive(Debug, Clone)]
struct KeySource {
    pg_catalog: Arc<dyn SchemaProvider>,
    catalogs: Arc<dyn CatalogProviderList>,
    graph_catalog: String,
    relation_schemas: RelationSchemas,
}

async fn scan_all(table: &Arc<dyn TableProvider>, state: &dyn Session) -> Result<Vec<RecordBatch>> {
    let plan = table.scan(state, None, &[], None).await?;
    collect(plan, state.task_ctx()).await
}

fn column<'a, T: 'static>(batch: &'a RecordBatch, name: &str) -> Result<&'a T> {
    batch
        .column_by_name(name)
        .and_then(|c| c.as_any().downcast_ref::<T>())
        .ok_or_else(|| DataFusionError::Internal(format!("pg_catalog column {name}")))
}

impl KeySource {
    async fn primary_keys(&self, state: &dyn Session) -> Result<Vec<PrimaryKey>> {
        let table = |name: &'static str| async move {
            self.pg_catalog
                .table(name)
                .await?
                .ok_or_else(|| DataFusionError::Internal(format!("pg_catalog.{name}")))
        };
        let mut namespaces = HashMap::new();
        for batch in scan_all(&table("pg_namespace").await?, state).await? {
            let oids = column::<Int32Array>(&batch, "oid")?;
            let names = column::<StringArray>(&batch, "nspname")?;
            for i in 0..batch.num_rows() {
                namespaces.insert(oids.value(i), names.value(i).to_string());
            }
        }
        let Some(catalog) = self.catalogs.catalog(&self.graph_catalog) else {
            return Ok(vec![]);
        };
        let mut keys = Vec::new();
        let mut relation_schemas = HashMap::new();
        for batch in scan_all(&table("pg_class").await?, state).await? {
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
                if let Ok(position) = provider.schema().index_of("id") {
                    keys.push(PrimaryKey {
                        table_oid: oids.value(i),
                        namespace_oid: namespace_oids.value(i),
                        table: names.value(i).to_string(),
                        column: position as i16 + 1,
                    });
                }
            }
        }
        for key in &keys {
            let schema = namespaces
                .get(&key.namespace_oid)
                .cloned()
                .unwrap_or_default();
            relation_schemas.insert(key.index_oid(), schema);
        }
        *self
            .relation_schemas
            .lock()
            .unwrap_or_else(|p| p.into_inner()) = relation_schemas;
        Ok(keys)
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

fn int32s(keys: &[PrimaryKey], f: impl Fn(&PrimaryKey) -> i32) -> ArrayRef {
    Arc::new(Int32Array::from(keys.iter().map(f).collect::<Vec<_>>()))
}

fn int16s(keys: &[PrimaryKey], value: i16) -> ArrayRef {
    Arc::new(Int16Array::from(vec![value; keys.len()]))
}

fn texts(keys: &[PrimaryKey], f: impl Fn(&PrimaryKey) -> String) -> ArrayRef {
    Arc::new(StringArray::from(keys.iter().map(f).collect::<Vec<_>>()))
}

fn flags(keys: &[PrimaryKey], value: bool) -> ArrayRef {
    Arc::new(BooleanArray::from(vec![value; keys.len()]))
}

fn key_columns(keys: &[PrimaryKey]) -> ArrayRef {
    let mut lists = ListBuilder::new(Int16Builder::new());
    for key in keys {
        lists.values().append_value(key.column);
        lists.append(true);
    }
    Arc::new(lists.finish())
}

fn zero_per_key(keys: &[PrimaryKey]) -> ArrayRef {
    let mut lists = ListBuilder::new(Int16Builder::new());
    for _ in keys {
        lists.values().append_value(0);
        lists.append(true);
    }
    Arc::new(lists.finish())
}

/// `oidvector` of one 0 per key: no operator class or collation of PostgreSQL's applies.
fn zero_oid_per_key(keys: &[PrimaryKey]) -> ArrayRef {
    let mut lists = ListBuilder::new(Int32Builder::new());
    for _ in keys {
        lists.values().append_value(0);
        lists.append(true);
    }
    Arc::new(lists.finish())
}

impl KeyedTable {
    async fn batches(&self, state: &dyn Session) -> Result<Vec<RecordBatch>> {
        let keys = self.catalog.primary_keys(state).await?;
        let schema = &self.schema;
        let text = |s: &str| texts(&keys, |_| s.to_string());
        Ok(match self.kind {
            KeyedKind::Class => {
                let mut batches = Vec::new();
                for batch in scan_all(&self.base, state).await? {
                    let mut columns = batch.columns().to_vec();
                    if columns.len() < schema.fields().len() {
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
                        ("relam", int32s(&keys, |_| 403)), // btree
                        ("relkind", text("i")),
                        ("relpersistence", text("p")),
                        ("relreplident", text("n")),
                        ("relnatts", int16s(&keys, 1)),
                        ("relispopulated", flags(&keys, true)),
                    ]),
                )?);
                batches
            }
            KeyedKind::Index => vec![rows(
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
            )?],
            KeyedKind::Constraint => vec![rows(
                schema,
                keys.len(),
                HashMap::from([
                    ("oid", int32s(&keys, PrimaryKey::constraint_oid)),
                    ("conname", texts(&keys, PrimaryKey::name)),
                    ("connamespace", int32s(&keys, |k| k.namespace_oid)),
                    ("contype", text("p")),
                    ("convalidated", flags(&keys, true)),
                    ("conrelid", int32s(&keys, |k| k.table_oid)),
                    ("conindid", int32s(&keys, PrimaryKey::index_oid)),
                    ("confupdtype", text(" ")),
                    ("confdeltype", text(" ")),
                    ("confmatchtype", text(" ")),
                    ("conislocal", flags(&keys, true)),
                    ("connoinherit", flags(&keys, true)),
                    ("conkey", key_columns(&keys)),
                ]),
            )?],
        })
    }
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
