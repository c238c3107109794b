# Developer shortcuts (`pip install rust-just` gives `just`). CI runs `bash .ci/run`.

# Scan the local fixtures with the built-in plugins (the embedded default).
scan *ARGS:
    cargo run -p aiops -- scan --manifests local-dev/manifests {{ARGS}}

# Every test.
test:
    cargo test --workspace

# What CI runs: format, lint, tests.
ci:
    bash .ci/run

# List plugins and their rules.
plugins *ARGS:
    cargo run -p aiops -- plugins {{ARGS}}

# Build one plugin crate to a wasm32-wasip2 component (`cargo build -p aiops` builds
# every built-in plugin as the host embeds it, pure components where they can be).
plugin NAME:
    cargo build --release --target wasm32-wasip2 -p {{NAME}}

# Benchmarks (figures printed).
bench:
    cargo bench -p aiops-tests

# The local stack: moto (RDS, Kinesis), an SMTP sink, a bare IaC repository and
# `aiops serve --watch`; prints the console URL, Ctrl-C stops everything.
dev:
    bash local-dev/dev.sh

# The `aiops serve` benchmark (issue #17; needs `wrk`): 10,000 requests at 200 concurrent
# on the findings API over 100k stored findings, idle RSS, a config edit to its effect.
bench-api:
    bash tests/bench/api.sh
