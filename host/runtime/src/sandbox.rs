//! The per-call sandbox: the store data a plugin call runs with, the WASI context that
//! grants nothing, the limiter of the store's memories, the hostcall budgets, the CPU
//! deadline, and the host side of the `log` and `config` imports.

use std::sync::Arc;
use std::time::Instant;

use wasmtime::component::{HasSelf, Linker, ResourceTable};
use wasmtime::{ResourceLimiter, Store, UpdateDeadline};
use wasmtime_wasi::{WasiCtx, WasiCtxBuilder, WasiCtxView, WasiView};

use super::bindings::{detector, wit_config, wit_log};
use super::capped_output::{CappedOutput, OutputBudget};
use super::engine::{self, SandboxEngine};
use super::error::PluginError;
use super::guest_log::{self, GuestLog};
use super::hostcall_fuel::HostcallFuel;
use super::limits::PluginLimits;

/// Most entries of a call's WASI resource table (streams, pollables, sockets): far
/// more than any plugin needs, far fewer than the file descriptors of the host.
pub(crate) const MAX_TABLE_ENTRIES: usize = 1_024;

/// Caps the linear memory of a whole store — every memory of every core instance
/// counted together — and remembers whether the cap was hit, so a failed call is
/// reported as a memory limit rather than a generic trap.
pub(crate) struct MemoryCap {
    max_bytes: usize,
    /// Bytes of all the store's memories so far.
    total: usize,
    exceeded: bool,
}

impl MemoryCap {
    /// A cap of `max_bytes` over all memories of a store.
    pub(crate) fn new(max_bytes: usize) -> Self {
        MemoryCap {
            max_bytes,
            total: 0,
            exceeded: false,
        }
    }
}

impl ResourceLimiter for MemoryCap {
    fn memory_growing(
        &mut self,
        current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        let total = self.total.saturating_add(desired.saturating_sub(current));
        if total > self.max_bytes {
            self.exceeded = true;
            wasmtime::bail!(
                "memory limit of {} bytes exceeded (all memories of the plugin together)",
                self.max_bytes
            );
        }
        self.total = total;
        Ok(true)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        Ok(desired <= 1_000_000)
    }

    fn instances(&self) -> usize {
        engine::MAX_CORE_INSTANCES_PER_COMPONENT as usize
    }

    fn memories(&self) -> usize {
        engine::MAX_MEMORIES_PER_COMPONENT as usize
    }

    fn tables(&self) -> usize {
        engine::MAX_TABLES_PER_COMPONENT as usize
    }
}

/// Store data of one plugin call.
pub struct PluginState {
    plugin: Arc<str>,
    config: Arc<str>,
    table: ResourceTable,
    memory: MemoryCap,
    /// The last message the guest logged at error level (a panic's, with the SDK),
    /// added to the error when the call then traps.
    last_error: Option<String>,
    /// What the guest may still print or log in this call.
    output: OutputBudget,
    log: GuestLog,
    hostcall_fuel: HostcallFuel,
    /// Built on the guest's first WASI call: most calls make none, and building the
    /// context (seeding its random generators, the two output buffers) was a tenth of
    /// the fixed cost of a call.
    wasi: Option<GuestWasi>,
}

/// The WASI context of a call and the buffers its stdout and stderr go to.
struct GuestWasi {
    ctx: WasiCtx,
    stdout: CappedOutput,
    stderr: CappedOutput,
}

impl GuestWasi {
    /// A context that grants nothing: no preopens, env, args, sockets or name lookup;
    /// stdout and stderr captured within the call's output budget.
    fn locked_down(output: &OutputBudget) -> Self {
        let stdout = CappedOutput::with_budget(output.clone());
        let stderr = CappedOutput::with_budget(output.clone());
        let ctx = WasiCtxBuilder::new()
            .stdout(stdout.clone())
            .stderr(stderr.clone())
            .allow_tcp(false)
            .allow_udp(false)
            .allow_ip_name_lookup(false)
            .allow_blocking_current_thread(false)
            .build();
        GuestWasi {
            ctx,
            stdout,
            stderr,
        }
    }
}

impl WasiView for PluginState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        let output = &self.output;
        let wasi = self
            .wasi
            .get_or_insert_with(|| GuestWasi::locked_down(output));
        WasiCtxView {
            ctx: &mut wasi.ctx,
            table: &mut self.table,
        }
    }
}

impl wit_log::Host for PluginState {
    fn write(&mut self, level: wit_log::Level, message: String, fields: Vec<(String, String)>) {
        if level == wit_log::Level::Error {
            self.last_error = Some(quotable(&message));
        }
        if let Some(line) = self.log.line(&message, &fields) {
            guest_log::emit(&self.plugin, level, &line);
        }
    }
}

impl wit_config::Host for PluginState {
    fn get(&mut self) -> String {
        self.config.to_string()
    }
}

impl detector::aiops::plugin::types::Host for PluginState {}

/// Builds the linker every plugin is instantiated with: WASI (locked down by the
/// context; its blocking functions async, so a call's deadline can end them) plus
/// the aiops `log` and `config` imports.
pub(crate) fn build_linker(engine: &SandboxEngine) -> wasmtime::Result<Linker<PluginState>> {
    let mut linker = Linker::new(engine.engine());
    wasmtime_wasi::p2::add_to_linker_async(&mut linker)?;
    wit_log::add_to_linker::<PluginState, HasSelf<PluginState>>(&mut linker, |s| s)?;
    wit_config::add_to_linker::<PluginState, HasSelf<PluginState>>(&mut linker, |s| s)?;
    Ok(linker)
}

/// A fresh store for one call: nothing granted (the WASI context, built on first use,
/// grants no preopens, env, args or network; stdio captured), a capped resource table,
/// the memory cap over all memories, the hostcall budgets, and the CPU deadline (epoch
/// checks that yield to the executor between ticks) set before instantiation.
pub fn new_store(
    engine: &SandboxEngine,
    plugin: Arc<str>,
    config: Arc<str>,
    limits: &PluginLimits,
) -> Store<PluginState> {
    let output = OutputBudget::new(limits.output_bytes);
    let mut table = ResourceTable::new();
    table.set_max_capacity(MAX_TABLE_ENTRIES);
    let hostcall_fuel = HostcallFuel::for_limits(limits);
    let state = PluginState {
        plugin,
        config,
        table,
        memory: MemoryCap::new(limits.memory_bytes),
        last_error: None,
        log: GuestLog::new(output.clone()),
        output,
        hostcall_fuel,
        wasi: None,
    };
    let mut store = Store::new(engine.engine(), state);
    store.limiter(|s| &mut s.memory);
    store.set_max_component_handles(MAX_TABLE_ENTRIES);
    let initial_fuel = store.data().hostcall_fuel.initial();
    store.set_hostcall_fuel(initial_fuel);
    store.call_hook(|mut ctx, hook| {
        if let Some(fuel) = ctx.data_mut().hostcall_fuel.on(hook) {
            ctx.set_hostcall_fuel(fuel);
        }
        Ok(())
    });
    let deadline = Instant::now() + limits.timeout();
    store.set_epoch_deadline(1);
    store.epoch_deadline_callback(move |_| {
        Ok(if Instant::now() >= deadline {
            UpdateDeadline::Interrupt
        } else {
            UpdateDeadline::Yield(1)
        })
    });
    store
}

/// Replaces the result budget of the calls in `store` (e.g. for `info()`).
pub(crate) fn set_result_bytes(store: &mut Store<PluginState>, bytes: usize) {
    let fuel = store.data().hostcall_fuel.clone().with_result_bytes(bytes);
    store.data_mut().hostcall_fuel = fuel;
    store.set_hostcall_fuel(bytes);
}

/// Sends what the guest printed to `tracing`, tagged with the plugin's name, and says
/// once what its log lost to the limits.
pub(crate) fn flush_output(store: &Store<PluginState>) {
    let state = store.data();
    state.log.report(&state.plugin);
    let Some(wasi) = &state.wasi else {
        return;
    };
    for (stream, out) in [("stdout", &wasi.stdout), ("stderr", &wasi.stderr)] {
        let (bytes, dropped) = out.take();
        let text = String::from_utf8_lossy(&bytes);
        for line in text.lines().filter(|l| !l.trim().is_empty()) {
            tracing::info!(plugin = &*state.plugin, stream, "{line}");
        }
        if dropped > 0 {
            tracing::warn!(
                plugin = &*state.plugin,
                stream,
                dropped,
                "plugin output truncated"
            );
        }
    }
}

/// Whether `err` is wasmtime refusing to copy more than the hostcall budget.
fn is_hostcall_fuel_exhausted(err: &wasmtime::Error) -> bool {
    format!("{err:#}").contains("fuel allocated for hostcalls has been exhausted")
}

/// Turns a wasmtime error from a call into the plugin error it stands for.
pub(crate) fn classify(
    store: &Store<PluginState>,
    err: wasmtime::Error,
    limits: &PluginLimits,
) -> PluginError {
    let state = store.data();
    if state.memory.exceeded {
        return PluginError::MemoryLimit(limits.memory_bytes);
    }
    if let Some(trap) = err.downcast_ref::<wasmtime::Trap>() {
        if *trap == wasmtime::Trap::Interrupt {
            return PluginError::Timeout(limits.timeout_ms);
        }
        return PluginError::Trap(with_last_error(store, trap.to_string()));
    }
    if is_hostcall_fuel_exhausted(&err) {
        let fuel = &state.hostcall_fuel;
        // An import's arguments are lifted while wasm runs: the error then unwinds
        // through the guest and carries its backtrace. A result is lifted after.
        return if err.downcast_ref::<wasmtime::WasmBacktrace>().is_some() {
            PluginError::Trap(format!(
                "passed the host more than {} bytes in one call",
                fuel.import_bytes()
            ))
        } else {
            PluginError::ResultTooLarge(fuel.result_bytes())
        };
    }
    PluginError::Trap(with_last_error(store, format!("{err:#}")))
}

/// Longest part of a logged error message quoted in a trap's error.
const QUOTED_ERROR_CHARS: usize = 500;

/// The start of a logged message, on one line, as a trap's error quotes it.
fn quotable(message: &str) -> String {
    message
        .chars()
        .take(QUOTED_ERROR_CHARS)
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// `cause`, followed by what the guest last logged at error level.
fn with_last_error(store: &Store<PluginState>, cause: String) -> String {
    match &store.data().last_error {
        Some(quoted) => format!("{cause}; the plugin last logged: {quoted}"),
        None => cause,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasmtime::component::Component;

    /// A component of `n` core instances, each with a memory of `pages` 64 KiB pages.
    fn memories(n: usize, pages: u32) -> Vec<u8> {
        let parts: String = (0..n)
            .map(|i| {
                format!("(core module $m{i} (memory {pages})) (core instance (instantiate $m{i}))")
            })
            .collect();
        wat::parse_str(format!("(component {parts})")).unwrap()
    }

    fn instantiate(bytes: &[u8], memory_bytes: usize) -> Result<(), PluginError> {
        let engine = SandboxEngine::new().unwrap();
        // The pooling allocator refuses a component over its per-component limits
        // when it is compiled; without pooling, the limiter refuses it at instantiation.
        let component = Component::new(engine.engine(), bytes)
            .map_err(|err| PluginError::Host(format!("{err:#}")))?;
        let linker = build_linker(&engine).unwrap();
        let limits = PluginLimits {
            memory_bytes,
            ..PluginLimits::default()
        };
        let mut store = new_store(&engine, Arc::from("t"), Arc::from("{}"), &limits);
        let result = super::super::executor::run_with_deadline(limits.timeout(), async {
            linker
                .instantiate_async(&mut store, &component)
                .await
                .map(drop)
        })
        .expect("within the deadline");
        result.map_err(|err| classify(&store, err, &limits))
    }

    #[test]
    fn every_memory_of_the_store_counts_against_one_cap() {
        // Three memories of 2.5 MiB: each below a 6 MiB cap, together above it.
        assert_eq!(
            instantiate(&memories(3, 40), 6 << 20),
            Err(PluginError::MemoryLimit(6 << 20))
        );
        assert_eq!(instantiate(&memories(2, 40), 6 << 20), Ok(()));
    }

    #[test]
    fn a_component_with_more_memories_than_allowed_is_refused() {
        let many = engine::MAX_MEMORIES_PER_COMPONENT as usize + 1;
        let err = instantiate(&memories(many, 1), 512 << 20).unwrap_err();
        assert!(err.to_string().contains("memor"), "{err}");
        assert_eq!(
            instantiate(
                &memories(engine::MAX_MEMORIES_PER_COMPONENT as usize, 1),
                512 << 20
            ),
            Ok(())
        );
    }

    #[test]
    fn a_quoted_log_message_is_one_line_and_bounded() {
        assert_eq!(
            quotable("panicked at src/lib.rs:3:5:\nboom\ttoo"),
            "panicked at src/lib.rs:3:5: boom too"
        );
        let long = "é".repeat(QUOTED_ERROR_CHARS + 10);
        assert_eq!(quotable(&long).chars().count(), QUOTED_ERROR_CHARS);
    }
}
