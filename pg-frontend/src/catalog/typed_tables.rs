//! Catalog columns in PostgreSQL's own types. `pg_class.relname` is a `name`, `relkind` a
//! `"char"`, `information_schema.tables.table_type` a `varchar` (the base type of its
//! `character_data` domain): Arrow has `Utf8` for all of them, so each catalog table is
//! wrapped in one whose columns carry the type tag of
//! [`datafusion_omnigraph::pg_type`], and the wire sends the OID PostgreSQL sends. The
//! list of typed columns is PostgreSQL 15's, read from its `pg_attribute`
//! (`column_types.txt`).

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use arrow::array::{RecordBatch, StringArray};
use arrow::compute::cast;
use arrow::datatypes::{DataType, Schema, SchemaRef};
use async_trait::async_trait;
use datafusion::catalog::{Session, TableProvider};
use datafusion::common::Result;
use datafusion::datasource::TableType;
use datafusion::datasource::memory::MemorySourceConfig;
use datafusion::logical_expr::Expr;
use datafusion::physical_plan::{ExecutionPlan, collect};
use datafusion_omnigraph::pg_type::with_pg_type;

/// `(schema, table, column)` → PostgreSQL type name, for the columns not typed `text`.
type ColumnTypes = HashMap<(String, String, String), String>;

fn column_types() -> &'static ColumnTypes {
    static TYPES: OnceLock<ColumnTypes> = OnceLock::new();
    TYPES.get_or_init(|| {
        include_str!("column_types.txt")
            .lines()
            .filter(|line| !line.starts_with('#') && !line.is_empty())
            .filter_map(|line| {
                let mut parts = line.split('|');
                let key = (
                    parts.next()?.to_string(),
                    parts.next()?.to_string(),
                    parts.next()?.to_string(),
                );
                Some((key, parts.next()?.to_string()))
            })
            .collect()
    })
}

/// The PostgreSQL type of `schema.table.column` where it is not `text` or `int4` but
/// shares their Arrow type (`name`, `char`, `varchar`, `bpchar`; `oid`).
pub fn column_type(schema: &str, table: &str, column: &str) -> Option<&'static str> {
    column_types()
        .get(&(schema.to_string(), table.to_string(), column.to_string()))
        .map(String::as_str)
}

/// Whether values of PostgreSQL type `pg_type` are held as `data_type`: the text types as
/// `Utf8`, `oid` as `Int32` (datafusion-pg-catalog's OIDs).
fn shares_arrow_type(pg_type: &str, data_type: &DataType) -> bool {
    match pg_type {
        "oid" => matches!(data_type, DataType::Int32),
        _ => matches!(data_type, DataType::Utf8),
    }
}

/// `table` of `schema` with its columns typed as PostgreSQL types them; `table` itself
/// when none of its columns needs a tag.
pub fn typed(schema: &str, name: &str, table: Arc<dyn TableProvider>) -> Arc<dyn TableProvider> {
    let base = table.schema();
    let mut tagged = false;
    let fields: Vec<_> = base
        .fields()
        .iter()
        .map(
            |f| match column_type(schema, &name.to_ascii_lowercase(), f.name()) {
                Some(pg_type) if shares_arrow_type(pg_type, f.data_type()) => {
                    tagged = true;
                    Arc::new(with_pg_type(f.as_ref().clone(), pg_type))
                }
                _ => f.clone(),
            },
        )
        .collect();
    if !tagged {
        return table;
    }
    let schema = Arc::new(Schema::new_with_metadata(fields, base.metadata().clone()));
    Arc::new(TypedTable {
        inner: table,
        schema,
        rows: None,
    })
}

/// How a wrapped table's rows differ from the inner table's (same columns).
pub type RowMap = Arc<dyn Fn(RecordBatch) -> Result<RecordBatch> + Send + Sync>;

/// `table` with each of its batches passed through `rows`.
pub fn mapped(table: Arc<dyn TableProvider>, rows: RowMap) -> Arc<dyn TableProvider> {
    Arc::new(TypedTable {
        schema: table.schema(),
        inner: table,
        rows: Some(rows),
    })
}

/// `batch` with its column `name` (if it has one) set to `value` in every row.
pub fn with_text(batch: RecordBatch, name: &str, value: &str) -> Result<RecordBatch> {
    let Ok(index) = batch.schema().index_of(name) else {
        return Ok(batch);
    };
    let mut columns = batch.columns().to_vec();
    columns[index] = Arc::new(StringArray::from(vec![value; batch.num_rows()]));
    Ok(RecordBatch::try_new(batch.schema(), columns)?)
}

/// A catalog table whose schema carries PostgreSQL type tags and whose rows are the
/// inner table's, mapped by `rows` if given.
struct TypedTable {
    inner: Arc<dyn TableProvider>,
    schema: SchemaRef,
    rows: Option<RowMap>,
}

impl std::fmt::Debug for TypedTable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TypedTable")
            .field("inner", &self.inner)
            .field("mapped", &self.rows.is_some())
            .finish()
    }
}

#[async_trait]
impl TableProvider for TypedTable {
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
        // Catalog tables are small: read whole, then projected by the memory source.
        let schema = self.schema.clone();
        let plan = self.inner.scan(state, None, &[], None).await?;
        let batches = collect(plan, state.task_ctx())
            .await?
            .into_iter()
            .map(|batch| match &self.rows {
                Some(map) => map(batch),
                None => Ok(batch),
            })
            .map(|batch| {
                let batch = batch?;
                let columns = batch
                    .columns()
                    .iter()
                    .zip(schema.fields())
                    .map(|(column, field)| {
                        if column.data_type() == field.data_type() {
                            Ok(column.clone())
                        } else {
                            cast(column, field.data_type())
                        }
                    })
                    .collect::<std::result::Result<Vec<_>, _>>()?;
                Ok(RecordBatch::try_new(schema.clone(), columns)?)
            })
            .collect::<Result<Vec<_>>>()?;
        let plan: Arc<dyn ExecutionPlan> =
            MemorySourceConfig::try_new_exec(&[batches], schema, projection.cloned())?;
        Ok(plan)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn postgres_names_and_char_columns_are_listed() {
        assert_eq!(
            column_type("pg_catalog", "pg_class", "relname"),
            Some("name")
        );
        assert_eq!(
            column_type("pg_catalog", "pg_class", "relkind"),
            Some("char")
        );
        assert_eq!(
            column_type("information_schema", "tables", "table_type"),
            Some("varchar")
        );
        assert_eq!(column_type("pg_catalog", "pg_class", "relacl"), None);
        assert_eq!(column_type("pg_catalog", "pg_type", "oid"), Some("oid"));
        assert!(shares_arrow_type("oid", &DataType::Int32));
        assert!(!shares_arrow_type("oid", &DataType::Utf8));
    }
}
