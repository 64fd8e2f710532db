//! Types PostgreSQL keeps as checked text: `json`, `jsonb` and `uuid` are `Utf8` values
//! tagged with their type (see [`crate::pg_type`]). A cast to one of them checks the
//! text (22P02 otherwise) and writes it as PostgreSQL shows the type: `json` as
//! written, `jsonb` normalized ([`super::json_text`]), `uuid` in lower-case 8-4-4-4-12.

use std::sync::Arc;

use datafusion::arrow::array::{AsArray, StringArray};
use datafusion::arrow::datatypes::{DataType, Field, FieldRef};
use datafusion::common::tree_node::Transformed;
use datafusion::common::{DFSchema, Result};
use datafusion::logical_expr::expr::ScalarFunction;
use datafusion::logical_expr::{
    Cast, ColumnarValue, Expr, ExprSchemable, ReturnFieldArgs, ScalarFunctionArgs, ScalarUDF,
    ScalarUDFImpl, Signature, TryCast, Volatility,
};

use super::errors::FunctionError;
use super::json_text;
use super::registry::{argument, result};
use crate::pg_type::{pg_type_of, with_pg_type};

/// The types kept as checked text, by `pg_type` name.
pub const TYPED_TEXT: [&str; 3] = ["json", "jsonb", "uuid"];

/// `value` as PostgreSQL's input function for `typname` reads it and its output
/// function writes it back, if it is valid.
fn convert(typname: &str, value: &str) -> Option<String> {
    match typname {
        "json" => json_text::is_json(value).then(|| value.to_string()),
        "jsonb" => json_text::jsonb_text(value),
        "uuid" => uuid_text(value),
        _ => Some(value.to_string()),
    }
}

/// PostgreSQL's `uuid_in`: 32 hex digits, a hyphen allowed after any group of four,
/// optionally in braces.
fn uuid_text(value: &str) -> Option<String> {
    let inner = match value.strip_prefix('{') {
        Some(rest) => rest.strip_suffix('}')?,
        None => value,
    };
    let mut digits = String::with_capacity(32);
    let mut previous_hyphen = false;
    for c in inner.chars() {
        match c {
            '-' if !digits.is_empty() && digits.len().is_multiple_of(4) && !previous_hyphen => {
                previous_hyphen = true;
            }
            c if c.is_ascii_hexdigit() && digits.len() < 32 => {
                digits.push(c.to_ascii_lowercase());
                previous_hyphen = false;
            }
            _ => return None,
        }
    }
    if digits.len() != 32 || previous_hyphen {
        return None;
    }
    Some(format!(
        "{}-{}-{}-{}-{}",
        &digits[0..8],
        &digits[8..12],
        &digits[12..16],
        &digits[16..20],
        &digits[20..32]
    ))
}

/// A cast to `json`, `jsonb` or `uuid`, or from one of them to `text` (which leaves the
/// text but not the type's tag, where a cast of `Utf8` to `Utf8` would leave both).
#[derive(Debug, PartialEq, Eq, Hash)]
struct TypedTextCast {
    typname: &'static str,
    signature: Signature,
}

impl ScalarUDFImpl for TypedTextCast {
    fn name(&self) -> &str {
        self.typname
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Utf8)
    }

    fn return_field_from_args(&self, args: ReturnFieldArgs) -> Result<FieldRef> {
        let nullable = args.arg_fields.first().is_none_or(|f| f.is_nullable());
        let field = Field::new(self.name(), DataType::Utf8, nullable);
        Ok(Arc::new(match self.typname {
            "text" => field,
            typname => with_pg_type(field, typname),
        }))
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let texts = argument(&args, 0, &DataType::Utf8)?;
        let converted =
            texts
                .as_string::<i32>()
                .iter()
                .map(|v| match v {
                    None => Ok(None),
                    Some(v) => convert(self.typname, v).map(Some).ok_or_else(|| {
                        FunctionError::InvalidInput {
                            type_name: self.typname,
                            value: v.to_string(),
                        }
                    }),
                })
                .collect::<Result<StringArray, FunctionError>>()?;
        result(&args.args, Arc::new(converted))
    }
}

fn typed_text_cast(expr: Expr, field: &Field, schema: &DFSchema) -> Option<Expr> {
    let typname = match pg_type_of(field) {
        Some(typname) => TYPED_TEXT.into_iter().find(|t| *t == typname)?,
        None if field.data_type() == &DataType::Utf8 => {
            let (_, from) = expr.to_field(schema).ok()?;
            pg_type_of(&from).filter(|t| TYPED_TEXT.contains(t))?;
            "text"
        }
        None => return None,
    };
    let udf = ScalarUDF::new_from_impl(TypedTextCast {
        typname,
        signature: Signature::any(1, Volatility::Immutable),
    });
    Some(Expr::ScalarFunction(ScalarFunction::new_udf(
        Arc::new(udf),
        vec![expr],
    )))
}

/// A cast to `json`, `jsonb` or `uuid` as the check and conversion of its text.
pub fn rewrite(expr: Expr, schema: &DFSchema) -> Transformed<Expr> {
    match expr {
        Expr::Cast(Cast { expr, field }) => {
            match typed_text_cast((*expr).clone(), &field, schema) {
                Some(converted) => Transformed::yes(converted),
                None => Transformed::no(Expr::Cast(Cast { expr, field })),
            }
        }
        Expr::TryCast(TryCast { expr, field }) => {
            match typed_text_cast((*expr).clone(), &field, schema) {
                Some(converted) => Transformed::yes(converted),
                None => Transformed::no(Expr::TryCast(TryCast { expr, field })),
            }
        }
        other => Transformed::no(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuids_are_read_as_postgresql_reads_them() {
        let canonical = "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11";
        for text in [
            canonical,
            "A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11",
            "{a0eebc999c0b4ef8bb6d6bb9bd380a11}",
            "a0eebc999c0b4ef8bb6d6bb9bd380a11",
            "a0ee-bc99-9c0b-4ef8-bb6d-6bb9-bd38-0a11",
        ] {
            assert_eq!(uuid_text(text).as_deref(), Some(canonical), "{text}");
        }
        for text in [
            "not-a-uuid",
            "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a1",
            "-a0eebc999c0b4ef8bb6d6bb9bd380a11",
            "{a0eebc999c0b4ef8bb6d6bb9bd380a11",
        ] {
            assert_eq!(uuid_text(text), None, "{text}");
        }
    }
}
