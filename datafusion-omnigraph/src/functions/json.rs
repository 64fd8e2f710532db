//! `json_agg`: the values of a group as a JSON array, in the order its `ORDER BY` asks.
//! It is DataFusion's `array_agg` (which keeps that order through partial aggregation)
//! with the array written as PostgreSQL's `json` text, tagged `json` for the wire.

use std::fmt::Write;
use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, AsArray};
use datafusion::arrow::datatypes::{DataType, Field, FieldRef};
use datafusion::common::{Result, ScalarValue};
use datafusion::logical_expr::function::{AccumulatorArgs, StateFieldsArgs};
use datafusion::logical_expr::udf_eq::UdfEq;
use datafusion::logical_expr::utils::AggregateOrderSensitivity;
use datafusion::logical_expr::{
    Accumulator, AggregateUDF, AggregateUDFImpl, ReversedUDAF, Signature,
};

use crate::pg_type::with_pg_type;

/// `json_agg`, to register beside DataFusion's aggregates.
pub fn aggregates() -> Vec<AggregateUDF> {
    let array_agg = datafusion::functions_aggregate::array_agg::array_agg_udaf();
    vec![AggregateUDF::new_from_shared_impl(Arc::new(JsonAgg {
        array_agg: Arc::clone(array_agg.inner()).into(),
    }))]
}

#[derive(Debug, PartialEq, Eq, Hash)]
struct JsonAgg {
    array_agg: UdfEq<Arc<dyn AggregateUDFImpl>>,
}

impl AggregateUDFImpl for JsonAgg {
    fn name(&self) -> &str {
        "json_agg"
    }

    fn signature(&self) -> &Signature {
        self.array_agg.signature()
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Utf8)
    }

    fn return_field(&self, _arg_fields: &[FieldRef]) -> Result<FieldRef> {
        Ok(Arc::new(with_pg_type(
            Field::new(self.name(), DataType::Utf8, true),
            "json",
        )))
    }

    fn accumulator(&self, args: AccumulatorArgs) -> Result<Box<dyn Accumulator>> {
        Ok(Box::new(JsonAggAccumulator {
            array_agg: self.array_agg.accumulator(args)?,
        }))
    }

    fn state_fields(&self, args: StateFieldsArgs) -> Result<Vec<FieldRef>> {
        self.array_agg.state_fields(args)
    }

    fn with_beneficial_ordering(
        self: Arc<Self>,
        beneficial_ordering: bool,
    ) -> Result<Option<Arc<dyn AggregateUDFImpl>>> {
        let array_agg =
            Arc::clone(&*self.array_agg).with_beneficial_ordering(beneficial_ordering)?;
        Ok(array_agg.map(|array_agg| {
            Arc::new(JsonAgg {
                array_agg: array_agg.into(),
            }) as _
        }))
    }

    fn order_sensitivity(&self) -> AggregateOrderSensitivity {
        self.array_agg.order_sensitivity()
    }

    fn reverse_expr(&self) -> ReversedUDAF {
        ReversedUDAF::NotSupported
    }
}

#[derive(Debug)]
struct JsonAggAccumulator {
    array_agg: Box<dyn Accumulator>,
}

impl Accumulator for JsonAggAccumulator {
    fn update_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        self.array_agg.update_batch(values)
    }

    fn merge_batch(&mut self, states: &[ArrayRef]) -> Result<()> {
        self.array_agg.merge_batch(states)
    }

    fn state(&mut self) -> Result<Vec<ScalarValue>> {
        self.array_agg.state()
    }

    fn evaluate(&mut self) -> Result<ScalarValue> {
        let list = self.array_agg.evaluate()?;
        let ScalarValue::List(list) = list else {
            return Ok(ScalarValue::Utf8(None));
        };
        if list.is_null(0) {
            return Ok(ScalarValue::Utf8(None));
        }
        let values = list.value(0);
        let mut text = String::from("[");
        for row in 0..values.len() {
            if row > 0 {
                text.push_str(", ");
            }
            write_json(&mut text, &values, row)?;
        }
        text.push(']');
        Ok(ScalarValue::Utf8(Some(text)))
    }

    fn size(&self) -> usize {
        self.array_agg.size()
    }
}

/// Row `row` of `values` as PostgreSQL's `to_json` writes it: numbers and booleans bare,
/// everything else as a JSON string of its text.
pub fn write_json(out: &mut String, values: &ArrayRef, row: usize) -> Result<()> {
    if values.is_null(row) {
        out.push_str("null");
        return Ok(());
    }
    let data_type = values.data_type();
    let bare = data_type.is_integer() || matches!(data_type, DataType::Boolean);
    let number = data_type.is_floating() || matches!(data_type, DataType::Decimal128(..));
    let one = values.slice(row, 1);
    let text = datafusion::arrow::compute::cast(&one, &DataType::Utf8)?;
    let text = text.as_string::<i32>().value(0);
    match (bare, number) {
        (true, _) => out.push_str(text),
        // NaN and the infinities are no JSON numbers: PostgreSQL quotes them.
        (_, true) if text.parse::<f64>().is_ok_and(f64::is_finite) => out.push_str(text),
        _ => quote(out, text),
    }
    Ok(())
}

/// `text` as a JSON string, escaped as PostgreSQL's `escape_json` does.
pub fn quote(out: &mut String, text: &str) {
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{08}' => out.push_str("\\b"),
            '\u{0C}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_are_escaped_as_postgresql_does() {
        let mut out = String::new();
        quote(&mut out, "a\"b\\c\nd\u{1}é");
        assert_eq!(out, r#""a\"b\\c\nd\u0001é""#);
    }
}
