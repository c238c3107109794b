//! The `aiops` binary.

use std::process::ExitCode;

use clap::Parser;

/// mimalloc: many small allocations on several threads (manifest parsing, findings)
/// are markedly cheaper than with the system allocator.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    init_tracing();
    aiops::cli::main(aiops::cli::Cli::parse())
}

/// Logs go to stderr: human-readable by default, JSON with `AIOPS_LOG_FORMAT=json`
/// (as in a pod); the level comes from `RUST_LOG` (default `warn`, and `info` for the
/// log notification channel, target `aiops::notify`).
fn init_tracing() {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("warn,aiops::notify=info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if std::env::var("AIOPS_LOG_FORMAT").is_ok_and(|f| f == "json") {
        builder.json().init();
    } else {
        builder.init();
    }
}
