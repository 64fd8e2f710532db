//! SQL errors with their PostgreSQL SQLSTATE.

use std::fmt;

use datafusion::arrow::error::ArrowError;
use datafusion::error::DataFusionError;
use datafusion::sql::sqlparser::parser::ParserError;
use datafusion_omnigraph::engine_error;
use datafusion_omnigraph::error::external_error;
use datafusion_omnigraph::functions::datetime::DatetimeError;
use datafusion_omnigraph::functions::errors::FunctionError;
use datafusion_omnigraph::graph_table::GraphTableError;
use datafusion_omnigraph::numbers::NumericError;
use datafusion_omnigraph::subqueries::SubqueryError;
use datafusion_omnigraph::types::TypeError;
use omnigraph_engine::{Error as EngineError, IndexError, IntegrityViolation};

/// What went wrong, by PostgreSQL error class. Each kind has one SQLSTATE.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// 42601 syntax_error
    Syntax,
    /// 42P01 undefined_table
    UndefinedTable,
    /// 42703 undefined_column
    UndefinedColumn,
    /// 42702 ambiguous_column
    AmbiguousColumn,
    /// 42883 undefined_function
    UndefinedFunction,
    /// 72000 snapshot_too_old: the version was removed by cleanup
    SnapshotTooOld,
    /// 42725 ambiguous_function
    AmbiguousFunction,
    /// 42704 undefined_object (unknown setting, unknown type)
    UndefinedObject,
    /// 42712 duplicate_alias (a `WITH` name given twice)
    DuplicateAlias,
    /// 42803 grouping_error (an aggregate where none may be)
    GroupingError,
    /// 42P10 invalid_column_reference (a `GROUP BY` position past the select list)
    InvalidColumnReference,
    /// 42P20 windowing_error (a window function where none may be)
    WindowingError,
    /// 42804 datatype_mismatch (`UNION`/`CASE` branches of incompatible types)
    DatatypeMismatch,
    /// 21000 cardinality_violation (a scalar subquery with more than one row)
    CardinalityViolation,
    /// 3F000 invalid_schema_name (unknown branch)
    UnknownBranch,
    /// 42P06 duplicate_schema (branch exists)
    DuplicateBranch,
    /// 42P07 duplicate_table (a relation of that name exists: an index name taken)
    DuplicateRelation,
    /// 2BP01 dependent_objects_still_exist (an index a key or constraint needs)
    DependentObjects,
    /// 42602 invalid_name
    InvalidName,
    /// 22023 invalid_parameter_value (unknown ref, bad argument)
    InvalidParameter,
    /// 55P02 cant_change_runtime_param (a read-only run-time parameter)
    ReadOnlyParameter,
    /// 22P02 invalid_text_representation (a value that does not fit its type)
    InvalidValue,
    /// 22000 data_exception (vectors of different dimensions)
    DataException,
    /// 22004 null_value_not_allowed (a NULL element in a vector)
    NullValueNotAllowed,
    /// 22012 division_by_zero
    DivisionByZero,
    /// 22003 numeric_value_out_of_range
    NumericOutOfRange,
    /// 22011 substring_error
    SubstringError,
    /// 22008 datetime_field_overflow
    DatetimeFieldOverflow,
    /// 22007 invalid_datetime_format (`'not a date'::date`)
    InvalidDatetimeFormat,
    /// 22014 invalid_argument_for_ntile_function
    InvalidNtileArgument,
    /// 2201B invalid_regular_expression
    InvalidRegularExpression,
    /// 22025 invalid_escape_sequence
    InvalidEscapeSequence,
    /// 2201E invalid_argument_for_logarithm
    InvalidLogarithmArgument,
    /// 2201F invalid_argument_for_power_function (`sqrt` of a negative number)
    InvalidPowerArgument,
    /// 42701 duplicate_column
    DuplicateColumn,
    /// 22P04 bad_copy_file_format (a COPY line with too few or too many fields)
    BadCopyFileFormat,
    /// 22021 character_not_in_repertoire (bytes that are not UTF-8)
    CharacterNotInRepertoire,
    /// 22P03 invalid_binary_representation (a binary COPY value not in its type's form)
    InvalidBinaryRepresentation,
    /// 23505 unique_violation
    UniqueViolation,
    /// 23503 foreign_key_violation (missing edge endpoint)
    MissingEndpoint,
    /// 23502 not_null_violation
    NotNullViolation,
    /// 23514 check_violation (cardinality)
    CheckViolation,
    /// 42809 wrong_object_type (a node label on an edge pattern, or the reverse)
    WrongObjectType,
    /// 42P16 invalid_table_definition (refused schema change)
    InvalidSchemaChange,
    /// 40001 serialization_failure (concurrent commit)
    SerializationFailure,
    /// 23000 integrity_constraint_violation (merge conflicts)
    MergeConflict,
    /// 25006 read_only_sql_transaction
    ReadOnly,
    /// 54000 program_limit_exceeded
    LimitExceeded,
    /// 53200 out_of_memory (a statement past its memory limit, or the server's)
    OutOfMemory,
    /// 54001 statement_too_complex (PostgreSQL's `stack depth limit exceeded`)
    StackDepthExceeded,
    /// 34000 invalid_cursor_name (no such cursor)
    InvalidCursorName,
    /// 42P03 duplicate_cursor
    DuplicateCursor,
    /// 55000 object_not_in_prerequisite_state (a cursor moved backward)
    ObjectNotInPrerequisiteState,
    /// 25P02 in_failed_sql_transaction
    InFailedTransaction,
    /// 25001 active_sql_transaction
    ActiveTransaction,
    /// 0A000 feature_not_supported
    NotSupported,
    /// 3D000 invalid_catalog_name (no such graph)
    UnknownGraph,
    /// 57014 query_canceled (cancel request or statement_timeout)
    QueryCanceled,
    /// 42501 insufficient_privilege (the role may not run the statement)
    InsufficientPrivilege,
    /// 28P01 invalid_password
    InvalidPassword,
    /// 08P01 protocol_violation
    ProtocolViolation,
    /// 25P01 no_active_sql_transaction (a savepoint outside `BEGIN`)
    NoActiveTransaction,
    /// 3B001 invalid_savepoint_specification
    InvalidSavepoint,
    /// 2201W invalid_row_count_in_limit_clause (a negative LIMIT)
    NegativeLimit,
    /// 2201X invalid_row_count_in_result_offset_clause (a negative OFFSET)
    NegativeOffset,
    /// 58P01 undefined_file (a server file to read that is not there)
    UndefinedFile,
    /// 58030 io_error
    Io,
    /// 53100 disk_full (the storage under the graph, or the spill directory, is full)
    DiskFull,
    /// XX000 internal_error
    Internal,
}

impl ErrorKind {
    pub fn sqlstate(&self) -> &'static str {
        match self {
            ErrorKind::Syntax => "42601",
            ErrorKind::UndefinedTable => "42P01",
            ErrorKind::UndefinedColumn => "42703",
            ErrorKind::AmbiguousColumn => "42702",
            ErrorKind::UndefinedFunction => "42883",
            ErrorKind::SnapshotTooOld => "72000",
            ErrorKind::AmbiguousFunction => "42725",
            ErrorKind::UndefinedObject => "42704",
            ErrorKind::DuplicateAlias => "42712",
            ErrorKind::GroupingError => "42803",
            ErrorKind::InvalidColumnReference => "42P10",
            ErrorKind::WindowingError => "42P20",
            ErrorKind::DatatypeMismatch => "42804",
            ErrorKind::CardinalityViolation => "21000",
            ErrorKind::NoActiveTransaction => "25P01",
            ErrorKind::InvalidSavepoint => "3B001",
            ErrorKind::UnknownBranch => "3F000",
            ErrorKind::DuplicateBranch => "42P06",
            ErrorKind::DuplicateRelation => "42P07",
            ErrorKind::DependentObjects => "2BP01",
            ErrorKind::InvalidName => "42602",
            ErrorKind::InvalidParameter => "22023",
            ErrorKind::ReadOnlyParameter => "55P02",
            ErrorKind::InvalidValue => "22P02",
            ErrorKind::DataException => "22000",
            ErrorKind::NullValueNotAllowed => "22004",
            ErrorKind::DivisionByZero => "22012",
            ErrorKind::NumericOutOfRange => "22003",
            ErrorKind::SubstringError => "22011",
            ErrorKind::DatetimeFieldOverflow => "22008",
            ErrorKind::InvalidDatetimeFormat => "22007",
            ErrorKind::InvalidNtileArgument => "22014",
            ErrorKind::InvalidRegularExpression => "2201B",
            ErrorKind::InvalidEscapeSequence => "22025",
            ErrorKind::InvalidLogarithmArgument => "2201E",
            ErrorKind::InvalidPowerArgument => "2201F",
            ErrorKind::BadCopyFileFormat => "22P04",
            ErrorKind::DuplicateColumn => "42701",
            ErrorKind::CharacterNotInRepertoire => "22021",
            ErrorKind::InvalidBinaryRepresentation => "22P03",
            ErrorKind::UniqueViolation => "23505",
            ErrorKind::MissingEndpoint => "23503",
            ErrorKind::NotNullViolation => "23502",
            ErrorKind::CheckViolation => "23514",
            ErrorKind::WrongObjectType => "42809",
            ErrorKind::InvalidSchemaChange => "42P16",
            ErrorKind::SerializationFailure => "40001",
            ErrorKind::MergeConflict => "23000",
            ErrorKind::ReadOnly => "25006",
            ErrorKind::InFailedTransaction => "25P02",
            ErrorKind::InvalidCursorName => "34000",
            ErrorKind::DuplicateCursor => "42P03",
            ErrorKind::ObjectNotInPrerequisiteState => "55000",
            ErrorKind::LimitExceeded => "54000",
            ErrorKind::StackDepthExceeded => "54001",
            ErrorKind::OutOfMemory => "53200",
            ErrorKind::ActiveTransaction => "25001",
            ErrorKind::NotSupported => "0A000",
            ErrorKind::UnknownGraph => "3D000",
            ErrorKind::QueryCanceled => "57014",
            ErrorKind::InsufficientPrivilege => "42501",
            ErrorKind::InvalidPassword => "28P01",
            ErrorKind::ProtocolViolation => "08P01",
            ErrorKind::NegativeLimit => "2201W",
            ErrorKind::NegativeOffset => "2201X",
            ErrorKind::Io => "58030",
            ErrorKind::UndefinedFile => "58P01",
            ErrorKind::DiskFull => "53100",
            ErrorKind::Internal => "XX000",
        }
    }
}

/// An error of a SQL statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SqlError {
    pub kind: ErrorKind,
    pub message: String,
    /// What to do instead (PostgreSQL's HINT line).
    pub hint: Option<String>,
    /// Where in its input the statement failed (PostgreSQL's CONTEXT line, e.g.
    /// `COPY person, line 3, column age: "x"`).
    pub context: Option<String>,
}

impl fmt::Display for SqlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (SQLSTATE {})", self.message, self.kind.sqlstate())
    }
}

impl std::error::Error for SqlError {}

pub type Result<T, E = SqlError> = std::result::Result<T, E>;

impl SqlError {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        SqlError {
            kind,
            message: message.into(),
            hint: None,
            context: None,
        }
    }

    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    pub fn with_context(mut self, context: impl Into<String>) -> Self {
        self.context = Some(context.into());
        self
    }

    pub fn sqlstate(&self) -> &'static str {
        self.kind.sqlstate()
    }
}

/// The kind of a failed read or write of a file: 53100 when the disk (or a quota) is full.
fn io_kind(err: &std::io::Error) -> ErrorKind {
    match err.kind() {
        std::io::ErrorKind::StorageFull | std::io::ErrorKind::QuotaExceeded => ErrorKind::DiskFull,
        _ => ErrorKind::Io,
    }
}

/// The kind of an error some I/O failure caused.
fn failed_io(err: &(dyn std::error::Error + 'static)) -> Option<ErrorKind> {
    omnigraph_engine::error::io_cause(err).map(io_kind)
}

fn engine_kind(err: &EngineError) -> ErrorKind {
    match err.root() {
        EngineError::SchemaParse { .. } => ErrorKind::Syntax,
        EngineError::SchemaChange(_) => ErrorKind::InvalidSchemaChange,
        EngineError::Index(e) => match e {
            IndexError::UnknownColumn { .. } => ErrorKind::UndefinedColumn,
            IndexError::NameTaken(_) | IndexError::AlreadyIndexed { .. } => {
                ErrorKind::DuplicateRelation
            }
            IndexError::UnknownIndex(_)
            | IndexError::UnknownMethod(_)
            | IndexError::UnknownOperatorClass { .. }
            | IndexError::MethodUnsupported { .. } => ErrorKind::UndefinedObject,
            IndexError::NotIndexable { .. } => ErrorKind::NotSupported,
            IndexError::InvalidName(_) => ErrorKind::InvalidName,
            IndexError::Required { .. } => ErrorKind::DependentObjects,
            IndexError::NoTextIndex { .. } => ErrorKind::ObjectNotInPrerequisiteState,
        },
        EngineError::NoSchema | EngineError::UnknownTable(_) => ErrorKind::UndefinedTable,
        EngineError::GraphNotFound(_) => ErrorKind::UnknownGraph,
        EngineError::GraphExists(_) => ErrorKind::InvalidParameter,
        EngineError::UnknownBranch(_) => ErrorKind::UnknownBranch,
        EngineError::BranchExists(_) => ErrorKind::DuplicateBranch,
        EngineError::InvalidBranchName { .. } => ErrorKind::InvalidName,
        EngineError::CannotDeleteMain => ErrorKind::NotSupported,
        EngineError::UnknownRef(_) => ErrorKind::InvalidParameter,
        EngineError::VersionRemoved { .. } => ErrorKind::SnapshotTooOld,
        EngineError::Integrity(v) => match v {
            IntegrityViolation::DuplicateKey { .. }
            | IntegrityViolation::UniqueViolation { .. } => ErrorKind::UniqueViolation,
            IntegrityViolation::MissingEndpoint { .. } => ErrorKind::MissingEndpoint,
            IntegrityViolation::MissingProperty { .. } => ErrorKind::NotNullViolation,
            IntegrityViolation::InvalidValue { .. } => ErrorKind::InvalidValue,
            IntegrityViolation::UnknownProperty { .. } => ErrorKind::UndefinedColumn,
            IntegrityViolation::Cardinality { .. } => ErrorKind::CheckViolation,
        },
        EngineError::AtLine { .. } | EngineError::UndoPending { .. } => ErrorKind::Internal,
        EngineError::BadInput(_) => ErrorKind::InvalidValue,
        EngineError::InvalidLoadMode(_) | EngineError::InvalidArgument(_) => {
            ErrorKind::InvalidParameter
        }
        EngineError::Conflict(_) => ErrorKind::SerializationFailure,
        EngineError::MergeConflicts(_) => ErrorKind::MergeConflict,
        EngineError::LimitExceeded(_) => ErrorKind::LimitExceeded,
        EngineError::InTransaction(_) => ErrorKind::ActiveTransaction,
        EngineError::MergeRefused(_) | EngineError::NotSupported(_) => ErrorKind::NotSupported,
        EngineError::ReadOnly | EngineError::ReadOnlySession(_) => ErrorKind::ReadOnly,
        EngineError::Io(e) => io_kind(e),
        EngineError::Lance(e) => failed_io(e).unwrap_or(ErrorKind::Internal),
        EngineError::Recovery(_) | EngineError::Arrow(_) | EngineError::Corrupt(_) => {
            ErrorKind::Internal
        }
    }
}

impl From<EngineError> for SqlError {
    fn from(err: EngineError) -> Self {
        match engine_kind(&err) {
            ErrorKind::DiskFull => disk_full(&err),
            kind => SqlError::new(kind, err.to_string()),
        }
    }
}

impl From<ParserError> for SqlError {
    fn from(err: ParserError) -> Self {
        match err {
            ParserError::RecursionLimitExceeded => crate::nesting::too_deep(),
            other => SqlError::new(ErrorKind::Syntax, other.to_string()),
        }
    }
}

fn arrow_kind(err: &ArrowError) -> ErrorKind {
    match err {
        ArrowError::DivideByZero => ErrorKind::DivisionByZero,
        // What the checked arithmetic cannot see: `-x` and `x / -1` of the smallest integer.
        ArrowError::ArithmeticOverflow(_) => ErrorKind::NumericOutOfRange,
        ArrowError::CastError(_) | ArrowError::ParseError(_) => ErrorKind::InvalidValue,
        // A DataFusion error an operator's stream handed through Arrow.
        ArrowError::ExternalError(inner) => match inner.downcast_ref::<DataFusionError>() {
            Some(inner) => datafusion_kind(inner),
            None => ErrorKind::Internal,
        },
        _ => ErrorKind::Internal,
    }
}

/// The kind of a DataFusion error, from its type alone: the extension's and the
/// engine's errors carry their own type, and names DataFusion would report only as
/// planning text (an unknown table or function) are checked before planning
/// (`references`).
fn datafusion_kind(err: &DataFusionError) -> ErrorKind {
    if let Some(engine) = engine_error(err) {
        return engine_kind(engine);
    }
    // DataFusion's own regular-expression functions hand the compiler's error through.
    if external_error::<regex::Error>(err).is_some() {
        return ErrorKind::InvalidRegularExpression;
    }
    if let Some(sql) = external_error::<SqlError>(err) {
        return sql.kind;
    }
    if let Some(numeric) = external_error::<NumericError>(err) {
        return numeric_kind(numeric);
    }
    if let Some(function) = external_error::<FunctionError>(err) {
        return function_kind(function);
    }
    if let Some(type_error) = external_error::<TypeError>(err) {
        return type_kind(type_error);
    }
    if let Some(graph_table) = external_error::<GraphTableError>(err) {
        return graph_table_kind(graph_table);
    }
    if let Some(SubqueryError::MoreThanOneRow) = external_error::<SubqueryError>(err) {
        return ErrorKind::CardinalityViolation;
    }
    if let Some(datetime) = external_error::<DatetimeError>(err) {
        return datetime_kind(datetime);
    }
    match err {
        DataFusionError::SQL(e, _) if matches!(**e, ParserError::RecursionLimitExceeded) => {
            ErrorKind::StackDepthExceeded
        }
        DataFusionError::SQL(_, _) => ErrorKind::Syntax,
        DataFusionError::ResourcesExhausted(_) => ErrorKind::OutOfMemory,
        DataFusionError::IoError(e) => io_kind(e),
        DataFusionError::External(e) => failed_io(e.as_ref()).unwrap_or(ErrorKind::Internal),
        DataFusionError::SchemaError(e, _) => match **e {
            datafusion::common::SchemaError::AmbiguousReference { .. } => {
                ErrorKind::AmbiguousColumn
            }
            _ => ErrorKind::UndefinedColumn,
        },
        DataFusionError::ArrowError(e, _) => arrow_kind(e),
        DataFusionError::NotImplemented(_) => ErrorKind::NotSupported,
        DataFusionError::Context(_, inner) | DataFusionError::Diagnostic(_, inner) => {
            datafusion_kind(inner)
        }
        DataFusionError::Shared(inner) => datafusion_kind(inner),
        DataFusionError::Collection(errs) => {
            errs.first().map_or(ErrorKind::Internal, datafusion_kind)
        }
        // What the planner refuses once every name is known: a statement it cannot make
        // sense of.
        DataFusionError::Plan(_) => ErrorKind::Syntax,
        _ => ErrorKind::Internal,
    }
}

fn numeric_kind(err: &NumericError) -> ErrorKind {
    match err {
        NumericError::IntegerOutOfRange(_)
        | NumericError::FloatOverflow
        | NumericError::FloatUnderflow => ErrorKind::NumericOutOfRange,
        NumericError::DivisionByZero => ErrorKind::DivisionByZero,
        NumericError::LogarithmOfZero | NumericError::LogarithmOfNegative => {
            ErrorKind::InvalidLogarithmArgument
        }
        NumericError::SquareRootOfNegative
        | NumericError::ZeroToNegativePower
        | NumericError::NegativeToFractionalPower => ErrorKind::InvalidPowerArgument,
    }
}

fn function_kind(err: &FunctionError) -> ErrorKind {
    match err {
        FunctionError::NullCharacter
        | FunctionError::CharacterTooLarge
        | FunctionError::RequestedLengthTooLarge => ErrorKind::LimitExceeded,
        FunctionError::NegativeSubstringLength => ErrorKind::SubstringError,
        FunctionError::DateOutOfRange(_) => ErrorKind::DatetimeFieldOverflow,
        FunctionError::UndefinedRelation(_) => ErrorKind::UndefinedTable,
        FunctionError::UndefinedFunction(_) => ErrorKind::UndefinedFunction,
        FunctionError::AmbiguousFunction(_) => ErrorKind::AmbiguousFunction,
        FunctionError::NtileNotPositive => ErrorKind::InvalidNtileArgument,
        FunctionError::PercentileOutOfRange(_) => ErrorKind::NumericOutOfRange,
        FunctionError::InvalidRegularExpression(_) => ErrorKind::InvalidRegularExpression,
        FunctionError::InvalidRegularExpressionFlag(_) => ErrorKind::InvalidParameter,
        FunctionError::InvalidEscapeString => ErrorKind::InvalidEscapeSequence,
        FunctionError::DifferentVectorDimensions(..)
        | FunctionError::ExpectedVectorDimensions(..)
        | FunctionError::EmptyVector
        | FunctionError::NonFiniteInVector(_) => ErrorKind::DataException,
        FunctionError::NullInVector => ErrorKind::NullValueNotAllowed,
        FunctionError::InvalidInput { .. } => ErrorKind::InvalidValue,
    }
}

fn graph_table_kind(err: &GraphTableError) -> ErrorKind {
    match err {
        GraphTableError::UnknownGraph { .. } | GraphTableError::UnknownLabel(_) => {
            ErrorKind::UndefinedObject
        }
        GraphTableError::WrongLabelKind { .. } => ErrorKind::WrongObjectType,
        GraphTableError::UnboundedPaths => ErrorKind::Syntax,
        GraphTableError::ConflictingVariable(_) => ErrorKind::DuplicateAlias,
        GraphTableError::DuplicateColumn(_) => ErrorKind::DuplicateColumn,
        GraphTableError::NotSupported(_) => ErrorKind::NotSupported,
    }
}

fn type_kind(err: &TypeError) -> ErrorKind {
    match err {
        TypeError::UndefinedType(_) => ErrorKind::UndefinedObject,
        TypeError::DatatypeMismatch(_) => ErrorKind::DatatypeMismatch,
        TypeError::UndefinedOperator(_) => ErrorKind::UndefinedFunction,
        TypeError::AmbiguousFunction(_) => ErrorKind::AmbiguousFunction,
        TypeError::InvalidInput { .. } => ErrorKind::InvalidValue,
        TypeError::InvalidTypeModifier(_) => ErrorKind::InvalidParameter,
        TypeError::OutOfRange { .. } | TypeError::NumericFieldOverflow => {
            ErrorKind::NumericOutOfRange
        }
    }
}

fn datetime_kind(err: &DatetimeError) -> ErrorKind {
    match err {
        DatetimeError::InvalidFormat { .. } | DatetimeError::TemplateMismatch(_) => {
            ErrorKind::InvalidDatetimeFormat
        }
        DatetimeError::FieldOverflow(_) => ErrorKind::DatetimeFieldOverflow,
        DatetimeError::UnitNotRecognized { .. } => ErrorKind::InvalidParameter,
        DatetimeError::NotSupported(_) => ErrorKind::NotSupported,
    }
}

/// The message without DataFusion's layers of prefixes around an engine error.
fn datafusion_message(err: &DataFusionError) -> String {
    if let Some(sql) = external_error::<SqlError>(err) {
        return sql.message.clone();
    }
    if let Some(numeric) = external_error::<NumericError>(err) {
        return numeric.to_string();
    }
    if let Some(function) = external_error::<FunctionError>(err) {
        return function.to_string();
    }
    if let Some(type_error) = external_error::<TypeError>(err) {
        return type_error.to_string();
    }
    if let Some(subquery) = external_error::<SubqueryError>(err) {
        return subquery.to_string();
    }
    if let Some(datetime) = external_error::<DatetimeError>(err) {
        return datetime.to_string();
    }
    match engine_error(err) {
        Some(engine) => engine.to_string(),
        None => err.to_string(),
    }
}

impl From<DataFusionError> for SqlError {
    fn from(err: DataFusionError) -> Self {
        match datafusion_kind(&err) {
            ErrorKind::DiskFull => disk_full(&err),
            kind => SqlError::new(kind, datafusion_message(&err)),
        }
    }
}

/// A write that ran out of space, in the operating system's words rather than the
/// storage layers' wrapping of them.
fn disk_full(err: &(dyn std::error::Error + 'static)) -> SqlError {
    let cause = omnigraph_engine::error::io_cause(err)
        .map(ToString::to_string)
        .unwrap_or_default();
    SqlError::new(
        ErrorKind::DiskFull,
        format!("could not write to storage: {cause}"),
    )
    .with_hint(
        "Check free disk space; CALL cleanup() removes old versions. The write changed nothing.",
    )
}
