//! A guest stdout/stderr that keeps at most N bytes and silently drops the rest, so a
//! chatty or hostile plugin can neither exhaust host memory nor fail on a full pipe.
//! Both streams and the `log` import of one call draw on one [`OutputBudget`].

use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use bytes::Bytes;
use wasmtime_wasi::cli::{IsTerminal, StdoutStream};
use wasmtime_wasi::p2::{OutputStream, Pollable, StreamResult};

/// The bytes of output one call may still produce, shared by its stdout, stderr and
/// `log` messages; clones share the count.
#[derive(Clone, Debug)]
pub(crate) struct OutputBudget(Arc<AtomicUsize>);

impl OutputBudget {
    /// A budget of `bytes`.
    pub(crate) fn new(bytes: usize) -> Self {
        OutputBudget(Arc::new(AtomicUsize::new(bytes)))
    }

    /// Takes up to `wanted` bytes from the budget; how many were granted.
    pub(crate) fn take(&self, wanted: usize) -> usize {
        let mut granted = 0;
        let _ = self
            .0
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |left| {
                granted = left.min(wanted);
                Some(left - granted)
            });
        granted
    }
}

#[derive(Default)]
struct Buffer {
    kept: Vec<u8>,
    dropped: usize,
}

/// A capped in-memory output stream; clones share the buffer.
#[derive(Clone)]
pub(crate) struct CappedOutput {
    budget: OutputBudget,
    buffer: Arc<Mutex<Buffer>>,
}

impl CappedOutput {
    /// An empty stream keeping up to `capacity` bytes.
    #[cfg(test)]
    pub(crate) fn new(capacity: usize) -> Self {
        Self::with_budget(OutputBudget::new(capacity))
    }

    /// An empty stream keeping what `budget` still grants.
    pub(crate) fn with_budget(budget: OutputBudget) -> Self {
        CappedOutput {
            budget,
            buffer: Arc::default(),
        }
    }

    fn append(&self, bytes: &[u8]) {
        let mut buf = self.buffer.lock().unwrap_or_else(|e| e.into_inner());
        let take = self.budget.take(bytes.len());
        buf.kept.extend_from_slice(&bytes[..take]);
        buf.dropped += bytes.len() - take;
    }

    /// The bytes kept and how many were dropped.
    pub(crate) fn take(&self) -> (Vec<u8>, usize) {
        let mut buf = self.buffer.lock().unwrap_or_else(|e| e.into_inner());
        let dropped = std::mem::take(&mut buf.dropped);
        (std::mem::take(&mut buf.kept), dropped)
    }
}

impl IsTerminal for CappedOutput {
    fn is_terminal(&self) -> bool {
        false
    }
}

impl StdoutStream for CappedOutput {
    fn p2_stream(&self) -> Box<dyn OutputStream> {
        Box::new(self.clone())
    }

    fn async_stream(&self) -> Box<dyn tokio::io::AsyncWrite + Send + Sync> {
        Box::new(self.clone())
    }
}

#[wasmtime_wasi::async_trait]
impl Pollable for CappedOutput {
    async fn ready(&mut self) {}
}

#[wasmtime_wasi::async_trait]
impl OutputStream for CappedOutput {
    fn write(&mut self, bytes: Bytes) -> StreamResult<()> {
        self.append(&bytes);
        Ok(())
    }

    fn flush(&mut self) -> StreamResult<()> {
        Ok(())
    }

    fn check_write(&mut self) -> StreamResult<usize> {
        Ok(64 << 10)
    }
}

impl tokio::io::AsyncWrite for CappedOutput {
    fn poll_write(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.append(buf);
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_capacity_and_counts_the_rest() {
        let out = CappedOutput::new(4);
        out.append(b"abc");
        out.append(b"defg");
        assert_eq!(out.take(), (b"abcd".to_vec(), 3));
        assert_eq!(out.take(), (Vec::new(), 0));
    }

    #[test]
    fn streams_of_one_budget_share_it() {
        let budget = OutputBudget::new(5);
        let (a, b) = (
            CappedOutput::with_budget(budget.clone()),
            CappedOutput::with_budget(budget.clone()),
        );
        a.append(b"abc");
        b.append(b"defg");
        assert_eq!(a.take(), (b"abc".to_vec(), 0));
        assert_eq!(b.take(), (b"de".to_vec(), 2));
        assert_eq!(budget.take(1), 0);
    }
}
