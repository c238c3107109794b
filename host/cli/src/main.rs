//! The `aiops` binary.

use std::process::ExitCode;

use clap::Parser;

/// mimalloc: many small allocations on several threads (manifest parsing, findings)
/// are markedly cheaper than with the system allocator.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = aiops::cli::Cli::parse();
    let long_running = matches!(cli.command, aiops::cli::Command::Serve(_));
    init_tracing(long_running);
    aiops::cli::main(cli)
}

/// Whether logs are JSON lines: `AIOPS_LOG_FORMAT=json` or `text` says so; without it,
/// `aiops serve` writes JSON when stderr is not a terminal (as in a pod), every other
/// command readable text.
fn json_logs(long_running: bool) -> bool {
    use std::io::IsTerminal as _;
    match std::env::var("AIOPS_LOG_FORMAT").as_deref() {
        Ok("json") => true,
        Ok("text") => false,
        _ => long_running && !std::io::stderr().is_terminal(),
    }
}

/// Logs go to stderr, JSON or text (see [`json_logs`]); the level comes from `RUST_LOG`
/// (default `warn`, and `info` for the log notification channel, target `aiops::notify`).
fn init_tracing(long_running: bool) {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("warn,aiops::notify=info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if json_logs(long_running) {
        builder.json().init();
    } else {
        builder.init();
    }
}
