//! Carrying typed errors through DataFusion and back.
//!
//! The extension's own errors are engine errors (`InvalidArgument` for a table function's
//! arguments or a version clause's value, `NotSupported` for a clause it does not
//! handle), raised as `DataFusionError::External`, so a front end recovers them by type
//! and never has to read a message to know what went wrong.

use datafusion::arrow::error::ArrowError;
use datafusion::error::DataFusionError;
use omnigraph_engine::Error as EngineError;

/// Wraps an engine error so callers can recover it with [`engine_error`].
pub fn to_df(err: EngineError) -> DataFusionError {
    DataFusionError::External(Box::new(err))
}

/// A Lance error as an engine error (typed, as [`to_df`] carries them).
pub(crate) fn lance_to_df(err: omnigraph_engine::lance::Error) -> DataFusionError {
    to_df(err.into())
}

/// The engine error inside a DataFusion error, however deeply it was wrapped.
pub fn engine_error(err: &DataFusionError) -> Option<&EngineError> {
    external_error(err)
}

/// The error of type `T` a DataFusion error carries (`External`, also inside `Context`,
/// `Diagnostic`, `Shared`, a `Collection` or an Arrow `ExternalError`), however deeply it
/// was wrapped.
pub fn external_error<T: std::error::Error + 'static>(err: &DataFusionError) -> Option<&T> {
    match err {
        DataFusionError::External(inner) => boxed_error(inner.as_ref()),
        DataFusionError::ArrowError(e, _) => match e.as_ref() {
            ArrowError::ExternalError(inner) => boxed_error(inner.as_ref()),
            _ => None,
        },
        DataFusionError::Context(_, inner) | DataFusionError::Diagnostic(_, inner) => {
            external_error(inner)
        }
        DataFusionError::Shared(inner) => external_error(inner),
        DataFusionError::Collection(errs) => errs.iter().find_map(external_error),
        _ => None,
    }
}

/// `T` itself, or found inside a DataFusion error that was boxed as a plain error.
fn boxed_error<'a, T: std::error::Error + 'static>(
    err: &'a (dyn std::error::Error + Send + Sync + 'static),
) -> Option<&'a T> {
    match err.downcast_ref::<T>() {
        Some(found) => Some(found),
        None => err
            .downcast_ref::<DataFusionError>()
            .and_then(external_error),
    }
}

pub(crate) type DfResult<T> = datafusion::error::Result<T>;
