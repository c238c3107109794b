//! Plugins delivered as a mounted ConfigMap: the kubelet's exact layout (a timestamped
//! payload directory, a `..data` symlink to it, one symlink per key through `..data`)
//! and its atomic update (a new payload directory, a `..data_tmp` symlink renamed over
//! `..data`, new keys linked, removed keys unlinked, the old payload deleted). The
//! watcher follows it: the new plugin loads, the removed one unloads, the updated one
//! is replaced. Also: a plugin file over `plugins.max_plugin_bytes` is refused, named.

use std::os::unix::fs::symlink;
use std::path::Path;
use std::time::Duration;

use aiops_runtime::{HostOptions, PluginHost, PluginsConfig, RegistrySnapshot};
use aiops_tests::{builtin, fixture, wait_until};

const WAIT: Duration = Duration::from_secs(20);

fn start(dir: &Path, cache: &Path, max_plugin_bytes: u64) -> PluginHost {
    let config = PluginsConfig {
        cache_dir: Some(cache.to_path_buf()),
        max_plugin_bytes,
        ..PluginsConfig::default()
    };
    PluginHost::start(
        &config,
        &HostOptions {
            plugin_dir: Some(dir.to_path_buf()),
            builtin: false,
            watch: true,
            builtins: &[],
            ..Default::default()
        },
    )
    .unwrap()
}

/// Writes a payload directory as the kubelet names them.
fn payload(dir: &Path, stamp: &str, files: &[(&str, &[u8])]) -> String {
    let name = format!("..2026_12_07_08_{stamp}.123456789");
    std::fs::create_dir(dir.join(&name)).unwrap();
    for (file, bytes) in files {
        std::fs::write(dir.join(&name).join(file), bytes).unwrap();
    }
    name
}

fn names(snapshot: &RegistrySnapshot) -> Vec<(String, String)> {
    let mut names: Vec<(String, String)> = snapshot
        .entries
        .values()
        .filter_map(|e| e.plugin.as_ref())
        .map(|p| (p.name().to_string(), p.info.version.clone()))
        .collect();
    names.sort();
    names
}

#[test]
fn watcher_follows_the_kubelets_atomic_configmap_swap() {
    let dir = tempfile::tempdir().unwrap();
    let cache = tempfile::tempdir().unwrap();
    let d = dir.path();
    let first = payload(
        d,
        "00_00",
        &[
            ("tagger.wasm", fixture("tagger-v1")),
            ("resources.wasm", builtin("k8s-resources")),
        ],
    );
    symlink(&first, d.join("..data")).unwrap();
    for key in ["tagger.wasm", "resources.wasm"] {
        symlink(format!("..data/{key}"), d.join(key)).unwrap();
    }
    let host = start(d, cache.path(), aiops_runtime::DEFAULT_MAX_PLUGIN_BYTES);
    let registry = host.registry.clone();
    let before = names(&registry.snapshot());
    let resources_version = before
        .iter()
        .find(|(n, _)| n == "k8s-resources")
        .expect("k8s-resources loaded through its symlink")
        .1
        .clone();
    assert!(
        before.contains(&("tagger".into(), "1.0.0".into())),
        "{before:?}"
    );
    assert_eq!(
        before.len(),
        2,
        "the `..` entries are no plugins: {before:?}"
    );
    assert_eq!(registry.snapshot().errors().count(), 0);

    // `kubectl apply` of a ConfigMap with tagger updated, resources removed, workloads new.
    let second = payload(
        d,
        "01_00",
        &[
            ("tagger.wasm", fixture("tagger-v2")),
            ("workloads.wasm", builtin("k8s-workloads")),
        ],
    );
    symlink(&second, d.join("..data_tmp")).unwrap();
    std::fs::rename(d.join("..data_tmp"), d.join("..data")).unwrap();
    symlink("..data/workloads.wasm", d.join("workloads.wasm")).unwrap();
    std::fs::remove_file(d.join("resources.wasm")).unwrap();
    std::fs::remove_dir_all(d.join(&first)).unwrap();

    assert!(
        wait_until(WAIT, || {
            let now = names(&registry.snapshot());
            now.contains(&("tagger".into(), "2.0.0".into()))
                && now.iter().any(|(n, _)| n == "k8s-workloads")
                && !now.iter().any(|(n, _)| n == "k8s-resources")
                && now.len() == 2
        }),
        "after the swap: {:?} (k8s-resources was {resources_version})",
        names(&registry.snapshot())
    );
    let snapshot = registry.snapshot();
    assert_eq!(snapshot.errors().count(), 0);
    assert!(
        snapshot.entries.keys().all(|o| !o.contains("/..")),
        "origins are the per-key paths: {:?}",
        snapshot.entries.keys()
    );
}

#[test]
fn plugin_over_max_plugin_bytes_is_refused_naming_file_and_sizes() {
    let dir = tempfile::tempdir().unwrap();
    let cache = tempfile::tempdir().unwrap();
    let bytes = fixture("tagger-v1");
    let max = bytes.len() as u64 - 1;
    std::fs::write(dir.path().join("tagger.wasm"), bytes).unwrap();
    let host = start(dir.path(), cache.path(), max);
    let snapshot = host.registry.snapshot();
    assert!(snapshot.by_name("tagger").is_none());
    let errors: Vec<(&str, &str)> = snapshot.errors().collect();
    assert_eq!(errors.len(), 1, "{errors:?}");
    let (origin, error) = errors[0];
    assert!(origin.ends_with("tagger.wasm"));
    for part in [
        origin.to_string(),
        bytes.len().to_string(),
        max.to_string(),
        "plugins.max_plugin_bytes".into(),
    ] {
        assert!(error.contains(&part), "{error} names {part}");
    }

    // A file within the limit under the same name is read again (here a broken one:
    // its load error replaces the size error; the host kept running).
    std::fs::write(dir.path().join("tagger.wasm"), b"\0asm small but broken").unwrap();
    let registry = host.registry.clone();
    assert!(wait_until(WAIT, || registry
        .snapshot()
        .errors()
        .any(|(_, e)| e.contains("not a valid WebAssembly component"))));
}
