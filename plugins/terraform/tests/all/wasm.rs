//! End to end through the real runtime: the host's built-in `terraform` component, loaded
//! by the host's loader (sandbox, limits, WIT conversions), gives the same outcomes as the
//! native code on the fixture findings: the golden files, the same cannot-fix reasons,
//! and nothing more to do on the fixed files.

use crate::common;

use aiops_runtime::{CallSettings, CompileCache, LoadedPlugin, Loader, PluginKind, SandboxEngine};
use aiops_sdk::testing::Harness;
use aiops_sdk::{Finding, Remediator, Resource, SourceFile};
use common::fixture::*;
use terraform::Terraform;

fn component() -> LoadedPlugin {
    let (_, bytes) = aiops::builtin::BUILTIN_PLUGINS
        .iter()
        .find(|(package, _)| *package == "terraform")
        .expect("terraform is a built-in plugin");
    let loader = Loader::new(SandboxEngine::new().unwrap(), CompileCache::disabled()).unwrap();
    loader.load_bytes(bytes, "builtin:terraform").unwrap()
}

#[test]
fn the_component_is_a_remediator_declaring_its_rules() {
    let plugin = component();
    assert_eq!(plugin.kind(), PluginKind::Remediator);
    assert_eq!(plugin.info, Terraform::info());
}

#[test]
fn the_component_fixes_the_fixture_repo_like_the_native_code() {
    let plugin = component();
    let settings = CallSettings::default();
    let wasm = |f: &Finding, t: &Resource, files: Vec<SourceFile>| {
        plugin.remediate(f, t, &files, &settings).unwrap()
    };
    let native = |f: &Finding, t: &Resource, files: Vec<SourceFile>| {
        Harness::<Terraform>::new().remediate(f.clone(), t.clone(), files)
    };
    let findings = findings();
    let mut through_wasm = repo_files();
    let (refused_wasm, edits) = apply_all(&mut through_wasm, &findings, wasm);
    let mut natively = repo_files();
    let (refused_native, _) = apply_all(&mut natively, &findings, native);
    assert_eq!(edits, 17);
    assert_eq!(through_wasm, fixed_repo());
    assert_eq!(refused_wasm, refused_native);

    let (_, again) = apply_all(&mut through_wasm, &findings, wasm);
    assert_eq!(again, 0);
}
