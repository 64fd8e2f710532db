//! pgvector's `vector` type on the wire. A `Vector(n)` property (an Arrow fixed-size list
//! of `Float32`) and a value cast to `vector` are sent as `vector`: a `pg_type` row clients
//! look up by name (psycopg's `register_vector`, SQLAlchemy's `Vector`), its text form
//! `[1,2.5,3]`, and its binary form (`int16` dimensions, `int16` unused, then big-endian
//! `float4`s). A parameter the client types `vector` is read in either form.

use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, AsArray, BooleanArray, Int16Array, Int32Array, RecordBatch, StringArray,
};
use arrow::datatypes::{DataType, Field, Float32Type};
use datafusion::scalar::ScalarValue;
use datafusion_omnigraph::numbers::float_text::float4;
use datafusion_omnigraph::pg_type::pg_type_of;
use pgwire::api::Type;
use postgres_types::Kind;

/// The OID of `vector`: below PostgreSQL's first user OID, as a built-in type's is (the
/// `omnigraph` extension's objects are numbered just under 15000).
pub const VECTOR_OID: u32 = 14990;

/// The most dimensions pgvector's `vector` has.
const MAX_DIMENSIONS: usize = 16000;

/// The `vector` type.
pub fn vector_type() -> Type {
    Type::new(
        "vector".to_string(),
        VECTOR_OID,
        Kind::Simple,
        "pg_catalog".to_string(),
    )
}

/// Whether `pg_type` is `vector`.
pub fn is_vector_type(pg_type: &Type) -> bool {
    pg_type.oid() == VECTOR_OID
}

/// Whether values of `data_type` are vectors as a `Vector(n)` property holds them.
pub fn is_vector_data_type(data_type: &DataType) -> bool {
    matches!(data_type, DataType::FixedSizeList(element, _) if element.data_type() == &DataType::Float32)
}

/// Whether a column of `field` holds vectors: a `Vector(n)` property (fixed-size list of
/// `Float32`) or a value cast to `vector`.
pub fn holds_vectors(field: &Field) -> bool {
    let floats = |f: &Field| f.data_type() == &DataType::Float32;
    match field.data_type() {
        DataType::FixedSizeList(element, _) => floats(element),
        DataType::List(element) => floats(element) && pg_type_of(field) == Some("vector"),
        _ => false,
    }
}

fn elements(array: &dyn Array, row: usize) -> ArrayRef {
    match array.data_type() {
        DataType::FixedSizeList(_, _) => array.as_fixed_size_list().value(row),
        _ => array.as_list::<i32>().value(row),
    }
}

/// The text of the non-null vector at `row`: `[1,2.5,3]`, each element in `float4`'s
/// shortest form.
pub fn text(array: &dyn Array, row: usize) -> String {
    let values = elements(array, row);
    let values = values.as_primitive::<Float32Type>();
    let mut out = String::from("[");
    for (i, v) in values.values().iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(&float4(*v));
    }
    out.push(']');
    out
}

/// The binary form of the non-null vector at `row`.
pub fn binary(array: &dyn Array, row: usize) -> Vec<u8> {
    let values = elements(array, row);
    let values = values.as_primitive::<Float32Type>();
    let mut out = Vec::with_capacity(4 + 4 * values.len());
    out.extend_from_slice(&(values.len() as i16).to_be_bytes());
    out.extend_from_slice(&0i16.to_be_bytes());
    for v in values.values() {
        out.extend_from_slice(&v.to_be_bytes());
    }
    out
}

/// A vector parameter's value in its binary form, as a list of `Float32`.
pub fn read_binary(bytes: &[u8]) -> Result<ScalarValue, String> {
    let invalid = || "invalid binary vector".to_string();
    let dims = i16::from_be_bytes(bytes.get(0..2).ok_or_else(invalid)?.try_into().unwrap());
    let dims = usize::try_from(dims).map_err(|_| invalid())?;
    if dims == 0 || dims > MAX_DIMENSIONS || bytes.len() != 4 + 4 * dims {
        return Err(invalid());
    }
    let values: Vec<f32> = bytes[4..]
        .chunks_exact(4)
        .map(|c| f32::from_be_bytes(c.try_into().expect("four bytes")))
        .collect();
    if values.iter().any(|v| !v.is_finite()) {
        return Err("NaN and infinity are not allowed in vector".to_string());
    }
    Ok(float_list(values))
}

/// A vector parameter's value in its text form (`[1,2,3]`), as a list of `Float32`.
pub fn read_text(text: &str) -> Result<ScalarValue, String> {
    let values = datafusion_omnigraph::functions::vector::parse_vector_text(text)
        .map_err(|e| e.to_string())?;
    Ok(float_list(values))
}

fn float_list(values: Vec<f32>) -> ScalarValue {
    ScalarValue::List(ScalarValue::new_list_nullable(
        &values
            .into_iter()
            .map(|v| ScalarValue::Float32(Some(v)))
            .collect::<Vec<_>>(),
        &DataType::Float32,
    ))
}

/// `pg_type`'s rows with `vector`'s appended, modelled on `bit`'s (a variable-length base
/// type): user-defined category, no array type.
pub fn with_vector_row(pg_type: &[RecordBatch]) -> datafusion::error::Result<Vec<RecordBatch>> {
    let Some(first) = pg_type.first() else {
        return Ok(Vec::new());
    };
    let schema = first.schema();
    let text = |v: &str| Arc::new(StringArray::from(vec![v])) as ArrayRef;
    let columns = schema
        .fields()
        .iter()
        .map(|field| {
            let column: ArrayRef = match field.name().as_str() {
                "oid" => Arc::new(Int32Array::from(vec![VECTOR_OID as i32])),
                "typname" => text("vector"),
                "typnamespace" => Arc::new(Int32Array::from(vec![11])),
                "typowner" => Arc::new(Int32Array::from(vec![10])),
                "typlen" => Arc::new(Int16Array::from(vec![-1])),
                "typbyval" | "typispreferred" | "typnotnull" => {
                    Arc::new(BooleanArray::from(vec![false]))
                }
                "typisdefined" => Arc::new(BooleanArray::from(vec![true])),
                "typtype" => text("b"),
                "typcategory" => text("U"),
                "typdelim" => text(","),
                "typsubscript" | "typmodout" | "typanalyze" => text("-"),
                "typinput" => text("vector_in"),
                "typoutput" => text("vector_out"),
                "typreceive" => text("vector_recv"),
                "typsend" => text("vector_send"),
                "typmodin" => text("vector_typmod_in"),
                "typalign" => text("i"),
                "typstorage" => text("x"),
                "typtypmod" => Arc::new(Int32Array::from(vec![-1])),
                _ => match field.data_type() {
                    DataType::Int32 => Arc::new(Int32Array::from(vec![0])),
                    other => arrow::array::new_null_array(other, 1),
                },
            };
            Ok(column)
        })
        .collect::<datafusion::error::Result<Vec<_>>>()?;
    let row = RecordBatch::try_new(schema, columns)?;
    Ok(pg_type.iter().cloned().chain([row]).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{FixedSizeListArray, Float32Array};

    #[test]
    fn text_and_binary_forms_match_pgvector() {
        let values = Float32Array::from(vec![1.0, 2.5, -0.1]);
        let field = Arc::new(Field::new_list_field(DataType::Float32, true));
        let list = FixedSizeListArray::new(field, 3, Arc::new(values), None);
        assert_eq!(text(&list, 0), "[1,2.5,-0.1]");
        let bytes = binary(&list, 0);
        assert_eq!(&bytes[..4], &[0, 3, 0, 0]);
        assert_eq!(&bytes[4..8], &1f32.to_be_bytes());
        let ScalarValue::List(back) = read_binary(&bytes).unwrap() else {
            panic!("a list");
        };
        assert_eq!(
            back.value(0)
                .as_primitive::<Float32Type>()
                .values()
                .to_vec(),
            vec![1.0, 2.5, -0.1]
        );
        assert!(read_binary(&bytes[..6]).is_err());
        assert!(read_binary(&[0, 0, 0, 0]).is_err());
    }
}
