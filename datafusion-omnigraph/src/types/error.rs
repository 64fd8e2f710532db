//! What PostgreSQL refuses about types, as typed errors (mapped to SQLSTATEs by the
//! front end).

use std::fmt;

use datafusion::error::DataFusionError;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TypeError {
    /// 42704: `type "x" does not exist`.
    UndefinedType(String),
    /// 42804: `UNION types boolean and integer cannot be matched`, `CASE types ...`.
    DatatypeMismatch(String),
    /// 42883: `operator does not exist: boolean = integer`.
    UndefinedOperator(String),
    /// 42725: `function sum(unknown) is not unique`: an untyped NULL where several
    /// argument types would do.
    AmbiguousFunction(String),
    /// 22P02: `invalid input syntax for type integer: "abc"`.
    InvalidInput {
        type_name: &'static str,
        value: String,
    },
    /// 22003: `value "x" is out of range for type bigint`.
    OutOfRange {
        type_name: &'static str,
        value: String,
    },
    /// 22003: `numeric field overflow`.
    NumericFieldOverflow,
    /// 22023: a type's modifier it cannot take (`vector(0)`), and why.
    InvalidTypeModifier(String),
}

impl fmt::Display for TypeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TypeError::UndefinedType(name) => write!(f, "type \"{name}\" does not exist"),
            TypeError::DatatypeMismatch(message) | TypeError::UndefinedOperator(message) => {
                f.write_str(message)
            }
            TypeError::InvalidInput { type_name, value } => {
                write!(f, "invalid input syntax for type {type_name}: \"{value}\"")
            }
            TypeError::OutOfRange { type_name, value } => {
                write!(f, "value \"{value}\" is out of range for type {type_name}")
            }
            TypeError::NumericFieldOverflow => f.write_str("numeric field overflow"),
            TypeError::InvalidTypeModifier(message) => f.write_str(message),
            TypeError::AmbiguousFunction(call) => write!(f, "function {call} is not unique"),
        }
    }
}

impl std::error::Error for TypeError {}

impl From<TypeError> for DataFusionError {
    fn from(err: TypeError) -> Self {
        DataFusionError::External(Box::new(err))
    }
}
