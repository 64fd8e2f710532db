//! PostgreSQL's text form of arrays (`{a,"b c",NULL}`) read as `array_in` reads it: the
//! parser behind array parameters sent as text and behind casts of text to array types
//! (`'{a,b}'::text[]`, `column::int[]`), which Arrow's cast would take as one element.

use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, AsArray, ListArray, StringArray};
use datafusion::arrow::buffer::OffsetBuffer;
use datafusion::arrow::compute::{CastOptions, cast, cast_with_options};
use datafusion::arrow::datatypes::{DataType, FieldRef};
use datafusion::common::tree_node::Transformed;
use datafusion::common::utils::SingleRowListArrayBuilder;
use datafusion::common::{DFSchema, Result, ScalarValue, exec_err};
use datafusion::logical_expr::expr::ScalarFunction;
use datafusion::logical_expr::{
    Cast, ColumnarValue, Expr, ExprSchemable, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl,
    Signature, Volatility,
};

use super::error::TypeError;

/// `'{...}'::t[]` of a string literal as the array literal PostgreSQL reads from it.
pub fn literal_cast(expr: Expr) -> Result<Transformed<Expr>> {
    let Expr::Cast(Cast { expr: inner, field }) = &expr else {
        return Ok(Transformed::no(expr));
    };
    let DataType::List(element) = field.data_type() else {
        return Ok(Transformed::no(expr));
    };
    let text = match inner.as_ref() {
        Expr::Literal(
            ScalarValue::Utf8(Some(text))
            | ScalarValue::Utf8View(Some(text))
            | ScalarValue::LargeUtf8(Some(text)),
            _,
        ) => text.clone(),
        _ => return Ok(Transformed::no(expr)),
    };
    let malformed = || TypeError::InvalidInput {
        type_name: "array",
        value: text.clone(),
    };
    let elements = parse_text_array(&text).map_err(|_| malformed())?;
    let strings = StringArray::from(elements);
    let options = CastOptions {
        safe: false,
        ..Default::default()
    };
    let values = cast_with_options(&strings, element.data_type(), &options).map_err(|_| {
        TypeError::InvalidInput {
            type_name: "array element",
            value: text.clone(),
        }
    })?;
    let list = SingleRowListArrayBuilder::new(values)
        .with_nullable(element.is_nullable())
        .with_field_name(Some(element.name().clone()))
        .build_list_scalar();
    Ok(Transformed::yes(Expr::Literal(list, None)))
}

/// `text_expr::t[]` of a string that is not a literal as an [`ArrayIn`], read row by row.
pub fn column_cast(expr: Expr, schema: &DFSchema) -> Result<Transformed<Expr>> {
    let Expr::Cast(Cast { expr: inner, field }) = &expr else {
        return Ok(Transformed::no(expr));
    };
    let DataType::List(element) = field.data_type() else {
        return Ok(Transformed::no(expr));
    };
    let is_text = inner
        .get_type(schema)
        .is_ok_and(|t| matches!(t, DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View));
    if !is_text || matches!(inner.as_ref(), Expr::Literal(..)) {
        return Ok(Transformed::no(expr));
    }
    let udf = Arc::new(ScalarUDF::new_from_impl(ArrayIn {
        element: Arc::clone(element),
        signature: Signature::any(1, Volatility::Immutable),
    }));
    Ok(Transformed::yes(Expr::ScalarFunction(
        ScalarFunction::new_udf(udf, vec![inner.as_ref().clone()]),
    )))
}

/// PostgreSQL's `array_in`: text read as an array of `element`.
#[derive(Debug, PartialEq, Eq, Hash)]
struct ArrayIn {
    element: FieldRef,
    signature: Signature,
}

impl ScalarUDFImpl for ArrayIn {
    fn name(&self) -> &str {
        "array_in"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::List(Arc::clone(&self.element)))
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let [value] = args.args.as_slice() else {
            return exec_err!("array_in takes one argument");
        };
        let scalar = matches!(value, ColumnarValue::Scalar(_));
        let texts = cast(&value.to_array(args.number_rows.max(1))?, &DataType::Utf8)?;
        let texts = texts.as_string::<i32>();
        let mut elements: Vec<Option<String>> = Vec::new();
        let mut lengths = Vec::with_capacity(texts.len());
        for text in texts.iter() {
            let Some(text) = text else {
                lengths.push(0);
                continue;
            };
            let parsed = parse_text_array(text).map_err(|_| TypeError::InvalidInput {
                type_name: "array",
                value: text.to_string(),
            })?;
            lengths.push(parsed.len());
            elements.extend(parsed);
        }
        let strings = StringArray::from(elements);
        let options = CastOptions {
            safe: false,
            ..Default::default()
        };
        let values =
            cast_with_options(&strings, self.element.data_type(), &options).map_err(|_| {
                TypeError::InvalidInput {
                    type_name: "array element",
                    value: strings.iter().flatten().collect::<Vec<_>>().join(","),
                }
            })?;
        let lists: ArrayRef = Arc::new(ListArray::try_new(
            Arc::clone(&self.element),
            OffsetBuffer::from_lengths(lengths),
            values,
            texts.nulls().cloned(),
        )?);
        Ok(match scalar {
            true => ColumnarValue::Scalar(ScalarValue::try_from_array(&lists, 0)?),
            false => ColumnarValue::Array(lists),
        })
    }
}

/// The elements of a one-dimensional array in PostgreSQL's text form (`{a,"b c",NULL}`),
/// `None` for an unquoted NULL.
pub fn parse_text_array(text: &str) -> Result<Vec<Option<String>>, String> {
    let malformed = || format!("malformed array literal: \"{text}\"");
    let trimmed = text.trim();
    // An explicit lower bound (`[0:1]={a,b}`) only moves subscripts; the values stand.
    let trimmed = match trimmed.strip_prefix('[') {
        Some(_) => trimmed.split_once('=').ok_or_else(malformed)?.1.trim(),
        None => trimmed,
    };
    let inner = trimmed
        .strip_prefix('{')
        .and_then(|t| t.strip_suffix('}'))
        .ok_or_else(malformed)?;
    let mut elements = Vec::new();
    if inner.trim().is_empty() {
        return Ok(elements);
    }
    let mut chars = inner.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        let mut value = String::new();
        let mut quoted = false;
        let mut any_quotes = false;
        let mut trailing_space = 0;
        loop {
            match chars.peek().copied() {
                None | Some(',') if !quoted => break,
                None => return Err(malformed()),
                Some('{') | Some('}') if !quoted => {
                    return Err("multidimensional array parameters are not supported".into());
                }
                Some('"') => {
                    chars.next();
                    quoted = !quoted;
                    any_quotes = true;
                    trailing_space = 0;
                    // Text after a closing quote other than spaces is malformed.
                    if !quoted {
                        while chars.peek().is_some_and(|c| c.is_whitespace()) {
                            chars.next();
                        }
                        if chars.peek().is_some_and(|c| *c != ',') {
                            return Err(malformed());
                        }
                    }
                }
                Some('\\') => {
                    chars.next();
                    value.push(chars.next().ok_or_else(malformed)?);
                    any_quotes = true;
                    trailing_space = 0;
                }
                Some(c) => {
                    chars.next();
                    value.push(c);
                    trailing_space = if !quoted && c.is_whitespace() {
                        trailing_space + c.len_utf8()
                    } else {
                        0
                    };
                }
            }
        }
        value.truncate(value.len() - trailing_space);
        if !any_quotes && value.eq_ignore_ascii_case("NULL") {
            elements.push(None);
        } else {
            elements.push(Some(value));
        }
        if chars.next().is_none() {
            break;
        }
    }
    Ok(elements)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(text: &str) -> Vec<Option<String>> {
        parse_text_array(text).unwrap()
    }

    #[test]
    fn text_arrays_as_array_in_reads_them() {
        let s = |v: &str| Some(v.to_string());
        assert_eq!(parsed("{}"), vec![]);
        assert_eq!(parsed("{a,b}"), vec![s("a"), s("b")]);
        assert_eq!(parsed("{\"a,b\",c}"), vec![s("a,b"), s("c")]);
        assert_eq!(parsed("{NULL,\"NULL\",null}"), vec![None, s("NULL"), None]);
        assert_eq!(parsed("{\"\",x}"), vec![s(""), s("x")]);
        assert_eq!(parsed("{ a b , c }"), vec![s("a b"), s("c")]);
        assert_eq!(
            parsed(r#"{"say \"hi\"",a\,b}"#),
            vec![s("say \"hi\""), s("a,b")]
        );
        assert_eq!(parsed("[0:1]={1,2}"), vec![s("1"), s("2")]);
        assert!(parse_text_array("{{1,2},{3,4}}").is_err());
        assert!(parse_text_array("1,2").is_err());
    }
}
