//! The process-wide wasmtime engine: compiler settings, the pooling allocator (with
//! per-component limits on instances, memories and tables) and the epoch ticker that
//! enforces call deadlines.

use std::hash::{Hash, Hasher};
use std::thread;
use std::time::Duration;

use wasmtime::{
    Config, Enabled, Engine, InstanceAllocationStrategy, OptLevel, PoolingAllocationConfig,
};

/// How often the epoch advances; deadlines are rounded up to this.
pub(crate) const EPOCH_TICK: Duration = Duration::from_millis(5);

/// Largest memory any plugin may be granted; per-plugin caps must stay below it.
pub const MAX_PLUGIN_MEMORY: usize = 4 << 30;

/// Bytes of each reused table slot kept resident between instances.
const TABLE_KEEP_RESIDENT: usize = 64 << 10;

/// Bytes of each reused memory slot kept resident between instances (with PAGEMAP_SCAN,
/// only what the last instance dirtied): the resident-memory cost per slot in use.
const MEMORY_KEEP_RESIDENT: usize = 32 << 20;

/// Instances the pooling allocator keeps slots for (concurrent calls).
const POOL_INSTANCES: u32 = 64;

/// Core instances one plugin may create (Python components link a dozen or so
/// shared libraries; Rust ones a few).
pub(crate) const MAX_CORE_INSTANCES_PER_COMPONENT: u32 = 32;

/// Linear memories one plugin may create; their total is capped by the store's limiter.
pub(crate) const MAX_MEMORIES_PER_COMPONENT: u32 = 4;

/// Tables one plugin may create.
pub(crate) const MAX_TABLES_PER_COMPONENT: u32 = 32;

/// The one engine of the process, with a background thread advancing its epoch.
#[derive(Clone)]
pub struct SandboxEngine {
    engine: Engine,
    pooling: bool,
}

impl SandboxEngine {
    /// Builds the engine, with the pooling allocator when the machine allows its
    /// virtual-memory reservation, and starts the epoch ticker.
    pub fn new() -> anyhow::Result<Self> {
        let (engine, pooling) = match Engine::new(&Self::config(true)) {
            Ok(engine) => (engine, true),
            Err(err) => {
                tracing::warn!(error = %err, "pooling allocator unavailable, using on-demand allocation");
                let engine = Engine::new(&Self::config(false))
                    .map_err(|e| anyhow::anyhow!("creating wasmtime engine: {e:#}"))?;
                (engine, false)
            }
        };
        start_epoch_ticker(&engine);
        Ok(SandboxEngine { engine, pooling })
    }

    fn config(pooling: bool) -> Config {
        let mut config = Config::new();
        config
            .wasm_component_model(true)
            .epoch_interruption(true)
            .cranelift_opt_level(OptLevel::Speed)
            .parallel_compilation(true);
        if pooling {
            let mut pool = PoolingAllocationConfig::new();
            pool.total_component_instances(POOL_INSTANCES)
                .total_core_instances(POOL_INSTANCES * 8)
                .total_memories(POOL_INSTANCES * 2)
                .total_tables(POOL_INSTANCES * 8)
                .total_stacks(POOL_INSTANCES)
                .max_core_instances_per_component(MAX_CORE_INSTANCES_PER_COMPONENT)
                .max_memories_per_component(MAX_MEMORIES_PER_COMPONENT)
                .max_tables_per_component(MAX_TABLES_PER_COMPONENT)
                .max_memory_size(MAX_PLUGIN_MEMORY)
                // Reset reused slots by clearing the pages the last instance dirtied
                // (PAGEMAP_SCAN, Linux 6.7+) rather than madvise: no page faults next time.
                .table_keep_resident(TABLE_KEEP_RESIDENT)
                .linear_memory_keep_resident(MEMORY_KEEP_RESIDENT)
                .pagemap_scan(Enabled::Auto);
            config.allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
        }
        config
    }

    /// The wasmtime engine.
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// Whether the pooling allocator is in use.
    pub fn is_pooling(&self) -> bool {
        self.pooling
    }

    /// A stable fingerprint of everything that makes a precompiled artifact loadable
    /// into this engine: wasmtime's own compatibility hash plus our version.
    pub fn settings_fingerprint(&self) -> String {
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        self.engine
            .precompile_compatibility_hash()
            .hash(&mut hasher);
        env!("CARGO_PKG_VERSION").hash(&mut hasher);
        format!("{:016x}", hasher.finish())
    }

    /// Epoch ticks that make up `timeout` (at least one).
    pub fn ticks_for(timeout: Duration) -> u64 {
        (timeout.as_nanos().div_ceil(EPOCH_TICK.as_nanos()) as u64).max(1)
    }
}

/// Advances the engine's epoch every [`EPOCH_TICK`] until the engine is dropped.
fn start_epoch_ticker(engine: &Engine) {
    let weak = engine.weak();
    thread::Builder::new()
        .name("aiops-epoch".into())
        .spawn(move || {
            while let Some(engine) = weak.upgrade() {
                engine.increment_epoch();
                drop(engine);
                thread::sleep(EPOCH_TICK);
            }
        })
        .expect("spawning the epoch thread");
}
