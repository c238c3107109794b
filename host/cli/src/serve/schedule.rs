//! When each source is next due: `schedule.interval`, or the source's own entry in
//! `schedule.sources`. A wake collects every source due within a tenth of its interval
//! (so sources on the same interval stay in one cycle), and the sleep to the next wake
//! is jittered by up to a tenth either way.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use super::config::ScheduleConfig;

/// The next due time of each source that has run.
#[derive(Debug, Default)]
pub struct SourceClock {
    next: BTreeMap<String, Instant>,
}

impl SourceClock {
    /// Splits `names` (the config's sources) into those due at `now` and those left
    /// to a later cycle; `everything` (first cycle, run now, a watched change) makes
    /// every source due.
    pub fn split(
        &self,
        names: &[String],
        schedule: &ScheduleConfig,
        now: Instant,
        everything: bool,
    ) -> (Vec<String>, Vec<String>) {
        names.iter().cloned().partition(|name| {
            everything
                || self
                    .next
                    .get(name)
                    .is_none_or(|next| *next <= now + schedule.interval_for(name) / 10)
        })
    }

    /// Records that `ran` had their turn at `now`.
    pub fn ran(&mut self, ran: &[String], schedule: &ScheduleConfig, now: Instant) {
        for name in ran {
            self.next
                .insert(name.clone(), now + schedule.interval_for(name));
        }
    }

    /// How long to sleep before the next wake (jittered), given the config's sources.
    pub fn until_next(
        &self,
        names: &[String],
        schedule: &ScheduleConfig,
        now: Instant,
    ) -> Duration {
        let soonest = names
            .iter()
            .map(|name| match self.next.get(name) {
                Some(next) => next.saturating_duration_since(now),
                None => Duration::ZERO,
            })
            .min()
            .unwrap_or_else(|| schedule.default_interval());
        jittered(soonest)
    }
}

/// Up to a tenth of `d` either way, from the clock's nanoseconds.
fn jittered(d: Duration) -> Duration {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|t| t.subsec_nanos())
        .unwrap_or(0);
    let spread = d / 10;
    let offset = spread.mul_f64(f64::from(nanos % 2001) / 1000.0);
    (d - spread) + offset
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schedule() -> ScheduleConfig {
        ScheduleConfig {
            interval: "10m".into(),
            sources: BTreeMap::from([("k8s".into(), "1m".into())]),
            ..ScheduleConfig::default()
        }
    }

    fn names() -> Vec<String> {
        vec!["k8s".into(), "aws".into(), "manifests:x".into()]
    }

    #[test]
    fn every_source_is_due_until_it_has_run_then_on_its_own_interval() {
        let (schedule, names, t0) = (schedule(), names(), Instant::now());
        let mut clock = SourceClock::default();
        let (due, later) = clock.split(&names, &schedule, t0, false);
        assert_eq!((due.len(), later.len()), (3, 0));
        clock.ran(&due, &schedule, t0);
        assert!(clock.until_next(&names, &schedule, t0) <= Duration::from_secs(66));
        assert!(clock.until_next(&names, &schedule, t0) >= Duration::from_secs(54));

        let t1 = t0 + Duration::from_secs(60);
        let (due, later) = clock.split(&names, &schedule, t1, false);
        assert_eq!(due, ["k8s"]);
        assert_eq!(later, ["aws", "manifests:x"]);
        clock.ran(&due, &schedule, t1);

        // Within a tenth of their interval, the two 10m sources come due together.
        let t2 = t0 + Duration::from_secs(9 * 60 + 30);
        let (due, _) = clock.split(&names, &schedule, t2, false);
        assert_eq!(due, ["k8s", "aws", "manifests:x"]);

        let (due, later) = clock.split(&names, &schedule, t0, true);
        assert_eq!((due.len(), later.len()), (3, 0), "run now: every source");
    }

    #[test]
    fn jitter_stays_within_a_tenth() {
        for _ in 0..100 {
            let d = jittered(Duration::from_secs(100));
            assert!(
                d >= Duration::from_secs(90) && d <= Duration::from_secs(110),
                "{d:?}"
            );
        }
    }
}
