//! Drives one asynchronous plugin call to completion on the calling thread, under a
//! wall-clock deadline.
//!
//! Calls are async so that a guest blocked in WASI (a sleep, a clock subscription, a
//! poll) is a pending future the deadline can drop, not a host thread stuck in a
//! syscall. Each worker thread keeps one small current-thread Tokio runtime (timers
//! only); inside a multi-threaded runtime the call runs on that runtime instead.

use std::future::Future;
use std::time::Duration;

use tokio::runtime::{Builder, Handle, Runtime, RuntimeFlavor};

thread_local! {
    /// This thread's runtime for plugin calls, built on its first call.
    static RUNTIME: Option<Runtime> = Builder::new_current_thread().enable_time().build().ok();
}

/// Why a call did not give a result.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Interrupted {
    /// The wall-clock deadline passed while the call was pending (the guest waited
    /// on the host, e.g. in a WASI sleep or poll).
    WallClock,
    /// No runtime could run the call (a current-thread runtime is driving this thread).
    NoRuntime(&'static str),
}

/// Runs `call` to completion, or until `timeout` of wall-clock time has passed.
pub(crate) fn run_with_deadline<F: Future>(
    timeout: Duration,
    call: F,
) -> Result<F::Output, Interrupted> {
    let deadline = async move {
        tokio::time::timeout(timeout, call)
            .await
            .map_err(|_| Interrupted::WallClock)
    };
    match Handle::try_current() {
        Ok(handle) if handle.runtime_flavor() == RuntimeFlavor::MultiThread => {
            tokio::task::block_in_place(|| handle.block_on(deadline))
        }
        Ok(_) => Err(Interrupted::NoRuntime(
            "plugin calls cannot run on a current-thread Tokio runtime's thread",
        )),
        Err(_) => RUNTIME.with(|runtime| match runtime {
            Some(runtime) => runtime.block_on(deadline),
            None => Err(Interrupted::NoRuntime("cannot build a Tokio runtime")),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pending_call_ends_at_the_deadline() {
        let started = std::time::Instant::now();
        let result = run_with_deadline(Duration::from_millis(50), async {
            tokio::time::sleep(Duration::from_secs(3600)).await;
        });
        assert_eq!(result, Err(Interrupted::WallClock));
        assert!(started.elapsed() >= Duration::from_millis(50));
    }

    #[test]
    fn a_ready_call_gives_its_output() {
        assert_eq!(
            run_with_deadline(Duration::from_secs(1), async { 7 }),
            Ok(7)
        );
    }
}
