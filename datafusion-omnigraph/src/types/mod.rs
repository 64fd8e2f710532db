//! PostgreSQL's names for the types of expressions: what `pg_typeof` answers and what
//! `'int4'::regtype::text` spells.

pub mod array_out;
pub mod array_text;
pub mod casts;
pub mod character;
pub mod error;
pub mod numeric_cast;
pub mod pg_typeof;
pub mod resolution;
pub mod text_input;
pub mod type_planner;

pub use error::TypeError;

use datafusion::arrow::datatypes::{DataType, Field};

use crate::pg_type::pg_type_of;

/// The name PostgreSQL's `format_type` gives the type of values in `field` (`integer`,
/// `timestamp with time zone`, `integer[]`), honouring a [`crate::pg_type`] tag.
pub fn postgres_type_name(field: &Field) -> Option<String> {
    if let Some(tag) = pg_type_of(field) {
        return Some(tagged_type_name(tag).to_string());
    }
    type_name(field.data_type())
}

fn tagged_type_name(tag: &str) -> &str {
    match tag {
        "varchar" => "character varying",
        "bpchar" => "character",
        "char" => "\"char\"",
        other => other,
    }
}

/// The PostgreSQL name of `data_type` as the wire sends it.
pub fn type_name(data_type: &DataType) -> Option<String> {
    let name = match data_type {
        DataType::Null => "unknown",
        DataType::Boolean => "boolean",
        DataType::Int8 | DataType::Int16 | DataType::UInt8 => "smallint",
        DataType::Int32 | DataType::UInt16 => "integer",
        DataType::Int64 | DataType::UInt32 => "bigint",
        DataType::UInt64 | DataType::Decimal128(..) | DataType::Decimal256(..) => "numeric",
        DataType::Float16 | DataType::Float32 => "real",
        DataType::Float64 => "double precision",
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => "text",
        DataType::Binary | DataType::LargeBinary | DataType::BinaryView => "bytea",
        DataType::Date32 | DataType::Date64 => "date",
        DataType::Timestamp(_, Some(_)) => "timestamp with time zone",
        DataType::Timestamp(_, None) => "timestamp without time zone",
        DataType::Time32(_) | DataType::Time64(_) => "time without time zone",
        DataType::Interval(_) | DataType::Duration(_) => "interval",
        DataType::List(item)
        | DataType::LargeList(item)
        | DataType::ListView(item)
        | DataType::FixedSizeList(item, _) => {
            return postgres_type_name(item).map(|name| format!("{name}[]"));
        }
        DataType::Dictionary(_, value) => return type_name(value),
        _ => return None,
    };
    Some(name.to_string())
}
