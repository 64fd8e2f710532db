//! PostgreSQL's binary `COPY` format, read: a header (`PGCOPY\n\377\r\n\0`, flags, an
//! extension), then per row a 16-bit field count and per field a 32-bit length (-1 for
//! NULL) and the value in its type's binary form, then a trailer (-1). Each value must be
//! in the binary form of its column's type, as PostgreSQL requires; rows are read into
//! Arrow arrays of the columns' own types, as they arrive.

use std::sync::Arc;

use datafusion::arrow::array::{
    ArrayBuilder, ArrayRef, BooleanBuilder, Date32Builder, FixedSizeListBuilder, Float32Builder,
    Float64Builder, Int32Builder, Int64Builder, LargeBinaryBuilder, ListBuilder, RecordBatch,
    StringBuilder, TimestampMicrosecondBuilder, UInt32Builder, UInt64Builder, make_builder,
};
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef, TimeUnit};

use crate::error::{ErrorKind, Result, SqlError};

const SIGNATURE: &[u8; 11] = b"PGCOPY\n\xff\r\n\0";

/// Days from 1970-01-01 to PostgreSQL's epoch, 2000-01-01.
const EPOCH_DAYS: i32 = 10_957;
/// Microseconds from 1970-01-01 to 2000-01-01.
const EPOCH_MICROS: i64 = 946_684_800_000_000;

/// Whether binary `COPY` reads a column of `ty`.
pub fn reads(ty: &DataType) -> bool {
    match ty {
        DataType::List(item) | DataType::FixedSizeList(item, _) => {
            !matches!(
                item.data_type(),
                DataType::List(_) | DataType::FixedSizeList(..)
            ) && reads(item.data_type())
        }
        other => scalar(other),
    }
}

fn scalar(ty: &DataType) -> bool {
    matches!(
        ty,
        DataType::Boolean
            | DataType::Int32
            | DataType::Int64
            | DataType::UInt32
            | DataType::UInt64
            | DataType::Float32
            | DataType::Float64
            | DataType::Utf8
            | DataType::Date32
            | DataType::Timestamp(TimeUnit::Microsecond, _)
            | DataType::LargeBinary
    )
}

/// Reads binary `COPY` data into rows of `schema` as it arrives.
pub struct BinaryReader {
    table: String,
    schema: SchemaRef,
    builders: Vec<Box<dyn ArrayBuilder>>,
    /// Bytes not read yet (a row is read when it is whole).
    pending: Vec<u8>,
    header_read: bool,
    /// The trailer was read: the rest is ignored.
    ended: bool,
    /// Rows read in all (PostgreSQL numbers binary rows as lines).
    row: usize,
    lines: Vec<usize>,
}

fn bad_format(message: impl Into<String>) -> SqlError {
    SqlError::new(ErrorKind::BadCopyFileFormat, message)
}

fn bad_binary(message: impl Into<String>) -> SqlError {
    SqlError::new(ErrorKind::InvalidBinaryRepresentation, message)
}

/// A big-endian reader over one row's bytes; `None` when they run out.
struct Cursor<'a> {
    data: &'a [u8],
    at: usize,
}

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let bytes = self.data.get(self.at..self.at.checked_add(n)?)?;
        self.at += n;
        Some(bytes)
    }

    fn i16(&mut self) -> Option<i16> {
        self.take(2).map(|b| i16::from_be_bytes([b[0], b[1]]))
    }

    fn i32(&mut self) -> Option<i32> {
        self.take(4)
            .map(|b| i32::from_be_bytes(b.try_into().expect("4 bytes")))
    }
}

impl BinaryReader {
    pub fn new(table: &str, schema: SchemaRef) -> BinaryReader {
        let builders = schema
            .fields()
            .iter()
            .map(|f| make_builder(f.data_type(), 1024))
            .collect();
        BinaryReader {
            table: table.to_string(),
            schema,
            builders,
            pending: Vec::new(),
            header_read: false,
            ended: false,
            row: 0,
            lines: Vec::new(),
        }
    }

    pub fn rows(&self) -> usize {
        self.lines.len()
    }

    pub fn columns(&self) -> usize {
        self.schema.fields().len()
    }

    pub fn pending_bytes(&self) -> usize {
        self.pending.len()
    }

    fn located(&self, error: SqlError) -> SqlError {
        error.with_context(format!("COPY {}, line {}", self.table, self.row + 1))
    }

    pub fn feed(&mut self, bytes: &[u8]) -> Result<()> {
        if self.ended {
            return Ok(());
        }
        self.pending.extend_from_slice(bytes);
        let pending = std::mem::take(&mut self.pending);
        let read = self.read(&pending);
        if !self.ended {
            self.pending = pending[read.as_ref().map_or(0, |n| *n)..].to_vec();
        }
        read.map(|_| ())
    }

    /// The data ended: anything left over is a row cut short.
    pub fn end(&mut self) -> Result<()> {
        if self.ended {
            return Ok(());
        }
        if !self.header_read {
            return Err(bad_format("COPY file signature not recognized"));
        }
        // PostgreSQL accepts data without its trailer only when nothing is left over.
        if !self.pending.is_empty() {
            return Err(self.located(bad_format("unexpected EOF in COPY data")));
        }
        Ok(())
    }

    pub fn take(&mut self) -> Result<(RecordBatch, Vec<usize>)> {
        let columns: Vec<ArrayRef> = self.builders.iter_mut().map(|b| b.finish()).collect();
        let fields: Vec<Field> = self
            .schema
            .fields()
            .iter()
            .map(|f| f.as_ref().clone().with_nullable(true))
            .collect();
        let batch = RecordBatch::try_new(Arc::new(Schema::new(fields)), columns)
            .map_err(|e| SqlError::from(datafusion::error::DataFusionError::from(e)))?;
        Ok((batch, std::mem::take(&mut self.lines)))
    }

    /// Reads the whole rows of `data`; returns the bytes read.
    fn read(&mut self, data: &[u8]) -> Result<usize> {
        let mut at = 0;
        if !self.header_read {
            if data.len() < SIGNATURE.len() + 8 {
                if !SIGNATURE.starts_with(&data[..data.len().min(SIGNATURE.len())]) {
                    return Err(bad_format("COPY file signature not recognized"));
                }
                return Ok(0);
            }
            if &data[..SIGNATURE.len()] != SIGNATURE {
                return Err(bad_format("COPY file signature not recognized"));
            }
            let mut cursor = Cursor {
                data,
                at: SIGNATURE.len(),
            };
            let flags = cursor.i32().expect("length checked");
            if flags & (1 << 16) != 0 {
                return Err(bad_format("invalid COPY file header (WITH OIDS)"));
            }
            if flags & !0xffff & !(1 << 16) != 0 {
                return Err(bad_format(
                    "unrecognized critical flags in COPY file header",
                ));
            }
            let extension = cursor.i32().expect("length checked");
            if extension < 0 {
                return Err(bad_format("invalid COPY file header (missing length)"));
            }
            if cursor.take(extension as usize).is_none() {
                return Ok(0);
            }
            self.header_read = true;
            at = cursor.at;
        }
        loop {
            let mut cursor = Cursor { data, at };
            let Some(count) = cursor.i16() else {
                return Ok(at);
            };
            if count == -1 {
                self.ended = true;
                return Ok(cursor.at);
            }
            if count as usize != self.builders.len() {
                return Err(self.located(bad_format(format!(
                    "row field count is {count}, expected {}",
                    self.builders.len()
                ))));
            }
            // The row's fields, checked whole before any is appended.
            let mut fields: Vec<Option<&[u8]>> = Vec::with_capacity(self.builders.len());
            for _ in 0..count {
                let Some(length) = cursor.i32() else {
                    return Ok(at);
                };
                if length == -1 {
                    fields.push(None);
                    continue;
                }
                if length < 0 {
                    return Err(self.located(bad_binary(format!("invalid field size {length}"))));
                }
                let Some(value) = cursor.take(length as usize) else {
                    return Ok(at);
                };
                fields.push(Some(value));
            }
            for (i, field) in fields.into_iter().enumerate() {
                let ty = self.schema.field(i).data_type().clone();
                if let Err(e) = append(self.builders[i].as_mut(), &ty, field) {
                    let column = self.schema.field(i).name();
                    let context = format!(
                        "COPY {}, line {}, column {column}",
                        self.table,
                        self.row + 1
                    );
                    return Err(e.with_context(context));
                }
            }
            self.row += 1;
            self.lines.push(self.row);
            at = cursor.at;
        }
    }
}

fn exact<const N: usize>(value: &[u8]) -> Result<[u8; N]> {
    value
        .try_into()
        .map_err(|_| bad_binary("incorrect binary data format"))
}

/// Appends one value, in the binary form of `ty`'s PostgreSQL type, to `builder`.
fn append(builder: &mut dyn ArrayBuilder, ty: &DataType, value: Option<&[u8]>) -> Result<()> {
    macro_rules! put {
        ($builder:ty, $convert:expr) => {{
            let b = builder
                .as_any_mut()
                .downcast_mut::<$builder>()
                .expect("the builder of its type");
            match value {
                None => b.append_null(),
                Some(v) => b.append_value($convert(v)?),
            }
            Ok(())
        }};
    }
    match ty {
        DataType::Boolean => put!(BooleanBuilder, |v: &[u8]| exact::<1>(v).map(|b| b[0] != 0)),
        DataType::Int32 => put!(Int32Builder, |v: &[u8]| exact::<4>(v)
            .map(i32::from_be_bytes)),
        DataType::Int64 => put!(Int64Builder, |v: &[u8]| exact::<8>(v)
            .map(i64::from_be_bytes)),
        DataType::UInt32 => put!(UInt32Builder, |v: &[u8]| {
            let n = exact::<8>(v).map(i64::from_be_bytes)?;
            u32::try_from(n).map_err(|_| out_of_range("integer", n))
        }),
        DataType::UInt64 => put!(UInt64Builder, |v: &[u8]| {
            let n = exact::<8>(v).map(i64::from_be_bytes)?;
            u64::try_from(n).map_err(|_| out_of_range("bigint", n))
        }),
        DataType::Float32 => put!(Float32Builder, |v: &[u8]| exact::<4>(v)
            .map(f32::from_be_bytes)),
        DataType::Float64 => put!(Float64Builder, |v: &[u8]| exact::<8>(v)
            .map(f64::from_be_bytes)),
        DataType::Utf8 => {
            let b = builder
                .as_any_mut()
                .downcast_mut::<StringBuilder>()
                .expect("the builder of its type");
            match value {
                None => b.append_null(),
                Some(v) => b.append_value(std::str::from_utf8(v).map_err(|e| {
                    SqlError::new(
                        ErrorKind::CharacterNotInRepertoire,
                        format!(
                            "invalid byte sequence for encoding \"UTF8\": 0x{:02x}",
                            v[e.valid_up_to()]
                        ),
                    )
                })?),
            }
            Ok(())
        }
        DataType::Date32 => put!(Date32Builder, |v: &[u8]| {
            let days = exact::<4>(v).map(i32::from_be_bytes)?;
            days.checked_add(EPOCH_DAYS)
                .ok_or_else(|| SqlError::new(ErrorKind::DatetimeFieldOverflow, "date out of range"))
        }),
        DataType::Timestamp(TimeUnit::Microsecond, _) => {
            put!(TimestampMicrosecondBuilder, |v: &[u8]| {
                let micros = exact::<8>(v).map(i64::from_be_bytes)?;
                micros.checked_add(EPOCH_MICROS).ok_or_else(|| {
                    SqlError::new(ErrorKind::DatetimeFieldOverflow, "timestamp out of range")
                })
            })
        }
        DataType::LargeBinary => {
            let b = builder
                .as_any_mut()
                .downcast_mut::<LargeBinaryBuilder>()
                .expect("the builder of its type");
            b.append_option(value);
            Ok(())
        }
        DataType::List(item) => {
            let b = builder
                .as_any_mut()
                .downcast_mut::<ListBuilder<Box<dyn ArrayBuilder>>>()
                .expect("the builder of its type");
            match value {
                None => b.append_null(),
                Some(v) => {
                    array_elements(v, item.data_type(), None, b.values())?;
                    b.append(true);
                }
            }
            Ok(())
        }
        DataType::FixedSizeList(item, size) => {
            let b = builder
                .as_any_mut()
                .downcast_mut::<FixedSizeListBuilder<Box<dyn ArrayBuilder>>>()
                .expect("the builder of its type");
            match value {
                None => {
                    for _ in 0..*size {
                        append(b.values().as_mut(), item.data_type(), None)?;
                    }
                    b.append(false);
                }
                Some(v) => {
                    array_elements(v, item.data_type(), Some(*size as usize), b.values())?;
                    b.append(true);
                }
            }
            Ok(())
        }
        other => Err(SqlError::new(
            ErrorKind::NotSupported,
            format!("binary COPY of a {other} column"),
        )),
    }
}

fn out_of_range(ty: &str, n: i64) -> SqlError {
    SqlError::new(
        ErrorKind::NumericOutOfRange,
        format!("value {n} is out of range for type {ty}"),
    )
}

/// The elements of a one-dimensional array in binary form (dimensions, flags, element
/// type, then per dimension its length and lower bound, then the elements as fields).
fn array_elements(
    value: &[u8],
    item: &DataType,
    size: Option<usize>,
    values: &mut Box<dyn ArrayBuilder>,
) -> Result<()> {
    let malformed = || bad_binary("incorrect binary data format in array");
    let mut cursor = Cursor { data: value, at: 0 };
    let dimensions = cursor.i32().ok_or_else(malformed)?;
    let _flags = cursor.i32().ok_or_else(malformed)?;
    let _element_type = cursor.i32().ok_or_else(malformed)?;
    let length = match dimensions {
        0 => 0,
        1 => {
            let length = cursor.i32().ok_or_else(malformed)?;
            let _lower_bound = cursor.i32().ok_or_else(malformed)?;
            usize::try_from(length).map_err(|_| malformed())?
        }
        _ => {
            return Err(SqlError::new(
                ErrorKind::NotSupported,
                "binary COPY of a multi-dimensional array",
            ));
        }
    };
    if let Some(size) = size.filter(|s| *s != length) {
        return Err(bad_binary(format!(
            "an array of {length} elements for a vector of {size}"
        )));
    }
    for _ in 0..length {
        let field = match cursor.i32().ok_or_else(malformed)? {
            -1 => None,
            n if n < 0 => return Err(malformed()),
            n => Some(cursor.take(n as usize).ok_or_else(malformed)?),
        };
        append(values.as_mut(), item, field)?;
    }
    if cursor.at != value.len() {
        return Err(malformed());
    }
    Ok(())
}
