//! DDL that cannot work on a graph: its tables are the node and edge types of its schema,
//! so `CREATE TABLE` (and `CREATE TABLE AS`, pandas' `to_sql` to a new table), `CREATE
//! VIEW`, `ALTER TABLE` and `DROP TABLE`/`DROP VIEW` answer 0A000 with a hint naming
//! what does; so do `CREATE INDEX` and `DROP INDEX`, whose indexes the schema declares. Refused from the plan, after the role check, so a user without the role
//! for DDL still gets 42501 first, as in PostgreSQL.

use datafusion::logical_expr::{DdlStatement, LogicalPlan};
use datafusion::sql::sqlparser::ast::ObjectName;

use crate::error::{ErrorKind, Result, SqlError};

/// What to do instead, for every statement refused here.
const HINT: &str = "A graph's tables are the node and edge types of its schema: add types and \
                    properties with CALL apply_schema('<schema>') (see docs/sql-reference.md, \
                    Procedures), write rows with INSERT, UPDATE, DELETE or CALL load(...), and \
                    name a query with WITH instead of a view.";

fn refused(what: String) -> SqlError {
    SqlError::new(
        ErrorKind::NotSupported,
        format!("{what} is not supported: tables are defined by the graph schema"),
    )
    .with_hint(HINT)
}

/// What to do instead of `CREATE INDEX`/`DROP INDEX`.
const INDEX_HINT: &str = "Indexes are declared in the graph schema: every table's id, every \
                          edge's src and dst, and every @key and @unique property are indexed; \
                          mark another property @index and CALL apply_schema('<schema>') (see \
                          docs/sql-reference.md, Schema language).";

/// `CREATE INDEX` or `DROP INDEX` (`what`), which are not supported yet.
pub(crate) fn index_ddl(what: String) -> SqlError {
    SqlError::new(
        ErrorKind::NotSupported,
        format!("{what} is not supported: indexes are defined by the graph schema"),
    )
    .with_hint(INDEX_HINT)
}

/// Refuses `plan` if it is DDL that cannot work on a graph.
pub(crate) fn refuse_graph_ddl(plan: &LogicalPlan) -> Result<()> {
    let LogicalPlan::Ddl(ddl) = plan else {
        return Ok(());
    };
    match ddl {
        DdlStatement::CreateMemoryTable(t)
            if matches!(t.input.as_ref(), LogicalPlan::EmptyRelation(_)) =>
        {
            Err(refused(format!("CREATE TABLE {}", t.name)))
        }
        DdlStatement::CreateMemoryTable(t) => Err(refused(format!("CREATE TABLE {} AS", t.name))),
        DdlStatement::CreateView(v) => Err(refused(format!("CREATE VIEW {}", v.name))),
        DdlStatement::DropTable(t) => Err(refused(format!("DROP TABLE {}", t.name))),
        DdlStatement::DropView(v) => Err(refused(format!("DROP VIEW {}", v.name))),
        DdlStatement::CreateIndex(i) => Err(index_ddl(match &i.name {
            Some(name) => format!("CREATE INDEX {name}"),
            None => "CREATE INDEX".to_string(),
        })),
        _ => Ok(()),
    }
}

/// `DROP TABLE a, b` (or views): DataFusion plans one object per statement.
pub(crate) fn drop_several(kind: &str, names: &[ObjectName]) -> SqlError {
    let names: Vec<String> = names.iter().map(ToString::to_string).collect();
    refused(format!("DROP {kind} {}", names.join(", ")))
}

/// `ALTER TABLE`, which DataFusion does not plan.
pub(crate) fn alter_table() -> SqlError {
    refused("ALTER TABLE".to_string())
}
