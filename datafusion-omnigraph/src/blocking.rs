//! Running async engine calls from DataFusion's synchronous planning hooks
//! (table functions and relation planners), in any kind of Tokio runtime or none.

use std::future::Future;

use tokio::runtime::{Handle, RuntimeFlavor};

/// Drives `fut` to completion from synchronous code.
///
/// On a multi-threaded runtime the current worker is handed back to the pool while this
/// blocks; elsewhere (a current-thread runtime, or no runtime) a helper thread with its
/// own runtime runs the future, since blocking the only worker would deadlock.
pub(crate) fn block_on<F>(fut: F) -> F::Output
where
    F: Future + Send,
    F::Output: Send,
{
    match Handle::try_current() {
        Ok(handle) if handle.runtime_flavor() == RuntimeFlavor::MultiThread => {
            tokio::task::block_in_place(|| handle.block_on(fut))
        }
        _ => std::thread::scope(|scope| {
            scope
                .spawn(|| {
                    tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                        .expect("a current-thread runtime can always be built")
                        .block_on(fut)
                })
                .join()
                .expect("planning helper thread panicked")
        }),
    }
}
