//! PostgreSQL's `like_escape(pattern, escape)`: a `LIKE` pattern written with another
//! escape character, rewritten with backslash (the only escape DataFusion's `LIKE`
//! knows). `x LIKE p ESCAPE '!'` is `x LIKE like_escape(p, '!')`; an empty escape
//! turns escaping off, so every backslash becomes a literal one; an escape string of
//! more than one character is 22025.

use std::sync::Arc;

use datafusion::arrow::array::{Array, AsArray, StringBuilder};
use datafusion::arrow::datatypes::DataType;
use datafusion::common::Result;
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};

use super::errors::FunctionError;
use super::registry::{argument, result};

pub fn like_escape() -> ScalarUDF {
    ScalarUDF::new_from_impl(LikeEscape {
        signature: Signature::string(2, Volatility::Immutable),
    })
}

#[derive(Debug, PartialEq, Eq, Hash)]
struct LikeEscape {
    signature: Signature,
}

/// `pattern` with `escape` (None: no escape character) written with backslash escapes.
pub fn with_backslash_escapes(pattern: &str, escape: Option<char>) -> String {
    let mut out = String::with_capacity(pattern.len() + 4);
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        if Some(c) == escape {
            // A trailing escape stays a trailing escape, as PostgreSQL keeps it: the
            // match fails (or errors) where the pattern reaches it.
            out.push('\\');
            if let Some(escaped) = chars.next() {
                out.push(escaped);
            }
        } else if c == '\\' {
            out.push_str("\\\\");
        } else {
            out.push(c);
        }
    }
    out
}

/// The escape character an `ESCAPE` string names: none for `''`, one character, or 22025.
pub fn escape_character(escape: &str) -> Result<Option<char>, FunctionError> {
    let mut chars = escape.chars();
    match (chars.next(), chars.next()) {
        (None, _) => Ok(None),
        (Some(c), None) => Ok(Some(c)),
        _ => Err(FunctionError::InvalidEscapeString),
    }
}

impl ScalarUDFImpl for LikeEscape {
    fn name(&self) -> &str {
        "like_escape"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Utf8)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let patterns = argument(&args, 0, &DataType::Utf8)?;
        let escapes = argument(&args, 1, &DataType::Utf8)?;
        let (patterns, escapes) = (patterns.as_string::<i32>(), escapes.as_string::<i32>());
        let mut out = StringBuilder::with_capacity(patterns.len(), patterns.value_data().len());
        for i in 0..patterns.len() {
            if patterns.is_null(i) || escapes.is_null(i) {
                out.append_null();
                continue;
            }
            let escape = escape_character(escapes.value(i))?;
            out.append_value(with_backslash_escapes(patterns.value(i), escape));
        }
        result(&args.args, Arc::new(out.finish()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_are_rewritten_as_postgresql_rewrites_them() {
        assert_eq!(
            with_backslash_escapes("a\\b!!c!_", Some('!')),
            "a\\\\b\\!c\\_"
        );
        assert_eq!(with_backslash_escapes("a\\_", None), "a\\\\_");
        assert_eq!(with_backslash_escapes("abc!", Some('!')), "abc\\");
        assert_eq!(
            escape_character("!!"),
            Err(FunctionError::InvalidEscapeString)
        );
        assert_eq!(escape_character(""), Ok(None));
    }
}
