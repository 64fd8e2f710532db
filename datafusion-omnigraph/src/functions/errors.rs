//! What PostgreSQL's built-in functions refuse, as typed errors a front end maps to
//! SQLSTATEs.

use std::fmt;

use datafusion::error::DataFusionError;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FunctionError {
    /// 54000: `chr(0)`, or a code point that is no character.
    NullCharacter,
    /// 54000: `chr` of a code point beyond Unicode.
    CharacterTooLarge,
    /// 54000: `lpad`, `rpad` or `repeat` asked for a text longer than a value may be.
    RequestedLengthTooLarge,
    /// 22011: `substr` with a negative length.
    NegativeSubstringLength,
    /// 22008: `make_date` of a day that does not exist (the date, as PostgreSQL shows it).
    DateOutOfRange(String),
    /// 42P01: `'x'::regclass` of a relation that does not exist.
    UndefinedRelation(String),
    /// 42883: `'f'::regproc` or `'f(int)'::regprocedure` of a function that does not exist.
    UndefinedFunction(String),
    /// 42725: `'f'::regproc` of a name several functions have.
    AmbiguousFunction(String),
    /// 22014: `ntile` of zero or fewer buckets.
    NtileNotPositive,
    /// 22003: a `percentile_disc` fraction outside 0..1.
    PercentileOutOfRange(String),
    /// 2201B: a regular expression that does not compile (the compiler's reason).
    InvalidRegularExpression(String),
    /// 22023: a regular expression flag PostgreSQL does not know.
    InvalidRegularExpressionFlag(char),
    /// 22025: an `ESCAPE` string longer than one character.
    InvalidEscapeString,
    /// 22000: two vectors of different lengths given to a distance (their lengths).
    DifferentVectorDimensions(usize, usize),
    /// 22000: a value cast to `vector(n)` with another number of elements (n, its own).
    ExpectedVectorDimensions(usize, usize),
    /// 22000: vector text with no element (`'[]'`).
    EmptyVector,
    /// 22000: a NaN (`true`) or infinite element in a vector.
    NonFiniteInVector(bool),
    /// 22004: an array with a NULL element used as a vector.
    NullInVector,
    /// 22P02: text that is not a value of the type (`json`, `uuid`), and the text.
    InvalidInput {
        type_name: &'static str,
        value: String,
    },
}

impl fmt::Display for FunctionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FunctionError::NullCharacter => f.write_str("null character not permitted"),
            FunctionError::CharacterTooLarge => {
                f.write_str("requested character too large for encoding")
            }
            FunctionError::RequestedLengthTooLarge => f.write_str("requested length too large"),
            FunctionError::NegativeSubstringLength => {
                f.write_str("negative substring length not allowed")
            }
            FunctionError::DateOutOfRange(date) => {
                write!(f, "date field value out of range: {date}")
            }
            FunctionError::UndefinedRelation(name) => {
                write!(f, "relation \"{name}\" does not exist")
            }
            FunctionError::UndefinedFunction(name) => {
                write!(f, "function \"{name}\" does not exist")
            }
            FunctionError::AmbiguousFunction(name) => {
                write!(f, "more than one function named \"{name}\"")
            }
            FunctionError::NtileNotPositive => {
                f.write_str("argument of ntile must be greater than zero")
            }
            FunctionError::PercentileOutOfRange(value) => {
                write!(f, "percentile value {value} is not between 0 and 1")
            }
            FunctionError::InvalidRegularExpression(reason) => {
                write!(f, "invalid regular expression: {reason}")
            }
            FunctionError::InvalidRegularExpressionFlag(flag) => {
                write!(f, "invalid regular expression option: \"{flag}\"")
            }
            FunctionError::InvalidEscapeString => {
                f.write_str("invalid escape string: Escape string must be empty or one character.")
            }
            FunctionError::DifferentVectorDimensions(a, b) => {
                write!(f, "different vector dimensions {a} and {b}")
            }
            FunctionError::ExpectedVectorDimensions(n, got) => {
                write!(f, "expected {n} dimensions, not {got}")
            }
            FunctionError::EmptyVector => f.write_str("vector must have at least 1 dimension"),
            FunctionError::NonFiniteInVector(true) => f.write_str("NaN not allowed in vector"),
            FunctionError::NonFiniteInVector(false) => {
                f.write_str("infinite value not allowed in vector")
            }
            FunctionError::NullInVector => f.write_str("array must not contain nulls"),
            FunctionError::InvalidInput { type_name, value } => {
                write!(f, "invalid input syntax for type {type_name}: \"{value}\"")
            }
        }
    }
}

impl std::error::Error for FunctionError {}

impl From<FunctionError> for DataFusionError {
    fn from(err: FunctionError) -> Self {
        DataFusionError::External(Box::new(err))
    }
}
