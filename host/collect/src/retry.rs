//! Retry with exponential backoff for throttled or briefly unavailable cloud APIs
//! (HTTP 429/503, AWS `ThrottlingException`), honouring a server's `Retry-After`.
//! Built on `backon` (maintained, async, lets the caller adjust each delay).

use std::future::Future;
use std::time::Duration;

use backon::{ExponentialBuilder, Retryable};
use serde::Deserialize;

/// How often and how patiently a collector retries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct RetryPolicy {
    /// Attempts in all, the first included.
    pub max_attempts: u32,
    /// Delay before the first retry, in milliseconds; doubles after each.
    pub base_delay_ms: u64,
    /// Longest delay between two attempts (also caps a server's `Retry-After`).
    pub max_delay_ms: u64,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 5,
            base_delay_ms: 200,
            max_delay_ms: 20_000,
        }
    }
}

/// Whether an error is worth another attempt.
pub trait Transient {
    /// `None`: do not retry. `Some(delay)`: retry, after `delay` if the server said
    /// how long to wait (`Retry-After`), else after the backoff's next delay.
    fn retry_after(&self) -> Option<Option<Duration>>;
}

/// Runs `op` until it succeeds, fails with a non-transient error, or the attempts
/// run out; each retry is logged with `what` (never with request contents).
pub async fn with_retry<T, E, Fut, F>(policy: &RetryPolicy, what: &str, op: F) -> Result<T, E>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, E>>,
    E: Transient + std::fmt::Display,
{
    let max_delay = Duration::from_millis(policy.max_delay_ms);
    let backoff = ExponentialBuilder::default()
        .with_min_delay(Duration::from_millis(policy.base_delay_ms))
        .with_max_delay(max_delay)
        .with_max_times(policy.max_attempts.saturating_sub(1) as usize)
        .with_jitter();
    op.retry(backoff)
        .sleep(tokio::time::sleep)
        .when(|err: &E| err.retry_after().is_some())
        .adjust(move |err: &E, next| match err.retry_after() {
            Some(Some(server)) => next.map(|_| server.min(max_delay)),
            _ => next,
        })
        .notify(|err: &E, delay| {
            tracing::warn!(
                call = what,
                delay_ms = delay.as_millis() as u64,
                "retrying: {err}"
            );
        })
        .await
}

/// Parses an HTTP `Retry-After` header given in seconds (the form ARM and the
/// Kubernetes API use); an HTTP date is not honoured and falls back to the backoff.
pub fn parse_retry_after(value: &str) -> Option<Duration> {
    value.trim().parse::<u64>().ok().map(Duration::from_secs)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};

    #[derive(Debug)]
    enum Fault {
        Throttled(Option<Duration>),
        Denied,
    }

    impl std::fmt::Display for Fault {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            write!(f, "{self:?}")
        }
    }

    impl Transient for Fault {
        fn retry_after(&self) -> Option<Option<Duration>> {
            match self {
                Fault::Throttled(after) => Some(*after),
                Fault::Denied => None,
            }
        }
    }

    fn policy() -> RetryPolicy {
        RetryPolicy {
            max_attempts: 4,
            base_delay_ms: 1,
            max_delay_ms: 50,
        }
    }

    fn runtime() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap()
    }

    #[test]
    fn throttling_is_retried_until_success() {
        let calls = AtomicU32::new(0);
        let result: Result<u32, Fault> = runtime().block_on(with_retry(&policy(), "t", || async {
            match calls.fetch_add(1, Ordering::SeqCst) {
                0 | 1 => Err(Fault::Throttled(Some(Duration::from_millis(5)))),
                n => Ok(n),
            }
        }));
        assert_eq!(result.unwrap(), 2);
        assert_eq!(calls.load(Ordering::SeqCst), 3);
    }

    #[test]
    fn a_permanent_error_is_not_retried_and_attempts_are_bounded() {
        let calls = AtomicU32::new(0);
        let denied: Result<(), Fault> = runtime().block_on(with_retry(&policy(), "t", || async {
            calls.fetch_add(1, Ordering::SeqCst);
            Err(Fault::Denied)
        }));
        assert!(matches!(denied, Err(Fault::Denied)));
        assert_eq!(calls.load(Ordering::SeqCst), 1);

        calls.store(0, Ordering::SeqCst);
        let throttled: Result<(), Fault> =
            runtime().block_on(with_retry(&policy(), "t", || async {
                calls.fetch_add(1, Ordering::SeqCst);
                Err(Fault::Throttled(None))
            }));
        assert!(matches!(throttled, Err(Fault::Throttled(None))));
        assert_eq!(calls.load(Ordering::SeqCst), 4);
    }

    #[test]
    fn retry_after_seconds_parse() {
        assert_eq!(parse_retry_after(" 7 "), Some(Duration::from_secs(7)));
        assert_eq!(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"), None);
    }
}
