//! Dates, times and intervals as PostgreSQL 15 has them: text input (`input`, through
//! checked `casts`), the fields of `extract` and `date_part` (`fields`, `extract`),
//! operators (`operators`), and the functions DataFusion lacks or answers otherwise.
//! The session's time zone is UTC ([`SESSION_ZONE`]): `timestamptz` values are
//! `Timestamp(_, "+00:00")`.

pub mod calendar;
pub mod casts;
pub mod constructors;
pub mod error;
pub mod extract;
pub mod fields;
pub mod input;
pub mod interval_functions;
pub mod interval_input;
pub mod operators;
pub mod template_functions;

use std::sync::Arc;

use datafusion::arrow::datatypes::{DataType, TimeUnit};
use datafusion::common::tree_node::Transformed;
use datafusion::common::{DFSchema, Result};
use datafusion::execution::registry::FunctionRegistry;
use datafusion::logical_expr::expr::ScalarFunction;
use datafusion::logical_expr::{Cast, Expr, ExprSchemable, ScalarUDF};
use datafusion::prelude::SessionContext;

pub use error::DatetimeError;

/// The zone of the session's `timestamptz` values (the server's `TimeZone` is UTC).
pub const SESSION_ZONE: &str = "+00:00";

/// `timestamp with time zone`.
pub fn timestamptz() -> DataType {
    DataType::Timestamp(TimeUnit::Nanosecond, Some(SESSION_ZONE.into()))
}

/// The date and time functions, to register over DataFusion's.
pub fn functions() -> Vec<ScalarUDF> {
    let mut udfs = vec![extract::date_part()];
    udfs.extend(constructors::functions());
    udfs.extend(interval_functions::functions());
    udfs.extend(template_functions::functions());
    udfs
}

/// Installs the date and time operators' planner.
pub fn register(ctx: &SessionContext) -> Result<()> {
    ctx.state_ref()
        .write()
        .register_expr_planner(Arc::new(operators::DatetimeOperators))?;
    // `extract` must be planned as PostgreSQL's before type coercion sees its type, so
    // this planner goes before DataFusion's, which plans it as `date_part`.
    crate::rebuilt_state::rebuild(ctx, |mut builder| {
        if let Some(planners) = builder.expr_planners() {
            planners.insert(0, Arc::new(extract::ExtractPlanner));
        }
        builder
    });
    Ok(())
}

/// Function calls DataFusion planned its way, rewritten after type coercion:
/// `date_trunc` of a `date` truncates a `timestamptz`, as PostgreSQL's implicit cast of
/// the date does.
pub fn rewrite_function(expr: Expr, schema: &DFSchema) -> Result<Transformed<Expr>> {
    let Expr::ScalarFunction(ScalarFunction { func, args }) = expr else {
        return Ok(Transformed::no(expr));
    };
    if func.name() == "date_trunc"
        && let [unit, Expr::Cast(Cast { expr: source, .. })] = args.as_slice()
        && matches!(
            source.get_type(schema),
            Ok(DataType::Date32 | DataType::Date64)
        )
    {
        let source = Expr::Cast(Cast::new(source.clone(), timestamptz()));
        let call = ScalarFunction::new_udf(func.clone(), vec![unit.clone(), source]);
        return Ok(Transformed::yes(Expr::ScalarFunction(call)));
    }
    Ok(Transformed::no(Expr::ScalarFunction(ScalarFunction {
        func,
        args,
    })))
}
