//! Connections are served by a fixed set of threads, each driving its own single-threaded
//! runtime; a connection stays on the thread it was given. A client's message wakes the
//! thread whose reactor saw it, and its reply is written from there, with no hand-over
//! between worker threads, which on a work-stealing runtime costs a wake-up per message
//! and is most of a short statement's latency. Statements that read tables still run on
//! the query runtime (see [`crate::execution`]); these threads only speak the protocol.

use std::future::Future;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::runtime::Handle;

const CONNECTION_THREAD_STACK: usize = 8 << 20;

struct ConnectionThreads {
    runtimes: Vec<Handle>,
    next: AtomicUsize,
}

fn threads() -> &'static ConnectionThreads {
    static THREADS: OnceLock<ConnectionThreads> = OnceLock::new();
    THREADS.get_or_init(|| {
        let count = std::thread::available_parallelism().map_or(2, |n| n.get());
        let runtimes = (0..count).map(start_thread).collect();
        ConnectionThreads {
            runtimes,
            next: AtomicUsize::new(0),
        }
    })
}

fn start_thread(index: usize) -> Handle {
    let (sender, receiver) = std::sync::mpsc::channel();
    std::thread::Builder::new()
        .name(format!("omnigraph-conn-{index}"))
        // Statements are parsed here (nested ones recurse); debug builds need the room.
        .stack_size(CONNECTION_THREAD_STACK)
        .spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a connection runtime starts");
            sender
                .send(runtime.handle().clone())
                .expect("the server waits for its connection threads");
            runtime.block_on(std::future::pending::<()>());
        })
        .expect("a connection thread starts");
    receiver
        .recv()
        .expect("a connection thread reports its runtime")
}

/// The runtime of the thread that takes the next connection (round robin).
fn next() -> &'static Handle {
    let threads = threads();
    let index = threads.next.fetch_add(1, Ordering::Relaxed) % threads.runtimes.len();
    &threads.runtimes[index]
}

/// Serves one connection on the next thread.
pub fn spawn<F>(connection: F)
where
    F: Future<Output = ()> + Send + 'static,
{
    next().spawn(connection);
}
