//! Arrays cast to text in PostgreSQL's `array_out` form (`{1,2}`, `{"a b",NULL}`,
//! `{{1,2},{3,4}}`), where Arrow's cast writes `[1, 2]`. Clients read the form back:
//! asyncpg's `copy_from_query` sends its array arguments through `$1::text`.

use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, AsArray, StringArray};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::DataType;
use datafusion::common::tree_node::Transformed;
use datafusion::common::{DFSchema, Result, ScalarValue, exec_err};
use datafusion::logical_expr::expr::ScalarFunction;
use datafusion::logical_expr::{
    Cast, ColumnarValue, Expr, ExprSchemable, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl,
    Signature, Volatility,
};

/// `array::text` (and to the other string types) as an [`ArrayOut`].
pub fn text_cast(expr: Expr, schema: &DFSchema) -> Result<Transformed<Expr>> {
    let Expr::Cast(Cast { expr: inner, field }) = &expr else {
        return Ok(Transformed::no(expr));
    };
    let target = field.data_type();
    if !matches!(
        target,
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View
    ) || !inner.get_type(schema).is_ok_and(|t| is_list(&t))
    {
        return Ok(Transformed::no(expr));
    }
    // `int2vector` and `oidvector` (`pg_index.indkey`) are written space-separated:
    // SQLAlchemy 1.4 splits `indkey::varchar` on spaces.
    let vector = inner.to_field(schema).is_ok_and(|(_, field)| {
        matches!(
            crate::pg_type::pg_type_of(&field),
            Some("int2vector" | "oidvector")
        )
    });
    let udf = Arc::new(ScalarUDF::new_from_impl(ArrayOut {
        signature: Signature::any(1, Volatility::Immutable),
        vector,
    }));
    let text = Expr::ScalarFunction(ScalarFunction::new_udf(udf, vec![inner.as_ref().clone()]));
    Ok(Transformed::yes(match target {
        DataType::Utf8 => text,
        _ => Expr::Cast(Cast::new(Box::new(text), target.clone())),
    }))
}

fn is_list(data_type: &DataType) -> bool {
    matches!(
        data_type,
        DataType::List(_) | DataType::LargeList(_) | DataType::FixedSizeList(..)
    )
}

/// PostgreSQL's `array_out`: an array value as text; a vector's (`int2vectorout`) is its
/// elements separated by spaces.
#[derive(Debug, PartialEq, Eq, Hash)]
struct ArrayOut {
    signature: Signature,
    vector: bool,
}

impl ScalarUDFImpl for ArrayOut {
    fn name(&self) -> &str {
        match self.vector {
            true => "vector_out",
            false => "array_out",
        }
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Utf8)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let [value] = args.args.as_slice() else {
            return exec_err!("array_out takes one argument");
        };
        let scalar = matches!(value, ColumnarValue::Scalar(_));
        let arrays = value.to_array(args.number_rows.max(1))?;
        let mut texts = Vec::with_capacity(arrays.len());
        for row in 0..arrays.len() {
            texts.push(match arrays.is_null(row) {
                true => None,
                false if self.vector => Some(vector_text(&list_values(&arrays, row))?),
                false => Some(array_text(&list_values(&arrays, row))?),
            });
        }
        let texts: ArrayRef = Arc::new(StringArray::from(texts));
        Ok(match scalar {
            true => ColumnarValue::Scalar(ScalarValue::try_from_array(&texts, 0)?),
            false => ColumnarValue::Array(texts),
        })
    }
}

/// A vector's elements (numbers, never NULL) separated by spaces.
fn vector_text(elements: &ArrayRef) -> Result<String> {
    let texts = cast(elements, &DataType::Utf8)?;
    let texts = texts.as_string::<i32>();
    Ok(texts.iter().flatten().collect::<Vec<_>>().join(" "))
}

fn list_values(array: &ArrayRef, row: usize) -> ArrayRef {
    match array.data_type() {
        DataType::LargeList(_) => array.as_list::<i64>().value(row),
        DataType::FixedSizeList(..) => array.as_fixed_size_list().value(row),
        _ => array.as_list::<i32>().value(row),
    }
}

/// `{e1,e2,...}` of one array's elements; inner arrays nest unquoted.
fn array_text(elements: &ArrayRef) -> Result<String> {
    let mut out = String::from("{");
    let nested = is_list(elements.data_type());
    let texts = match nested {
        true => None,
        false => Some(element_texts(elements)?),
    };
    for row in 0..elements.len() {
        if row > 0 {
            out.push(',');
        }
        if elements.is_null(row) {
            out.push_str("NULL");
        } else if nested {
            out.push_str(&array_text(&list_values(elements, row))?);
        } else if let Some(texts) = &texts {
            quoted_element(&mut out, texts.value(row));
        }
    }
    out.push('}');
    Ok(out)
}

/// The elements' own text forms: booleans as `t`/`f` and timestamps with a blank between
/// date and time, as PostgreSQL's output functions write them.
fn element_texts(elements: &ArrayRef) -> Result<StringArray> {
    let texts = match elements.data_type() {
        DataType::Boolean => elements
            .as_boolean()
            .iter()
            .map(|b| b.map(|b| if b { "t" } else { "f" }))
            .collect(),
        DataType::Timestamp(..) => {
            let texts = cast(elements, &DataType::Utf8)?;
            texts
                .as_string::<i32>()
                .iter()
                .map(|t| t.map(|t| t.replacen('T', " ", 1)))
                .collect()
        }
        _ => {
            let texts = cast(elements, &DataType::Utf8)?;
            texts.as_string::<i32>().clone()
        }
    };
    Ok(texts)
}

/// An element as `array_out` writes it: quoted when it is empty, reads as `NULL`, or holds
/// a blank or one of `{},"\`; quotes and backslashes escaped inside quotes.
fn quoted_element(out: &mut String, element: &str) {
    let needs_quotes = element.is_empty()
        || element.eq_ignore_ascii_case("NULL")
        || element.chars().any(|c| {
            matches!(c, '{' | '}' | ',' | '"' | '\\')
                || matches!(c, ' ' | '\t' | '\n' | '\r' | '\x0b' | '\x0c')
        });
    if !needs_quotes {
        out.push_str(element);
        return;
    }
    out.push('"');
    for c in element.chars() {
        if matches!(c, '"' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::arrow::array::{Int64Array, ListArray};
    use datafusion::arrow::buffer::OffsetBuffer;
    use datafusion::arrow::datatypes::{Field, Int64Type};

    #[test]
    fn arrays_as_array_out_writes_them() {
        let ints: ArrayRef = Arc::new(Int64Array::from(vec![Some(1), None, Some(3)]));
        assert_eq!(array_text(&ints).unwrap(), "{1,NULL,3}");
        let texts: ArrayRef = Arc::new(StringArray::from(vec![
            Some("a b"),
            None,
            Some("NULL"),
            Some(""),
            Some("say \"hi\""),
            Some("plain"),
        ]));
        assert_eq!(
            array_text(&texts).unwrap(),
            r#"{"a b",NULL,"NULL","","say \"hi\"",plain}"#
        );
        let inner = ListArray::from_iter_primitive::<Int64Type, _, _>(vec![
            Some(vec![Some(1), Some(2)]),
            Some(vec![Some(3), Some(4)]),
        ]);
        let nested: ArrayRef = Arc::new(ListArray::new(
            Arc::new(Field::new_list_field(inner.data_type().clone(), true)),
            OffsetBuffer::from_lengths([2]),
            Arc::new(inner),
            None,
        ));
        assert_eq!(
            array_text(&list_values(&nested, 0)).unwrap(),
            "{{1,2},{3,4}}"
        );
        let empty: ArrayRef = Arc::new(Int64Array::from(Vec::<i64>::new()));
        assert_eq!(array_text(&empty).unwrap(), "{}");
    }
}
