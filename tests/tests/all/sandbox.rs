//! The sandbox grants nothing: no files, environment, arguments, network or stdin;
//! guest stdout, stderr and log events reach the host log tagged with the plugin name.

use std::io::Write;
use std::sync::{Arc, Mutex};

use aiops_core::Inventory;
use aiops_runtime::{CallSettings, CompileCache, Loader, SandboxEngine};
use aiops_tests::fixture;

fn deployment() -> Inventory {
    let mut inv = Inventory::default();
    let object =
        serde_json::json!({"kind": "Deployment", "metadata": {"name": "web", "namespace": "shop"}});
    inv.push(aiops_sdk::k8s::resource_from_object(&object).unwrap(), None);
    inv
}

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn plugin_gets_no_files_env_args_network_or_stdin_and_its_output_is_logged() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .with_max_level(tracing::Level::INFO)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    // SAFETY: the test sets a variable before any thread reads the environment.
    unsafe { std::env::set_var("AIOPS_TEST_SECRET", "hunter2") };

    let loader = Loader::new(SandboxEngine::new().unwrap(), CompileCache::disabled()).unwrap();
    let plugin = loader
        .load_bytes(fixture("sandbox-probe"), "probe.wasm")
        .unwrap();
    let inventory = deployment();
    let resources: Vec<_> = inventory.resources().iter().collect();
    // A listener that accepts: a denied connection is the sandbox's doing, not a
    // closed port's.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let settings = CallSettings {
        config: Arc::from(
            serde_json::json!({"port": listener.local_addr().unwrap().port()}).to_string(),
        ),
        ..CallSettings::default()
    };
    let findings = plugin.detect(&resources, &settings).unwrap();
    let outcomes: Vec<(String, String)> = findings
        .iter()
        .map(|f| (f.component.clone().unwrap(), f.evidence[0].1.clone()))
        .collect();
    assert_eq!(
        outcomes,
        [
            ("fs-list", "denied"),
            ("fs-read", "denied"),
            ("env", "empty"),
            ("args", "empty"),
            ("net", "denied"),
            ("stdin", "empty"),
        ]
        .map(|(a, b)| (a.to_string(), b.to_string()))
    );

    assert!(listener.accept().is_err(), "the listener saw a connection");

    let log = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(
        log.contains("plugin=\"sandbox-probe\"") || log.contains("plugin=sandbox-probe"),
        "{log}"
    );
    assert!(log.contains("probe says hello on stdout"), "{log}");
    assert!(log.contains("probe says hello on stderr"), "{log}");
    assert!(log.contains("probe log event"), "{log}");
    assert!(!log.contains("hunter2"), "environment must not leak: {log}");
}

#[test]
fn restart_loads_from_the_compile_cache_without_recompiling() {
    let cache = tempfile::tempdir().unwrap();
    let bytes = fixture("tagger-v1");
    let first = Loader::new(
        SandboxEngine::new().unwrap(),
        CompileCache::in_dir(cache.path()),
    )
    .unwrap();
    first.load_bytes(bytes, "tagger.wasm").unwrap();
    let entries = || -> Vec<(std::path::PathBuf, std::time::SystemTime)> {
        std::fs::read_dir(cache.path())
            .unwrap()
            .map(|e| {
                let e = e.unwrap();
                (e.path(), e.metadata().unwrap().modified().unwrap())
            })
            .filter(|(path, _)| path.extension().is_some_and(|e| e == "cwasm"))
            .collect()
    };
    let before = entries();
    assert_eq!(
        before.len(),
        1,
        "one artifact, keyed by content hash and engine settings"
    );
    let name = before[0]
        .0
        .file_name()
        .unwrap()
        .to_string_lossy()
        .into_owned();
    assert!(
        name.starts_with(&aiops_runtime::content_hash(bytes)),
        "{name}"
    );

    // A new engine, as after a restart: the artifact is reused, not rewritten.
    let second = Loader::new(
        SandboxEngine::new().unwrap(),
        CompileCache::in_dir(cache.path()),
    )
    .unwrap();
    let plugin = second.load_bytes(bytes, "tagger.wasm").unwrap();
    assert_eq!(plugin.info.version, "1.0.0");
    assert_eq!(entries(), before);
}

#[test]
fn corrupt_cache_entry_is_recompiled() {
    let cache = tempfile::tempdir().unwrap();
    let bytes = fixture("tagger-v1");
    let loader = Loader::new(
        SandboxEngine::new().unwrap(),
        CompileCache::in_dir(cache.path()),
    )
    .unwrap();
    loader.load_bytes(bytes, "tagger.wasm").unwrap();
    let entry = std::fs::read_dir(cache.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "cwasm"))
        .unwrap();
    std::fs::write(&entry, b"garbage").unwrap();
    let plugin = loader.load_bytes(bytes, "tagger.wasm").unwrap();
    assert_eq!(plugin.name(), "tagger");
    assert!(
        std::fs::read(&entry).unwrap().len() > 1000,
        "entry rewritten"
    );
}
