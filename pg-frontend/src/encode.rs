//! Arrow results as Postgres rows. arrow-pg encodes the common types; columns it cannot
//! encode (large and fixed-size lists, dictionaries, 8-bit integers, ...) are cast first
//! to the nearest type it can, so every value our tables hold reaches the client.

use std::sync::Arc;

use crate::{binary_array, pgvector, text_format};

use arrow::compute::cast;
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use arrow::record_batch::RecordBatch;
use arrow_pg::datatypes::field_into_pg_type;
use arrow_pg::encoder::encode_value;
use datafusion_omnigraph::pg_type::{pg_type_of, with_pg_type};
use datafusion_pg_catalog::pg_catalog::oid_field::OID_ALIAS_KEY;
use pgwire::api::Type;
use pgwire::api::portal::Format;
use pgwire::api::results::{DataRowEncoder, FieldFormat, FieldInfo};
use pgwire::error::{ErrorInfo, PgWireError, PgWireResult};
use pgwire::messages::data::DataRow;

/// The type a column of `data_type` is sent as.
pub fn wire_type(data_type: &DataType) -> DataType {
    match data_type {
        // An untyped NULL column is text in PostgreSQL (its type is resolved to text).
        DataType::Null => DataType::Utf8,
        DataType::Int8 => DataType::Int16,
        DataType::Float16 => DataType::Float32,
        DataType::LargeUtf8 | DataType::Utf8View => DataType::Utf8,
        DataType::LargeBinary | DataType::BinaryView | DataType::FixedSizeBinary(_) => {
            DataType::Binary
        }
        DataType::Dictionary(_, value) => wire_type(value),
        DataType::LargeList(f)
        | DataType::FixedSizeList(f, _)
        | DataType::ListView(f)
        | DataType::LargeListView(f) => DataType::List(Arc::new(Field::new_list_field(
            wire_type(f.data_type()),
            true,
        ))),
        DataType::List(f) => DataType::List(Arc::new(Field::new_list_field(
            wire_type(f.data_type()),
            true,
        ))),
        DataType::Decimal256(_, _) => DataType::Float64,
        DataType::Map(_, _) | DataType::Union(_, _) | DataType::Struct(_) => DataType::Utf8,
        other => other.clone(),
    }
}

/// `schema` with every column in its wire type.
pub fn wire_schema(schema: &Schema) -> SchemaRef {
    let fields: Vec<Field> = schema
        .fields()
        .iter()
        .map(|f| {
            let wire = Field::new(f.name(), wire_type(f.data_type()), true)
                .with_metadata(f.metadata().clone());
            if pgvector::holds_vectors(f) {
                with_pg_type(wire, "vector")
            } else {
                wire
            }
        })
        .collect();
    Arc::new(Schema::new(fields))
}

/// `batch` cast to `schema` (its wire schema).
pub fn to_wire(batch: &RecordBatch, schema: &SchemaRef) -> PgWireResult<RecordBatch> {
    let columns = batch
        .columns()
        .iter()
        .zip(schema.fields())
        .map(|(column, field)| {
            if column.data_type() == field.data_type() {
                Ok(column.clone())
            } else if matches!(field.data_type(), DataType::Utf8)
                && matches!(
                    column.data_type(),
                    DataType::Map(_, _) | DataType::Union(_, _) | DataType::Struct(_)
                )
            {
                Ok(display_column(column))
            } else {
                cast(column, field.data_type()).map_err(api_error)
            }
        })
        .collect::<PgWireResult<Vec<_>>>()?;
    RecordBatch::try_new(schema.clone(), columns).map_err(api_error)
}

/// Nested values that have no Postgres counterpart are sent as their text.
fn display_column(column: &arrow::array::ArrayRef) -> arrow::array::ArrayRef {
    use arrow::util::display::{ArrayFormatter, FormatOptions};
    let options = FormatOptions::default().with_null("");
    let values: Vec<Option<String>> = match ArrayFormatter::try_new(column.as_ref(), &options) {
        Ok(formatter) => (0..column.len())
            .map(|i| {
                if column.is_null(i) {
                    None
                } else {
                    Some(formatter.value(i).to_string())
                }
            })
            .collect(),
        Err(_) => vec![None; column.len()],
    };
    Arc::new(arrow::array::StringArray::from(values))
}

fn api_error(e: impl std::fmt::Display) -> PgWireError {
    PgWireError::UserError(Box::new(ErrorInfo::new(
        "ERROR".to_string(),
        "XX000".to_string(),
        format!("cannot encode result: {e}"),
    )))
}

/// The row description of `schema` (already in wire types) in `format`.
pub fn fields(schema: &Schema, format: &Format) -> PgWireResult<Vec<FieldInfo>> {
    // A client's Bind may list result formats one per column; arrow-pg looks each column's
    // up in that list and panics past its end. PostgreSQL refuses any other count.
    let columns = schema.fields().len();
    if let Format::Individual(formats) = format
        && columns > 0
        && formats.len() != columns
    {
        return Err(PgWireError::UserError(Box::new(ErrorInfo::new(
            "ERROR".to_string(),
            "08P01".to_string(),
            format!(
                "bind message has {} result formats but query has {columns} columns",
                formats.len()
            ),
        ))));
    }
    schema
        .fields()
        .iter()
        .enumerate()
        .map(|(i, field)| {
            let pg_type = match tagged_type(field, format.format_for(i) == FieldFormat::Text) {
                Some(tagged) => tagged,
                None => match binary_array::array_type(field.data_type()) {
                    Some(array) if binary_array::is_nested_list(field.data_type()) => array,
                    _ => field_into_pg_type(field)?,
                },
            };
            Ok(FieldInfo::new(
                field.name().clone(),
                None,
                None,
                pg_type,
                format.format_for(i),
            ))
        })
        .collect()
}

/// The PostgreSQL type a field's [`datafusion_omnigraph::pg_type::PG_TYPE_KEY`] tag names, where its values encode the
/// same in that type as in the one its Arrow type maps to (text and binary alike).
/// `regtype` (`pg_typeof`) is a type's name in text but its OID in binary: a binary
/// column stays `text`.
/// `oid` is an unsigned `int4` on the wire, the same four bytes and digits as
/// datafusion-pg-catalog's `Int32` OIDs (all below 2^31); a cast to `oid` is tagged with
/// that crate's own key. `regclass` is a relation's name in text, `name[]` an array of
/// names in text; in binary both stay what their Arrow type is.
fn tagged_type(field: &Field, text: bool) -> Option<Type> {
    let tag =
        pg_type_of(field).or_else(|| field.metadata().get(OID_ALIAS_KEY).map(String::as_str))?;
    let text_like = matches!(field.data_type(), DataType::Utf8);
    match (tag, text_like) {
        ("name", true) => Some(Type::NAME),
        ("varchar", true) => Some(Type::VARCHAR),
        ("bpchar", true) => Some(Type::BPCHAR),
        ("char", true) => Some(Type::CHAR),
        ("json", true) => Some(Type::JSON),
        // Binary `jsonb` and `uuid` differ from their text: a binary column stays `text`.
        ("jsonb", true) if text => Some(Type::JSONB),
        ("uuid", true) if text => Some(Type::UUID),
        ("regtype", true) if text => Some(Type::REGTYPE),
        ("regclass", true) if text => Some(Type::REGCLASS),
        ("oid", false) if matches!(field.data_type(), DataType::Int32) => Some(Type::OID),
        ("vector", false) if pgvector::holds_vectors(field) => Some(pgvector::vector_type()),
        ("_name", false) if text && is_text_list(field.data_type()) => Some(Type::NAME_ARRAY),
        ("int2vector", false) if text && is_list_of(field.data_type(), &DataType::Int16) => {
            Some(Type::INT2_VECTOR)
        }
        ("oidvector", false) if text && is_list_of(field.data_type(), &DataType::Int32) => {
            Some(Type::OID_VECTOR)
        }
        _ => None,
    }
}

fn is_text_list(data_type: &DataType) -> bool {
    is_list_of(data_type, &DataType::Utf8)
}

fn is_list_of(data_type: &DataType, element: &DataType) -> bool {
    matches!(data_type, DataType::List(f) if f.data_type() == element)
}

/// `int2vector` and `oidvector` are written space-separated in text (their binary form is
/// an array's, as arrow-pg writes it).
fn is_vector(pg_type: &Type) -> bool {
    *pg_type == Type::INT2_VECTOR || *pg_type == Type::OID_VECTOR
}

/// The rows of one batch (already in wire types). Text-format values whose text arrow-pg
/// writes unlike PostgreSQL are written by [`text_format`], arrays of arrays in binary by
/// [`binary_array`]; arrow-pg writes the rest.
pub fn rows(
    fields: Arc<Vec<FieldInfo>>,
    batch: RecordBatch,
) -> impl Iterator<Item = PgWireResult<DataRow>> {
    let mut encoder = DataRowEncoder::new(fields.clone());
    (0..batch.num_rows()).map(move |row| {
        for (column, (array, pg_field)) in batch.columns().iter().zip(fields.iter()).enumerate() {
            let arrow_field = batch.schema_ref().field(column);
            let null = array.is_null(row);
            match pg_field.format() {
                FieldFormat::Text if pgvector::is_vector_type(pg_field.datatype()) => {
                    let text = (!null).then(|| pgvector::text(array.as_ref(), row));
                    encoder.encode_field_with_type_and_format(
                        &text,
                        &Type::TEXT,
                        FieldFormat::Text,
                        pg_field.format_options(),
                    )?;
                }
                FieldFormat::Binary if pgvector::is_vector_type(pg_field.datatype()) => {
                    let bytes = (!null).then(|| pgvector::binary(array.as_ref(), row));
                    encoder.encode_field_with_type_and_format(
                        &bytes,
                        &Type::BYTEA,
                        FieldFormat::Binary,
                        pg_field.format_options(),
                    )?;
                }
                FieldFormat::Text
                    if is_vector(pg_field.datatype()) || text_format::writes(array.data_type()) =>
                {
                    let text = match (null, is_vector(pg_field.datatype())) {
                        (true, _) => None,
                        (false, true) => Some(
                            text_format::vector_text(array.as_ref(), row).map_err(value_error)?,
                        ),
                        (false, false) => {
                            Some(text_format::text(array.as_ref(), row).map_err(value_error)?)
                        }
                    };
                    encoder.encode_field_with_type_and_format(
                        &text,
                        &Type::TEXT,
                        FieldFormat::Text,
                        pg_field.format_options(),
                    )?;
                }
                FieldFormat::Binary if binary_array::is_nested_list(array.data_type()) => {
                    let bytes = if null {
                        None
                    } else {
                        Some(binary_array::encode(array.as_ref(), row).map_err(value_error)?)
                    };
                    encoder.encode_field_with_type_and_format(
                        &bytes,
                        &Type::BYTEA,
                        FieldFormat::Binary,
                        pg_field.format_options(),
                    )?;
                }
                _ => encode_value(&mut encoder, array, row, arrow_field, pg_field)?,
            }
        }
        let row = encoder.take_row();
        if row.data.len() > MAX_ROW_BYTES {
            return Err(PgWireError::UserError(Box::new(ErrorInfo::new(
                "ERROR".to_string(),
                "54000".to_string(),
                format!(
                    "result row too large: {} bytes, at most {MAX_ROW_BYTES} may be sent in one message",
                    row.data.len()
                ),
            ))));
        }
        Ok(row)
    })
}

/// The largest row sent, as PostgreSQL's (a message is at most 1 GB less a byte): past it
/// the statement fails rather than send a message no client could take.
const MAX_ROW_BYTES: usize = 0x3fff_ffff - 8;

fn value_error(e: impl ValueError) -> PgWireError {
    PgWireError::UserError(Box::new(ErrorInfo::new(
        "ERROR".to_string(),
        e.sqlstate().to_string(),
        e.to_string(),
    )))
}

/// A value the wire cannot write, and the SQLSTATE it is refused with.
pub trait ValueError: std::fmt::Display {
    fn sqlstate(&self) -> &'static str;
}

impl ValueError for text_format::TextError {
    fn sqlstate(&self) -> &'static str {
        match self {
            text_format::TextError::RaggedArray => "2202E",
        }
    }
}

impl ValueError for binary_array::BinaryArrayError {
    fn sqlstate(&self) -> &'static str {
        match self {
            binary_array::BinaryArrayError::Ragged => "2202E",
            binary_array::BinaryArrayError::ElementType(_) => "0A000",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unsupported_types_map_to_encodable_ones() {
        let vector =
            DataType::FixedSizeList(Arc::new(Field::new_list_field(DataType::Float32, true)), 3);
        assert_eq!(
            wire_type(&vector),
            DataType::List(Arc::new(Field::new_list_field(DataType::Float32, true)))
        );
        let large = DataType::LargeList(Arc::new(Field::new_list_field(DataType::LargeUtf8, true)));
        assert_eq!(
            wire_type(&large),
            DataType::List(Arc::new(Field::new_list_field(DataType::Utf8, true)))
        );
        assert_eq!(wire_type(&DataType::Int8), DataType::Int16);
    }

    #[test]
    fn result_formats_must_be_one_per_column() {
        let schema = Schema::new(vec![
            Field::new("a", DataType::Int32, true),
            Field::new("b", DataType::Int32, true),
            Field::new("c", DataType::Int32, true),
        ]);
        assert!(fields(&schema, &Format::Individual(vec![0, 1])).is_err());
        assert_eq!(
            fields(&schema, &Format::Individual(vec![0, 1, 0]))
                .unwrap()
                .len(),
            3
        );
        assert_eq!(fields(&schema, &Format::UnifiedBinary).unwrap().len(), 3);
    }
}
