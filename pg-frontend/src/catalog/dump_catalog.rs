//! What `pg_dump` reads of `pg_catalog` beyond what psql and drivers read: every object's
//! owner as a role `pg_roles` lists, `pg_attribute`'s option columns as the arrays
//! PostgreSQL types them, and the catalogs of features graphs do not have
//! (`pg_transform`, `pg_seclabels`) as the empty tables they are here.
//!
//! pg_dump looks every owner OID up in `pg_roles` and stops at one it does not find, so the
//! bootstrap superuser `postgres` (OID 10, who owns every object, as `pg_get_userbyid`
//! answers) is listed there, and `pg_class.relowner` says 10 as `pg_namespace.nspowner`
//! and the fixed catalogs do.

use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, BooleanArray, Int32Array, ListBuilder, RecordBatch, StringArray,
    StringBuilder, new_null_array,
};
use arrow::compute::concat_batches;
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use async_trait::async_trait;
use datafusion::catalog::{SchemaProvider, Session, TableProvider};
use datafusion::common::{DataFusionError, Result};
use datafusion::datasource::TableType;
use datafusion::datasource::empty::EmptyTable;
use datafusion::datasource::memory::MemorySourceConfig;
use datafusion::logical_expr::Expr;
use datafusion::physical_plan::{ExecutionPlan, collect};

/// The OID of PostgreSQL's bootstrap superuser, who owns every object here.
pub const BOOTSTRAP_SUPERUSER_OID: i32 = 10;
const BOOTSTRAP_SUPERUSER: &str = "postgres";
/// Where the OIDs of the users the server knows start (PostgreSQL's first user OID).
const FIRST_USER_OID: i32 = 16384;

/// `pg_catalog` as [`crate::catalog_keys::KeyedPgCatalog`] serves it, with the tables of
/// this module's doc put right.
#[derive(Debug)]
pub struct DumpCatalog {
    pub inner: Arc<dyn SchemaProvider>,
}

/// Catalogs of PostgreSQL features graphs do not have that datafusion-pg-catalog does not
/// list (nor qualify when a query names them unqualified): [`empty_tables`].
pub const UNLISTED_EMPTY_TABLES: [&str; 2] = ["pg_transform", "pg_seclabels"];

/// The [`UNLISTED_EMPTY_TABLES`] with their PostgreSQL 15 columns; they are empty in every
/// graph.
pub fn empty_tables() -> Vec<(String, Arc<dyn TableProvider>)> {
    let oid = |name: &str| Field::new(name, DataType::Int32, true);
    let text = |name: &str| Field::new(name, DataType::Utf8, true);
    let transform = Schema::new(vec![
        oid("oid"),
        oid("trftype"),
        oid("trflang"),
        oid("trffromsql"),
        oid("trftosql"),
    ]);
    let seclabels = Schema::new(vec![
        oid("objoid"),
        oid("classoid"),
        Field::new("objsubid", DataType::Int32, true),
        text("objtype"),
        oid("objnamespace"),
        text("objname"),
        text("provider"),
        text("label"),
    ]);
    UNLISTED_EMPTY_TABLES
        .into_iter()
        .zip([transform, seclabels])
        .map(|(name, schema)| {
            let table: Arc<dyn TableProvider> = Arc::new(EmptyTable::new(Arc::new(schema)));
            (name.to_string(), table)
        })
        .collect()
}

#[async_trait]
impl SchemaProvider for DumpCatalog {
    fn table_names(&self) -> Vec<String> {
        self.inner.table_names()
    }

    async fn table(&self, name: &str) -> Result<Option<Arc<dyn TableProvider>>> {
        let Some(table) = self.inner.table(name).await? else {
            return Ok(None);
        };
        let name = name.to_ascii_lowercase();
        let fix: Option<BatchFix> = match name.as_str() {
            "pg_class" => Some(owned_by_superuser),
            "pg_roles" => Some(with_builtin_roles),
            "pg_attribute" => Some(options_as_arrays),
            "pg_type" => Some(|batch, ns| in_served_namespaces(batch, "typnamespace", ns)),
            "pg_proc" => Some(|batch, ns| in_served_namespaces(batch, "pronamespace", ns)),
            _ => None,
        };
        let namespaces = match name.as_str() {
            "pg_type" | "pg_proc" => self.inner.table("pg_namespace").await?,
            _ => None,
        };
        Ok(Some(match fix {
            Some(fix) => Arc::new(FixedTable::new(table, fix, namespaces)?),
            None => table,
        }))
    }

    fn table_exist(&self, name: &str) -> bool {
        self.inner.table_exist(name)
    }
}

/// How a table's rows (all of them, in one batch) are put right; the result's schema is
/// the table's.
type BatchFix = fn(RecordBatch, &Namespaces) -> Result<RecordBatch>;

/// The OIDs `pg_namespace` gives the schemas whose objects the static catalog rows name
/// by PostgreSQL's own OIDs.
#[derive(Debug, Default)]
struct Namespaces {
    information_schema: Option<i32>,
}

/// The OID PostgreSQL 15's `initdb` gives `information_schema`, which the static
/// `pg_type` and `pg_proc` rows name.
const STATIC_INFORMATION_SCHEMA_OID: i32 = 13283;

impl Namespaces {
    fn read(batch: &RecordBatch) -> Namespaces {
        let oids = batch
            .column_by_name("oid")
            .and_then(|c| c.as_any().downcast_ref::<Int32Array>());
        let names = batch
            .column_by_name("nspname")
            .and_then(|c| c.as_any().downcast_ref::<StringArray>());
        let (Some(oids), Some(names)) = (oids, names) else {
            return Namespaces::default();
        };
        let information_schema = (0..batch.num_rows())
            .find(|&i| names.is_valid(i) && names.value(i) == "information_schema")
            .and_then(|i| oids.is_valid(i).then(|| oids.value(i)));
        Namespaces { information_schema }
    }
}

/// Static rows whose namespace is PostgreSQL's `information_schema` OID under the OID
/// this server's `pg_namespace` gives it (pg_dump stops at a namespace it cannot find).
fn in_served_namespaces(
    batch: RecordBatch,
    column: &str,
    namespaces: &Namespaces,
) -> Result<RecordBatch> {
    let Some(served) = namespaces.information_schema else {
        return Ok(batch);
    };
    replace_column(batch, column, |values| {
        let values = int32s(values, column)?;
        let fixed: Int32Array = values
            .iter()
            .map(|v| {
                v.map(|v| {
                    if v == STATIC_INFORMATION_SCHEMA_OID {
                        served
                    } else {
                        v
                    }
                })
            })
            .collect();
        Ok(Arc::new(fixed))
    })
}

/// `pg_class` rows owned by nobody (OID 0) as owned by the bootstrap superuser.
fn owned_by_superuser(batch: RecordBatch, _: &Namespaces) -> Result<RecordBatch> {
    replace_column(batch, "relowner", |owners| {
        let owners = int32s(owners, "relowner")?;
        let fixed: Int32Array = owners
            .iter()
            .map(|owner| owner.map(|o| if o == 0 { BOOTSTRAP_SUPERUSER_OID } else { o }))
            .collect();
        Ok(Arc::new(fixed))
    })
}

/// A role PostgreSQL creates with every cluster, which catalogs name as owners.
struct BuiltinRole {
    name: &'static str,
    oid: i32,
    superuser: bool,
}

/// The bootstrap superuser (owner of the catalogs) and `pg_database_owner` (owner of
/// `public` since PostgreSQL 15).
const BUILTIN_ROLES: [BuiltinRole; 2] = [
    BuiltinRole {
        name: BOOTSTRAP_SUPERUSER,
        oid: BOOTSTRAP_SUPERUSER_OID,
        superuser: true,
    },
    BuiltinRole {
        name: "pg_database_owner",
        oid: crate::catalog_keys::DATABASE_OWNER_ROLE,
        superuser: false,
    },
];

/// `pg_roles` with the built-in roles first (unless a user of that name is listed) and
/// each role under an OID of its own.
fn with_builtin_roles(batch: RecordBatch, _: &Namespaces) -> Result<RecordBatch> {
    let schema = batch.schema();
    let names = batch
        .column_by_name("rolname")
        .and_then(|c| c.as_any().downcast_ref::<StringArray>())
        .ok_or_else(|| DataFusionError::Internal("pg_roles.rolname".into()))?;
    let mut parts = Vec::new();
    for role in &BUILTIN_ROLES {
        if !names.iter().any(|n| n == Some(role.name)) {
            parts.push(builtin_role_row(&schema, role)?);
        }
    }
    parts.push(batch);
    let batch = concat_batches(&schema, &parts)?;
    let names = batch
        .column_by_name("rolname")
        .and_then(|c| c.as_any().downcast_ref::<StringArray>())
        .ok_or_else(|| DataFusionError::Internal("pg_roles.rolname".into()))?
        .clone();
    replace_column(batch, "oid", move |_| {
        let mut next = FIRST_USER_OID;
        let oids: Int32Array = names
            .iter()
            .map(|name| {
                Some(match BUILTIN_ROLES.iter().find(|r| Some(r.name) == name) {
                    Some(role) => role.oid,
                    None => {
                        next += 1;
                        next - 1
                    }
                })
            })
            .collect();
        Ok(Arc::new(oids))
    })
}

/// A built-in role as a `pg_roles` row: no login here (it is no user of this server);
/// the superuser has every privilege, `pg_database_owner` only inherits.
fn builtin_role_row(schema: &SchemaRef, role: &BuiltinRole) -> Result<RecordBatch> {
    let columns = schema
        .fields()
        .iter()
        .map(|field| -> ArrayRef {
            match (field.name().as_str(), field.data_type()) {
                ("rolname", DataType::Utf8) => Arc::new(StringArray::from(vec![role.name])),
                ("rolcanlogin", DataType::Boolean) => Arc::new(BooleanArray::from(vec![false])),
                ("rolinherit", DataType::Boolean) => Arc::new(BooleanArray::from(vec![true])),
                (_, DataType::Boolean) => Arc::new(BooleanArray::from(vec![role.superuser])),
                ("rolconnlimit", DataType::Int32) => Arc::new(Int32Array::from(vec![-1])),
                ("oid", DataType::Int32) => Arc::new(Int32Array::from(vec![role.oid])),
                (_, data_type) => new_null_array(data_type, 1),
            }
        })
        .collect();
    Ok(RecordBatch::try_new(schema.clone(), columns)?)
}

/// PostgreSQL's `text[]` columns of `pg_attribute` that datafusion-pg-catalog has as text.
const OPTION_COLUMNS: [&str; 2] = ["attoptions", "attfdwoptions"];

/// `pg_attribute` with its option columns as text arrays (`name=value` items), as
/// `array_to_string(attoptions, ', ')` reads them.
fn options_as_arrays(batch: RecordBatch, _: &Namespaces) -> Result<RecordBatch> {
    OPTION_COLUMNS.iter().try_fold(batch, |batch, name| {
        replace_column(batch, name, |column| {
            let Some(texts) = column.as_any().downcast_ref::<StringArray>() else {
                return Ok(column.clone());
            };
            let mut lists = ListBuilder::new(StringBuilder::new());
            for text in texts.iter() {
                match text {
                    Some(text) => {
                        let items = text.trim_start_matches('{').trim_end_matches('}');
                        for item in items.split(',').filter(|item| !item.is_empty()) {
                            lists.values().append_value(item);
                        }
                        lists.append(true);
                    }
                    None => lists.append(false),
                }
            }
            Ok(Arc::new(lists.finish()) as ArrayRef)
        })
    })
}

fn int32s<'a>(column: &'a ArrayRef, name: &str) -> Result<&'a Int32Array> {
    column
        .as_any()
        .downcast_ref::<Int32Array>()
        .ok_or_else(|| DataFusionError::Internal(format!("pg_catalog column {name}")))
}

/// `batch` with column `name` (if it has one) computed anew from itself; the field takes
/// the new column's type.
fn replace_column(
    batch: RecordBatch,
    name: &str,
    compute: impl FnOnce(&ArrayRef) -> Result<ArrayRef>,
) -> Result<RecordBatch> {
    let Ok(index) = batch.schema().index_of(name) else {
        return Ok(batch);
    };
    let mut columns = batch.columns().to_vec();
    columns[index] = compute(&columns[index])?;
    let mut fields: Vec<_> = batch.schema().fields().iter().cloned().collect();
    fields[index] = Arc::new(
        fields[index]
            .as_ref()
            .clone()
            .with_data_type(columns[index].data_type().clone())
            .with_nullable(true),
    );
    let schema = Schema::new_with_metadata(fields, batch.schema().metadata().clone());
    Ok(RecordBatch::try_new(Arc::new(schema), columns)?)
}

/// A catalog table read whole and put right by `fix`; its schema is that of the fixed
/// rows (computed once, from the table with no rows).
struct FixedTable {
    inner: Arc<dyn TableProvider>,
    fix: BatchFix,
    schema: SchemaRef,
    namespaces: Option<Arc<dyn TableProvider>>,
}

impl FixedTable {
    fn new(
        inner: Arc<dyn TableProvider>,
        fix: BatchFix,
        namespaces: Option<Arc<dyn TableProvider>>,
    ) -> Result<FixedTable> {
        let schema = fix(
            RecordBatch::new_empty(inner.schema()),
            &Namespaces::default(),
        )?
        .schema();
        Ok(FixedTable {
            inner,
            fix,
            schema,
            namespaces,
        })
    }

    async fn read(table: &dyn TableProvider, state: &dyn Session) -> Result<RecordBatch> {
        let plan = table.scan(state, None, &[], None).await?;
        let batches = collect(plan, state.task_ctx()).await?;
        Ok(concat_batches(&table.schema(), &batches)?)
    }
}

impl std::fmt::Debug for FixedTable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FixedTable")
            .field("inner", &self.inner)
            .finish()
    }
}

#[async_trait]
impl TableProvider for FixedTable {
    fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }

    fn table_type(&self) -> TableType {
        self.inner.table_type()
    }

    async fn scan(
        &self,
        state: &dyn Session,
        projection: Option<&Vec<usize>>,
        _filters: &[Expr],
        _limit: Option<usize>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        // Catalog tables are small: read whole, fixed, then projected by the memory source.
        let all = Self::read(self.inner.as_ref(), state).await?;
        let namespaces = match &self.namespaces {
            Some(table) => Namespaces::read(&Self::read(table.as_ref(), state).await?),
            None => Namespaces::default(),
        };
        let fixed = (self.fix)(all, &namespaces)?;
        let fixed = RecordBatch::try_new(self.schema.clone(), fixed.columns().to_vec())?;
        Ok(MemorySourceConfig::try_new_exec(
            &[vec![fixed]],
            self.schema.clone(),
            projection.cloned(),
        )?)
    }
}

#[cfg(test)]
mod tests {
    use arrow::array::ListArray;

    use super::*;

    fn roles(names: &[&str]) -> RecordBatch {
        let schema = Arc::new(Schema::new(vec![
            Field::new("rolname", DataType::Utf8, true),
            Field::new("rolsuper", DataType::Boolean, true),
            Field::new("rolcanlogin", DataType::Boolean, true),
            Field::new("oid", DataType::Int32, true),
        ]));
        let n = names.len();
        RecordBatch::try_new(
            schema,
            vec![
                Arc::new(StringArray::from(names.to_vec())),
                Arc::new(BooleanArray::from(vec![true; n])),
                Arc::new(BooleanArray::from(vec![true; n])),
                Arc::new(Int32Array::from(vec![0; n])),
            ],
        )
        .unwrap()
    }

    fn column<'a, T: 'static>(batch: &'a RecordBatch, name: &str) -> &'a T {
        batch
            .column_by_name(name)
            .unwrap()
            .as_any()
            .downcast_ref::<T>()
            .unwrap()
    }

    #[test]
    fn the_bootstrap_superuser_owns_what_nobody_owns() {
        let fixed =
            with_builtin_roles(roles(&["tester", "alice"]), &Namespaces::default()).unwrap();
        let names: Vec<_> = column::<StringArray>(&fixed, "rolname").iter().collect();
        assert_eq!(
            names,
            [
                Some("postgres"),
                Some("pg_database_owner"),
                Some("tester"),
                Some("alice")
            ]
        );
        let oids: Vec<_> = column::<Int32Array>(&fixed, "oid").iter().collect();
        assert_eq!(oids, [Some(10), Some(6171), Some(16384), Some(16385)]);
        assert!(!column::<BooleanArray>(&fixed, "rolcanlogin").value(0));
        assert!(!column::<BooleanArray>(&fixed, "rolsuper").value(1));

        let listed =
            with_builtin_roles(roles(&["postgres", "bob"]), &Namespaces::default()).unwrap();
        let oids: Vec<_> = column::<Int32Array>(&listed, "oid").iter().collect();
        assert_eq!(oids, [Some(6171), Some(10), Some(16384)]);
    }

    #[test]
    fn static_information_schema_rows_name_the_served_namespace() {
        let namespaces = RecordBatch::try_new(
            Arc::new(Schema::new(vec![
                Field::new("oid", DataType::Int32, true),
                Field::new("nspname", DataType::Utf8, true),
            ])),
            vec![
                Arc::new(Int32Array::from(vec![11, 16386])),
                Arc::new(StringArray::from(vec!["pg_catalog", "information_schema"])),
            ],
        )
        .unwrap();
        let namespaces = Namespaces::read(&namespaces);
        assert_eq!(namespaces.information_schema, Some(16386));
        let types = RecordBatch::try_new(
            Arc::new(Schema::new(vec![Field::new(
                "typnamespace",
                DataType::Int32,
                true,
            )])),
            vec![Arc::new(Int32Array::from(vec![11, 13283]))],
        )
        .unwrap();
        let fixed = in_served_namespaces(types, "typnamespace", &namespaces).unwrap();
        let oids: Vec<_> = column::<Int32Array>(&fixed, "typnamespace")
            .iter()
            .collect();
        assert_eq!(oids, [Some(11), Some(16386)]);
    }

    #[test]
    fn attribute_options_are_text_arrays() {
        let schema = Arc::new(Schema::new(vec![Field::new(
            "attoptions",
            DataType::Utf8,
            true,
        )]));
        let batch = RecordBatch::try_new(
            schema,
            vec![Arc::new(StringArray::from(vec![
                None,
                Some("{n_distinct=5}"),
            ]))],
        )
        .unwrap();
        let fixed = options_as_arrays(batch, &Namespaces::default()).unwrap();
        let lists = column::<ListArray>(&fixed, "attoptions");
        assert!(lists.is_null(0));
        assert_eq!(lists.value(1).len(), 1);
    }
}
