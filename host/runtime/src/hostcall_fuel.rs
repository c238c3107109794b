//! How many bytes a guest may hand the host in one transfer (wasmtime's "hostcall
//! fuel"), by phase of the call: while the guest runs, each import it calls (`log`, a
//! WASI write) may pass at most the import budget, derived from the call's
//! `output_bytes`; once it returns, lifting its result may copy at most the result
//! budget, derived from `max_findings`. A list longer than the budget fails at its
//! length, before any element is copied: repeating one string by reference does not
//! multiply what the host allocates.

use wasmtime::CallHook;

use super::bindings::wit::Finding;
use super::limits::PluginLimits;

/// Smallest import budget, so that a plugin with a tiny `output_bytes` can still write
/// its stdout in the chunks WASI streams use.
pub(crate) const MIN_IMPORT_BYTES: usize = 1 << 20;

/// Bytes of text (title, message, evidence, hint) budgeted per finding, on average,
/// besides the finding's own record.
pub(crate) const FINDING_TEXT_BYTES: usize = 2 << 10;

/// Bytes `info()` may return in all (names, rules, schema).
pub(crate) const INFO_BYTES: usize = 1 << 20;

/// Which budget applies, following the calls into and out of wasm.
#[derive(Debug, Clone)]
pub(crate) struct HostcallFuel {
    import_bytes: usize,
    result_bytes: usize,
    /// Nesting of host-to-wasm calls: 0 when the host is lifting a result.
    depth: u32,
}

impl HostcallFuel {
    /// The budgets of a call with `limits`.
    pub(crate) fn for_limits(limits: &PluginLimits) -> Self {
        let per_finding = size_of::<Finding>() + FINDING_TEXT_BYTES;
        HostcallFuel {
            import_bytes: limits.output_bytes.max(MIN_IMPORT_BYTES),
            result_bytes: limits
                .max_findings
                .saturating_mul(per_finding)
                .clamp(INFO_BYTES, limits.memory_bytes.max(INFO_BYTES)),
            depth: 0,
        }
    }

    /// Replaces the result budget (e.g. [`INFO_BYTES`] for `info()`).
    pub(crate) fn with_result_bytes(mut self, bytes: usize) -> Self {
        self.result_bytes = bytes;
        self
    }

    /// The budget in force before any wasm runs.
    pub(crate) fn initial(&self) -> usize {
        self.result_bytes
    }

    /// The result budget.
    pub(crate) fn result_bytes(&self) -> usize {
        self.result_bytes
    }

    /// The import budget.
    pub(crate) fn import_bytes(&self) -> usize {
        self.import_bytes
    }

    /// Follows a transition; the new fuel when the budget in force changes.
    pub(crate) fn on(&mut self, hook: CallHook) -> Option<usize> {
        match hook {
            CallHook::CallingWasm => {
                self.depth += 1;
                (self.depth == 1).then_some(self.import_bytes)
            }
            CallHook::ReturningFromWasm => {
                self.depth = self.depth.saturating_sub(1);
                (self.depth == 0).then_some(self.result_bytes)
            }
            CallHook::CallingHost | CallHook::ReturningFromHost => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn imports_get_the_output_budget_and_results_the_findings_budget() {
        let limits = PluginLimits {
            output_bytes: 4 << 20,
            max_findings: 1_000,
            ..PluginLimits::default()
        };
        let mut fuel = HostcallFuel::for_limits(&limits);
        let results = fuel.result_bytes();
        assert_eq!(results, 1_000 * (size_of::<Finding>() + FINDING_TEXT_BYTES));
        assert_eq!(fuel.initial(), results);
        assert_eq!(fuel.on(CallHook::CallingWasm), Some(4 << 20));
        // An import lowering its result calls the guest's allocator: still inside.
        assert_eq!(fuel.on(CallHook::CallingWasm), None);
        assert_eq!(fuel.on(CallHook::ReturningFromWasm), None);
        assert_eq!(fuel.on(CallHook::ReturningFromWasm), Some(results));
    }

    #[test]
    fn budgets_stay_within_memory_and_above_the_floors() {
        let small = PluginLimits {
            output_bytes: 10,
            max_findings: 1,
            ..PluginLimits::default()
        };
        let fuel = HostcallFuel::for_limits(&small);
        assert_eq!(fuel.import_bytes(), MIN_IMPORT_BYTES);
        assert_eq!(fuel.result_bytes(), INFO_BYTES);
        let huge = PluginLimits {
            max_findings: usize::MAX,
            memory_bytes: 64 << 20,
            ..PluginLimits::default()
        };
        assert_eq!(HostcallFuel::for_limits(&huge).result_bytes(), 64 << 20);
    }
}
