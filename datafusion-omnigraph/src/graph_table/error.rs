//! What a `GRAPH_TABLE` can get wrong, each with its SQLSTATE (mapped in the SQL layer).

use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GraphTableError {
    /// 42704: the graph name is not this graph's.
    UnknownGraph { name: String, known: Vec<String> },
    /// 42704: a label no node or edge type has.
    UnknownLabel(String),
    /// 42809: an edge label on a node pattern, or a node label on an edge pattern.
    WrongLabelKind {
        label: String,
        expected: &'static str,
    },
    /// 42601: an unbounded quantifier with neither a selector nor a restrictive mode.
    UnboundedPaths,
    /// 42712: one name for two kinds of element (a node and an edge, a path and an
    /// element).
    ConflictingVariable(String),
    /// 42701: two output columns with one name.
    DuplicateColumn(String),
    /// 0A000: accepted syntax this implementation does not run.
    NotSupported(String),
}

impl fmt::Display for GraphTableError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GraphTableError::UnknownGraph { name, known } => write!(
                f,
                "property graph \"{name}\" does not exist (this graph is {})",
                known
                    .iter()
                    .map(|k| format!("\"{k}\""))
                    .collect::<Vec<_>>()
                    .join(" or ")
            ),
            GraphTableError::UnknownLabel(label) => {
                write!(f, "label \"{label}\" does not exist in the property graph")
            }
            GraphTableError::WrongLabelKind { label, expected } => {
                write!(f, "label \"{label}\" is not a {expected} label")
            }
            GraphTableError::UnboundedPaths => write!(
                f,
                "an unbounded quantifier matches infinitely many walks: put a selector (ANY, ANY SHORTEST, ALL SHORTEST, SHORTEST k) or a path mode (TRAIL, ACYCLIC, SIMPLE) before the path pattern, or bound the quantifier"
            ),
            GraphTableError::ConflictingVariable(name) => write!(
                f,
                "variable \"{name}\" is used for different kinds of element"
            ),
            GraphTableError::DuplicateColumn(name) => {
                write!(
                    f,
                    "column name \"{name}\" appears more than once in COLUMNS"
                )
            }
            GraphTableError::NotSupported(what) => {
                write!(f, "{what} is not supported in GRAPH_TABLE")
            }
        }
    }
}

impl std::error::Error for GraphTableError {}

impl GraphTableError {
    pub fn into_df(self) -> datafusion::error::DataFusionError {
        datafusion::error::DataFusionError::External(Box::new(self))
    }
}
