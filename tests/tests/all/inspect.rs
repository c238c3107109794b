//! `aiops_runtime::inspect`, what `aiops plugin inspect` prints: the loader's verdict
//! with its reason, each import marked granted or not, the info of a plugin that loads.

use aiops_runtime::{CompileCache, Loader, PluginLimits, SandboxEngine, inspect};
use aiops_tests::{COMPONENT_IMPORTING_WASI_HTTP, COMPONENT_OF_WRONG_WORLD, builtin, fixture};

fn loader() -> Loader {
    Loader::new(SandboxEngine::new().unwrap(), CompileCache::disabled()).unwrap()
}

#[test]
fn a_builtin_loads_with_its_rules_and_only_granted_imports() {
    let bytes = builtin("k8s-resources");
    let inspection = inspect(&loader(), bytes, "k8s_resources.wasm");
    let plugin = inspection.load.as_ref().unwrap();
    assert_eq!(plugin.info.name, "k8s-resources");
    assert!(!plugin.info.rules.is_empty());
    assert_eq!(inspection.size, bytes.len());
    assert!(!inspection.imports.is_empty());
    assert!(
        inspection.imports.iter().all(|i| i.granted),
        "{:?}",
        inspection.imports
    );
    assert!(
        inspection
            .exports
            .iter()
            .any(|e| e.starts_with("aiops:plugin/detect")),
        "{:?}",
        inspection.exports
    );
    assert!(inspection.compile_time.as_nanos() > 0);
}

#[test]
fn an_ungranted_import_or_the_wrong_world_is_named_as_the_reason() {
    let http = wat::parse_str(COMPONENT_IMPORTING_WASI_HTTP).unwrap();
    let inspection = inspect(&loader(), &http, "http.wasm");
    let why = inspection.load.as_ref().unwrap_err();
    assert!(why.contains("wasi:http/outgoing-handler"), "{why}");
    let import = &inspection.imports[0];
    assert!(
        import.name.starts_with("wasi:http/") && !import.granted,
        "{import:?}"
    );

    let wrong = wat::parse_str(COMPONENT_OF_WRONG_WORLD).unwrap();
    let why = inspect(&loader(), &wrong, "wrong.wasm").load.unwrap_err();
    assert!(why.contains("exports neither"), "{why}");

    let garbage = inspect(&loader(), b"\0asm\x0d\0\x01\0junk", "junk.wasm");
    assert!(garbage.imports.is_empty());
    assert!(
        garbage
            .load
            .unwrap_err()
            .contains("not a valid WebAssembly component")
    );
}

#[test]
fn a_plugin_whose_info_fails_says_so() {
    let loader = loader().with_limits(PluginLimits {
        timeout_ms: 200,
        ..PluginLimits::default()
    });
    let why = inspect(&loader, fixture("hostile-info"), "hostile_info.wasm")
        .load
        .unwrap_err();
    assert!(why.starts_with("info() failed"), "{why}");
}
