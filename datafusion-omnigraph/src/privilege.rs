//! Roles, and the role a planned statement needs. It is read off the logical plan, so a
//! procedure, a write or a file access counts wherever it sits: a `CALL`, a table
//! function in `FROM`, a CTE, a subquery, a view, or a statement nested in a function's
//! argument (a traversal's start query, planned by
//! [`crate::nested::plan_nested_statements`]).

use std::fmt;

use datafusion::common::tree_node::TreeNodeRecursion;
use datafusion::datasource::{ViewTable, source_as_provider};
use datafusion::logical_expr::{DdlStatement, LogicalPlan};

use crate::functions::procedures::ProcedureTable;
use crate::functions::traversal::TraversalTable;

/// What a user may do. Each role includes the ones before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Role {
    /// Queries, `SET`/`SHOW`, transactions, read-only procedures.
    Read,
    /// Also `INSERT`/`UPDATE`/`DELETE`/`TRUNCATE`, session DDL and the branch procedures.
    Write,
    /// Also schema changes and anything that reads or writes the server's files.
    Admin,
}

impl Role {
    pub fn as_str(&self) -> &'static str {
        match self {
            Role::Read => "read",
            Role::Write => "write",
            Role::Admin => "admin",
        }
    }

    /// The role named `name` (`read`, `write`, `admin`).
    pub fn from_name(name: &str) -> Option<Role> {
        [Role::Read, Role::Write, Role::Admin]
            .into_iter()
            .find(|r| r.as_str() == name)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The least role that may run `plan`.
pub fn required_role(plan: &LogicalPlan) -> Role {
    let mut needed = Role::Read;
    let _ = plan.apply_with_subqueries(|node| {
        // EXPLAIN without ANALYZE plans its statement and runs none of it.
        if matches!(node, LogicalPlan::Explain(_)) {
            return Ok(TreeNodeRecursion::Jump);
        }
        needed = needed.max(node_role(node));
        Ok(if needed == Role::Admin {
            TreeNodeRecursion::Stop
        } else {
            TreeNodeRecursion::Continue
        })
    });
    needed
}

fn node_role(node: &LogicalPlan) -> Role {
    match node {
        LogicalPlan::TableScan(scan) => {
            let Ok(provider) = source_as_provider(&scan.source) else {
                return Role::Read;
            };
            if let Some(procedure) = provider.downcast_ref::<ProcedureTable>() {
                return procedure.spec().role;
            }
            if let Some(traversal) = provider.downcast_ref::<TraversalTable>() {
                return match (traversal.start_query(), traversal.start_plan()) {
                    (None, _) => Role::Read,
                    (Some(_), Some(start)) => required_role(start),
                    // What an unplanned nested statement does is unknown.
                    (Some(_), None) => Role::Admin,
                };
            }
            match provider.downcast_ref::<ViewTable>() {
                Some(view) => required_role(view.logical_plan()),
                None => Role::Read,
            }
        }
        LogicalPlan::Dml(_) => Role::Write,
        // Writes files on the server.
        LogicalPlan::Copy(_) => Role::Admin,
        // Reads files on the server.
        LogicalPlan::Ddl(DdlStatement::CreateExternalTable(_)) => Role::Admin,
        LogicalPlan::Ddl(_) => Role::Write,
        _ => Role::Read,
    }
}
