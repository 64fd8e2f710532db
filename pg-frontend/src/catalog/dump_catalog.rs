//! What `pg_dump` reads of `pg_catalog` beyond what psql and drivers read: every object's
//! owner as a role `pg_roles` lists, `pg_attribute`'s option columns as the arrays
//! PostgreSQL types them, and the catalogs of features graphs do not have
//! (`pg_transform`, `pg_seclabels`, and `pg_rewrite`: no views or rules) as the empty
//! tables they are here.
//!
//! pg_dump looks every owner OID up in `pg_roles` and stops at one it does not find, so the
//! bootstrap superuser `postgres` (OID 10, who owns every object, as `pg_get_userbyid`
//! answers) is listed there, and `pg_class.relowner` says 10 as `pg_namespace.nspowner`
//! and the fixed catalogs do.

use std::collections::HashMap;
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

use crate::catalog::catalog_table_oids::fixed_table_oid;
use crate::catalog::graph_routines;
use datafusion::common::ScalarValue;

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
    /// datafusion-pg-catalog's own tables, under the keyed ones: the catalog tables' rows
    /// of `pg_class` are read from here, without computing the graph's keys.
    pub unkeyed: Arc<dyn SchemaProvider>,
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
        if name == "pg_rewrite" {
            // Its static rows are the rules of PostgreSQL's own system views, naming relation
            // OIDs our `pg_class` hands out differently; graphs have no views or rules, and
            // pg_dump stops at a rule whose relation it cannot find.
            return Ok(Some(Arc::new(EmptyTable::new(table.schema()))));
        }
        let fix: Option<BatchFix> = match name.as_str() {
            "pg_class" => Some(|batch, _| {
                let batch = owned_by_superuser(batch)?;
                let served = ServedOids::read(None, Some(&batch))?;
                with_fixed_catalog_oids(batch, "oid", &served)
            }),
            "pg_roles" => Some(|batch, _| with_builtin_roles(batch)),
            "pg_attribute" => {
                Some(|batch, served| with_fixed_catalog_oids(batch, "attrelid", served))
            }
            "pg_namespace" => Some(|batch, _| public_usable_by_all(batch)),
            "pg_type" => Some(|batch, served| in_served_namespaces(batch, "typnamespace", served)),
            "pg_proc" => Some(|batch, served| {
                let batch = in_served_namespaces(batch, "pronamespace", served)?;
                with_graph_routines(batch, served)
            }),
            "pg_extension" => Some(with_graph_extension),
            "pg_depend" => Some(|batch, _| with_graph_extension_members(batch)),
            "pg_description" => Some(public_under_served_oid),
            "pg_init_privs" => Some(served_privileges_only),
            _ => None,
        };
        let arrays = text_array_columns(&name);
        let oid_arrays = oid_array_columns(&name);
        if fix.is_none() && arrays.is_empty() && oid_arrays.is_empty() {
            return Ok(Some(table));
        }
        let namespaces = match name.as_str() {
            "pg_type" | "pg_proc" | "pg_description" | "pg_init_privs" | "pg_extension"
            | "pg_attribute" => self.inner.table("pg_namespace").await?,
            _ => None,
        };
        let classes = match name.as_str() {
            "pg_attribute" => self.unkeyed.table("pg_class").await?,
            _ => None,
        };
        let fix = Fix {
            rows: fix,
            arrays,
            oid_arrays,
        };
        let mut fixed = FixedTable::new(table, fix, namespaces, classes)?;
        fixed.types_vectors = name == "pg_attribute";
        Ok(Some(Arc::new(fixed)))
    }

    fn table_exist(&self, name: &str) -> bool {
        self.inner.table_exist(name)
    }
}

/// How a table's rows (all of them, in one batch) are put right; the result's schema is
/// the table's.
type BatchFix = fn(RecordBatch, &ServedOids) -> Result<RecordBatch>;

/// The OIDs this server gives what the static catalog rows name by PostgreSQL's own OIDs:
/// read from `pg_namespace` and `pg_class` for the fixes that need them.
#[derive(Debug, Default)]
struct ServedOids {
    information_schema: Option<i32>,
    public: Option<i32>,
    omnigraph: Option<i32>,
    /// Each `pg_catalog` table's OID as datafusion-pg-catalog hands it out, to its fixed one.
    catalog_tables: HashMap<i32, i32>,
}

/// The OID PostgreSQL 15's `initdb` gives `information_schema`, which the static
/// `pg_type` and `pg_proc` rows name.
const STATIC_INFORMATION_SCHEMA_OID: i32 = 13283;

impl ServedOids {
    fn read(namespaces: Option<&RecordBatch>, classes: Option<&RecordBatch>) -> Result<ServedOids> {
        let mut served = ServedOids::default();
        if let Some(batch) = namespaces {
            let oids = int32s_of(batch, "oid")?;
            let names = strings_of(batch, "nspname")?;
            let oid_of = |schema: &str| {
                (0..batch.num_rows())
                    .find(|&i| names.is_valid(i) && names.value(i) == schema)
                    .and_then(|i| oids.is_valid(i).then(|| oids.value(i)))
            };
            served.information_schema = oid_of("information_schema");
            served.public = oid_of("public");
            served.omnigraph = oid_of(datafusion_omnigraph::catalog::SYSTEM_SCHEMA);
        }
        if let Some(batch) = classes {
            let oids = int32s_of(batch, "oid")?;
            let names = strings_of(batch, "relname")?;
            let schemas = int32s_of(batch, "relnamespace")?;
            for i in 0..batch.num_rows() {
                if oids.is_null(i) || names.is_null(i) || schemas.is_null(i) {
                    continue;
                }
                if schemas.value(i) != PG_CATALOG_NAMESPACE_OID {
                    continue;
                }
                if let Some(fixed) = fixed_table_oid(names.value(i)) {
                    served.catalog_tables.insert(oids.value(i), fixed);
                }
            }
        }
        Ok(served)
    }
}

/// `pg_catalog`'s namespace OID (fixed in PostgreSQL and in datafusion-pg-catalog).
const PG_CATALOG_NAMESPACE_OID: i32 = 11;

/// `column` (a relation OID) with each `pg_catalog` table's OID as PostgreSQL's fixed one.
fn with_fixed_catalog_oids(
    batch: RecordBatch,
    column: &str,
    served: &ServedOids,
) -> Result<RecordBatch> {
    if served.catalog_tables.is_empty() {
        return Ok(batch);
    }
    replace_column(batch, column, |values| {
        let values = int32s(values, column)?;
        let fixed: Int32Array = values
            .iter()
            .map(|v| v.map(|v| served.catalog_tables.get(&v).copied().unwrap_or(v)))
            .collect();
        Ok(Arc::new(fixed))
    })
}

/// `pg_proc` with the graph's procedures and table functions ([`graph_routines`]) in
/// schema `omnigraph`, in the static rows' text forms (the array columns are read into
/// arrays after).
fn with_graph_routines(batch: RecordBatch, served: &ServedOids) -> Result<RecordBatch> {
    let Some(namespace) = served.omnigraph else {
        return Ok(batch);
    };
    let rows: Vec<Vec<(&str, ScalarValue)>> = graph_routines::with_oids()
        .map(|(oid, routine)| {
            let all = routine.all_arguments();
            let python_list = |items: Vec<String>| match items.is_empty() {
                true => None,
                false => Some(format!("[{}]", items.join(", "))),
            };
            let all_types = python_list(all.iter().map(|(_, _, t)| t.to_string()).collect());
            let modes = python_list(all.iter().map(|(_, m, _)| format!("'{m}'")).collect());
            let names: Vec<String> = match all.is_empty() {
                true => routine
                    .inputs
                    .iter()
                    .map(|(n, _)| format!("'{n}'"))
                    .collect(),
                false => all.iter().map(|(n, _, _)| format!("'{n}'")).collect(),
            };
            vec![
                ("oid", ScalarValue::Int32(Some(oid))),
                ("proname", ScalarValue::from(routine.name)),
                ("pronamespace", ScalarValue::Int32(Some(namespace))),
                (
                    "proowner",
                    ScalarValue::Int32(Some(BOOTSTRAP_SUPERUSER_OID)),
                ),
                ("prolang", ScalarValue::Int32(Some(INTERNAL_LANGUAGE_OID))),
                ("procost", ScalarValue::Float32(Some(1.0))),
                ("prorows", ScalarValue::Float32(Some(1000.0))),
                ("provariadic", ScalarValue::Int32(Some(0))),
                ("prosupport", ScalarValue::from("-")),
                ("prokind", ScalarValue::from(routine.prokind())),
                ("prosecdef", ScalarValue::Boolean(Some(false))),
                ("proleakproof", ScalarValue::Boolean(Some(false))),
                ("proisstrict", ScalarValue::Boolean(Some(false))),
                (
                    "proretset",
                    ScalarValue::Boolean(Some(routine.returns_set())),
                ),
                ("provolatile", ScalarValue::from("v")),
                ("proparallel", ScalarValue::from("u")),
                (
                    "pronargs",
                    ScalarValue::Int16(Some(routine.inputs.len() as i16)),
                ),
                ("pronargdefaults", ScalarValue::Int16(Some(0))),
                (
                    "prorettype",
                    ScalarValue::Int32(Some(routine.return_type())),
                ),
                (
                    "proargtypes",
                    ScalarValue::from(routine.input_types().as_str()),
                ),
                ("proallargtypes", ScalarValue::Utf8(all_types)),
                ("proargmodes", ScalarValue::Utf8(modes)),
                ("proargnames", ScalarValue::Utf8(python_list(names))),
                ("prosrc", ScalarValue::from(routine.name)),
            ]
        })
        .collect();
    with_rows(batch, rows)
}

/// `internal`: the routines are built into the server.
const INTERNAL_LANGUAGE_OID: i32 = 12;

/// `pg_extension` with `omnigraph`, the extension the graph routines belong to: built in
/// (its OID is below 16384), so pg_dump neither creates it nor dumps its members.
fn with_graph_extension(batch: RecordBatch, served: &ServedOids) -> Result<RecordBatch> {
    let Some(namespace) = served.omnigraph else {
        return Ok(batch);
    };
    with_rows(
        batch,
        vec![vec![
            (
                "oid",
                ScalarValue::Int32(Some(graph_routines::EXTENSION_OID)),
            ),
            (
                "extname",
                ScalarValue::from(datafusion_omnigraph::catalog::SYSTEM_SCHEMA),
            ),
            (
                "extowner",
                ScalarValue::Int32(Some(BOOTSTRAP_SUPERUSER_OID)),
            ),
            ("extnamespace", ScalarValue::Int32(Some(namespace))),
            ("extrelocatable", ScalarValue::Boolean(Some(false))),
            ("extversion", ScalarValue::from(env!("CARGO_PKG_VERSION"))),
        ]],
    )
}

/// `pg_depend` with each graph routine a member (`e`) of the extension `omnigraph`.
fn with_graph_extension_members(batch: RecordBatch) -> Result<RecordBatch> {
    let rows = graph_routines::with_oids()
        .map(|(oid, _)| {
            vec![
                ("classid", ScalarValue::Int32(Some(PG_PROC_OID))),
                ("objid", ScalarValue::Int32(Some(oid))),
                ("objsubid", ScalarValue::Int32(Some(0))),
                ("refclassid", ScalarValue::Int32(Some(PG_EXTENSION_OID))),
                (
                    "refobjid",
                    ScalarValue::Int32(Some(graph_routines::EXTENSION_OID)),
                ),
                ("refobjsubid", ScalarValue::Int32(Some(0))),
                ("deptype", ScalarValue::from("e")),
            ]
        })
        .collect();
    with_rows(batch, rows)
}

const PG_EXTENSION_OID: i32 = 3079;

/// `batch` with `rows` after its own: each row's values by column name (cast to the
/// column's type), NULL for the columns it does not name.
fn with_rows(batch: RecordBatch, rows: Vec<Vec<(&str, ScalarValue)>>) -> Result<RecordBatch> {
    let schema = batch.schema();
    let columns = schema
        .fields()
        .iter()
        .map(|field| {
            let values: Vec<ScalarValue> = rows
                .iter()
                .map(|row| {
                    let value = row
                        .iter()
                        .find(|(name, _)| *name == field.name().as_str())
                        .map(|(_, v)| v.clone());
                    match value {
                        Some(v) => v.cast_to(field.data_type()),
                        None => ScalarValue::try_from(field.data_type()),
                    }
                })
                .collect::<Result<_>>()?;
            if values.is_empty() {
                return Ok(new_null_array(field.data_type(), 0));
            }
            ScalarValue::iter_to_array(values)
        })
        .collect::<Result<Vec<ArrayRef>>>()?;
    let added = RecordBatch::try_new(
        Arc::new(Schema::new(
            schema
                .fields()
                .iter()
                .map(|f| f.as_ref().clone().with_nullable(true))
                .collect::<Vec<_>>(),
        )),
        columns,
    )?;
    let relaxed = added.schema();
    let batch = RecordBatch::try_new(relaxed.clone(), batch.columns().to_vec())?;
    Ok(concat_batches(&relaxed, &[batch, added])?)
}

/// The OID PostgreSQL gives `public`, which the static `pg_description` row of its comment
/// ("standard public schema") names.
const STATIC_PUBLIC_OID: i32 = 2200;

/// `pg_description` with the comment of `public` on the OID this server gives it: pg_dump
/// writes `COMMENT ON SCHEMA public IS ''` when it finds none.
/// `pg_init_privs` likewise names `public`.
fn public_under_served_oid(batch: RecordBatch, served: &ServedOids) -> Result<RecordBatch> {
    let Some(public) = served.public else {
        return Ok(batch);
    };
    let classes = int32s_of(&batch, "classoid")?.clone();
    replace_column(batch, "objoid", |values| {
        let values = int32s(values, "objoid")?;
        let fixed: Int32Array = values
            .iter()
            .zip(classes.iter())
            .map(|(oid, class)| match (oid, class) {
                (Some(STATIC_PUBLIC_OID), Some(PG_NAMESPACE_OID)) => Some(public),
                (oid, _) => oid,
            })
            .collect();
        Ok(Arc::new(fixed))
    })
}

const PG_NAMESPACE_OID: i32 = 2615;
const PG_PROC_OID: i32 = 1255;

/// `pg_init_privs` for the objects whose ACL this server serves as PostgreSQL's: functions
/// (`pg_proc.proacl` is PostgreSQL's, static) and `public`. The other catalogs' ACL columns
/// are NULL here (the default privileges, as no GRANT reaches them), and pg_dump writes a
/// REVOKE for every object whose ACL differs from its initial one.
fn served_privileges_only(batch: RecordBatch, served: &ServedOids) -> Result<RecordBatch> {
    let classes = int32s_of(&batch, "classoid")?;
    let objects = int32s_of(&batch, "objoid")?;
    let keep: BooleanArray = classes
        .iter()
        .zip(objects.iter())
        .map(|(class, object)| {
            Some(matches!(
                (class, object),
                (Some(PG_PROC_OID), _) | (Some(PG_NAMESPACE_OID), Some(STATIC_PUBLIC_OID))
            ))
        })
        .collect();
    let batch = arrow::compute::filter_record_batch(&batch, &keep)?;
    public_under_served_oid(batch, served)
}

/// PostgreSQL 15's ACL of `public`: its owner `pg_database_owner` may use and create in it,
/// everyone may use it.
const PUBLIC_ACL: &str = "{pg_database_owner=UC/pg_database_owner,=U/pg_database_owner}";

/// `pg_namespace` with `public`'s ACL as PostgreSQL 15 has it (psql's `\dn+` shows it;
/// pg_dump compares it with `pg_init_privs`).
fn public_usable_by_all(batch: RecordBatch) -> Result<RecordBatch> {
    let names = strings_of(&batch, "nspname")?.clone();
    replace_column(batch, "nspacl", |values| {
        let Some(values) = values.as_any().downcast_ref::<StringArray>() else {
            return Ok(values.clone());
        };
        let fixed: StringArray = values
            .iter()
            .zip(names.iter())
            .map(|(acl, name)| match (acl, name) {
                (None, Some("public")) => Some(PUBLIC_ACL),
                (acl, _) => acl,
            })
            .collect();
        Ok(Arc::new(fixed))
    })
}

/// Static rows whose namespace is PostgreSQL's `information_schema` OID under the OID
/// this server's `pg_namespace` gives it (pg_dump stops at a namespace it cannot find).
fn in_served_namespaces(
    batch: RecordBatch,
    column: &str,
    namespaces: &ServedOids,
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
fn owned_by_superuser(batch: RecordBatch) -> Result<RecordBatch> {
    replace_column(batch, "relowner", |owners| {
        let owners = int32s(owners, "relowner")?;
        let fixed: Int32Array = owners
            .iter()
            .map(|owner| owner.map(|o| if o == 0 { BOOTSTRAP_SUPERUSER_OID } else { o }))
            .collect();
        Ok(Arc::new(fixed))
    })
}

/// The name of the role PostgreSQL creates with every cluster under `oid`, if any.
pub fn builtin_role_name(oid: i64) -> Option<&'static str> {
    BUILTIN_ROLES
        .iter()
        .find(|role| i64::from(role.oid) == oid)
        .map(|role| role.name)
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
fn with_builtin_roles(batch: RecordBatch) -> Result<RecordBatch> {
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

/// PostgreSQL's array columns (`text[]`, `aclitem[]`) that datafusion-pg-catalog has as
/// text, by table: psql reads them with `array_to_string` (`\dn+`, `\dT+`, `\dL+`, `\df+`).
const TEXT_ARRAY_COLUMNS: &[(&str, &[&str])] = &[
    ("pg_attribute", &["attoptions", "attfdwoptions", "attacl"]),
    (
        "pg_proc",
        &["proacl", "proconfig", "proargmodes", "proargnames"],
    ),
    ("pg_type", &["typacl"]),
    ("pg_language", &["lanacl"]),
    ("pg_namespace", &["nspacl"]),
    ("pg_tablespace", &["spcacl", "spcoptions"]),
    ("pg_init_privs", &["initprivs"]),
    ("pg_foreign_data_wrapper", &["fdwacl", "fdwoptions"]),
    ("pg_foreign_server", &["srvacl", "srvoptions"]),
    ("pg_default_acl", &["defaclacl"]),
    ("pg_largeobject_metadata", &["lomacl"]),
    ("pg_extension", &["extcondition"]),
];

fn text_array_columns(table: &str) -> &'static [&'static str] {
    TEXT_ARRAY_COLUMNS
        .iter()
        .find(|(name, _)| *name == table)
        .map_or(&[], |(_, columns)| columns)
}

/// `batch` with each of `columns` that is text read as an array's text (`{a,b}`) into a
/// text array.
fn as_text_arrays(batch: RecordBatch, columns: &[&str]) -> Result<RecordBatch> {
    columns.iter().try_fold(batch, |batch, name| {
        replace_column(batch, name, |column| {
            let Some(texts) = column.as_any().downcast_ref::<StringArray>() else {
                return Ok(column.clone());
            };
            let mut lists = ListBuilder::new(StringBuilder::new());
            for text in texts.iter() {
                match text {
                    Some(text) => {
                        for item in array_items(text) {
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

/// The items of an array as datafusion-pg-catalog's static rows write it: PostgreSQL's
/// `{a,b}`, a vector's `a b`, or a Python list's `['a', 'b']`.
fn array_items(text: &str) -> Vec<&str> {
    let text = text.trim();
    let items: Vec<&str> = if let Some(inner) = text.strip_prefix('{') {
        inner.trim_end_matches('}').split(',').collect()
    } else if let Some(inner) = text.strip_prefix('[') {
        inner.trim_end_matches(']').split(',').collect()
    } else {
        text.split_whitespace().collect()
    };
    items
        .into_iter()
        .map(|item| item.trim().trim_matches(|c| c == '"' || c == '\''))
        .filter(|item| !item.is_empty())
        .collect()
}

/// A column of OIDs, and the vector type it is sent as (`None`: an `oid[]`).
type OidArrayColumn = (&'static str, Option<&'static str>);

/// PostgreSQL's `oid[]` and `oidvector` columns that datafusion-pg-catalog has as text, by
/// table, with the vectors' type (sent space-separated, as pg_dump reads `proargtypes`).
const OID_ARRAY_COLUMNS: &[(&str, &[OidArrayColumn])] = &[
    (
        "pg_proc",
        &[("proargtypes", Some("oidvector")), ("proallargtypes", None)],
    ),
    // DBeaver unnests an extension's configuration tables.
    ("pg_extension", &[("extconfig", None)]),
];

fn oid_array_columns(table: &str) -> &'static [OidArrayColumn] {
    OID_ARRAY_COLUMNS
        .iter()
        .find(|(name, _)| *name == table)
        .map_or(&[], |(_, columns)| columns)
}

/// `batch` with each of `columns` that is text read into an `Int32` list (tagged with the
/// vector type it names).
fn as_oid_arrays(batch: RecordBatch, columns: &[OidArrayColumn]) -> Result<RecordBatch> {
    columns.iter().try_fold(batch, |batch, (name, vector)| {
        let Ok(index) = batch.schema().index_of(name) else {
            return Ok(batch);
        };
        let Some(texts) = batch.column(index).as_any().downcast_ref::<StringArray>() else {
            return Ok(batch);
        };
        let mut lists = ListBuilder::new(arrow::array::Int32Builder::new());
        for text in texts.iter() {
            match text {
                Some(text) => {
                    for item in array_items(text) {
                        let oid = item.parse::<i32>().map_err(|_| {
                            DataFusionError::Internal(format!("{name}: not an OID: {item}"))
                        })?;
                        lists.values().append_value(oid);
                    }
                    lists.append(true);
                }
                None => lists.append(false),
            }
        }
        let mut columns = batch.columns().to_vec();
        columns[index] = Arc::new(lists.finish());
        let mut fields: Vec<Field> = batch
            .schema()
            .fields()
            .iter()
            .map(|f| f.as_ref().clone())
            .collect();
        let field = Field::new(*name, columns[index].data_type().clone(), true);
        fields[index] = match vector {
            Some(vector) => datafusion_omnigraph::pg_type::with_pg_type(field, vector),
            None => field,
        };
        let schema = Schema::new_with_metadata(fields, batch.schema().metadata().clone());
        Ok(RecordBatch::try_new(Arc::new(schema), columns)?)
    })
}

fn int32s_of<'a>(batch: &'a RecordBatch, name: &str) -> Result<&'a Int32Array> {
    let column = batch
        .column_by_name(name)
        .ok_or_else(|| DataFusionError::Internal(format!("pg_catalog column {name}")))?;
    int32s(column, name)
}

fn strings_of<'a>(batch: &'a RecordBatch, name: &str) -> Result<&'a StringArray> {
    batch
        .column_by_name(name)
        .and_then(|c| c.as_any().downcast_ref::<StringArray>())
        .ok_or_else(|| DataFusionError::Internal(format!("pg_catalog column {name}")))
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

/// How one table is put right: its rows, then its array columns.
struct Fix {
    rows: Option<BatchFix>,
    arrays: &'static [&'static str],
    oid_arrays: &'static [OidArrayColumn],
}

impl Fix {
    fn apply(&self, batch: RecordBatch, served: &ServedOids) -> Result<RecordBatch> {
        let batch = match self.rows {
            Some(fix) => fix(batch, served)?,
            None => batch,
        };
        as_oid_arrays(as_text_arrays(batch, self.arrays)?, self.oid_arrays)
    }
}

/// A catalog table read whole and put right by `fix`; its schema is that of the fixed
/// rows (computed once, from the table with no rows).
struct FixedTable {
    inner: Arc<dyn TableProvider>,
    fix: Fix,
    schema: SchemaRef,
    namespaces: Option<Arc<dyn TableProvider>>,
    classes: Option<Arc<dyn TableProvider>>,
    /// `pg_attribute`: `Vector(n)` columns typed `vector(n)`.
    types_vectors: bool,
}

impl FixedTable {
    fn new(
        inner: Arc<dyn TableProvider>,
        fix: Fix,
        namespaces: Option<Arc<dyn TableProvider>>,
        classes: Option<Arc<dyn TableProvider>>,
    ) -> Result<FixedTable> {
        let schema = fix
            .apply(
                RecordBatch::new_empty(inner.schema()),
                &ServedOids::default(),
            )?
            .schema();
        Ok(FixedTable {
            inner,
            fix,
            schema,
            namespaces,
            classes,
            types_vectors: false,
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
            Some(table) => Some(Self::read(table.as_ref(), state).await?),
            None => None,
        };
        let classes = match &self.classes {
            Some(table) => Some(Self::read(table.as_ref(), state).await?),
            None => None,
        };
        let served = ServedOids::read(namespaces.as_ref(), classes.as_ref())?;
        let mut fixed = self.fix.apply(all, &served)?;
        if self.types_vectors
            && let (Some(classes), Some(namespaces)) = (&classes, &namespaces)
        {
            fixed =
                super::vector_columns::typed_as_vectors(fixed, classes, namespaces, state).await?;
        }
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
        let fixed = with_builtin_roles(roles(&["tester", "alice"])).unwrap();
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

        let listed = with_builtin_roles(roles(&["postgres", "bob"])).unwrap();
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
        let namespaces = ServedOids::read(Some(&namespaces), None).unwrap();
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
    fn catalog_tables_take_their_fixed_oids() {
        let classes = RecordBatch::try_new(
            Arc::new(Schema::new(vec![
                Field::new("oid", DataType::Int32, true),
                Field::new("relname", DataType::Utf8, true),
                Field::new("relnamespace", DataType::Int32, true),
            ])),
            vec![
                Arc::new(Int32Array::from(vec![16418, 16389, 16500])),
                Arc::new(StringArray::from(vec!["pg_proc", "person", "pg_proc"])),
                Arc::new(Int32Array::from(vec![11, 2200, 16384])),
            ],
        )
        .unwrap();
        let served = ServedOids::read(None, Some(&classes)).unwrap();
        let fixed = with_fixed_catalog_oids(classes, "oid", &served).unwrap();
        let oids: Vec<_> = column::<Int32Array>(&fixed, "oid").iter().collect();
        // Only `pg_catalog`'s own `pg_proc` is PostgreSQL's; a table of that name in
        // another schema keeps its OID.
        assert_eq!(oids, [Some(1255), Some(16389), Some(16500)]);
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
        let fixed = as_text_arrays(batch, text_array_columns("pg_attribute")).unwrap();
        let lists = column::<ListArray>(&fixed, "attoptions");
        assert!(lists.is_null(0));
        assert_eq!(lists.value(1).len(), 1);
    }
}
