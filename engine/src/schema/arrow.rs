//! Mapping from schema types to Arrow types and table schemas.

use std::sync::Arc;

use arrow_schema::{DataType, Field, Schema, SchemaRef, TimeUnit};

use super::model::{PropType, TableDef};

/// Arrow type that stores a property of type `ty`.
pub fn arrow_type(ty: &PropType) -> DataType {
    match ty {
        PropType::String | PropType::Enum(_) => DataType::Utf8,
        PropType::Bool => DataType::Boolean,
        PropType::I32 => DataType::Int32,
        PropType::I64 => DataType::Int64,
        PropType::U32 => DataType::UInt32,
        PropType::U64 => DataType::UInt64,
        PropType::F32 => DataType::Float32,
        PropType::F64 => DataType::Float64,
        PropType::Date => DataType::Date32,
        PropType::DateTime => DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
        PropType::List(inner) => {
            DataType::List(Arc::new(Field::new("item", arrow_type(inner), true)))
        }
        PropType::Vector(n) => DataType::FixedSizeList(
            Arc::new(Field::new("item", DataType::Float32, true)),
            *n as i32,
        ),
        PropType::Blob => DataType::LargeBinary,
    }
}

/// Arrow schema of a graph table: `id` (+ `src`, `dst` for edges), then the properties.
pub fn table_arrow_schema(def: TableDef<'_>) -> SchemaRef {
    let mut fields = vec![Field::new("id", DataType::Utf8, false)];
    if let TableDef::Edge(_) = def {
        fields.push(Field::new("src", DataType::Utf8, false));
        fields.push(Field::new("dst", DataType::Utf8, false));
    }
    for p in def.properties() {
        fields.push(Field::new(&p.column, arrow_type(&p.ty), p.nullable));
    }
    Arc::new(Schema::new(fields))
}
