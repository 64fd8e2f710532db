//! The gate between this process's writers and cleanup's sweep of unreferenced files.
//!
//! A writer stages data files, index files and table forks before any manifest lists
//! them; to Lance they look exactly like the leftovers of a failed write. Writers pass
//! the gate for their whole run; cleanup removes unreferenced files only while no writer
//! is inside, and writers that arrive meanwhile wait for it. Writers never wait for each
//! other here, and a writer inside the gate can enter again (nested calls).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::Notify;

#[derive(Default)]
struct GateState {
    writers: usize,
    sweeping: bool,
}

#[derive(Default)]
pub(crate) struct WriteGate {
    state: Mutex<GateState>,
    changed: Notify,
}

/// A writer inside the gate; leaving is dropping it.
pub(crate) struct WriterPass {
    gate: Arc<WriteGate>,
}

/// Cleanup's exclusive turn to remove unreferenced files; ends when dropped.
pub(crate) struct SweepTurn {
    gate: Arc<WriteGate>,
}

impl WriteGate {
    fn state(&self) -> std::sync::MutexGuard<'_, GateState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub(crate) async fn enter(self: &Arc<Self>) -> WriterPass {
        loop {
            let changed = self.changed.notified();
            {
                let mut state = self.state();
                if !state.sweeping {
                    state.writers += 1;
                    return WriterPass { gate: self.clone() };
                }
            }
            changed.await;
        }
    }

    /// Waits up to `patience` for the writers inside to leave; `None` if they did not.
    pub(crate) async fn sweep(self: &Arc<Self>, patience: Duration) -> Option<SweepTurn> {
        let deadline = tokio::time::Instant::now() + patience;
        loop {
            let changed = self.changed.notified();
            {
                let mut state = self.state();
                if state.writers == 0 && !state.sweeping {
                    state.sweeping = true;
                    return Some(SweepTurn { gate: self.clone() });
                }
            }
            if tokio::time::timeout_at(deadline, changed).await.is_err() {
                return None;
            }
        }
    }
}

impl Drop for WriterPass {
    fn drop(&mut self) {
        self.gate.state().writers -= 1;
        self.gate.changed.notify_waiters();
    }
}

impl Drop for SweepTurn {
    fn drop(&mut self) {
        self.gate.state().sweeping = false;
        self.gate.changed.notify_waiters();
    }
}
