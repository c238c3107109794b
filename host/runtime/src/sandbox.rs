//! The per-call sandbox: the store data a plugin call runs with, the WASI context that
//! grants nothing, the memory limiter, and the host side of the `log` and `config`
//! imports.

use std::sync::Arc;

use wasmtime::component::{HasSelf, Linker, ResourceTable};
use wasmtime::{ResourceLimiter, Store};
use wasmtime_wasi::{WasiCtx, WasiCtxBuilder, WasiCtxView, WasiView};

use super::bindings::{detector, wit_config, wit_log};
use super::capped_output::CappedOutput;
use super::engine::SandboxEngine;
use super::error::PluginError;
use super::limits::PluginLimits;

/// Caps linear-memory growth and remembers whether the cap was hit, so a failed call
/// is reported as a memory limit rather than a generic trap.
pub struct MemoryCap {
    max_bytes: usize,
    exceeded: bool,
}

impl ResourceLimiter for MemoryCap {
    fn memory_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        if desired > self.max_bytes {
            self.exceeded = true;
            wasmtime::bail!("memory limit of {} bytes exceeded", self.max_bytes);
        }
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
    output_bytes: usize,
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
    /// A context that grants nothing: no preopens, env, args or network; stdout and
    /// stderr captured up to `output_bytes` each.
    fn locked_down(output_bytes: usize) -> Self {
        let stdout = CappedOutput::new(output_bytes);
        let stderr = CappedOutput::new(output_bytes);
        let ctx = WasiCtxBuilder::new()
            .stdout(stdout.clone())
            .stderr(stderr.clone())
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
        let output_bytes = self.output_bytes;
        let wasi = self
            .wasi
            .get_or_insert_with(|| GuestWasi::locked_down(output_bytes));
        WasiCtxView {
            ctx: &mut wasi.ctx,
            table: &mut self.table,
        }
    }
}

impl wit_log::Host for PluginState {
    fn write(&mut self, level: wit_log::Level, message: String, fields: Vec<(String, String)>) {
        let plugin = &*self.plugin;
        if level == wit_log::Level::Error {
            self.last_error = Some(quotable(&message));
        }
        let fields = (!fields.is_empty()).then(|| {
            fields
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join(" ")
        });
        let fields = fields.as_deref().unwrap_or("");
        match level {
            wit_log::Level::Trace => tracing::trace!(plugin, fields, "{message}"),
            wit_log::Level::Debug => tracing::debug!(plugin, fields, "{message}"),
            wit_log::Level::Info => tracing::info!(plugin, fields, "{message}"),
            wit_log::Level::Warn => tracing::warn!(plugin, fields, "{message}"),
            wit_log::Level::Error => tracing::error!(plugin, fields, "{message}"),
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
/// context) plus the aiops `log` and `config` imports.
pub fn build_linker(engine: &SandboxEngine) -> wasmtime::Result<Linker<PluginState>> {
    let mut linker = Linker::new(engine.engine());
    wasmtime_wasi::p2::add_to_linker_sync(&mut linker)?;
    wit_log::add_to_linker::<PluginState, HasSelf<PluginState>>(&mut linker, |s| s)?;
    wit_config::add_to_linker::<PluginState, HasSelf<PluginState>>(&mut linker, |s| s)?;
    Ok(linker)
}

/// A fresh store for one call: nothing granted (the WASI context, built on first use,
/// grants no preopens, env, args or network; stdio captured), the memory cap and the
/// epoch deadline set before instantiation.
pub fn new_store(
    engine: &SandboxEngine,
    plugin: Arc<str>,
    config: Arc<str>,
    limits: &PluginLimits,
) -> Store<PluginState> {
    let state = PluginState {
        plugin,
        config,
        table: ResourceTable::new(),
        memory: MemoryCap {
            max_bytes: limits.memory_bytes,
            exceeded: false,
        },
        last_error: None,
        output_bytes: limits.output_bytes,
        wasi: None,
    };
    let mut store = Store::new(engine.engine(), state);
    store.limiter(|s| &mut s.memory);
    // What the guest hands back is bounded by its memory cap already; the default
    // 128 MiB hostcall budget would refuse large but legitimate batches of findings.
    store.set_hostcall_fuel(limits.memory_bytes);
    store.set_epoch_deadline(SandboxEngine::ticks_for(limits.timeout()));
    store.epoch_deadline_trap();
    store
}

/// Sends what the guest printed to `tracing`, tagged with the plugin's name.
pub fn flush_output(store: &Store<PluginState>) {
    let state = store.data();
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

/// Turns a wasmtime error from a call into the plugin error it stands for.
pub fn classify(
    store: &Store<PluginState>,
    err: wasmtime::Error,
    limits: &PluginLimits,
) -> PluginError {
    if store.data().memory.exceeded {
        return PluginError::MemoryLimit(limits.memory_bytes);
    }
    if let Some(trap) = err.downcast_ref::<wasmtime::Trap>() {
        if *trap == wasmtime::Trap::Interrupt {
            return PluginError::Timeout(limits.timeout_ms);
        }
        return PluginError::Trap(with_last_error(store, trap.to_string()));
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
