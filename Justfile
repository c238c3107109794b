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

# Build one plugin crate to a wasm component.
plugin NAME:
    cargo build --release --target wasm32-wasip2 -p {{NAME}}

# Benchmarks (figures printed).
bench:
    cargo bench -p aiops-tests
