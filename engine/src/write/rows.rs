//! Row buffers: JSON property maps to Arrow record batches of a table's schema, and the
//! ids derived from keys.

use arrow_array::builder::StringBuilder;
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::SchemaRef;
use serde_json::{Map, Value};

use crate::error::{IntegrityViolation, Result};
use crate::schema::{PropType, Property, TableDef, table_arrow_schema};
use crate::values::{ColumnBuilder, parse_date, parse_datetime};

/// Separator between the parts of a composite key in an id; parts escape `\` and `|`.
pub const KEY_SEPARATOR: char = '|';

fn escape_part(part: &str, out: &mut String) {
    for c in part.chars() {
        if c == '\\' || c == KEY_SEPARATOR {
            out.push('\\');
        }
        out.push(c);
    }
}

/// Joins key parts into an id: one part is used verbatim; several are escaped and joined
/// with `|`, so `("a|b", "c")` and `("a", "b|c")` give different ids.
pub fn join_key_parts(parts: &[String]) -> String {
    if parts.len() == 1 {
        return parts[0].clone();
    }
    let mut out = String::new();
    for (i, p) in parts.iter().enumerate() {
        if i > 0 {
            out.push(KEY_SEPARATOR);
        }
        escape_part(p, &mut out);
    }
    out
}

/// The canonical text form of a key value, so equal values always give equal ids
/// (`2024-01-01T01:00:00+01:00` and `2024-01-01T00:00:00Z` are one DateTime).
fn key_text(v: &Value, ty: &PropType) -> std::result::Result<String, String> {
    match (ty, v) {
        (PropType::Date, Value::String(s)) => {
            let days = parse_date(s)?;
            let date = chrono::NaiveDate::from_ymd_opt(1970, 1, 1).expect("valid date")
                + chrono::Duration::days(days as i64);
            Ok(date.format("%Y-%m-%d").to_string())
        }
        (PropType::DateTime, Value::String(s)) => {
            let micros = parse_datetime(s)?;
            let ts =
                chrono::DateTime::from_timestamp_micros(micros).ok_or("date-time out of range")?;
            Ok(ts.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true))
        }
        (PropType::I32 | PropType::I64 | PropType::U32 | PropType::U64, Value::Number(n))
            if n.is_i64() || n.is_u64() =>
        {
            Ok(n.to_string())
        }
        (PropType::String | PropType::Enum(_), Value::String(s)) => Ok(s.clone()),
        (PropType::Bool, Value::Bool(b)) => Ok(b.to_string()),
        (ty, other) => Err(format!("a key of type {ty} cannot be {other}")),
    }
}

fn find_value<'a>(data: &'a Map<String, Value>, prop: &Property) -> Option<&'a Value> {
    data.get(&prop.declared_name)
        .or_else(|| data.get(&prop.column))
        .filter(|v| !v.is_null())
}

/// The id of a row of `def` from its property map; `None` when the type has no key.
pub fn derive_key_id(
    def: TableDef<'_>,
    data: &Map<String, Value>,
) -> std::result::Result<Option<Vec<String>>, IntegrityViolation> {
    if def.key().is_empty() {
        return Ok(None);
    }
    let mut parts = Vec::with_capacity(def.key().len());
    for col in def.key() {
        let prop = def
            .property(col)
            .expect("key columns are declared properties");
        let v = find_value(data, prop).ok_or_else(|| IntegrityViolation::MissingProperty {
            table: def.table().to_string(),
            column: prop.column.clone(),
        })?;
        parts.push(
            key_text(v, &prop.ty).map_err(|message| IntegrityViolation::InvalidValue {
                table: def.table().to_string(),
                column: prop.column.clone(),
                message,
            })?,
        );
    }
    Ok(Some(parts))
}

/// Accumulates rows of one table and emits record batches of its Arrow schema.
pub(crate) struct RowBuffer {
    table: String,
    schema: SchemaRef,
    is_edge: bool,
    ids: StringBuilder,
    src: StringBuilder,
    dst: StringBuilder,
    props: Vec<(Property, ColumnBuilder)>,
    len: usize,
}

impl RowBuffer {
    pub(crate) fn new(def: TableDef<'_>) -> RowBuffer {
        RowBuffer {
            table: def.table().to_string(),
            schema: table_arrow_schema(def),
            is_edge: matches!(def, TableDef::Edge(_)),
            ids: StringBuilder::new(),
            src: StringBuilder::new(),
            dst: StringBuilder::new(),
            props: def
                .properties()
                .iter()
                .map(|p| (p.clone(), ColumnBuilder::new(&p.ty)))
                .collect(),
            len: 0,
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Checks every key of `data` names a declared property.
    fn check_known(
        &self,
        data: &Map<String, Value>,
    ) -> std::result::Result<(), IntegrityViolation> {
        for k in data.keys() {
            let Some((p, _)) = self
                .props
                .iter()
                .find(|(p, _)| &p.declared_name == k || &p.column == k)
            else {
                return Err(IntegrityViolation::UnknownProperty {
                    table: self.table.clone(),
                    column: k.clone(),
                });
            };
            if p.declared_name != p.column
                && data.contains_key(&p.declared_name)
                && data.contains_key(&p.column)
            {
                return Err(IntegrityViolation::InvalidValue {
                    table: self.table.clone(),
                    column: p.column.clone(),
                    message: format!(
                        "given twice, as '{}' and as '{}'",
                        p.declared_name, p.column
                    ),
                });
            }
        }
        Ok(())
    }

    /// Appends one row. On error the buffer is unusable; the whole write fails anyway.
    pub(crate) fn push(
        &mut self,
        id: &str,
        endpoints: Option<(&str, &str)>,
        data: &Map<String, Value>,
    ) -> std::result::Result<(), IntegrityViolation> {
        self.check_known(data)?;
        self.ids.append_value(id);
        if self.is_edge {
            let (s, d) = endpoints.expect("edges have endpoints");
            self.src.append_value(s);
            self.dst.append_value(d);
        }
        for (prop, builder) in &mut self.props {
            match find_value(data, prop) {
                Some(v) => {
                    builder
                        .append_json(v)
                        .map_err(|message| IntegrityViolation::InvalidValue {
                            table: self.table.clone(),
                            column: prop.column.clone(),
                            message,
                        })?
                }
                None if prop.nullable => builder.append_null(),
                None => {
                    return Err(IntegrityViolation::MissingProperty {
                        table: self.table.clone(),
                        column: prop.column.clone(),
                    });
                }
            }
        }
        self.len += 1;
        Ok(())
    }

    /// Emits the buffered rows as one batch and resets the buffer.
    pub(crate) fn take_batch(&mut self) -> Result<RecordBatch> {
        let mut columns: Vec<ArrayRef> = vec![std::sync::Arc::new(self.ids.finish())];
        if self.is_edge {
            columns.push(std::sync::Arc::new(self.src.finish()));
            columns.push(std::sync::Arc::new(self.dst.finish()));
        }
        for (_, b) in &mut self.props {
            columns.push(b.finish());
        }
        self.len = 0;
        Ok(RecordBatch::try_new(self.schema.clone(), columns)?)
    }
}

#[cfg(test)]
mod tests {
    use super::join_key_parts;

    #[test]
    fn composite_ids_are_unambiguous() {
        let a = join_key_parts(&["a|b".into(), "c".into()]);
        let b = join_key_parts(&["a".into(), "b|c".into()]);
        assert_ne!(a, b);
        assert_eq!(a, "a\\|b|c");
        assert_eq!(join_key_parts(&["alice".into()]), "alice");
    }
}
