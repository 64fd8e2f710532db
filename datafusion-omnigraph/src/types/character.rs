//! PostgreSQL's character types over Arrow's one string type. A cast to `varchar(n)`
//! truncates to `n` characters, one to `char(n)` (`bpchar`) truncates and pads with
//! blanks, `"char"` keeps the first byte and `name` 63 bytes; the results are tagged with
//! their type (see [`crate::pg_type`]) so the wire sends it. A `bpchar` used as an
//! operand loses its trailing blanks, as PostgreSQL's `bpchar` comparison, `length` and
//! conversion to `text` ignore them; only a result column keeps the padding.

use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, StringArray};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Field, FieldRef};
use datafusion::common::tree_node::{Transformed, TreeNode};
use datafusion::common::{DFSchema, Result, ScalarValue, exec_err};
use datafusion::logical_expr::expr::ScalarFunction;
use datafusion::logical_expr::{
    Cast, ColumnarValue, Expr, ExprSchemable, ReturnFieldArgs, ScalarFunctionArgs, ScalarUDF,
    ScalarUDFImpl, Signature, TryCast, Volatility,
};

use super::type_planner::LENGTH_KEY;
use crate::pg_type::{PG_TYPE_KEY, pg_type_of, with_pg_type};

/// Bytes of a `name` (PostgreSQL's NAMEDATALEN - 1).
const NAME_BYTES: usize = 63;

/// A cast to one of PostgreSQL's character types.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct CharacterCast {
    typname: String,
    length: Option<usize>,
    signature: Signature,
}

impl CharacterCast {
    fn udf(typname: &str, length: Option<usize>) -> Arc<ScalarUDF> {
        Arc::new(ScalarUDF::new_from_impl(CharacterCast {
            typname: typname.to_string(),
            length,
            signature: Signature::any(1, Volatility::Immutable),
        }))
    }

    fn convert(&self, value: &str) -> String {
        match (self.typname.as_str(), self.length) {
            ("char", _) => value.bytes().next().map_or(String::new(), |b| {
                String::from_utf8_lossy(&[b]).into_owned()
            }),
            ("name", _) => {
                let mut end = value.len().min(NAME_BYTES);
                while !value.is_char_boundary(end) {
                    end -= 1;
                }
                value[..end].to_string()
            }
            ("bpchar", Some(n)) => {
                let kept: String = value.chars().take(n).collect();
                let missing = n.saturating_sub(kept.chars().count());
                kept + &" ".repeat(missing)
            }
            (_, Some(n)) => value.chars().take(n).collect(),
            (_, None) => value.to_string(),
        }
    }
}

impl ScalarUDFImpl for CharacterCast {
    fn name(&self) -> &str {
        "pg_character_cast"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Utf8)
    }

    fn return_field_from_args(&self, args: ReturnFieldArgs) -> Result<FieldRef> {
        let nullable = args.arg_fields.first().is_none_or(|f| f.is_nullable());
        Ok(Arc::new(with_pg_type(
            Field::new(self.name(), DataType::Utf8, nullable),
            &self.typname,
        )))
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let [value] = args.args.as_slice() else {
            return exec_err!("pg_character_cast takes one argument");
        };
        let scalar = matches!(value, ColumnarValue::Scalar(_));
        let text = cast(&value.to_array(args.number_rows.max(1))?, &DataType::Utf8)?;
        let text = text
            .as_any()
            .downcast_ref::<StringArray>()
            .ok_or_else(|| datafusion::error::DataFusionError::Internal("not text".into()))?;
        let converted: StringArray = text.iter().map(|v| v.map(|v| self.convert(v))).collect();
        let converted: ArrayRef = Arc::new(converted);
        Ok(if scalar {
            ColumnarValue::Scalar(ScalarValue::try_from_array(&converted, 0)?)
        } else {
            ColumnarValue::Array(converted)
        })
    }
}

/// The character type and length a cast's target field was planned with, if any.
fn character_target(field: &Field) -> Option<(String, Option<usize>)> {
    let typname = pg_type_of(field)?;
    if !matches!(typname, "varchar" | "bpchar" | "char" | "name") {
        return None;
    }
    let length = field
        .metadata()
        .get(LENGTH_KEY)
        .and_then(|n| n.parse().ok());
    Some((typname.to_string(), length))
}

fn is_bpchar(expr: &Expr, schema: &DFSchema) -> bool {
    expr.to_field(schema).is_ok_and(|(_, field)| {
        field
            .metadata()
            .get(PG_TYPE_KEY)
            .is_some_and(|t| t == "bpchar")
    })
}

/// Whether `expr` passes its operands on as they are (the padding stays).
fn keeps_operand_padding(expr: &Expr) -> bool {
    match expr {
        Expr::Alias(_) | Expr::AggregateFunction(_) | Expr::WindowFunction(_) => true,
        Expr::ScalarFunction(f) => matches!(f.name(), "pg_character_cast" | "pg_typeof"),
        _ => false,
    }
}

fn character_cast(expr: Expr, field: &Field) -> Option<Expr> {
    let (typname, length) = character_target(field)?;
    let udf = CharacterCast::udf(&typname, length);
    Some(Expr::ScalarFunction(ScalarFunction::new_udf(
        udf,
        vec![expr],
    )))
}

/// A cast to a character type as a [`CharacterCast`]; the trailing blanks of `bpchar`
/// operands removed.
pub(crate) fn rewrite(expr: Expr, schema: &DFSchema) -> Result<Transformed<Expr>> {
    let expr = match expr {
        Expr::Cast(Cast { expr, field }) => match character_cast((*expr).clone(), &field) {
            Some(converted) => Transformed::yes(converted),
            None => Transformed::no(Expr::Cast(Cast { expr, field })),
        },
        Expr::TryCast(TryCast { expr, field }) => match character_cast((*expr).clone(), &field) {
            Some(converted) => Transformed::yes(converted),
            None => Transformed::no(Expr::TryCast(TryCast { expr, field })),
        },
        other => Transformed::no(other),
    };
    if keeps_operand_padding(&expr.data) {
        return Ok(expr);
    }
    let rtrim = datafusion::functions::string::rtrim();
    expr.transform_data(|expr| {
        expr.map_children(|child| {
            if is_bpchar(&child, schema) {
                Ok(Transformed::yes(Expr::ScalarFunction(
                    ScalarFunction::new_udf(Arc::clone(&rtrim), vec![child]),
                )))
            } else {
                Ok(Transformed::no(child))
            }
        })
    })
}
