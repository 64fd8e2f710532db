//! The graph's procedures and table functions as `pg_proc` lists them (psql's and pgcli's
//! `\df`, `pg_get_function_arguments`, `pg_get_function_result`), in schema `omnigraph`.
//! An optional argument is a second signature (an overload), as the calls are written:
//! `create_branch(name)` and `create_branch(name, from_ref)`.
//!
//! They are members of the built-in extension `omnigraph` (`pg_extension`, `pg_depend`),
//! so pg_dump leaves them out of a dump, as it does PostgreSQL's own `plpgsql`.

use datafusion_omnigraph::{PROCEDURES, TRAVERSAL_FUNCTIONS};

/// Procedures are `CALL`ed (`prokind` `p`, their result columns `OUT` arguments); table
/// functions are read in `FROM` (`f`, returning `TABLE(...)` or `SETOF record`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum RoutineKind {
    Procedure,
    Function,
}

/// A PostgreSQL type an argument or result column has: its name and OID.
#[derive(Debug, Clone, Copy)]
pub struct PgType(pub &'static str, pub i32);

const TEXT: PgType = PgType("text", 25);
const INTEGER: PgType = PgType("integer", 23);
const NUMERIC: PgType = PgType("numeric", 1700);
const BOOLEAN: PgType = PgType("boolean", 16);
const INTERVAL: PgType = PgType("interval", 1186);
const RECORD_OID: i32 = 2249;

/// One signature of a graph routine.
#[derive(Debug)]
pub struct GraphRoutine {
    pub name: &'static str,
    pub kind: RoutineKind,
    pub inputs: &'static [(&'static str, PgType)],
    /// The result columns; none for a table function whose columns are its table's
    /// (`SETOF record`).
    pub outputs: &'static [(&'static str, PgType)],
}

macro_rules! routine {
    ($kind:ident $name:literal ($($input:literal $itype:ident),*) -> ($($output:literal $otype:ident),*)) => {
        GraphRoutine {
            name: $name,
            kind: RoutineKind::$kind,
            inputs: &[$(($input, $itype)),*],
            outputs: &[$(($output, $otype)),*],
        }
    };
}

/// Every signature, in the SQL reference's order.
pub const GRAPH_ROUTINES: &[GraphRoutine] = &[
    routine!(Procedure "apply_schema" ("source" TEXT) -> ("commit_id" TEXT, "version" NUMERIC, "new_tables" TEXT, "altered_tables" TEXT)),
    routine!(Procedure "create_index" ("table_name" TEXT, "column_name" TEXT) -> ("index_name" TEXT, "table_name" TEXT, "commit_id" TEXT, "version" NUMERIC)),
    routine!(Procedure "create_index" ("table_name" TEXT, "column_name" TEXT, "name" TEXT) -> ("index_name" TEXT, "table_name" TEXT, "commit_id" TEXT, "version" NUMERIC)),
    routine!(Procedure "create_index" ("table_name" TEXT, "column_name" TEXT, "name" TEXT, "method" TEXT) -> ("index_name" TEXT, "table_name" TEXT, "commit_id" TEXT, "version" NUMERIC)),
    routine!(Procedure "create_index" ("table_name" TEXT, "column_name" TEXT, "name" TEXT, "method" TEXT, "if_not_exists" BOOLEAN) -> ("index_name" TEXT, "table_name" TEXT, "commit_id" TEXT, "version" NUMERIC)),
    routine!(Procedure "drop_index" ("name" TEXT) -> ("index_name" TEXT, "table_name" TEXT, "commit_id" TEXT, "version" NUMERIC)),
    routine!(Procedure "drop_index" ("name" TEXT, "if_exists" BOOLEAN) -> ("index_name" TEXT, "table_name" TEXT, "commit_id" TEXT, "version" NUMERIC)),
    routine!(Procedure "load" ("path" TEXT) -> ("nodes" NUMERIC, "edges" NUMERIC, "commit_id" TEXT, "version" NUMERIC)),
    routine!(Procedure "load" ("path" TEXT, "mode" TEXT) -> ("nodes" NUMERIC, "edges" NUMERIC, "commit_id" TEXT, "version" NUMERIC)),
    routine!(Procedure "create_branch" ("name" TEXT) -> ("branch" TEXT, "created_from" TEXT)),
    routine!(Procedure "create_branch" ("name" TEXT, "from_ref" TEXT) -> ("branch" TEXT, "created_from" TEXT)),
    routine!(Procedure "delete_branch" ("name" TEXT) -> ("branch" TEXT)),
    routine!(Procedure "merge" ("source" TEXT) -> ("outcome" TEXT, "commit_id" TEXT, "version" NUMERIC, "base_commit" TEXT, "inserted" NUMERIC, "updated" NUMERIC, "deleted" NUMERIC)),
    routine!(Procedure "merge" ("source" TEXT, "target" TEXT) -> ("outcome" TEXT, "commit_id" TEXT, "version" NUMERIC, "base_commit" TEXT, "inserted" NUMERIC, "updated" NUMERIC, "deleted" NUMERIC)),
    routine!(Procedure "merge_conflicts" ("source" TEXT) -> ("table_name" TEXT, "id" TEXT, "kind" TEXT, "detail" TEXT, "base" TEXT, "ours" TEXT, "theirs" TEXT)),
    routine!(Procedure "merge_conflicts" ("source" TEXT, "target" TEXT) -> ("table_name" TEXT, "id" TEXT, "kind" TEXT, "detail" TEXT, "base" TEXT, "ours" TEXT, "theirs" TEXT)),
    routine!(Procedure "optimize" () -> ("table_name" TEXT, "fragments_before" NUMERIC, "fragments_after" NUMERIC, "rows" NUMERIC, "commit_id" TEXT, "version" NUMERIC)),
    routine!(Procedure "optimize" ("table" TEXT) -> ("table_name" TEXT, "fragments_before" NUMERIC, "fragments_after" NUMERIC, "rows" NUMERIC, "commit_id" TEXT, "version" NUMERIC)),
    routine!(Procedure "cleanup" ("keep_versions" INTEGER) -> ("graph_versions_removed" NUMERIC, "table_versions_removed" NUMERIC, "forks_removed" NUMERIC, "tables_removed" NUMERIC, "files_removed" NUMERIC, "bytes_removed" NUMERIC)),
    routine!(Procedure "cleanup" ("keep_versions" INTEGER, "older_than" INTERVAL) -> ("graph_versions_removed" NUMERIC, "table_versions_removed" NUMERIC, "forks_removed" NUMERIC, "tables_removed" NUMERIC, "files_removed" NUMERIC, "bytes_removed" NUMERIC)),
    routine!(Function "as_of" ("table" TEXT, "ref" TEXT) -> ()),
    routine!(Function "diff" ("table" TEXT, "from_ref" TEXT, "to_ref" TEXT) -> ()),
    routine!(Function "neighbors" ("edge_table" TEXT, "start_id" TEXT) -> ("start_id" TEXT, "node_id" TEXT, "edge_id" TEXT)),
    routine!(Function "neighbors" ("edge_table" TEXT, "start_id" TEXT, "direction" TEXT) -> ("start_id" TEXT, "node_id" TEXT, "edge_id" TEXT)),
    routine!(Function "traverse" ("edge_table" TEXT, "start_id" TEXT, "max_depth" INTEGER) -> ("node_id" TEXT, "depth" INTEGER)),
    routine!(Function "traverse" ("edge_table" TEXT, "start_id" TEXT, "max_depth" INTEGER, "min_depth" INTEGER) -> ("node_id" TEXT, "depth" INTEGER)),
    routine!(Function "traverse" ("edge_table" TEXT, "start_id" TEXT, "max_depth" INTEGER, "min_depth" INTEGER, "direction" TEXT) -> ("node_id" TEXT, "depth" INTEGER)),
    routine!(Function "shortest_path" ("edge_table" TEXT, "from_id" TEXT, "to_id" TEXT) -> ("step" INTEGER, "node_id" TEXT, "edge_id" TEXT)),
    routine!(Function "shortest_path" ("edge_table" TEXT, "from_id" TEXT, "to_id" TEXT, "max_depth" INTEGER) -> ("step" INTEGER, "node_id" TEXT, "edge_id" TEXT)),
    routine!(Function "shortest_path" ("edge_table" TEXT, "from_id" TEXT, "to_id" TEXT, "max_depth" INTEGER, "direction" TEXT) -> ("step" INTEGER, "node_id" TEXT, "edge_id" TEXT)),
    routine!(Function "neighbors_of" ("edge_table" TEXT, "start_query" TEXT) -> ("start_id" TEXT, "node_id" TEXT, "edge_id" TEXT)),
    routine!(Function "neighbors_of" ("edge_table" TEXT, "start_query" TEXT, "direction" TEXT) -> ("start_id" TEXT, "node_id" TEXT, "edge_id" TEXT)),
    routine!(Function "traverse_from" ("edge_table" TEXT, "start_query" TEXT, "max_depth" INTEGER) -> ("start_id" TEXT, "node_id" TEXT, "depth" INTEGER)),
    routine!(Function "traverse_from" ("edge_table" TEXT, "start_query" TEXT, "max_depth" INTEGER, "min_depth" INTEGER) -> ("start_id" TEXT, "node_id" TEXT, "depth" INTEGER)),
    routine!(Function "traverse_from" ("edge_table" TEXT, "start_query" TEXT, "max_depth" INTEGER, "min_depth" INTEGER, "direction" TEXT) -> ("start_id" TEXT, "node_id" TEXT, "depth" INTEGER)),
];

/// The OID of the first signature; the others follow. Below PostgreSQL's first user OID
/// (16384), as the OIDs of objects `initdb` creates are.
pub const FIRST_ROUTINE_OID: i32 = 15000;

/// The OID of the `omnigraph` extension the routines belong to (built in: below 16384).
pub const EXTENSION_OID: i32 = 14999;

/// The routine with `oid`, if it is one of ours.
pub fn routine(oid: i64) -> Option<&'static GraphRoutine> {
    let index = oid.checked_sub(i64::from(FIRST_ROUTINE_OID))?;
    GRAPH_ROUTINES.get(usize::try_from(index).ok()?)
}

/// Every signature with its OID.
pub fn with_oids() -> impl Iterator<Item = (i32, &'static GraphRoutine)> {
    (FIRST_ROUTINE_OID..).zip(GRAPH_ROUTINES.iter())
}

impl GraphRoutine {
    /// `pg_get_function_arguments`: the inputs, and a procedure's `OUT` columns.
    pub fn arguments(&self) -> String {
        let inputs = self
            .inputs
            .iter()
            .map(|(name, t)| format!("{name} {}", t.0));
        let outputs = match self.kind {
            RoutineKind::Procedure => self.outputs,
            RoutineKind::Function => &[],
        };
        let outputs = outputs
            .iter()
            .map(|(name, t)| format!("OUT {name} {}", t.0));
        inputs.chain(outputs).collect::<Vec<_>>().join(", ")
    }

    /// `pg_get_function_identity_arguments`: the inputs only.
    pub fn identity_arguments(&self) -> String {
        let inputs = self
            .inputs
            .iter()
            .map(|(name, t)| format!("{name} {}", t.0));
        inputs.collect::<Vec<_>>().join(", ")
    }

    /// `pg_get_function_result`: NULL for a procedure, as in PostgreSQL.
    pub fn result(&self) -> Option<String> {
        match (self.kind, self.outputs.is_empty()) {
            (RoutineKind::Procedure, _) => None,
            (RoutineKind::Function, true) => Some("SETOF record".to_string()),
            (RoutineKind::Function, false) => {
                let columns: Vec<String> = self
                    .outputs
                    .iter()
                    .map(|(name, t)| format!("{name} {}", t.0))
                    .collect();
                Some(format!("TABLE({})", columns.join(", ")))
            }
        }
    }

    /// `pg_get_functiondef`: the `CREATE` statement, as PostgreSQL writes it; the body is
    /// the routine's name in language `internal`, as for PostgreSQL's own.
    pub fn definition(&self) -> String {
        let (keyword, quote) = match self.kind {
            RoutineKind::Procedure => ("PROCEDURE", "$procedure$"),
            RoutineKind::Function => ("FUNCTION", "$function$"),
        };
        let arguments = match self.kind {
            RoutineKind::Procedure => {
                let inputs = self.inputs.iter().map(|(n, t)| format!("IN {n} {}", t.0));
                let outputs = self.outputs.iter().map(|(n, t)| format!("OUT {n} {}", t.0));
                inputs.chain(outputs).collect::<Vec<_>>().join(", ")
            }
            RoutineKind::Function => self.arguments(),
        };
        let returns = match self.result() {
            Some(result) => format!(" RETURNS {result}\n"),
            None => String::new(),
        };
        format!(
            "CREATE OR REPLACE {keyword} {}.{}({arguments})\n{returns} LANGUAGE internal\nAS {quote}{}{quote}\n",
            datafusion_omnigraph::catalog::SYSTEM_SCHEMA,
            self.name,
            self.name
        )
    }

    pub fn prokind(&self) -> &'static str {
        match self.kind {
            RoutineKind::Procedure => "p",
            RoutineKind::Function => "f",
        }
    }

    pub fn returns_set(&self) -> bool {
        self.kind == RoutineKind::Function
    }

    /// `prorettype`: `record` for rows.
    pub fn return_type(&self) -> i32 {
        RECORD_OID
    }

    /// `proargtypes` as `oidvector`'s text.
    pub fn input_types(&self) -> String {
        let oids: Vec<String> = self.inputs.iter().map(|(_, t)| t.1.to_string()).collect();
        oids.join(" ")
    }

    /// Every argument with its mode (`i`, `o` for a procedure's result columns, `t` for a
    /// table function's), as `proallargtypes`, `proargmodes` and `proargnames` list them;
    /// empty when there are only inputs.
    pub fn all_arguments(&self) -> Vec<(&'static str, char, i32)> {
        if self.outputs.is_empty() {
            return vec![];
        }
        let output_mode = match self.kind {
            RoutineKind::Procedure => 'o',
            RoutineKind::Function => 't',
        };
        let inputs = self.inputs.iter().map(|(name, t)| (*name, 'i', t.1));
        let outputs = self
            .outputs
            .iter()
            .map(|(name, t)| (*name, output_mode, t.1));
        inputs.chain(outputs).collect()
    }
}

/// The names of every routine the engine registers, which must each be listed.
pub fn registered_names() -> Vec<&'static str> {
    PROCEDURES
        .iter()
        .map(|p| p.name)
        .chain(TRAVERSAL_FUNCTIONS)
        .chain(["as_of", "diff"])
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_registered_routine_is_listed() {
        for name in registered_names() {
            assert!(
                GRAPH_ROUTINES.iter().any(|r| r.name == name),
                "{name} is not in GRAPH_ROUTINES"
            );
        }
    }

    #[test]
    fn signatures_read_as_postgresql_writes_them() {
        let neighbors = GRAPH_ROUTINES
            .iter()
            .find(|r| r.name == "neighbors")
            .unwrap();
        assert_eq!(neighbors.arguments(), "edge_table text, start_id text");
        assert_eq!(
            neighbors.result().as_deref(),
            Some("TABLE(start_id text, node_id text, edge_id text)")
        );
        let (oid, branch) = with_oids()
            .find(|(_, r)| r.name == "create_branch")
            .unwrap();
        assert_eq!(
            branch.arguments(),
            "name text, OUT branch text, OUT created_from text"
        );
        assert_eq!(branch.result(), None);
        assert_eq!(routine(i64::from(oid)).unwrap().name, "create_branch");
        assert!(routine(i64::from(FIRST_ROUTINE_OID) - 1).is_none());
        assert_eq!(
            branch.definition(),
            "CREATE OR REPLACE PROCEDURE omnigraph.create_branch(IN name text, OUT branch \
             text, OUT created_from text)\n LANGUAGE internal\nAS \
             $procedure$create_branch$procedure$\n"
        );
        assert_eq!(
            neighbors.definition(),
            "CREATE OR REPLACE FUNCTION omnigraph.neighbors(edge_table text, start_id text)\n \
             RETURNS TABLE(start_id text, node_id text, edge_id text)\n LANGUAGE internal\nAS \
             $function$neighbors$function$\n"
        );
    }
}
