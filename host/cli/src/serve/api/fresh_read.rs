//! One read shared by the requests that wait for it: the value of a read begun after
//! the caller arrived, never an older one, with at most one read under way at a time.
//! Every request of `GET /api/v1/findings` needs the store's findings generation as
//! of its arrival; under load, those that arrive while a read is under way share the
//! next one instead of each taking a connection for the same row.

use std::sync::Mutex;

use futures_util::FutureExt as _;
use futures_util::future::{BoxFuture, Shared};

/// One read, awaited by every caller that joined it.
type Read<T, E> = Shared<BoxFuture<'static, Result<T, E>>>;

/// The reads begun so far and the one under way.
struct Reads<T, E> {
    /// How many reads have begun; a read's number is its place in that count.
    begun: u64,
    /// The read under way, with its number.
    running: Option<(u64, Read<T, E>)>,
}

/// A read shared by callers that wait for it at once.
pub struct FreshRead<T, E> {
    read: Box<dyn Fn() -> BoxFuture<'static, Result<T, E>> + Send + Sync>,
    reads: Mutex<Reads<T, E>>,
}

impl<T: Clone + Send + Sync + 'static, E: Clone + Send + Sync + 'static> FreshRead<T, E> {
    /// Reads with `read`.
    pub fn new(
        read: impl Fn() -> BoxFuture<'static, Result<T, E>> + Send + Sync + 'static,
    ) -> Self {
        FreshRead {
            read: Box::new(read),
            reads: Mutex::new(Reads {
                begun: 0,
                running: None,
            }),
        }
    }

    /// The value as of now: a read under way that began before this call is waited
    /// out, and the next one (begun after it) answers.
    pub async fn current(&self) -> Result<T, E> {
        let arrived = self.lock().begun;
        loop {
            let (number, read) = {
                let mut reads = self.lock();
                match &reads.running {
                    Some((number, read)) => (*number, read.clone()),
                    None => {
                        reads.begun += 1;
                        let read = (self.read)().shared();
                        reads.running = Some((reads.begun, read.clone()));
                        (reads.begun, read)
                    }
                }
            };
            let value = read.await;
            {
                let mut reads = self.lock();
                if reads.running.as_ref().is_some_and(|(n, _)| *n == number) {
                    reads.running = None;
                }
            }
            if number > arrived {
                return value;
            }
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Reads<T, E>> {
        self.reads.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::time::Duration;

    /// A store stand-in: a version callers raise, read slowly, reads counted.
    fn reader(
        version: Arc<AtomicU64>,
        reads: Arc<AtomicU64>,
        fail: bool,
    ) -> Arc<FreshRead<u64, String>> {
        Arc::new(FreshRead::new(move || {
            let (version, reads) = (version.clone(), reads.clone());
            async move {
                reads.fetch_add(1, Ordering::SeqCst);
                let seen = version.load(Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(5)).await;
                if fail {
                    Err(format!("down at {seen}"))
                } else {
                    Ok(seen)
                }
            }
            .boxed()
        }))
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn every_caller_gets_a_read_begun_after_it_arrived_and_reads_are_shared() {
        let (version, reads) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0)));
        let fresh = reader(version.clone(), reads.clone(), false);
        let callers: Vec<_> = (0..200)
            .map(|i| {
                let (fresh, version) = (fresh.clone(), version.clone());
                tokio::spawn(async move {
                    tokio::time::sleep(Duration::from_micros(100 * (i % 50))).await;
                    // A write committed just before the request arrives.
                    let written = version.fetch_add(1, Ordering::SeqCst) + 1;
                    let seen = fresh.current().await.unwrap();
                    assert!(
                        seen >= written,
                        "read {seen}, older than the write {written}"
                    );
                })
            })
            .collect();
        for caller in callers {
            caller.await.unwrap();
        }
        let reads = reads.load(Ordering::SeqCst);
        assert!(reads < 100, "{reads} reads for 200 callers");
        assert!(reads >= 2, "{reads} reads");
    }

    #[tokio::test]
    async fn an_error_goes_to_the_callers_of_that_read_and_the_next_call_reads_again() {
        let (version, reads) = (Arc::new(AtomicU64::new(7)), Arc::new(AtomicU64::new(0)));
        let fresh = reader(version, reads.clone(), true);
        assert_eq!(fresh.current().await.unwrap_err(), "down at 7");
        assert_eq!(fresh.current().await.unwrap_err(), "down at 7");
        assert_eq!(reads.load(Ordering::SeqCst), 2);
    }
}
