//! SQL type names DataFusion does not know or types differently from PostgreSQL:
//! `varchar(n)`, `char(n)`/`bpchar`, `"char"` and `name` become `Utf8` fields tagged with
//! their PostgreSQL type and length (the [`super::character`] rule makes casts to them
//! truncate and pad), `json`, `jsonb` and `uuid` become tagged `Utf8` fields too (casts
//! to them check their text: `crate::functions::typed_text`), and any other unknown name is 42704 `type "x" does not exist`.
//! Names this planner does not decide go to the planner that was installed before it
//! (datafusion-pg-catalog's, for `regclass` and `pg_catalog.int4`).

use std::collections::HashMap;
use std::sync::Arc;

use datafusion::arrow::datatypes::{DataType, Field, FieldRef};
use datafusion::common::Result;
use datafusion::logical_expr::planner::TypePlanner;
use datafusion::prelude::SessionContext;
use datafusion::sql::sqlparser::ast::{
    CharacterLength, DataType as SqlType, ExactNumberInfo, ObjectNamePart,
};

use super::error::TypeError;
use crate::pg_type::PG_TYPE_KEY;

/// The metadata key holding the declared length of a `varchar(n)`/`char(n)` cast target.
pub const LENGTH_KEY: &str = "omnigraph.typmod";

#[derive(Debug, Default)]
pub struct PostgresTypePlanner {
    inner: Option<Arc<dyn TypePlanner>>,
}

/// Makes [`PostgresTypePlanner`] the type planner of `ctx`, in front of the one it has.
/// Whoever replaces the planner later (datafusion-pg-catalog's setup) calls this again.
pub fn install(ctx: &SessionContext) {
    crate::rebuilt_state::rebuild(ctx, |mut builder| {
        let inner = builder.type_planner().clone();
        builder.with_type_planner(Arc::new(PostgresTypePlanner { inner }))
    });
}

/// A `Utf8` field of PostgreSQL type `typname`, with its declared length if any.
fn character_field(typname: &str, length: Option<u64>) -> FieldRef {
    let mut metadata = HashMap::from([(PG_TYPE_KEY.to_string(), typname.to_string())]);
    if let Some(length) = length {
        metadata.insert(LENGTH_KEY.to_string(), length.to_string());
    }
    Arc::new(Field::new("", DataType::Utf8, true).with_metadata(metadata))
}

fn declared_length(length: &Option<CharacterLength>) -> Option<u64> {
    match length {
        Some(CharacterLength::IntegerLength { length, .. }) => Some(*length),
        _ => None,
    }
}

/// The unqualified name of a type sqlparser could only parse as a custom one.
fn custom_name(sql_type: &SqlType) -> Option<(String, bool)> {
    let SqlType::Custom(name, _) = sql_type else {
        return None;
    };
    match name.0.last()? {
        ObjectNamePart::Identifier(ident) => {
            Some((ident.value.clone(), ident.quote_style.is_some()))
        }
        _ => None,
    }
}

impl TypePlanner for PostgresTypePlanner {
    fn plan_type_field(&self, sql_type: &SqlType) -> Result<Option<FieldRef>> {
        match sql_type {
            SqlType::Varchar(length)
            | SqlType::CharacterVarying(length)
            | SqlType::CharVarying(length) => {
                return Ok(Some(character_field("varchar", declared_length(length))));
            }
            // `char` alone is `char(1)`.
            SqlType::Char(length) | SqlType::Character(length) => {
                let length = declared_length(length).or(Some(1));
                return Ok(Some(character_field("bpchar", length)));
            }
            // `numeric` alone keeps its operand's scale ([`super::numeric_cast`]).
            SqlType::Numeric(ExactNumberInfo::None)
            | SqlType::Decimal(ExactNumberInfo::None)
            | SqlType::Dec(ExactNumberInfo::None) => {
                let metadata = HashMap::from([(
                    PG_TYPE_KEY.to_string(),
                    super::numeric_cast::UNCONSTRAINED_NUMERIC.to_string(),
                )]);
                return Ok(Some(Arc::new(
                    Field::new("", DataType::Decimal128(38, 10), true).with_metadata(metadata),
                )));
            }
            // Checked text (see `functions::typed_text`).
            SqlType::JSON => return Ok(Some(character_field("json", None))),
            SqlType::JSONB => return Ok(Some(character_field("jsonb", None))),
            SqlType::Uuid => return Ok(Some(character_field("uuid", None))),
            _ => {}
        }
        if let Some(inner) = &self.inner
            && let Some(field) = inner.plan_type_field(sql_type)?
        {
            return Ok(Some(field));
        }
        let Some((name, quoted)) = custom_name(sql_type) else {
            return Ok(None);
        };
        match (name.to_ascii_lowercase().as_str(), quoted) {
            ("vector", false) => {
                let modifier = |message: &str| TypeError::InvalidTypeModifier(message.into());
                let dims = match sql_type {
                    SqlType::Custom(_, modifiers) => match modifiers.as_slice() {
                        [] => None,
                        [n] => match n.parse::<i64>() {
                            Ok(n) if n < 1 => {
                                Err(modifier("dimensions for type vector must be at least 1"))?
                            }
                            Ok(n) if n > 16_000 => {
                                Err(modifier("dimensions for type vector cannot exceed 16000"))?
                            }
                            Ok(n) => Some(n as i32),
                            Err(_) => Err(modifier("invalid type modifier"))?,
                        },
                        _ => Err(modifier("invalid type modifier"))?,
                    },
                    _ => None,
                };
                Ok(Some(crate::functions::vector::vector_field(dims)))
            }
            ("bpchar", false) => Ok(Some(character_field("bpchar", None))),
            ("char", true) => Ok(Some(character_field("char", Some(1)))),
            ("name", false) => Ok(Some(character_field("name", Some(63)))),
            (array, _) if array_element(array).is_some() => {
                let element = array_element(array).expect("matched");
                Ok(Some(Arc::new(Field::new(
                    "",
                    DataType::List(Arc::new(Field::new_list_field(element, true))),
                    true,
                ))))
            }
            _ => Err(TypeError::UndefinedType(name).into()),
        }
    }
}

/// The element type of an array type named as in `pg_type` (`_text`, `_int4`, ...):
/// drivers cast parameters to them by that name (asyncpg's `$1::"pg_catalog"."_text"`).
fn array_element(typname: &str) -> Option<DataType> {
    use datafusion::arrow::datatypes::TimeUnit;
    Some(match typname.strip_prefix('_')? {
        "text" | "varchar" | "bpchar" | "name" => DataType::Utf8,
        "bool" => DataType::Boolean,
        "int2" => DataType::Int16,
        "int4" => DataType::Int32,
        "int8" => DataType::Int64,
        "float4" => DataType::Float32,
        "float8" => DataType::Float64,
        "date" => DataType::Date32,
        "timestamp" => DataType::Timestamp(TimeUnit::Microsecond, None),
        "timestamptz" => DataType::Timestamp(TimeUnit::Microsecond, Some("+00:00".into())),
        _ => return None,
    })
}
