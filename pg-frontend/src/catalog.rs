//! What Postgres clients look up besides our tables: `pg_catalog` (from
//! datafusion-pg-catalog, computed from the session's catalog so every branch schema and
//! graph table appears) and the functions drivers and BI tools call at connect, answered
//! for this connection (its database, user and settings).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use arrow::array::{ArrayRef, BooleanArray, StringArray};
use arrow::datatypes::{DataType, Field};
use async_trait::async_trait;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::catalog::{CatalogProviderList, TableProvider};
use datafusion::common::Result as DFResult;
use datafusion::common::{DataFusionError, ScalarValue};
use datafusion::datasource::TableType;
use datafusion::logical_expr::{
    ColumnarValue, ScalarUDF, Signature, SimpleScalarUDF, Volatility, create_udf,
};
use datafusion_pg_catalog::pg_catalog::catalog_info::CatalogInfo;
use datafusion_pg_catalog::pg_catalog::context::{
    EmptyContextProvider, PgCatalogContextProvider, Role as PgRole,
};
use datafusion_pg_catalog::pg_catalog::{PgCatalogSchemaProvider, PgCatalogStaticTables};
use omnigraph_sql::Session;

use crate::catalog_keys::RelationSchemas;
use crate::connection::PgSettings;

/// The text `version()` returns: PostgreSQL-shaped, as SQLAlchemy and others parse it.
pub fn version_text() -> String {
    format!(
        "PostgreSQL {} (OmniGraph SQL {}) on {}-linux, compiled by rustc, 64-bit",
        crate::server::SERVER_VERSION,
        env!("CARGO_PKG_VERSION"),
        std::env::consts::ARCH
    )
}

/// The session's catalogs as `pg_catalog` shows them: the graph's catalog under the
/// database's name, so `pg_database` lists the database `current_database()` names (DBeaver
/// and others look their database up by it).
#[derive(Debug, Clone)]
struct DatabaseCatalogs {
    inner: Arc<dyn CatalogProviderList>,
    database: String,
}

impl DatabaseCatalogs {
    fn inner_name<'a>(&self, name: &'a str) -> &'a str {
        if name == self.database {
            GRAPH_CATALOG
        } else {
            name
        }
    }
}

#[async_trait]
impl CatalogInfo for DatabaseCatalogs {
    async fn catalog_names(&self) -> DFResult<Vec<String>> {
        Ok(CatalogProviderList::catalog_names(self.inner.as_ref())
            .into_iter()
            .map(|n| {
                if n == GRAPH_CATALOG {
                    self.database.clone()
                } else {
                    n
                }
            })
            .collect())
    }

    async fn schema_names(&self, catalog: &str) -> DFResult<Option<Vec<String>>> {
        CatalogInfo::schema_names(&self.inner, self.inner_name(catalog)).await
    }

    async fn table_names(&self, catalog: &str, schema: &str) -> DFResult<Option<Vec<String>>> {
        CatalogInfo::table_names(&self.inner, self.inner_name(catalog), schema).await
    }

    async fn table_schema(
        &self,
        catalog: &str,
        schema: &str,
        table: &str,
    ) -> DFResult<Option<SchemaRef>> {
        self.inner
            .table_schema(self.inner_name(catalog), schema, table)
            .await
    }

    async fn table_type(
        &self,
        catalog: &str,
        schema: &str,
        table: &str,
    ) -> DFResult<Option<TableType>> {
        self.inner
            .table_type(self.inner_name(catalog), schema, table)
            .await
    }
}

/// The users `pg_roles` lists: the users file's, or the one trusted user.
#[derive(Debug, Clone)]
struct UserRoles(Arc<Vec<(String, crate::users::Role)>>);

#[async_trait]
impl PgCatalogContextProvider for UserRoles {
    async fn roles(&self) -> Vec<String> {
        self.0.iter().map(|(name, _)| name.clone()).collect()
    }

    async fn role(&self, name: &str) -> Option<PgRole> {
        let (name, role) = self.0.iter().find(|(n, _)| n == name)?;
        let admin = *role == crate::users::Role::Admin;
        Some(PgRole {
            name: name.clone(),
            is_superuser: admin,
            can_login: true,
            can_create_db: false,
            can_create_role: false,
            can_create_user: false,
            can_replication: false,
            grants: vec![],
            inherited_roles: vec![],
        })
    }
}

/// datafusion-pg-catalog's fixed tables (`pg_type`, `pg_proc`, ...): the same for every
/// connection, so decoded once per process.
fn static_tables() -> DFResult<Arc<PgCatalogStaticTables>> {
    static TABLES: std::sync::OnceLock<Arc<PgCatalogStaticTables>> = std::sync::OnceLock::new();
    if let Some(tables) = TABLES.get() {
        return Ok(tables.clone());
    }
    let tables = Arc::new(PgCatalogStaticTables::try_new()?);
    Ok(TABLES.get_or_init(|| tables).clone())
}

/// The DataFusion catalog that holds the graph's schemas.
const GRAPH_CATALOG: &str = "omnigraph";

/// Installs `pg_catalog` and the connection's functions into `session`.
pub fn install(
    session: &Session,
    database: &str,
    user: &str,
    roles: Vec<(String, crate::users::Role)>,
    settings: Arc<Mutex<PgSettings>>,
) {
    let ctx = session.context();
    let relation_schemas = RelationSchemas::default();
    let provider = || {
        datafusion_pg_catalog::setup_pg_catalog(ctx, GRAPH_CATALOG, EmptyContextProvider)?;
        let tables = static_tables().map_err(Box::new)?;
        let catalogs = DatabaseCatalogs {
            inner: ctx.state().catalog_list().clone(),
            database: database.to_string(),
        };
        let pg_catalog =
            PgCatalogSchemaProvider::try_new(catalogs, tables, UserRoles(Arc::new(roles)))
                .map_err(Box::new)?;
        let pg_catalog = crate::catalog_keys::KeyedPgCatalog::new(
            Arc::new(pg_catalog),
            ctx.state().catalog_list().clone(),
            GRAPH_CATALOG,
            relation_schemas.clone(),
            HashMap::from([(
                "pg_settings".to_string(),
                Arc::new(SettingsTable(settings.clone())) as Arc<dyn TableProvider>,
            )]),
        );
        if let Some(catalog) = ctx.catalog(GRAPH_CATALOG) {
            catalog
                .register_schema("pg_catalog", Arc::new(pg_catalog))
                .map_err(Box::new)?;
            // DataFusion answers `information_schema` itself while its flag is set; with
            // it unset the name resolves to this schema (which serves `SHOW TABLES` too).
            let information_schema = crate::information_schema::PgInformationSchema::new(
                ctx.state().catalog_list().clone(),
                GRAPH_CATALOG,
                database,
            );
            catalog
                .register_schema(
                    crate::information_schema::INFORMATION_SCHEMA,
                    Arc::new(information_schema),
                )
                .map_err(Box::new)?;
            ctx.state_ref()
                .write()
                .config_mut()
                .options_mut()
                .catalog
                .information_schema = false;
        }
        Ok::<_, Box<DataFusionError>>(())
    };
    if let Err(e) = provider() {
        eprintln!("omnigraph-server: pg_catalog unavailable: {e}");
    }
    let constant = |name: &str, value: String| {
        create_udf(
            name,
            vec![],
            DataType::Utf8,
            Volatility::Stable,
            Arc::new(move |_: &[ColumnarValue]| {
                Ok(ColumnarValue::Scalar(ScalarValue::Utf8(Some(
                    value.clone(),
                ))))
            }),
        )
    };
    ctx.register_udf(table_is_visible(relation_schemas, settings.clone()));
    ctx.register_udf(constant("version", version_text()));
    ctx.register_udf(constant("current_database", database.to_string()));
    ctx.register_udf(constant("session_user", user.to_string()));
    ctx.register_udf(constant("current_user", user.to_string()));
    ctx.register_udf(constant("user", user.to_string()));
    let read = settings.clone();
    ctx.register_udf(create_udf(
        "current_setting",
        vec![DataType::Utf8],
        DataType::Utf8,
        Volatility::Stable,
        Arc::new(move |args: &[ColumnarValue]| {
            let names = ColumnarValue::values_to_arrays(args)?;
            let names = names[0]
                .as_any()
                .downcast_ref::<StringArray>()
                .ok_or_else(|| DataFusionError::Execution("current_setting takes text".into()))?;
            let settings = read.lock().unwrap_or_else(|p| p.into_inner());
            let values = names
                .iter()
                .map(|name| match name {
                    None => Ok(None),
                    Some(n) => {
                        let n = n.to_ascii_lowercase();
                        match settings.get(&n) {
                            Some(v) => Ok(Some(v.to_string())),
                            None if n.starts_with("omnigraph.") => Ok(None),
                            None => Err(DataFusionError::Execution(format!(
                                "unrecognized configuration parameter \"{n}\""
                            ))),
                        }
                    }
                })
                .collect::<Result<Vec<_>, _>>()?;
            let array: ArrayRef = Arc::new(StringArray::from(values));
            Ok(ColumnarValue::Array(array))
        }),
    ));
    // Descriptions, index and view definitions, serial sequences: our tables have none,
    // and PostgreSQL answers NULL for an object without one (any argument list).
    for name in [
        "col_description",
        "obj_description",
        "shobj_description",
        "pg_get_indexdef",
        "pg_get_viewdef",
        "pg_get_function_result",
        "pg_get_function_arguments",
        "pg_get_function_identity_arguments",
        "pg_get_serial_sequence",
    ] {
        ctx.register_udf(any_arguments(name, DataType::Utf8, |_| {
            Ok(ColumnarValue::Scalar(ScalarValue::Utf8(None)))
        }));
    }
    // Everything lives in the default tablespace, whose location PostgreSQL gives as ''.
    ctx.register_udf(any_arguments(
        "pg_tablespace_location",
        DataType::Utf8,
        |_| {
            Ok(ColumnarValue::Scalar(ScalarValue::Utf8(
                Some(String::new()),
            )))
        },
    ));
    let root = session.graph_context().graph().root().to_string();
    ctx.register_udf(any_arguments(
        "pg_database_size",
        DataType::Int64,
        move |_| {
            let bytes = directory_size(std::path::Path::new(&root)).ok();
            Ok(ColumnarValue::Scalar(ScalarValue::Int64(
                bytes.map(|b| b as i64),
            )))
        },
    ));
    ctx.register_udf(create_udf(
        "to_regtype",
        vec![DataType::Utf8],
        DataType::Int32,
        Volatility::Stable,
        Arc::new(|args: &[ColumnarValue]| {
            let arrays = ColumnarValue::values_to_arrays(args)?;
            let names = arrays[0]
                .as_any()
                .downcast_ref::<StringArray>()
                .ok_or_else(|| DataFusionError::Execution("to_regtype takes text".into()))?;
            let oids: arrow::array::Int32Array =
                names.iter().map(|n| n.and_then(builtin_type_oid)).collect();
            Ok(ColumnarValue::Array(Arc::new(oids)))
        }),
    ));
    ctx.register_udf(ScalarUDF::from(SimpleScalarUDF::new_with_signature(
        "_pg_expandarray",
        Signature::any(1, Volatility::Immutable),
        expanded_array_type(),
        Arc::new(|args: &[ColumnarValue]| {
            let arrays = ColumnarValue::values_to_arrays(args)?;
            Ok(ColumnarValue::Array(expand_array(&arrays[0])?))
        }),
    )));
    ctx.register_udf(any_arguments("json_build_object", DataType::Utf8, |args| {
        json_build_object(args)
    }));
    ctx.register_udf(any_arguments("format", DataType::Utf8, format_rows));
    ctx.register_udf(create_udf(
        "quote_literal",
        vec![DataType::Utf8],
        DataType::Utf8,
        Volatility::Immutable,
        Arc::new(|args: &[ColumnarValue]| {
            let arrays = ColumnarValue::values_to_arrays(args)?;
            let texts = arrays[0]
                .as_any()
                .downcast_ref::<StringArray>()
                .ok_or_else(|| DataFusionError::Execution("quote_literal takes text".into()))?;
            let quoted: StringArray = texts.iter().map(|t| t.map(quote_literal)).collect();
            Ok(ColumnarValue::Array(Arc::new(quoted)))
        }),
    ));
    for name in [
        "pg_type_is_visible",
        "pg_function_is_visible",
        "pg_collation_is_visible",
    ] {
        ctx.register_udf(create_udf(
            name,
            vec![DataType::Int64],
            DataType::Boolean,
            Volatility::Stable,
            Arc::new(|args: &[ColumnarValue]| {
                let arrays = ColumnarValue::values_to_arrays(args)?;
                let all_true: ArrayRef = Arc::new(BooleanArray::from(vec![true; arrays[0].len()]));
                Ok(ColumnarValue::Array(all_true))
            }),
        ));
    }
    ctx.register_udf(create_udf(
        "pg_is_in_recovery",
        vec![],
        DataType::Boolean,
        Volatility::Stable,
        Arc::new(|_: &[ColumnarValue]| {
            Ok(ColumnarValue::Scalar(ScalarValue::Boolean(Some(false))))
        }),
    ));
    // Graph tables live in Lance datasets whose size the catalog does not track.
    for name in ["pg_table_size", "pg_indexes_size"] {
        ctx.register_udf(create_udf(
            name,
            vec![DataType::Int64],
            DataType::Int64,
            Volatility::Stable,
            Arc::new(|_: &[ColumnarValue]| Ok(ColumnarValue::Scalar(ScalarValue::Int64(Some(0))))),
        ));
    }
    ctx.register_udf(create_udf(
        "pg_size_pretty",
        vec![DataType::Int64],
        DataType::Utf8,
        Volatility::Immutable,
        Arc::new(|args: &[ColumnarValue]| {
            let arrays = ColumnarValue::values_to_arrays(args)?;
            let sizes = arrays[0]
                .as_any()
                .downcast_ref::<arrow::array::Int64Array>()
                .ok_or_else(|| DataFusionError::Execution("pg_size_pretty takes bigint".into()))?;
            let values: StringArray = sizes.iter().map(|s| s.map(size_pretty)).collect();
            Ok(ColumnarValue::Array(Arc::new(values)))
        }),
    ));
}

/// A function of any arguments (PostgreSQL's overloads of it all answer alike here).
/// `pg_settings`: the connection's run-time parameters as they are now (`SET` changes
/// them), one row each.
#[derive(Debug)]
struct SettingsTable(Arc<Mutex<PgSettings>>);

impl SettingsTable {
    fn columns() -> SchemaRef {
        static COLUMNS: OnceLock<SchemaRef> = OnceLock::new();
        COLUMNS.get_or_init(SettingsTable::build_columns).clone()
    }

    fn build_columns() -> SchemaRef {
        let text = |name: &str| Field::new(name, DataType::Utf8, true);
        Arc::new(arrow::datatypes::Schema::new(vec![
            text("name"),
            text("setting"),
            text("unit"),
            text("category"),
            text("short_desc"),
            text("extra_desc"),
            text("context"),
            text("vartype"),
            text("source"),
            text("min_val"),
            text("max_val"),
            text("enumvals"),
            text("boot_val"),
            text("reset_val"),
            text("sourcefile"),
            Field::new("sourceline", DataType::Int32, true),
            Field::new("pending_restart", DataType::Boolean, true),
        ]))
    }
}

#[async_trait]
impl TableProvider for SettingsTable {
    fn schema(&self) -> SchemaRef {
        SettingsTable::columns()
    }

    fn table_type(&self) -> TableType {
        TableType::View
    }

    async fn scan(
        &self,
        _state: &dyn datafusion::catalog::Session,
        projection: Option<&Vec<usize>>,
        _filters: &[datafusion::logical_expr::Expr],
        _limit: Option<usize>,
    ) -> DFResult<Arc<dyn datafusion::physical_plan::ExecutionPlan>> {
        let schema = SettingsTable::columns();
        let mut rows: Vec<(String, String)> = self
            .0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .all()
            .map(|(name, value)| (name.clone(), value.clone()))
            .collect();
        rows.sort();
        let count = rows.len();
        let mut columns: Vec<ArrayRef> = vec![
            Arc::new(StringArray::from_iter_values(
                rows.iter().map(|r| r.0.as_str()),
            )),
            Arc::new(StringArray::from_iter_values(
                rows.iter().map(|r| r.1.as_str()),
            )),
        ];
        for field in schema.fields().iter().skip(2) {
            columns.push(arrow::array::new_null_array(field.data_type(), count));
        }
        let batch = arrow::record_batch::RecordBatch::try_new(schema.clone(), columns)?;
        let plan: Arc<dyn datafusion::physical_plan::ExecutionPlan> =
            datafusion::datasource::memory::MemorySourceConfig::try_new_exec(
                &[vec![batch]],
                schema,
                projection.cloned(),
            )?;
        Ok(plan)
    }
}

/// `pg_table_is_visible(oid)`: whether the relation's schema is on the search path
/// (`pg_catalog` always is). A graph's tables are also in the schema of each branch
/// (`main`, `"feature/x"`), where only a schema-qualified name reaches them; psql's `\dt`
/// and SQLAlchemy's reflection list each table once by this. A relation no scan of
/// `pg_class` has reported yet counts as visible.
fn table_is_visible(
    relation_schemas: RelationSchemas,
    settings: Arc<Mutex<PgSettings>>,
) -> ScalarUDF {
    create_udf(
        "pg_table_is_visible",
        vec![DataType::Int64],
        DataType::Boolean,
        Volatility::Stable,
        Arc::new(move |args: &[ColumnarValue]| {
            let arrays = ColumnarValue::values_to_arrays(args)?;
            let oids = arrow::compute::cast(&arrays[0], &DataType::Int64)?;
            let oids = oids
                .as_any()
                .downcast_ref::<arrow::array::Int64Array>()
                .ok_or_else(|| {
                    DataFusionError::Execution("pg_table_is_visible takes an oid".into())
                })?;
            let search_path = settings
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .get("search_path")
                .unwrap_or_default()
                .to_string();
            let on_path: Vec<String> = search_path
                .split(',')
                .map(|s| s.trim().trim_matches('"').to_string())
                .chain(std::iter::once("pg_catalog".to_string()))
                .collect();
            let schemas = relation_schemas.lock().unwrap_or_else(|p| p.into_inner());
            let visible: BooleanArray = oids
                .iter()
                .map(|oid| {
                    oid.map(
                        |oid| match i32::try_from(oid).ok().and_then(|o| schemas.get(&o)) {
                            Some(schema) => on_path.iter().any(|p| p == schema),
                            None => true,
                        },
                    )
                })
                .collect();
            Ok(ColumnarValue::Array(Arc::new(visible)))
        }),
    )
}

fn any_arguments(
    name: &str,
    returns: DataType,
    body: impl Fn(&[ColumnarValue]) -> DFResult<ColumnarValue> + Send + Sync + 'static,
) -> ScalarUDF {
    ScalarUDF::from(SimpleScalarUDF::new_with_signature(
        name,
        Signature::variadic_any(Volatility::Stable),
        returns,
        Arc::new(body),
    ))
}

/// `information_schema._pg_expandarray(int2[])`: each element `x` with its 1-based
/// position `n`. PostgreSQL's is a set-returning function; here it returns the list of
/// `(x, n)` records and the statement rewriter wraps it in `unnest`.
fn expanded_array_type() -> DataType {
    DataType::List(Arc::new(Field::new_list_field(
        DataType::Struct(expanded_fields()),
        true,
    )))
}

fn expanded_fields() -> arrow::datatypes::Fields {
    arrow::datatypes::Fields::from(vec![
        Field::new("x", DataType::Int16, true),
        Field::new("n", DataType::Int32, false),
    ])
}

fn expand_array(array: &ArrayRef) -> DFResult<ArrayRef> {
    use arrow::array::{Array, Int16Array, Int32Array, ListArray, StructArray};
    let lists = array
        .as_any()
        .downcast_ref::<ListArray>()
        .ok_or_else(|| DataFusionError::Execution("_pg_expandarray takes an array".into()))?;
    let values = arrow::compute::cast(lists.values(), &DataType::Int16)?;
    let values = values
        .as_any()
        .downcast_ref::<Int16Array>()
        .ok_or_else(|| DataFusionError::Execution("_pg_expandarray takes int2[]".into()))?;
    let offsets = lists.value_offsets();
    let mut positions = Vec::with_capacity(values.len());
    for i in 0..lists.len() {
        let length = offsets[i + 1] - offsets[i];
        positions.extend(1..=length);
    }
    let records = StructArray::try_new(
        expanded_fields(),
        vec![
            Arc::new(values.clone()) as ArrayRef,
            Arc::new(Int32Array::from(positions)) as ArrayRef,
        ],
        None,
    )?;
    let list = ListArray::try_new(
        Arc::new(Field::new_list_field(
            DataType::Struct(expanded_fields()),
            true,
        )),
        lists.offsets().clone(),
        Arc::new(records),
        lists.nulls().cloned(),
    )?;
    Ok(Arc::new(list))
}

/// PostgreSQL's `json_build_object(key, value, ...)`, as JSON text.
/// `format(template, args...)` row by row.
fn format_rows(args: &[ColumnarValue]) -> DFResult<ColumnarValue> {
    let arrays = ColumnarValue::values_to_arrays(args)?;
    let Some((template, values)) = arrays.split_first() else {
        return Err(DataFusionError::Plan("format needs a template".into()));
    };
    let mut formatted = Vec::with_capacity(template.len());
    for row in 0..template.len() {
        let template = ScalarValue::try_from_array(template, row)?;
        let template = match template {
            t if t.is_null() => {
                formatted.push(None);
                continue;
            }
            ScalarValue::Utf8(Some(t))
            | ScalarValue::LargeUtf8(Some(t))
            | ScalarValue::Utf8View(Some(t)) => t,
            other => other.to_string(),
        };
        let row_values = values
            .iter()
            .map(|v| {
                let value = ScalarValue::try_from_array(v, row)?;
                Ok(match value {
                    v if v.is_null() => None,
                    ScalarValue::Utf8(Some(t))
                    | ScalarValue::LargeUtf8(Some(t))
                    | ScalarValue::Utf8View(Some(t)) => Some(t),
                    v => Some(v.to_string()),
                })
            })
            .collect::<DFResult<Vec<_>>>()?;
        formatted.push(Some(format_text(&template, &row_values)?));
    }
    Ok(ColumnarValue::Array(Arc::new(StringArray::from(formatted))))
}

/// PostgreSQL's `format`: `%s` (text, NULL as empty), `%I` (an identifier, quoted when
/// it must be), `%L` (a literal, NULL as `NULL`), `%%`, each optionally `%n$`-numbered.
fn format_text(template: &str, values: &[Option<String>]) -> DFResult<String> {
    let mut out = String::with_capacity(template.len());
    let mut chars = template.chars().peekable();
    let mut next_arg = 0;
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        if chars.peek() == Some(&'%') {
            chars.next();
            out.push('%');
            continue;
        }
        let mut digits = String::new();
        while let Some(d) = chars.peek().filter(|d| d.is_ascii_digit()) {
            digits.push(*d);
            chars.next();
        }
        let index = if digits.is_empty() {
            next_arg
        } else if chars.next() == Some('$') {
            digits
                .parse::<usize>()
                .ok()
                .and_then(|n| n.checked_sub(1))
                .ok_or_else(|| format_error("format: argument 0 does not exist"))?
        } else {
            return Err(format_error("format: field widths are not supported"));
        };
        let conversion = chars
            .next()
            .ok_or_else(|| format_error("format: unterminated format() type specifier"))?;
        let value = values
            .get(index)
            .ok_or_else(|| format_error("format: too few arguments"))?;
        next_arg = index + 1;
        match conversion {
            's' => out.push_str(value.as_deref().unwrap_or("")),
            'I' => match value {
                Some(v) => out.push_str(&quote_identifier(v)),
                None => {
                    return Err(format_error(
                        "format: null values cannot be formatted as an SQL identifier",
                    ));
                }
            },
            'L' => match value {
                Some(v) => out.push_str(&quote_literal(v)),
                None => out.push_str("NULL"),
            },
            other => {
                return Err(format_error(format!(
                    "format: unrecognized format() type specifier \"{other}\""
                )));
            }
        }
    }
    Ok(out)
}

/// A `format()` error: 22023, as PostgreSQL reports a bad template or argument list.
fn format_error(message: impl Into<String>) -> DataFusionError {
    DataFusionError::External(Box::new(omnigraph_sql::SqlError::new(
        omnigraph_sql::ErrorKind::InvalidParameter,
        message.into(),
    )))
}

/// An identifier as PostgreSQL's `quote_ident` writes it: bare when it is lower case
/// letters, digits and underscores not starting with a digit, else double-quoted.
fn quote_identifier(name: &str) -> String {
    let bare = name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if bare {
        name.to_string()
    } else {
        format!("\"{}\"", name.replace('"', "\"\""))
    }
}

fn json_build_object(args: &[ColumnarValue]) -> DFResult<ColumnarValue> {
    if !args.len().is_multiple_of(2) {
        return Err(DataFusionError::Execution(
            "json_build_object takes key/value pairs".into(),
        ));
    }
    let arrays = ColumnarValue::values_to_arrays(args)?;
    let rows = arrays.first().map(|a| a.len()).unwrap_or(1);
    let mut objects = Vec::with_capacity(rows);
    for row in 0..rows {
        let mut object = serde_json::Map::new();
        for pair in arrays.chunks(2) {
            let key = ScalarValue::try_from_array(&pair[0], row)?;
            let value = ScalarValue::try_from_array(&pair[1], row)?;
            let key = match key {
                ScalarValue::Utf8(Some(k)) | ScalarValue::LargeUtf8(Some(k)) => k,
                other if other.is_null() => {
                    return Err(DataFusionError::Execution(
                        "json_build_object: a key is null".into(),
                    ));
                }
                other => other.to_string(),
            };
            let value = match value {
                v if v.is_null() => serde_json::Value::Null,
                ScalarValue::Boolean(Some(b)) => serde_json::Value::Bool(b),
                ScalarValue::Utf8(Some(t)) | ScalarValue::LargeUtf8(Some(t)) => {
                    serde_json::Value::String(t)
                }
                v if v.data_type().is_numeric() => serde_json::from_str(&v.to_string())
                    .unwrap_or(serde_json::Value::String(v.to_string())),
                v => serde_json::Value::String(v.to_string()),
            };
            object.insert(key, value);
        }
        objects.push(Some(serde_json::Value::Object(object).to_string()));
    }
    Ok(ColumnarValue::Array(Arc::new(StringArray::from(objects))))
}

/// The OID of a built-in type by any of its SQL names (`to_regtype`); `None` for a type
/// that does not exist here, such as an extension's (`hstore`).
fn builtin_type_oid(name: &str) -> Option<i32> {
    let name = name
        .trim()
        .trim_start_matches("pg_catalog.")
        .to_ascii_lowercase();
    Some(match name.as_str() {
        "bool" | "boolean" => 16,
        "bytea" => 17,
        "int8" | "bigint" => 20,
        "int2" | "smallint" => 21,
        "int4" | "integer" | "int" => 23,
        "text" => 25,
        "oid" => 26,
        "json" => 114,
        "float4" | "real" => 700,
        "float8" | "double precision" => 701,
        "varchar" | "character varying" => 1043,
        "date" => 1082,
        "time" | "time without time zone" => 1083,
        "timestamp" | "timestamp without time zone" => 1114,
        "timestamptz" | "timestamp with time zone" => 1184,
        "interval" => 1186,
        "numeric" | "decimal" => 1700,
        "uuid" => 2950,
        "jsonb" => 3802,
        _ => return None,
    })
}

/// PostgreSQL's `quote_literal`: single quotes doubled; a value with backslashes becomes
/// an `E'...'` string with them doubled.
fn quote_literal(text: &str) -> String {
    let body = text.replace('\'', "''");
    if body.contains('\\') {
        format!("E'{}'", body.replace('\\', "\\\\"))
    } else {
        format!("'{body}'")
    }
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

    #[test]
    fn format_writes_like_postgres() {
        let v = |s: &str| Some(s.to_string());
        assert_eq!(
            format_text("%I.%I", &[v("public"), v("Person")]).unwrap(),
            "public.\"Person\""
        );
        assert_eq!(
            format_text("%s|%L|%L|%%", &[None, v("it's"), None]).unwrap(),
            "|'it''s'|NULL|%"
        );
        assert_eq!(format_text("%2$s %1$s", &[v("a"), v("b")]).unwrap(), "b a");
        assert!(format_text("%s %s", &[v("a")]).is_err());
        assert!(format_text("%x", &[v("a")]).is_err());
    }

    #[test]
    fn literals_quote_like_postgres() {
        assert_eq!(quote_literal("it's"), "'it''s'");
        assert_eq!(quote_literal("a\\b"), "E'a\\\\b'");
    }

    #[test]
    fn objects_build_as_json_text() {
        let args = [
            ColumnarValue::Scalar(ScalarValue::Utf8(Some("always".into()))),
            ColumnarValue::Scalar(ScalarValue::Boolean(Some(true))),
            ColumnarValue::Scalar(ScalarValue::Utf8(Some("start".into()))),
            ColumnarValue::Scalar(ScalarValue::Int64(Some(1))),
            ColumnarValue::Scalar(ScalarValue::Utf8(Some("cycle".into()))),
            ColumnarValue::Scalar(ScalarValue::Utf8(None)),
        ];
        let ColumnarValue::Array(out) = json_build_object(&args).unwrap() else {
            panic!("an array");
        };
        let out = out.as_any().downcast_ref::<StringArray>().unwrap();
        let parsed: serde_json::Value = serde_json::from_str(out.value(0)).unwrap();
        assert_eq!(
            parsed,
            serde_json::json!({"always": true, "start": 1, "cycle": null})
        );
    }

    #[test]
    fn type_names_resolve_to_builtin_oids() {
        assert_eq!(builtin_type_oid("integer"), Some(23));
        assert_eq!(builtin_type_oid("pg_catalog.TEXT"), Some(25));
        assert_eq!(builtin_type_oid("hstore"), None);
    }
}
