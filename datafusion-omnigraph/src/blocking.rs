//! Running async engine calls from DataFusion's synchronous planning hooks
//! (table functions and relation planners), in any kind of Tokio runtime or none.

use std::future::Future;
use std::sync::OnceLock;

use tokio::runtime::{Handle, Runtime, RuntimeFlavor};

/// A process-wide runtime for planning-time calls made outside a multi-threaded runtime,
/// so datasets it opens stay on a runtime that lives as long as the engine's caches.
fn helper_runtime() -> &'static Runtime {
    static RUNTIME: OnceLock<Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("omnigraph-planning")
            .enable_all()
            .build()
            .expect("the planning runtime can be built")
    })
}

/// Drives `fut` to completion from synchronous code.
///
/// On a multi-threaded runtime the current worker is handed back to the pool while this
/// blocks. Elsewhere (a current-thread runtime, or no runtime) the future runs on the
/// shared helper runtime and this thread waits for it, since blocking the only worker
/// of a current-thread runtime on its own future would deadlock.
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
                .spawn(|| helper_runtime().block_on(fut))
                .join()
                .expect("planning helper thread panicked")
        }),
    }
}
