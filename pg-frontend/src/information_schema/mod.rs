//! `information_schema` as PostgreSQL shapes it, for the tools that read it instead of
//! `pg_catalog` (Metabase's column sync, Grafana's column picker). DataFusion's own
//! provider answers every table but these: `schemata` lists the schemas `pg_namespace`
//! lists, `tables` reports the database's name and PostgreSQL's columns, `columns` gets
//! PostgreSQL's type names (`data_type` `integer`, `udt_name` `int4`) and its identity
//! and generation columns, and the views of keys ([`constraints`]) list each graph
//! table's primary key and each edge table's foreign keys (as `pg_constraint` does).

mod constraints;

use std::sync::Arc;

use arrow::array::{ArrayRef, Int32Array, RecordBatch, StringArray};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use async_trait::async_trait;
use datafusion::catalog::information_schema::InformationSchemaProvider;
use datafusion::catalog::{CatalogProviderList, SchemaProvider, Session, TableProvider};
use datafusion::common::Result;
use datafusion::datasource::TableType;
use datafusion::datasource::empty::EmptyTable;
use datafusion::datasource::memory::MemorySourceConfig;
use datafusion::logical_expr::Expr;
use datafusion::physical_plan::ExecutionPlan;
use datafusion_omnigraph::GraphContext;
use pgwire::api::Type;

use crate::catalog::graph_keys::KeySource;
use crate::encode::wire_type;
use constraints::{KeyView, KeyViewTable};

/// The schema's name.
pub const INFORMATION_SCHEMA: &str = "information_schema";

/// Schemas whose tables have no `id` key.
const KEYLESS_SCHEMAS: [&str; 3] = [
    "pg_catalog",
    INFORMATION_SCHEMA,
    datafusion_omnigraph::SYSTEM_SCHEMA,
];

/// `information_schema` over the connection's catalogs; the graph's catalog is reported
/// under the database's name, as `pg_database` reports it.
#[derive(Debug)]
pub struct PgInformationSchema {
    inner: InformationSchemaProvider,
    catalogs: Arc<dyn CatalogProviderList>,
    graph_catalog: String,
    database: String,
    graph: Arc<GraphContext>,
    keys: KeySource,
}

impl PgInformationSchema {
    pub fn new(
        catalogs: Arc<dyn CatalogProviderList>,
        graph_catalog: &str,
        database: &str,
        graph: Arc<GraphContext>,
        keys: KeySource,
    ) -> PgInformationSchema {
        PgInformationSchema {
            inner: InformationSchemaProvider::new(catalogs.clone()),
            catalogs,
            graph_catalog: graph_catalog.to_string(),
            database: database.to_string(),
            graph,
            keys,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum PgTable {
    Schemata,
    Tables,
    Columns,
}

impl PgTable {
    fn named(name: &str) -> Option<PgTable> {
        match name.to_ascii_lowercase().as_str() {
            "schemata" => Some(PgTable::Schemata),
            "tables" => Some(PgTable::Tables),
            "columns" => Some(PgTable::Columns),
            _ => None,
        }
    }

    fn schema(self) -> SchemaRef {
        let text = |name: &str| Field::new(name, DataType::Utf8, true);
        let int = |name: &str| Field::new(name, DataType::Int32, true);
        let fields = match self {
            PgTable::Schemata => vec![
                text("catalog_name"),
                text("schema_name"),
                text("schema_owner"),
                text("default_character_set_catalog"),
                text("default_character_set_schema"),
                text("default_character_set_name"),
                text("sql_path"),
            ],
            PgTable::Tables => vec![
                text("table_catalog"),
                text("table_schema"),
                text("table_name"),
                text("table_type"),
                text("self_referencing_column_name"),
                text("reference_generation"),
                text("user_defined_type_catalog"),
                text("user_defined_type_schema"),
                text("user_defined_type_name"),
                text("is_insertable_into"),
                text("is_typed"),
                text("commit_action"),
            ],
            PgTable::Columns => vec![
                text("table_catalog"),
                text("table_schema"),
                text("table_name"),
                text("column_name"),
                int("ordinal_position"),
                text("column_default"),
                text("is_nullable"),
                text("data_type"),
                int("character_maximum_length"),
                int("character_octet_length"),
                int("numeric_precision"),
                int("numeric_precision_radix"),
                int("numeric_scale"),
                int("datetime_precision"),
                text("interval_type"),
                text("collation_name"),
                text("domain_name"),
                text("udt_catalog"),
                text("udt_schema"),
                text("udt_name"),
                text("dtd_identifier"),
                text("is_self_referencing"),
                text("is_identity"),
                text("identity_generation"),
                text("is_generated"),
                text("generation_expression"),
                text("is_updatable"),
            ],
        };
        Arc::new(Schema::new(fields))
    }
}

/// One table, view or catalog table.
struct Relation {
    catalog: String,
    schema: String,
    table: String,
    kind: TableType,
    columns: SchemaRef,
}

/// One column of a table, as `information_schema.columns` describes it.
struct ColumnRow {
    catalog: String,
    schema: String,
    table: String,
    column: String,
    position: i32,
    nullable: bool,
    data_type: DataType,
}

/// PostgreSQL's standard name of a type (`data_type`): arrays are `ARRAY`, an extension's
/// type (pgvector's `vector`) `USER-DEFINED`, the rest their SQL names.
fn standard_type_name(pg: &Type) -> String {
    if pg.name().starts_with('_') {
        return "ARRAY".to_string();
    }
    if crate::pgvector::is_vector_type(pg) {
        return "USER-DEFINED".to_string();
    }
    match pg.name() {
        "bool" => "boolean",
        "int2" => "smallint",
        "int4" => "integer",
        "int8" => "bigint",
        "float4" => "real",
        "float8" => "double precision",
        "varchar" => "character varying",
        "bpchar" => "character",
        "timestamp" => "timestamp without time zone",
        "timestamptz" => "timestamp with time zone",
        "time" => "time without time zone",
        "timetz" => "time with time zone",
        other => other,
    }
    .to_string()
}

/// `numeric_precision`, `numeric_precision_radix` and `numeric_scale` as PostgreSQL
/// reports them for a column.
#[derive(Debug, Default, PartialEq)]
struct NumericFacets {
    precision: Option<i32>,
    radix: Option<i32>,
    scale: Option<i32>,
}

fn numeric_facets(data_type: &DataType) -> NumericFacets {
    let binary = |precision: i32, scale: Option<i32>| NumericFacets {
        precision: Some(precision),
        radix: Some(2),
        scale,
    };
    match data_type {
        DataType::Int8 | DataType::Int16 | DataType::UInt8 => binary(16, Some(0)),
        DataType::Int32 | DataType::UInt16 => binary(32, Some(0)),
        DataType::Int64 | DataType::UInt32 => binary(64, Some(0)),
        DataType::Float16 | DataType::Float32 => binary(24, None),
        DataType::Float64 => binary(53, None),
        DataType::Decimal128(p, s) | DataType::Decimal256(p, s) => NumericFacets {
            precision: Some(i32::from(*p)),
            radix: Some(10),
            scale: Some(i32::from(*s)),
        },
        _ => NumericFacets::default(),
    }
}

fn texts<T>(rows: &[T], f: impl Fn(&T) -> Option<String>) -> ArrayRef {
    Arc::new(StringArray::from(rows.iter().map(f).collect::<Vec<_>>()))
}

fn ints<T>(rows: &[T], f: impl Fn(&T) -> Option<i32>) -> ArrayRef {
    Arc::new(Int32Array::from(rows.iter().map(f).collect::<Vec<_>>()))
}

impl PgInformationSchema {
    /// Every table the session sees, in catalog, schema and table order.
    async fn relations(&self) -> Result<Vec<Relation>> {
        let mut relations = Vec::new();
        let mut catalog_names = self.catalogs.catalog_names();
        catalog_names.sort();
        for catalog_name in catalog_names {
            let Some(catalog) = self.catalogs.catalog(&catalog_name) else {
                continue;
            };
            let shown_catalog = if catalog_name == self.graph_catalog {
                self.database.clone()
            } else {
                catalog_name.clone()
            };
            let mut schema_names = catalog.schema_names();
            if catalog_name == self.graph_catalog {
                schema_names = crate::catalog::listed_schemas(&self.graph, schema_names);
            }
            schema_names.sort();
            for schema_name in schema_names {
                if schema_name == INFORMATION_SCHEMA {
                    continue;
                }
                let Some(schema) = catalog.schema(&schema_name) else {
                    continue;
                };
                let mut table_names = schema.table_names();
                table_names.sort();
                for table_name in table_names {
                    let Some(table) = schema.table(&table_name).await? else {
                        continue;
                    };
                    relations.push(Relation {
                        catalog: shown_catalog.clone(),
                        schema: schema_name.clone(),
                        table: table_name,
                        kind: table.table_type(),
                        columns: table.schema(),
                    });
                }
            }
        }
        Ok(relations)
    }

    /// The schemas `pg_namespace` lists, each once: the graph catalog's (its branch
    /// schemas but the session's own, which is `public`), owned as `pg_namespace` says.
    fn schemata(&self, schema: SchemaRef) -> Result<RecordBatch> {
        let mut names = match self.catalogs.catalog(&self.graph_catalog) {
            Some(catalog) => crate::catalog::listed_schemas(&self.graph, catalog.schema_names()),
            None => vec![],
        };
        names.sort();
        let owner = |name: &String| {
            Some(
                match name.as_str() {
                    datafusion_omnigraph::PUBLIC_SCHEMA => "pg_database_owner",
                    _ => "postgres",
                }
                .to_string(),
            )
        };
        let columns: Vec<ArrayRef> = vec![
            texts(&names, |_| Some(self.database.clone())),
            texts(&names, |n| Some(n.clone())),
            texts(&names, owner),
            texts(&names, |_| None),
            texts(&names, |_| None),
            texts(&names, |_| None),
            texts(&names, |_| None),
        ];
        Ok(RecordBatch::try_new(schema, columns)?)
    }

    /// Every column of every table the session sees.
    async fn column_rows(&self) -> Result<Vec<ColumnRow>> {
        let mut rows = Vec::new();
        for relation in self.relations().await? {
            for (i, field) in relation.columns.fields().iter().enumerate() {
                rows.push(ColumnRow {
                    catalog: relation.catalog.clone(),
                    schema: relation.schema.clone(),
                    table: relation.table.clone(),
                    column: field.name().clone(),
                    position: i as i32 + 1,
                    nullable: field.is_nullable(),
                    data_type: field.data_type().clone(),
                });
            }
        }
        Ok(rows)
    }

    async fn batch(&self, table: PgTable) -> Result<RecordBatch> {
        let schema = table.schema();
        if table == PgTable::Schemata {
            return self.schemata(schema);
        }
        if table == PgTable::Tables {
            let relations = self.relations().await?;
            let graph_table = |r: &Relation| {
                r.kind == TableType::Base && !KEYLESS_SCHEMAS.contains(&r.schema.as_str())
            };
            let none = |_: &Relation| None::<String>;
            let columns: Vec<ArrayRef> = vec![
                texts(&relations, |r| Some(r.catalog.clone())),
                texts(&relations, |r| Some(r.schema.clone())),
                texts(&relations, |r| Some(r.table.clone())),
                texts(&relations, |r| {
                    Some(
                        match r.kind {
                            TableType::Base => "BASE TABLE",
                            TableType::View => "VIEW",
                            TableType::Temporary => "LOCAL TEMPORARY",
                        }
                        .to_string(),
                    )
                }),
                texts(&relations, none),
                texts(&relations, none),
                texts(&relations, none),
                texts(&relations, none),
                texts(&relations, none),
                texts(&relations, |r| {
                    Some(if graph_table(r) { "YES" } else { "NO" }.into())
                }),
                texts(&relations, |_| Some("NO".into())),
                texts(&relations, none),
            ];
            return Ok(RecordBatch::try_new(schema, columns)?);
        }
        let rows = self.column_rows().await?;
        let columns: Vec<ArrayRef> = {
            let types: Vec<Type> = rows
                .iter()
                .map(|r| {
                    if crate::pgvector::is_vector_data_type(&r.data_type) {
                        return crate::pgvector::vector_type();
                    }
                    arrow_pg::datatypes::into_pg_type(&wire_type(&r.data_type))
                        .unwrap_or(Type::TEXT)
                })
                .collect();
            let typed: Vec<(&ColumnRow, &Type)> = rows.iter().zip(types.iter()).collect();
            let numeric = |pick: fn(NumericFacets) -> Option<i32>| {
                ints(&rows, move |r| pick(numeric_facets(&r.data_type)))
            };
            let none = |_: &ColumnRow| None::<String>;
            vec![
                texts(&rows, |r| Some(r.catalog.clone())),
                texts(&rows, |r| Some(r.schema.clone())),
                texts(&rows, |r| Some(r.table.clone())),
                texts(&rows, |r| Some(r.column.clone())),
                ints(&rows, |r| Some(r.position)),
                texts(&rows, none),
                texts(&rows, |r| {
                    Some(if r.nullable { "YES" } else { "NO" }.into())
                }),
                texts(&typed, |(_, t)| Some(standard_type_name(t))),
                ints(&rows, |_| None),
                ints(&rows, |r| {
                    matches!(wire_type(&r.data_type), DataType::Utf8).then_some(1 << 30)
                }),
                numeric(|f| f.precision),
                numeric(|f| f.radix),
                numeric(|f| f.scale),
                ints(&rows, |r| {
                    matches!(
                        r.data_type,
                        DataType::Timestamp(_, _)
                            | DataType::Time32(_)
                            | DataType::Time64(_)
                            | DataType::Date32
                            | DataType::Date64
                    )
                    .then_some(match r.data_type {
                        DataType::Date32 | DataType::Date64 => 0,
                        _ => 6,
                    })
                }),
                texts(&rows, none),
                texts(&rows, none),
                texts(&rows, none),
                texts(&rows, |r| Some(r.catalog.clone())),
                texts(&rows, |_| Some("pg_catalog".into())),
                texts(&typed, |(_, t)| Some(t.name().to_string())),
                texts(&rows, |r| Some(r.position.to_string())),
                texts(&rows, |_| Some("NO".into())),
                texts(&rows, |_| Some("NO".into())),
                texts(&rows, none),
                texts(&rows, |_| Some("NEVER".into())),
                texts(&rows, none),
                texts(&rows, |r| {
                    Some(
                        if KEYLESS_SCHEMAS.contains(&r.schema.as_str()) {
                            "NO"
                        } else {
                            "YES"
                        }
                        .into(),
                    )
                }),
            ]
        };
        Ok(RecordBatch::try_new(schema, columns)?)
    }
}

impl PgInformationSchema {
    /// DataFusion's `routines` with every function where PostgreSQL keeps its built-in
    /// ones: in `pg_catalog` of the database (DataFusion files them under the default
    /// schema, `public`).
    fn builtin_routines(&self, table: Arc<dyn TableProvider>) -> Arc<dyn TableProvider> {
        let database = self.database.clone();
        crate::catalog::typed_tables::mapped(
            table,
            Arc::new(move |batch| {
                use crate::catalog::typed_tables::with_text;
                let batch = with_text(batch, "specific_catalog", &database)?;
                let batch = with_text(batch, "routine_catalog", &database)?;
                let batch = with_text(batch, "specific_schema", "pg_catalog")?;
                with_text(batch, "routine_schema", "pg_catalog")
            }),
        )
    }
}

#[async_trait]
impl SchemaProvider for PgInformationSchema {
    fn table_names(&self) -> Vec<String> {
        let mut names = self.inner.table_names();
        for extra in KeyView::ALL.map(KeyView::name) {
            if !names.iter().any(|n| n == extra) {
                names.push(extra.to_string());
            }
        }
        names
    }

    async fn table(&self, name: &str) -> Result<Option<Arc<dyn TableProvider>>> {
        let table = match PgTable::named(name) {
            Some(table) => Ok(Some(Arc::new(PgInformationTable {
                table,
                schema: table.schema(),
                source: PgInformationSchema::new(
                    self.catalogs.clone(),
                    &self.graph_catalog,
                    &self.database,
                    self.graph.clone(),
                    self.keys.clone(),
                ),
            }) as Arc<dyn TableProvider>)),
            None if KeyView::named(name).is_some() => {
                let view = KeyView::named(name).expect("a view of keys");
                Ok(Some(
                    Arc::new(KeyViewTable::new(view, &self.database, self.keys.clone()))
                        as Arc<dyn TableProvider>,
                ))
            }
            None => self.inner.table(name).await.map(|t| {
                t.map(|t| match name.to_ascii_lowercase().as_str() {
                    // We have no views; DataFusion lists every table as one.
                    "views" => Arc::new(EmptyTable::new(t.schema())) as Arc<dyn TableProvider>,
                    "routines" => self.builtin_routines(t),
                    _ => t,
                })
            }),
        }?;
        Ok(table.map(|t| crate::catalog::typed_tables::typed(INFORMATION_SCHEMA, name, t)))
    }

    fn table_exist(&self, name: &str) -> bool {
        PgTable::named(name).is_some()
            || KeyView::named(name).is_some()
            || self.inner.table_exist(name)
    }
}

/// One of the tables computed here, read at each scan.
#[derive(Debug)]
struct PgInformationTable {
    table: PgTable,
    schema: SchemaRef,
    source: PgInformationSchema,
}

#[async_trait]
impl TableProvider for PgInformationTable {
    fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }

    fn table_type(&self) -> TableType {
        TableType::View
    }

    async fn scan(
        &self,
        _state: &dyn Session,
        projection: Option<&Vec<usize>>,
        _filters: &[Expr],
        _limit: Option<usize>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let batch = self.source.batch(self.table).await?;
        let plan: Arc<dyn ExecutionPlan> = MemorySourceConfig::try_new_exec(
            &[vec![batch]],
            self.schema.clone(),
            projection.cloned(),
        )?;
        Ok(plan)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_are_named_as_postgres_names_them() {
        let named = |t: &DataType| {
            let pg = arrow_pg::datatypes::into_pg_type(&wire_type(t)).unwrap();
            (standard_type_name(&pg), pg.name().to_string())
        };
        assert_eq!(named(&DataType::Int32), ("integer".into(), "int4".into()));
        assert_eq!(named(&DataType::Int64), ("bigint".into(), "int8".into()));
        assert_eq!(named(&DataType::Utf8View), ("text".into(), "text".into()));
        assert_eq!(
            named(&DataType::Float64),
            ("double precision".into(), "float8".into())
        );
        assert_eq!(named(&DataType::Date32), ("date".into(), "date".into()));
        let list = DataType::List(Arc::new(Field::new_list_field(DataType::Utf8, true)));
        assert_eq!(named(&list), ("ARRAY".into(), "_text".into()));
        assert_eq!(
            numeric_facets(&DataType::Int32),
            NumericFacets {
                precision: Some(32),
                radix: Some(2),
                scale: Some(0)
            }
        );
    }
}
