//! Engine error type.

use std::fmt;

use crate::merge::conflict::{MergeConflict, describe_conflicts};

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// An integrity rule a write broke. Every variant fails the whole write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IntegrityViolation {
    /// Two rows with the same key (within the write or against the graph).
    DuplicateKey { table: String, id: String },
    /// Two rows share a value of a `@unique` property.
    UniqueViolation {
        table: String,
        column: String,
        value: String,
    },
    /// An edge endpoint does not exist in its node table.
    MissingEndpoint {
        table: String,
        endpoint: &'static str,
        node_table: String,
        id: String,
    },
    /// A required (non-nullable) property has no value.
    MissingProperty { table: String, column: String },
    /// A value does not fit the property's type.
    InvalidValue {
        table: String,
        column: String,
        message: String,
    },
    /// A property the type does not declare.
    UnknownProperty { table: String, column: String },
    /// `@card(min..max)` broken for a source node.
    Cardinality {
        table: String,
        src: String,
        count: u64,
        min: u64,
        max: Option<u64>,
    },
}

impl fmt::Display for IntegrityViolation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IntegrityViolation::DuplicateKey { table, id } => {
                write!(f, "duplicate key: {table} already has a row with id '{id}'")
            }
            IntegrityViolation::UniqueViolation {
                table,
                column,
                value,
            } => {
                write!(
                    f,
                    "unique violation: {table}.{column} already has value '{value}'"
                )
            }
            IntegrityViolation::MissingEndpoint {
                table,
                endpoint,
                node_table,
                id,
            } => write!(
                f,
                "missing endpoint: {table}.{endpoint} '{id}' does not exist in {node_table}"
            ),
            IntegrityViolation::MissingProperty { table, column } => {
                write!(f, "missing required property {table}.{column}")
            }
            IntegrityViolation::InvalidValue {
                table,
                column,
                message,
            } => {
                write!(f, "invalid value for {table}.{column}: {message}")
            }
            IntegrityViolation::UnknownProperty { table, column } => {
                write!(f, "unknown property {table}.{column}")
            }
            IntegrityViolation::Cardinality {
                table,
                src,
                count,
                min,
                max,
            } => {
                let max = max.map(|m| m.to_string()).unwrap_or_default();
                write!(
                    f,
                    "cardinality violation: node '{src}' would have {count} {table} edges, allowed {min}..{max}"
                )
            }
        }
    }
}

fn index_method_names() -> String {
    crate::schema::IndexMethod::ALL
        .map(|m| m.as_str())
        .join(", ")
}

/// A mistake in `CREATE INDEX` or `DROP INDEX`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IndexError {
    #[error("column \"{column}\" of relation \"{table}\" does not exist")]
    UnknownColumn { table: String, column: String },
    #[error("relation \"{0}\" already exists")]
    NameTaken(String),
    #[error(
        "column \"{column}\" of relation \"{table}\" is already indexed by \"{index}\" (one index per column)"
    )]
    AlreadyIndexed {
        table: String,
        column: String,
        index: String,
    },
    #[error("index \"{0}\" does not exist")]
    UnknownIndex(String),
    #[error(
        "access method \"{0}\" does not exist (index methods: {methods})",
        methods = index_method_names()
    )]
    UnknownMethod(String),
    #[error("access method \"{method}\" cannot index column \"{column}\" of type {ty}")]
    MethodUnsupported {
        method: String,
        column: String,
        ty: String,
    },
    #[error("operator class \"{ops}\" does not exist for access method \"{method}\"")]
    UnknownOperatorClass { ops: String, method: String },
    #[error(
        "column \"{column}\" of type {ty} cannot be indexed (floats and blobs are not indexable)"
    )]
    NotIndexable { column: String, ty: String },
    #[error(
        "invalid index name \"{0}\": an index name is letters, digits and underscores, starting with a letter or underscore"
    )]
    InvalidName(String),
    #[error("cannot drop index {index} because {reason}")]
    Required { index: String, reason: String },
    #[error(
        "column \"{column}\" of relation \"{table}\" has no full-text index (CREATE INDEX ON {table} USING inverted ({column}))"
    )]
    NoTextIndex { table: String, column: String },
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{0}")]
    Index(#[from] IndexError),

    #[error("schema error at line {line}, column {column}: {message}")]
    SchemaParse {
        line: usize,
        column: usize,
        message: String,
    },

    #[error("schema change refused: {0}")]
    SchemaChange(String),

    #[error("the graph has no schema yet; apply one first (apply_schema)")]
    NoSchema,

    #[error("no graph at '{0}'")]
    GraphNotFound(String),

    #[error("a graph already exists at '{0}'")]
    GraphExists(String),

    #[error("unknown table '{0}'")]
    UnknownTable(String),

    #[error("unknown branch '{0}'")]
    UnknownBranch(String),

    #[error("branch '{0}' already exists")]
    BranchExists(String),

    #[error("invalid branch name '{name}': {reason}")]
    InvalidBranchName { name: String, reason: String },

    #[error("branch 'main' cannot be deleted")]
    CannotDeleteMain,

    #[error("unknown ref '{0}' (expected a branch name, commit id, graph version or timestamp)")]
    UnknownRef(String),

    #[error("version {version} of branch '{branch}' was removed by cleanup; the oldest readable version is {oldest}{}", next.map(|n| format!(", the next readable one after it {n}")).unwrap_or_default())]
    VersionRemoved {
        branch: String,
        version: u64,
        oldest: u64,
        next: Option<u64>,
    },

    #[error("{0}")]
    Integrity(IntegrityViolation),

    #[error("{}line {line}: {source}", file.as_ref().map(|f| format!("{f}, ")).unwrap_or_default())]
    AtLine {
        /// The file the line is in, when a write reads several.
        file: Option<String>,
        line: u64,
        source: Box<Error>,
    },

    #[error("malformed input: {0}")]
    BadInput(String),

    #[error("invalid load mode '{0}' (expected 'append', 'merge' or 'overwrite')")]
    InvalidLoadMode(String),

    #[error("write conflict: {0}")]
    Conflict(String),

    #[error("the graph is opened read-only")]
    ReadOnly,

    #[error("the session reads as of '{0}' and is read-only; RESET omnigraph.as_of to write")]
    ReadOnlySession(String),

    #[error("invalid argument: {0}")]
    InvalidArgument(String),

    #[error("recovery failed: {0}")]
    Recovery(String),

    /// A write failed and undoing what it had committed failed too (the disk still
    /// full, say): nothing is visible, and the undo is retried before the next write.
    #[error(
        "{source}; rolling back also failed ({undo}); this process retries before its next write, and the next read-write open resolves it"
    )]
    UndoPending {
        #[source]
        source: Box<Error>,
        undo: Box<Error>,
    },

    #[error("storage error: {0}")]
    Lance(#[from] lance::Error),

    #[error("arrow error: {0}")]
    Arrow(#[from] arrow_schema::ArrowError),

    #[error("i/o error: {0}")]
    Io(#[from] std::io::Error),

    #[error("corrupt graph metadata: {0}")]
    Corrupt(String),

    #[error("{}", describe_conflicts(.0))]
    MergeConflicts(Vec<MergeConflict>),

    #[error("merge refused: {0}")]
    MergeRefused(String),

    #[error("not supported: {0}")]
    NotSupported(String),

    #[error("limit exceeded: {0}")]
    LimitExceeded(String),

    #[error("{0}")]
    InTransaction(String),
}

impl From<lance::deps::datafusion::error::DataFusionError> for Error {
    fn from(e: lance::deps::datafusion::error::DataFusionError) -> Self {
        Error::Lance(e.into())
    }
}

impl From<IntegrityViolation> for Error {
    fn from(v: IntegrityViolation) -> Self {
        Error::Integrity(v)
    }
}

impl Error {
    /// Wraps an error raised while processing a numbered input line.
    pub fn at_line(line: u64, err: impl Into<Error>) -> Error {
        Error::AtLine {
            file: None,
            line,
            source: Box::new(err.into()),
        }
    }

    /// Names the file a line-numbered error is in.
    pub fn in_file(self, path: &std::path::Path) -> Error {
        match self {
            Error::AtLine { line, source, .. } => Error::AtLine {
                file: Some(path.display().to_string()),
                line,
                source,
            },
            other => other,
        }
    }

    /// The error without its line: for a statement's rows, whose numbers are not lines
    /// of a file.
    pub fn without_line(self) -> Error {
        match self {
            Error::AtLine { source, .. } => *source,
            other => other,
        }
    }

    /// The error without line context, for classifying it.
    pub fn root(&self) -> &Error {
        match self {
            Error::AtLine { source, .. } | Error::UndoPending { source, .. } => source.root(),
            other => other,
        }
    }

    /// The operating system's error behind this one, if an I/O failure caused it.
    pub fn io_cause(&self) -> Option<&std::io::Error> {
        io_cause(self)
    }
}

/// The operating system's error found down `err`'s chain of sources: Lance and
/// object_store wrap it (a full disk reaches us as Lance's error about a data file).
pub fn io_cause<'a>(err: &'a (dyn std::error::Error + 'static)) -> Option<&'a std::io::Error> {
    let mut next = Some(err);
    while let Some(e) = next {
        if let Some(io) = e.downcast_ref::<std::io::Error>() {
            return Some(io);
        }
        next = e.source();
    }
    None
}
