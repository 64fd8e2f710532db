//! Arrays of arrays (`ARRAY[[1,2],[3,4]]`) in PostgreSQL's binary array format, which
//! arrow-pg writes for one dimension only: dimension count, has-nulls flag, element type,
//! each dimension's length and lower bound (1), then every element in row-major order.

use arrow::array::{Array, ArrayRef, AsArray};
use arrow::datatypes::{DataType, Float32Type, Float64Type, Int16Type, Int32Type, Int64Type};
use bytes::{BufMut, BytesMut};
use pgwire::api::Type;

use crate::text_format::TextError;

/// Why a nested array has no binary form here.
#[derive(Debug, PartialEq)]
pub enum BinaryArrayError {
    Ragged,
    ElementType(DataType),
}

impl std::fmt::Display for BinaryArrayError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BinaryArrayError::Ragged => TextError::RaggedArray.fmt(f),
            BinaryArrayError::ElementType(t) => {
                write!(f, "binary format of multidimensional {t} arrays")
            }
        }
    }
}

/// Whether `data_type` is a list of lists.
pub fn is_nested_list(data_type: &DataType) -> bool {
    match data_type {
        DataType::List(f) => matches!(f.data_type(), DataType::List(_)),
        _ => false,
    }
}

/// The innermost element type of (possibly nested) lists.
pub fn element_type(data_type: &DataType) -> &DataType {
    match data_type {
        DataType::List(f) => element_type(f.data_type()),
        other => other,
    }
}

/// The PostgreSQL array type of a list of lists: that of its innermost elements.
pub fn array_type(data_type: &DataType) -> Option<Type> {
    Some(match element_type(data_type) {
        DataType::Null | DataType::Utf8 => Type::TEXT_ARRAY,
        DataType::Boolean => Type::BOOL_ARRAY,
        DataType::Int16 => Type::INT2_ARRAY,
        DataType::Int32 => Type::INT4_ARRAY,
        DataType::Int64 => Type::INT8_ARRAY,
        DataType::Float32 => Type::FLOAT4_ARRAY,
        DataType::Float64 => Type::FLOAT8_ARRAY,
        _ => return None,
    })
}

/// The binary form of the list of lists at `row` of `array`.
pub fn encode(array: &dyn Array, row: usize) -> Result<Vec<u8>, BinaryArrayError> {
    let element = element_type(array.data_type());
    let element_oid = match element {
        DataType::Boolean => Type::BOOL.oid(),
        DataType::Int16 => Type::INT2.oid(),
        DataType::Int32 => Type::INT4.oid(),
        DataType::Int64 => Type::INT8.oid(),
        DataType::Float32 => Type::FLOAT4.oid(),
        DataType::Float64 => Type::FLOAT8.oid(),
        DataType::Utf8 => Type::TEXT.oid(),
        other => return Err(BinaryArrayError::ElementType(other.clone())),
    };
    let value = array.as_list::<i32>().value(row);
    let mut dims = Vec::new();
    let mut leaves: Vec<ArrayRef> = vec![value];
    loop {
        let length = leaves[0].len();
        if leaves.iter().any(|l| l.len() != length) {
            return Err(BinaryArrayError::Ragged);
        }
        dims.push(length);
        if !matches!(leaves[0].data_type(), DataType::List(_)) {
            break;
        }
        let mut next = Vec::new();
        for list in &leaves {
            let list = list.as_list::<i32>();
            for i in 0..list.len() {
                if list.is_null(i) {
                    return Err(BinaryArrayError::Ragged);
                }
                next.push(list.value(i));
            }
        }
        if next.is_empty() {
            break;
        }
        leaves = next;
    }
    let mut out = BytesMut::new();
    let has_nulls = leaves.iter().any(|l| l.null_count() > 0);
    out.put_i32(dims.len() as i32);
    out.put_i32(has_nulls as i32);
    out.put_u32(element_oid);
    for d in &dims {
        out.put_i32(*d as i32);
        out.put_i32(1);
    }
    for leaf in &leaves {
        for i in 0..leaf.len() {
            if leaf.is_null(i) {
                out.put_i32(-1);
                continue;
            }
            element_bytes(&mut out, leaf.as_ref(), i)?;
        }
    }
    Ok(out.to_vec())
}

fn element_bytes(out: &mut BytesMut, leaf: &dyn Array, i: usize) -> Result<(), BinaryArrayError> {
    match leaf.data_type() {
        DataType::Boolean => {
            out.put_i32(1);
            out.put_u8(leaf.as_boolean().value(i) as u8);
        }
        DataType::Int16 => {
            out.put_i32(2);
            out.put_i16(leaf.as_primitive::<Int16Type>().value(i));
        }
        DataType::Int32 => {
            out.put_i32(4);
            out.put_i32(leaf.as_primitive::<Int32Type>().value(i));
        }
        DataType::Int64 => {
            out.put_i32(8);
            out.put_i64(leaf.as_primitive::<Int64Type>().value(i));
        }
        DataType::Float32 => {
            out.put_i32(4);
            out.put_f32(leaf.as_primitive::<Float32Type>().value(i));
        }
        DataType::Float64 => {
            out.put_i32(8);
            out.put_f64(leaf.as_primitive::<Float64Type>().value(i));
        }
        DataType::Utf8 => {
            let s = leaf.as_string::<i32>().value(i);
            out.put_i32(s.len() as i32);
            out.put_slice(s.as_bytes());
        }
        other => return Err(BinaryArrayError::ElementType(other.clone())),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow::array::ListArray;
    use arrow::datatypes::Field;

    use super::*;

    #[test]
    fn two_dimensions_in_row_major_order() {
        let inner = ListArray::from_iter_primitive::<Int32Type, _, _>(vec![
            Some(vec![Some(1), Some(2)]),
            Some(vec![Some(3), None]),
        ]);
        let outer = ListArray::new(
            Arc::new(Field::new_list_field(inner.data_type().clone(), true)),
            arrow::buffer::OffsetBuffer::from_lengths([2]),
            Arc::new(inner),
            None,
        );
        assert_eq!(array_type(outer.data_type()), Some(Type::INT4_ARRAY));
        let bytes = encode(&outer, 0).unwrap();
        let mut expected = vec![0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0, 23];
        expected.extend([0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 1]);
        for v in [1, 2, 3] {
            expected.extend([0, 0, 0, 4, 0, 0, 0, v]);
        }
        expected.extend([255, 255, 255, 255]);
        assert_eq!(bytes, expected);
    }
}
