//! PostgreSQL's regular-expression functions DataFusion lacks: `substring(text FROM
//! pattern)` (the first parenthesized group's match, or the whole match) and
//! `regexp_split_to_array`. Patterns compile with Rust's `regex`, which reads the
//! common part of PostgreSQL's advanced regular expressions alike (classes, `\d`, `\s`,
//! `\w`, groups, quantifiers); back references and lookaround are refused (2201B).

use std::collections::HashMap;
use std::sync::Arc;

use ::regex::{Regex, RegexBuilder};
use datafusion::arrow::array::{Array, AsArray, ListBuilder, StringArray, StringBuilder};
use datafusion::arrow::datatypes::{DataType, Field};
use datafusion::common::{Result, plan_err};
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};

use super::errors::FunctionError;
use super::registry::{argument, result};

/// The regular-expression functions, to register over DataFusion's.
pub fn functions() -> Vec<ScalarUDF> {
    vec![
        substring(),
        ScalarUDF::new_from_impl(RegexpSplitToArray {
            signature: Signature::user_defined(Volatility::Immutable),
        }),
    ]
}

/// PostgreSQL's `substring`: by position and length (`substr`, which refuses a negative
/// length) or by pattern.
pub fn substring() -> ScalarUDF {
    ScalarUDF::new_from_impl(Substring {
        substr: Arc::new(super::text::substr()),
        signature: Signature::user_defined(Volatility::Immutable),
    })
}

/// Compiles PostgreSQL regular expressions, each distinct pattern once per batch.
#[derive(Default)]
struct Patterns {
    compiled: HashMap<(String, String), Regex>,
}

impl Patterns {
    fn get(&mut self, pattern: &str, flags: &str) -> Result<&Regex> {
        let key = (pattern.to_string(), flags.to_string());
        if !self.compiled.contains_key(&key) {
            let regex = compile(pattern, flags)?;
            self.compiled.insert(key.clone(), regex);
        }
        Ok(&self.compiled[&key])
    }
}

/// `pattern` under PostgreSQL's option letters `flags` (`g` is the caller's to handle).
fn compile(pattern: &str, flags: &str) -> Result<Regex> {
    let mut builder = RegexBuilder::new(pattern);
    for flag in flags.chars() {
        match flag {
            'i' => builder.case_insensitive(true),
            'c' => builder.case_insensitive(false),
            'n' | 'm' => builder.multi_line(true).dot_matches_new_line(false),
            's' => builder.multi_line(false).dot_matches_new_line(true),
            'x' => builder.ignore_whitespace(true),
            'g' => &mut builder,
            other => return Err(FunctionError::InvalidRegularExpressionFlag(other).into()),
        };
    }
    // PostgreSQL's `.` matches a newline unless newline-sensitive.
    if !flags.contains(['n', 'm']) {
        builder.dot_matches_new_line(true);
    }
    builder
        .build()
        .map_err(|e| FunctionError::InvalidRegularExpression(e.to_string()).into())
}

#[derive(Debug, PartialEq, Eq, Hash)]
struct Substring {
    substr: Arc<ScalarUDF>,
    signature: Signature,
}

fn is_text(t: &DataType) -> bool {
    matches!(
        t,
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View | DataType::Null
    )
}

impl ScalarUDFImpl for Substring {
    fn name(&self) -> &str {
        "substring"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        match arg_types {
            [_, pattern] if is_text(pattern) && !pattern.is_null() => {
                Ok(vec![DataType::Utf8, DataType::Utf8])
            }
            [_, start] if start.is_integer() || start.is_null() => {
                Ok(vec![DataType::Utf8, DataType::Int64])
            }
            [_, start, count]
                if (start.is_integer() || start.is_null())
                    && (count.is_integer() || count.is_null()) =>
            {
                Ok(vec![DataType::Utf8, DataType::Int64, DataType::Int64])
            }
            _ => plan_err!("function substring({arg_types:?}) does not exist"),
        }
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Utf8)
    }

    fn invoke_with_args(&self, mut args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        if args.args.len() == 2 && args.args[1].data_type() == DataType::Utf8 {
            return substring_by_pattern(args);
        }
        // DataFusion's `substr` answers in string views.
        args.return_field = Arc::new(Field::new(self.name(), DataType::Utf8View, true));
        self.substr
            .invoke_with_args(args)?
            .cast_to(&DataType::Utf8, None)
    }
}

/// The part of the text the first group matched, or the whole match without groups.
fn substring_by_pattern(args: ScalarFunctionArgs) -> Result<ColumnarValue> {
    let texts = argument(&args, 0, &DataType::Utf8)?;
    let patterns = argument(&args, 1, &DataType::Utf8)?;
    let mut compiled = Patterns::default();
    let mut out = StringBuilder::new();
    for (text, pattern) in texts
        .as_string::<i32>()
        .iter()
        .zip(patterns.as_string::<i32>().iter())
    {
        let (Some(text), Some(pattern)) = (text, pattern) else {
            out.append_null();
            continue;
        };
        let regex = compiled.get(pattern, "")?;
        let found = regex.captures(text).and_then(|c| match c.len() {
            1 => c.get(0),
            _ => c.get(1),
        });
        out.append_option(found.map(|m| m.as_str()));
    }
    result(&args.args, Arc::new(out.finish()))
}

/// `regexp_split_to_array(text, pattern [, flags])`.
#[derive(Debug, PartialEq, Eq, Hash)]
struct RegexpSplitToArray {
    signature: Signature,
}

impl ScalarUDFImpl for RegexpSplitToArray {
    fn name(&self) -> &str {
        "regexp_split_to_array"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        match arg_types.len() {
            2 | 3 if arg_types.iter().all(is_text) => Ok(vec![DataType::Utf8; arg_types.len()]),
            _ => plan_err!("function regexp_split_to_array({arg_types:?}) does not exist"),
        }
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::List(Arc::new(Field::new_list_field(
            DataType::Utf8,
            true,
        ))))
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let texts = argument(&args, 0, &DataType::Utf8)?;
        let patterns = argument(&args, 1, &DataType::Utf8)?;
        let flags = match args.args.len() {
            3 => argument(&args, 2, &DataType::Utf8)?,
            _ => Arc::new(StringArray::from(vec![Some(""); args.number_rows])),
        };
        let mut compiled = Patterns::default();
        let mut out = ListBuilder::new(StringBuilder::new());
        for ((text, pattern), flags) in texts
            .as_string::<i32>()
            .iter()
            .zip(patterns.as_string::<i32>().iter())
            .zip(flags.as_string::<i32>().iter())
        {
            let (Some(text), Some(pattern), Some(flags)) = (text, pattern, flags) else {
                out.append_null();
                continue;
            };
            if flags.contains('g') {
                return Err(FunctionError::InvalidRegularExpressionFlag('g').into());
            }
            for piece in split(compiled.get(pattern, flags)?, text) {
                out.values().append_value(piece);
            }
            out.append(true);
        }
        let values: Arc<dyn Array> = Arc::new(out.finish());
        result(&args.args, values)
    }
}

/// The pieces of `text` between the matches of `regex`, as PostgreSQL splits: an empty
/// match at the end of the text or right after the previous match splits nothing.
fn split<'t>(regex: &Regex, text: &'t str) -> Vec<&'t str> {
    let mut pieces = vec![];
    let mut previous_end = 0;
    let mut search = 0;
    while search <= text.len() {
        let Some(found) = regex.find_at(text, search) else {
            break;
        };
        if found.start() < text.len() && found.end() > previous_end {
            pieces.push(&text[previous_end..found.start()]);
            previous_end = found.end();
        }
        search = match found.is_empty() {
            true => match text[found.end()..].chars().next() {
                Some(c) => found.end() + c.len_utf8(),
                None => break,
            },
            false => found.end(),
        };
    }
    pieces.push(&text[previous_end..]);
    pieces
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_as_postgresql() {
        let comma = compile(r",\s*", "").unwrap();
        assert_eq!(split(&comma, "a, b,c"), ["a", "b", "c"]);
        assert_eq!(split(&comma, ",a,"), ["", "a", ""]);
        let blanks = compile(r"\s*", "").unwrap();
        assert_eq!(split(&blanks, "ab c"), ["a", "b", "c"]);
        assert_eq!(split(&comma, ""), [""]);
    }

    #[test]
    fn unknown_flags_and_bad_patterns_are_refused() {
        assert!(compile("a", "q").is_err());
        assert!(compile("(", "").is_err());
        assert!(compile("A", "i").unwrap().is_match("a"));
    }
}
