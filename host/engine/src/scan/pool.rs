//! Splits a scan into detector calls and runs them all on one pool of worker threads.
//!
//! One pool for every call keeps the machine's cores busy without oversubscribing them:
//! a per-resource detector's large batch becomes several parts, and the pool takes the
//! largest calls first, so a detector that must see its whole batch at once (cross-resource
//! checks) runs beside the parts of the others instead of after them.

use std::sync::atomic::{AtomicUsize, Ordering};

use aiops_sdk::Resource;

/// Smallest part a per-resource detector's batch is split into: below it, the fixed cost
/// of a call (fresh instance, config parse) is no longer small beside the work.
pub(super) const MIN_PART: usize = 256;

/// Parts per worker a per-resource batch is split into at most, so that the pool can
/// even out detectors of different speeds.
const PARTS_PER_WORKER: usize = 2;

/// One detector's batch, as the scan hands it to the pool.
pub(super) struct Batch<'a> {
    /// Resources of the kinds the detector asked for.
    pub resources: Vec<&'a Resource>,
    /// Whether the detector judges each resource on its own (the batch may be split).
    pub per_resource: bool,
}

/// One call: a detector (index into the batches) and the part of its batch it gets.
#[derive(Debug, Clone, Copy)]
pub(super) struct Call<'b, 'a> {
    /// Index of the detector's batch.
    pub detector: usize,
    /// The resources of this call.
    pub part: &'b [&'a Resource],
}

/// The calls a scan makes on `workers` threads, largest first: a per-resource batch of
/// at least two [`MIN_PART`]s is split into up to `PARTS_PER_WORKER × workers` parts of
/// near-equal size; any other non-empty batch is one call. One detector's calls stay in
/// the order of its batch.
pub(super) fn plan<'b, 'a>(batches: &'b [Batch<'a>], workers: usize) -> Vec<Call<'b, 'a>> {
    let mut calls = Vec::new();
    for (detector, batch) in batches.iter().enumerate() {
        let len = batch.resources.len();
        if len == 0 {
            continue;
        }
        let parts = if batch.per_resource {
            (len / MIN_PART).clamp(1, PARTS_PER_WORKER * workers.max(1))
        } else {
            1
        };
        calls.extend(
            batch
                .resources
                .chunks(len.div_ceil(parts))
                .map(|part| Call { detector, part }),
        );
    }
    // Stable, and a batch's parts never grow along it: equal sizes keep the detectors'
    // order, and each detector's parts keep theirs.
    calls.sort_by_key(|call| std::cmp::Reverse(call.part.len()));
    calls
}

/// Runs `run` on every call on up to `workers` threads and returns the results in the
/// order of `calls`. `on_detector_done` is called once per detector, after its last call.
pub(super) fn run_calls<T: Send>(
    calls: &[Call<'_, '_>],
    detectors: usize,
    workers: usize,
    run: &(dyn Fn(&Call<'_, '_>) -> T + Sync),
    on_detector_done: &(dyn Fn(usize) + Sync),
) -> Vec<T> {
    let remaining: Vec<AtomicUsize> = (0..detectors).map(|_| AtomicUsize::new(0)).collect();
    for call in calls {
        remaining[call.detector].fetch_add(1, Ordering::Relaxed);
    }
    let next = AtomicUsize::new(0);
    let worker = || {
        let mut done = Vec::new();
        loop {
            let i = next.fetch_add(1, Ordering::Relaxed);
            let Some(call) = calls.get(i) else {
                return done;
            };
            done.push((i, run(call)));
            if remaining[call.detector].fetch_sub(1, Ordering::AcqRel) == 1 {
                on_detector_done(call.detector);
            }
        }
    };
    let workers = workers.clamp(1, calls.len().max(1));
    let mut results: Vec<(usize, T)> = if workers == 1 {
        worker()
    } else {
        std::thread::scope(|scope| {
            let handles: Vec<_> = (0..workers).map(|_| scope.spawn(worker)).collect();
            handles
                .into_iter()
                .flat_map(|h| h.join().expect("scan worker panicked"))
                .collect()
        })
    };
    results.sort_by_key(|(i, _)| *i);
    results.into_iter().map(|(_, result)| result).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    fn resources(n: usize) -> Vec<Resource> {
        (0..n)
            .map(|i| Resource {
                id: format!("r{i}"),
                kind: "Pod".into(),
                platform: aiops_sdk::Platform::Kubernetes,
                name: format!("p{i}"),
                namespace: None,
                labels: Vec::new(),
                metrics: Vec::new(),
                raw: "{}".into(),
            })
            .collect()
    }

    fn batch(resources: Vec<&Resource>, per_resource: bool) -> Batch<'_> {
        Batch {
            resources,
            per_resource,
        }
    }

    #[test]
    fn per_resource_batches_split_evenly_and_the_largest_calls_come_first() {
        let many = resources(2_000);
        let few = resources(300);
        let batches = vec![
            batch(few.iter().collect(), true),
            batch(many.iter().collect(), false),
            batch(many.iter().collect(), true),
            batch(Vec::new(), true),
        ];
        let calls = plan(&batches, 2);
        let shape: Vec<(usize, usize)> = calls.iter().map(|c| (c.detector, c.part.len())).collect();
        assert_eq!(
            shape,
            vec![(1, 2_000), (2, 500), (2, 500), (2, 500), (2, 500), (0, 300)]
        );
        // The parts of detector 2 cover its batch exactly, in order.
        let ids: Vec<&str> = calls
            .iter()
            .filter(|c| c.detector == 2)
            .flat_map(|c| c.part.iter().map(|r| r.id.as_str()))
            .collect();
        let expected: Vec<&str> = many.iter().map(|r| r.id.as_str()).collect();
        assert_eq!(ids, expected);
    }

    #[test]
    fn a_small_per_resource_batch_is_one_call() {
        let some = resources(MIN_PART * 2 - 1);
        let batches = vec![batch(some.iter().collect(), true)];
        let calls = plan(&batches, 8);
        assert_eq!(calls.len(), 1);
        assert_eq!(calls[0].part.len(), MIN_PART * 2 - 1);
    }

    #[test]
    fn results_keep_call_order_and_each_detector_is_reported_done_once_after_its_calls() {
        let many = resources(4_000);
        let batches = vec![
            batch(many.iter().collect(), true),
            batch(many[..10].iter().collect(), false),
        ];
        let calls = plan(&batches, 3);
        let ran = Mutex::new(Vec::new());
        let done = Mutex::new(Vec::new());
        let results = run_calls(
            &calls,
            batches.len(),
            3,
            &|call| {
                ran.lock().unwrap().push(call.detector);
                (call.detector, call.part[0].id.clone())
            },
            &|detector| {
                let ran = ran.lock().unwrap();
                let calls_of = calls.iter().filter(|c| c.detector == detector).count();
                let ran_of = ran.iter().filter(|d| **d == detector).count();
                assert_eq!(ran_of, calls_of, "done before all calls of {detector} ran");
                done.lock().unwrap().push(detector);
            },
        );
        let expected: Vec<(usize, String)> = calls
            .iter()
            .map(|c| (c.detector, c.part[0].id.clone()))
            .collect();
        assert_eq!(results, expected);
        let mut done = done.into_inner().unwrap();
        done.sort();
        assert_eq!(done, vec![0, 1]);
    }
}
