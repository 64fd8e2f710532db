//! Carrying engine errors through DataFusion and back.

use datafusion::error::DataFusionError;
use omnigraph_engine::Error as EngineError;

/// Wraps an engine error so callers can recover it with [`engine_error`].
pub fn to_df(err: EngineError) -> DataFusionError {
    DataFusionError::External(Box::new(err))
}

/// The engine error inside a DataFusion error, however deeply it was wrapped.
pub fn engine_error(err: &DataFusionError) -> Option<&EngineError> {
    match err {
        DataFusionError::External(inner) => inner.downcast_ref::<EngineError>(),
        DataFusionError::Context(_, inner) => engine_error(inner),
        DataFusionError::Shared(inner) => engine_error(inner),
        DataFusionError::Diagnostic(_, inner) => engine_error(inner),
        DataFusionError::Collection(errs) => errs.iter().find_map(engine_error),
        _ => None,
    }
}

pub(crate) type DfResult<T> = datafusion::error::Result<T>;
