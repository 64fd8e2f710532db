//! Text built for SQL: `format(template, ...)` and `quote_literal(text)`.

use std::sync::Arc;

use arrow::array::StringArray;
use arrow::datatypes::DataType;
use datafusion::common::{DataFusionError, Result as DFResult, ScalarValue};
use datafusion::logical_expr::{ColumnarValue, ScalarUDF, Volatility, create_udf};

use super::{CatalogFunction, ConnectionFacts, any_arguments, first_argument};

pub const FUNCTIONS: &[CatalogFunction] = &[
    CatalogFunction {
        name: "format",
        build: |name, _| any_arguments(name, DataType::Utf8, format_rows),
    },
    CatalogFunction {
        name: "quote_literal",
        build: quote_literals,
    },
];

fn quote_literals(name: &'static str, _: &ConnectionFacts) -> ScalarUDF {
    create_udf(
        name,
        vec![DataType::Utf8],
        DataType::Utf8,
        Volatility::Immutable,
        Arc::new(|args: &[ColumnarValue]| {
            let arrays = ColumnarValue::values_to_arrays(args)?;
            let texts: &StringArray = first_argument(&arrays, "quote_literal", "text")?;
            let quoted: StringArray = texts.iter().map(|t| t.map(quote_literal)).collect();
            Ok(ColumnarValue::Array(Arc::new(quoted)))
        }),
    )
}

/// `format(template, args...)` row by row.
fn format_rows(args: &[ColumnarValue]) -> DFResult<ColumnarValue> {
    let arrays = ColumnarValue::values_to_arrays(args)?;
    let Some((template, values)) = arrays.split_first() else {
        return Err(DataFusionError::Plan("format needs a template".into()));
    };
    let mut formatted = Vec::with_capacity(template.len());
    for row in 0..template.len() {
        let template = ScalarValue::try_from_array(template, row)?;
        let template = match template {
            t if t.is_null() => {
                formatted.push(None);
                continue;
            }
            ScalarValue::Utf8(Some(t))
            | ScalarValue::LargeUtf8(Some(t))
            | ScalarValue::Utf8View(Some(t)) => t,
            other => other.to_string(),
        };
        let row_values = values
            .iter()
            .map(|v| {
                let value = ScalarValue::try_from_array(v, row)?;
                Ok(match value {
                    v if v.is_null() => None,
                    ScalarValue::Utf8(Some(t))
                    | ScalarValue::LargeUtf8(Some(t))
                    | ScalarValue::Utf8View(Some(t)) => Some(t),
                    v => Some(v.to_string()),
                })
            })
            .collect::<DFResult<Vec<_>>>()?;
        formatted.push(Some(format_text(&template, &row_values)?));
    }
    Ok(ColumnarValue::Array(Arc::new(StringArray::from(formatted))))
}

/// PostgreSQL's `format`: `%s` (text, NULL as empty), `%I` (an identifier, quoted when
/// it must be), `%L` (a literal, NULL as `NULL`), `%%`, each optionally `%n$`-numbered.
fn format_text(template: &str, values: &[Option<String>]) -> DFResult<String> {
    let mut out = String::with_capacity(template.len());
    let mut chars = template.chars().peekable();
    let mut next_arg = 0;
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        if chars.peek() == Some(&'%') {
            chars.next();
            out.push('%');
            continue;
        }
        let mut digits = String::new();
        while let Some(d) = chars.peek().filter(|d| d.is_ascii_digit()) {
            digits.push(*d);
            chars.next();
        }
        let index = if digits.is_empty() {
            next_arg
        } else if chars.next() == Some('$') {
            digits
                .parse::<usize>()
                .ok()
                .and_then(|n| n.checked_sub(1))
                .ok_or_else(|| format_error("format: argument 0 does not exist"))?
        } else {
            return Err(format_error("format: field widths are not supported"));
        };
        let conversion = chars
            .next()
            .ok_or_else(|| format_error("format: unterminated format() type specifier"))?;
        let value = values
            .get(index)
            .ok_or_else(|| format_error("format: too few arguments"))?;
        next_arg = index + 1;
        match conversion {
            's' => out.push_str(value.as_deref().unwrap_or("")),
            'I' => match value {
                Some(v) => out.push_str(&quote_identifier(v)),
                None => {
                    return Err(format_error(
                        "format: null values cannot be formatted as an SQL identifier",
                    ));
                }
            },
            'L' => match value {
                Some(v) => out.push_str(&quote_literal(v)),
                None => out.push_str("NULL"),
            },
            other => {
                return Err(format_error(format!(
                    "format: unrecognized format() type specifier \"{other}\""
                )));
            }
        }
    }
    Ok(out)
}

/// A `format()` error: 22023, as PostgreSQL reports a bad template or argument list.
fn format_error(message: impl Into<String>) -> DataFusionError {
    DataFusionError::External(Box::new(omnigraph_sql::SqlError::new(
        omnigraph_sql::ErrorKind::InvalidParameter,
        message.into(),
    )))
}

/// An identifier as PostgreSQL's `quote_ident` writes it: bare when it is lower case
/// letters, digits and underscores not starting with a digit, else double-quoted.
fn quote_identifier(name: &str) -> String {
    let bare = name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if bare {
        name.to_string()
    } else {
        format!("\"{}\"", name.replace('"', "\"\""))
    }
}

/// PostgreSQL's `quote_literal`: single quotes doubled; a value with backslashes becomes
/// an `E'...'` string with them doubled.
fn quote_literal(text: &str) -> String {
    let body = text.replace('\'', "''");
    if body.contains('\\') {
        format!("E'{}'", body.replace('\\', "\\\\"))
    } else {
        format!("'{body}'")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn format_writes_like_postgres() {
        let v = |s: &str| Some(s.to_string());
        assert_eq!(
            format_text("%I.%I", &[v("public"), v("Person")]).unwrap(),
            "public.\"Person\""
        );
        assert_eq!(
            format_text("%s|%L|%L|%%", &[None, v("it's"), None]).unwrap(),
            "|'it''s'|NULL|%"
        );
        assert_eq!(format_text("%2$s %1$s", &[v("a"), v("b")]).unwrap(), "b a");
        assert!(format_text("%s %s", &[v("a")]).is_err());
        assert!(format_text("%x", &[v("a")]).is_err());
    }

    #[test]
    fn literals_quote_like_postgres() {
        assert_eq!(quote_literal("it's"), "'it''s'");
        assert_eq!(quote_literal("a\\b"), "E'a\\\\b'");
    }
}
