//! Per-plugin call statistics: how many `detect` / `remediate` calls a plugin served,
//! how each ended (ok, error, timeout, memory cap) and how long they took. Lock-free:
//! a handful of atomics per plugin, updated once per call; readers (the API, the
//! console, `/metrics`) take a [`CallStatsSnapshot`].

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use super::error::PluginError;

/// Upper bounds (seconds) of the call-duration buckets; a last `+Inf` bucket follows.
pub const CALL_DURATION_BUCKETS: [f64; 14] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

/// How one plugin call ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallOutcome {
    /// It returned a usable result.
    Ok,
    /// It trapped, returned an error, or broke a result rule.
    Error,
    /// It ran past its deadline (CPU / epoch, or wall clock while waiting in WASI).
    Timeout,
    /// It tried to grow its memory past the cap.
    Memory,
}

impl CallOutcome {
    /// Every outcome, in the order they are reported.
    pub const ALL: [CallOutcome; 4] = [
        CallOutcome::Ok,
        CallOutcome::Error,
        CallOutcome::Timeout,
        CallOutcome::Memory,
    ];

    /// The outcome of a call's result.
    pub fn of<R>(result: &Result<R, PluginError>) -> CallOutcome {
        match result {
            Ok(_) => CallOutcome::Ok,
            Err(PluginError::Timeout(_) | PluginError::WallClockTimeout(_)) => CallOutcome::Timeout,
            Err(PluginError::MemoryLimit(_)) => CallOutcome::Memory,
            Err(_) => CallOutcome::Error,
        }
    }

    /// Its label value: `ok`, `error`, `timeout` or `memory`.
    pub fn as_str(self) -> &'static str {
        match self {
            CallOutcome::Ok => "ok",
            CallOutcome::Error => "error",
            CallOutcome::Timeout => "timeout",
            CallOutcome::Memory => "memory",
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// The live counters of one plugin, shared by every version of it the registry
/// serves (a reload keeps counting where the previous version stopped).
#[derive(Debug, Default)]
pub struct CallStats {
    outcomes: [AtomicU64; 4],
    total_micros: AtomicU64,
    max_micros: AtomicU64,
    /// Non-cumulative counts per bucket of [`CALL_DURATION_BUCKETS`], then `+Inf`.
    buckets: [AtomicU64; CALL_DURATION_BUCKETS.len() + 1],
}

impl CallStats {
    /// Records one call that took `elapsed` and ended as `outcome`.
    pub fn record(&self, outcome: CallOutcome, elapsed: Duration) {
        let micros = u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX);
        self.outcomes[outcome.index()].fetch_add(1, Ordering::Relaxed);
        self.total_micros.fetch_add(micros, Ordering::Relaxed);
        self.max_micros.fetch_max(micros, Ordering::Relaxed);
        let seconds = elapsed.as_secs_f64();
        let bucket = CALL_DURATION_BUCKETS
            .iter()
            .position(|bound| seconds <= *bound)
            .unwrap_or(CALL_DURATION_BUCKETS.len());
        self.buckets[bucket].fetch_add(1, Ordering::Relaxed);
    }

    /// The counters as they are now (each read on its own: a call finishing meanwhile
    /// may show in some and not yet in others).
    pub fn snapshot(&self) -> CallStatsSnapshot {
        let load = |a: &AtomicU64| a.load(Ordering::Relaxed);
        CallStatsSnapshot {
            outcomes: self.outcomes.each_ref().map(load),
            total_micros: load(&self.total_micros),
            max_micros: load(&self.max_micros),
            buckets: self.buckets.each_ref().map(load),
        }
    }
}

/// A read of one plugin's [`CallStats`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CallStatsSnapshot {
    outcomes: [u64; 4],
    total_micros: u64,
    max_micros: u64,
    buckets: [u64; CALL_DURATION_BUCKETS.len() + 1],
}

impl CallStatsSnapshot {
    /// Calls that ended as `outcome`.
    pub fn count(&self, outcome: CallOutcome) -> u64 {
        self.outcomes[outcome.index()]
    }

    /// Calls made, whatever their outcome.
    pub fn calls(&self) -> u64 {
        self.outcomes.iter().sum()
    }

    /// Time spent in calls, in seconds.
    pub fn total_seconds(&self) -> f64 {
        self.total_micros as f64 / 1e6
    }

    /// Mean duration of a call in milliseconds (0 before the first call).
    pub fn mean_ms(&self) -> f64 {
        match self.calls() {
            0 => 0.0,
            n => self.total_micros as f64 / 1e3 / n as f64,
        }
    }

    /// Longest call in milliseconds.
    pub fn max_ms(&self) -> f64 {
        self.max_micros as f64 / 1e3
    }

    /// `(upper bound in seconds, calls in that bucket)`, non-cumulative, the last
    /// bound `f64::MAX` (`+Inf`), as a Prometheus histogram is encoded.
    pub fn buckets(&self) -> Vec<(f64, u64)> {
        CALL_DURATION_BUCKETS
            .iter()
            .copied()
            .chain([f64::MAX])
            .zip(self.buckets.iter().copied())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calls_are_counted_by_outcome_with_their_durations() {
        let stats = CallStats::default();
        stats.record(CallOutcome::Ok, Duration::from_millis(2));
        stats.record(CallOutcome::Ok, Duration::from_millis(4));
        stats.record(CallOutcome::Timeout, Duration::from_secs(60));
        let s = stats.snapshot();
        assert_eq!(s.calls(), 3);
        assert_eq!(s.count(CallOutcome::Ok), 2);
        assert_eq!(s.count(CallOutcome::Timeout), 1);
        assert_eq!(s.count(CallOutcome::Error), 0);
        assert_eq!(s.max_ms(), 60_000.0);
        assert!((s.mean_ms() - 20_002.0).abs() < 1e-9, "{}", s.mean_ms());
        let buckets = s.buckets();
        assert_eq!(buckets.len(), CALL_DURATION_BUCKETS.len() + 1);
        assert_eq!(buckets[1], (0.0025, 1));
        assert_eq!(buckets[2], (0.005, 1));
        assert_eq!(buckets.last(), Some(&(f64::MAX, 1)));
        assert_eq!(buckets.iter().map(|b| b.1).sum::<u64>(), 3);
    }

    #[test]
    fn errors_are_told_apart() {
        let of = |e: PluginError| CallOutcome::of::<()>(&Err(e));
        assert_eq!(of(PluginError::Timeout(1)), CallOutcome::Timeout);
        assert_eq!(of(PluginError::WallClockTimeout(1)), CallOutcome::Timeout);
        assert_eq!(of(PluginError::MemoryLimit(1)), CallOutcome::Memory);
        assert_eq!(of(PluginError::Trap("x".into())), CallOutcome::Error);
        assert_eq!(of(PluginError::Guest("x".into())), CallOutcome::Error);
        assert_eq!(CallOutcome::of(&Ok(())), CallOutcome::Ok);
    }
}
