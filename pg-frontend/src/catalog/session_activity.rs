//! `pg_stat_activity`: the connection's own row (monitoring queries and pgAdmin's
//! dashboard look their session up by `pg_backend_pid()`); other connections are not
//! listed, as PostgreSQL hides their details from an unprivileged user.

use std::sync::{Arc, Mutex};

use arrow::array::{ArrayRef, Int32Array, RecordBatch, StringArray, new_null_array};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use async_trait::async_trait;
use datafusion::catalog::{Session, TableProvider};
use datafusion::common::Result;
use datafusion::datasource::TableType;
use datafusion::datasource::memory::MemorySourceConfig;
use datafusion::logical_expr::Expr;
use datafusion::physical_plan::ExecutionPlan;
use datafusion_omnigraph::pg_type::with_pg_type;

use crate::connection::PgSettings;

/// What `pg_backend_pid()` answers (datafusion-pg-catalog's constant).
const BACKEND_PID: i32 = 1;

#[derive(Debug)]
pub struct SessionActivity {
    pub database: String,
    pub user: String,
    pub settings: Arc<Mutex<PgSettings>>,
}

fn schema() -> SchemaRef {
    let name = |n: &str| with_pg_type(Field::new(n, DataType::Utf8, true), "name");
    let text = |n: &str| Field::new(n, DataType::Utf8, true);
    let int = |n: &str| Field::new(n, DataType::Int32, true);
    Arc::new(Schema::new(vec![
        int("datid"),
        name("datname"),
        int("pid"),
        int("leader_pid"),
        int("usesysid"),
        name("usename"),
        text("application_name"),
        text("client_addr"),
        text("client_hostname"),
        int("client_port"),
        text("wait_event_type"),
        text("wait_event"),
        text("state"),
        text("query"),
        text("backend_type"),
    ]))
}

#[async_trait]
impl TableProvider for SessionActivity {
    fn schema(&self) -> SchemaRef {
        schema()
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
        let schema = schema();
        let application = self
            .settings
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get("application_name")
            .unwrap_or_default()
            .to_string();
        let columns: Vec<ArrayRef> = schema
            .fields()
            .iter()
            .map(|f| -> ArrayRef {
                let text = |v: &str| Arc::new(StringArray::from(vec![v])) as ArrayRef;
                match f.name().as_str() {
                    "datname" => text(&self.database),
                    "usename" => text(&self.user),
                    "pid" => Arc::new(Int32Array::from(vec![BACKEND_PID])),
                    "usesysid" => Arc::new(Int32Array::from(vec![10])),
                    "application_name" => text(&application),
                    "state" => text("active"),
                    "backend_type" => text("client backend"),
                    _ => new_null_array(f.data_type(), 1),
                }
            })
            .collect();
        let batch = RecordBatch::try_new(schema.clone(), columns)?;
        let plan: Arc<dyn ExecutionPlan> =
            MemorySourceConfig::try_new_exec(&[vec![batch]], schema, projection.cloned())?;
        Ok(plan)
    }
}
