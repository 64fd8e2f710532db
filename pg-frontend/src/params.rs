//! Bind parameters as DataFusion values. Each value is read in the type the client
//! declared (or, for undeclared ones, the type the statement implies), then cast to the
//! type the statement implies. A NULL keeps its position, typed when the type is known.

use arrow::datatypes::DataType;
use datafusion::scalar::ScalarValue;
use datafusion::sql::sqlparser::ast::{DataType as SqlType, TimezoneInfo};
use omnigraph_sql::{ErrorKind, ParsedStatement, SqlError};
use pgwire::api::Type;
use pgwire::api::portal::Portal;

use crate::encode::wire_type;
use crate::{array_param, pgvector};

/// The Postgres type a parameter of `data_type` is described as.
pub fn pg_type(data_type: Option<&DataType>) -> Type {
    if data_type.is_some_and(pgvector::is_vector_data_type) {
        return pgvector::vector_type();
    }
    data_type
        .and_then(|t| arrow_pg::datatypes::into_pg_type(&wire_type(t)).ok())
        .unwrap_or(Type::UNKNOWN)
}

fn bad(index: usize, e: impl std::fmt::Display) -> SqlError {
    SqlError::new(
        ErrorKind::InvalidValue,
        format!("invalid value for parameter ${}: {e}", index + 1),
    )
}

/// The values of `portal`'s parameters; `inferred` are the statement's parameter types.
pub fn decode<S: Clone>(
    portal: &Portal<S>,
    inferred: &[Option<DataType>],
) -> Result<Vec<ScalarValue>, SqlError> {
    let declared = &portal.statement.parameter_types;
    (0..portal.parameter_len())
        .map(|i| {
            let target = inferred.get(i).cloned().flatten();
            let declared = declared
                .get(i)
                .cloned()
                .flatten()
                .filter(|t| *t != Type::UNKNOWN);
            let client_typed_array = declared
                .as_ref()
                .is_some_and(|t| array_param::element_type(t).is_some());
            let ty = declared.unwrap_or_else(|| match &target {
                Some(t) => pg_type(Some(t)),
                None => Type::TEXT,
            });
            let mut value = read(portal, i, &ty).map_err(|e| bad(i, e))?;
            // Text for a vector is vector text, whatever type the client gave it.
            if let (ScalarValue::Utf8(Some(text)), Some(t)) = (&value, &target)
                && pgvector::is_vector_data_type(t)
            {
                value = pgvector::read_text(text).map_err(|e| bad(i, e))?;
            }
            match (value, &target) {
                // An array the client typed keeps its elements' type, as in PostgreSQL:
                // `int4_col = ANY($1)` with an `int8[]` compares as `bigint`.
                (value @ ScalarValue::List(_), _) if client_typed_array => Ok(value),
                (ScalarValue::Null, Some(t)) => ScalarValue::try_from(t).map_err(|e| bad(i, e)),
                (value, Some(t)) if value.data_type() != *t => {
                    value.cast_to(t).map_err(|e| bad(i, e))
                }
                (value, _) => Ok(value),
            }
        })
        .collect()
}

fn read<S: Clone>(portal: &Portal<S>, i: usize, ty: &Type) -> Result<ScalarValue, String> {
    if let Some(element) = array_param::element_type(ty) {
        return array_param::read(portal, i, ty, &element);
    }
    if pgvector::is_vector_type(ty) {
        let Some(Some(bytes)) = portal.parameters.get(i) else {
            return Ok(ScalarValue::Null);
        };
        if portal.parameter_format.is_binary(i) {
            return pgvector::read_binary(bytes);
        }
        let text = std::str::from_utf8(bytes).map_err(|e| e.to_string())?;
        return pgvector::read_text(text);
    }
    macro_rules! get {
        ($t:ty) => {
            portal.parameter::<$t>(i, ty).map_err(|e| e.to_string())?
        };
    }
    let value = match *ty {
        Type::BOOL => get!(bool).map(|v| ScalarValue::Boolean(Some(v))),
        Type::INT2 => get!(i16).map(|v| ScalarValue::Int16(Some(v))),
        Type::INT4 => get!(i32).map(|v| ScalarValue::Int32(Some(v))),
        Type::INT8 => get!(i64).map(|v| ScalarValue::Int64(Some(v))),
        Type::OID => get!(u32).map(|v| ScalarValue::Int64(Some(v as i64))),
        Type::FLOAT4 => get!(f32).map(|v| ScalarValue::Float32(Some(v))),
        Type::FLOAT8 => get!(f64).map(|v| ScalarValue::Float64(Some(v))),
        Type::NUMERIC => get!(rust_decimal::Decimal).map(|v| {
            ScalarValue::Float64(Some(
                rust_decimal::prelude::ToPrimitive::to_f64(&v).unwrap_or(f64::NAN),
            ))
        }),
        Type::DATE => get!(chrono::NaiveDate).map(|d| {
            let epoch = chrono::NaiveDate::from_ymd_opt(1970, 1, 1).expect("epoch");
            ScalarValue::Date32(Some((d - epoch).num_days() as i32))
        }),
        Type::TIMESTAMP => get!(chrono::NaiveDateTime)
            .map(|t| ScalarValue::TimestampMicrosecond(Some(t.and_utc().timestamp_micros()), None)),
        Type::TIMESTAMPTZ => get!(chrono::DateTime<chrono::FixedOffset>).map(|t| {
            ScalarValue::TimestampMicrosecond(Some(t.timestamp_micros()), Some("+00:00".into()))
        }),
        Type::BYTEA => get!(Vec<u8>).map(|v| ScalarValue::Binary(Some(v))),
        Type::JSON | Type::JSONB => {
            get!(serde_json::Value).map(|v| ScalarValue::Utf8(Some(v.to_string())))
        }
        _ => get!(String).map(|v| ScalarValue::Utf8(Some(v))),
    };
    Ok(value.unwrap_or(ScalarValue::Null))
}

/// The SQL type a declared parameter type is cast to in [`with_declared_types`].
fn sql_type(ty: &Type) -> Option<SqlType> {
    Some(match *ty {
        Type::BOOL => SqlType::Boolean,
        Type::INT2 => SqlType::SmallInt(None),
        Type::INT4 => SqlType::Int(None),
        Type::INT8 => SqlType::BigInt(None),
        Type::FLOAT4 => SqlType::Real,
        Type::FLOAT8 => SqlType::DoublePrecision,
        Type::TEXT => SqlType::Text,
        Type::VARCHAR => SqlType::Varchar(None),
        Type::DATE => SqlType::Date,
        Type::TIMESTAMP => SqlType::Timestamp(None, TimezoneInfo::None),
        Type::TIMESTAMPTZ => SqlType::Timestamp(None, TimezoneInfo::Tz),
        Type::BYTEA => SqlType::Bytea,
        _ => return None,
    })
}

/// Applies the client's declared parameter types to a query's result columns as casts
/// (`SELECT $1` with `$1` declared `int8` becomes `SELECT $1::BIGINT`), as PostgreSQL
/// types a placeholder by its declaration: it then describes and returns the declared
/// type instead of `unknown`. Returns whether anything changed (commands and `CALL` keep
/// their own typing).
pub fn with_declared_types(statement: &mut ParsedStatement, declared: &[Option<Type>]) -> bool {
    use datafusion::sql::sqlparser::ast::visit_expressions_mut;
    use datafusion::sql::sqlparser::ast::{CastKind, Expr, SetExpr, Statement, Value};

    let casts: Vec<Option<SqlType>> = declared
        .iter()
        .map(|t| t.as_ref().and_then(sql_type))
        .collect();
    if casts.iter().all(Option::is_none) {
        return false;
    }
    let Some(Statement::Query(query)) = statement.sql_statement_mut() else {
        return false;
    };
    // Only the result columns: elsewhere a placeholder takes its type from what it is
    // compared with or assigned to, and a cast there would only hide that.
    let SetExpr::Select(select) = query.body.as_mut() else {
        return false;
    };
    let mut changed = false;
    let _ = visit_expressions_mut(&mut select.projection, |expr| {
        if let Expr::Value(v) = expr
            && let Value::Placeholder(name) = &v.value
            && let Some(data_type) = name
                .trim_start_matches('$')
                .parse::<usize>()
                .ok()
                .and_then(|n| n.checked_sub(1))
                .and_then(|i| casts.get(i).cloned().flatten())
        {
            *expr = Expr::Cast {
                kind: CastKind::DoubleColon,
                expr: Box::new(expr.clone()),
                data_type,
                array: false,
                format: None,
            };
            changed = true;
        }
        std::ops::ControlFlow::<()>::Continue(())
    });
    changed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn declared_parameter_types_become_casts_in_queries() {
        let typed = |sql: &str, declared: &[Option<Type>]| {
            let mut statement = omnigraph_sql::statement::parse_one(sql).unwrap();
            with_declared_types(&mut statement, declared).then(|| statement.ast.to_string())
        };
        let sql = typed(
            "SELECT $1 AS v, $2 FROM t WHERE a = $1",
            &[Some(Type::INT8), None],
        )
        .unwrap();
        assert_eq!(sql, "SELECT $1::BIGINT AS v, $2 FROM t WHERE a = $1");
        assert_eq!(
            typed("INSERT INTO t VALUES ($1)", &[Some(Type::INT8)]),
            None
        );
        assert_eq!(typed("SELECT $1", &[None]), None);
    }
}
