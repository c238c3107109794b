//! `deploy/`: the Kustomize overlays render, validate offline against the Kubernetes
//! schemas (`kubernetes-validate`), pass aiops's own detectors, and grant exactly the
//! collector's kinds; the Containerfile matches what the README documents; `aiops serve`
//! stays ready with only its data paths writable, as in the image.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

fn root() -> PathBuf {
    aiops_standins::repo_root()
}

fn kubernetes() -> PathBuf {
    root().join("deploy/kubernetes")
}

/// `kubectl kustomize DIR`.
fn kustomize(dir: &Path) -> String {
    let out = Command::new("kubectl")
        .arg("kustomize")
        .arg(dir)
        .output()
        .expect("kubectl runs");
    assert!(
        out.status.success(),
        "kubectl kustomize {}: {}",
        dir.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// An overlay rendered, with the servicemonitor component added when asked (through a
/// kustomization of our own in a temporary directory, which names the overlay by a
/// relative path as kustomize wants).
fn render(overlay: &str, servicemonitor: bool) -> String {
    let dir = kubernetes().join("overlays").join(overlay);
    if !servicemonitor {
        return kustomize(&dir);
    }
    let tmp = tempfile::tempdir().unwrap();
    let up = "../".repeat(tmp.path().components().count() - 1);
    let rel = |p: &Path| format!("{up}{}", p.strip_prefix("/").unwrap().display());
    std::fs::write(
        tmp.path().join("kustomization.yaml"),
        format!(
            "resources: [{}]\ncomponents: [{}]\n",
            rel(&dir),
            rel(&kubernetes().join("components/servicemonitor"))
        ),
    )
    .unwrap();
    kustomize(tmp.path())
}

fn documents(rendered: &str) -> Vec<Value> {
    rendered
        .split("\n---\n")
        .map(|doc| serde_norway::from_str::<Value>(doc).unwrap())
        .collect()
}

fn object<'a>(docs: &'a [Value], kind: &str, name: &str) -> &'a Value {
    docs.iter()
        .find(|d| d["kind"] == kind && d["metadata"]["name"] == name)
        .unwrap_or_else(|| panic!("no {kind} {name}"))
}

/// The `kubernetes-validate` program: `$AIOPS_KUBERNETES_VALIDATE`, else the venv
/// `.ci/run` makes under `${XDG_CACHE_HOME:-$HOME/.cache}/aiops/kubernetes-validate`.
fn kubernetes_validate() -> PathBuf {
    let exe = std::env::var_os("AIOPS_KUBERNETES_VALIDATE")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            let cache = std::env::var_os("XDG_CACHE_HOME")
                .map(PathBuf::from)
                .unwrap_or_else(|| PathBuf::from(std::env::var_os("HOME").unwrap()).join(".cache"));
            cache.join("aiops/kubernetes-validate/bin/kubernetes-validate")
        });
    assert!(
        exe.is_file(),
        "{} is missing: run `bash .ci/run` (its kubernetes-validate section) or set AIOPS_KUBERNETES_VALIDATE",
        exe.display()
    );
    exe
}

#[test]
fn every_overlay_renders_and_validates_against_the_kubernetes_schemas() {
    let validate = kubernetes_validate();
    for overlay in ["single", "ha"] {
        for servicemonitor in [false, true] {
            let rendered = render(overlay, servicemonitor);
            let docs = documents(&rendered);
            let dir = tempfile::tempdir().unwrap();
            let file = dir.path().join(format!("{overlay}.yaml"));
            // The ServiceMonitor is a CRD the validator has no schema for; it is
            // checked below against the Service it scrapes.
            let core: Vec<String> = rendered
                .split("\n---\n")
                .filter(|d| !d.contains("kind: ServiceMonitor"))
                .map(str::to_string)
                .collect();
            std::fs::write(&file, core.join("\n---\n")).unwrap();
            let out = Command::new(&validate)
                .args(["--strict", "--kubernetes-version", "1.33.0", "--quiet"])
                .arg(&file)
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "{overlay}: {}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
            let monitors: Vec<&Value> = docs
                .iter()
                .filter(|d| d["kind"] == "ServiceMonitor")
                .collect();
            assert_eq!(monitors.len(), usize::from(servicemonitor), "{overlay}");
            if let Some(monitor) = monitors.first() {
                let service = object(&docs, "Service", "aiops");
                let selector = monitor["spec"]["selector"]["matchLabels"]
                    .as_object()
                    .unwrap();
                for (k, v) in selector {
                    assert_eq!(&service["metadata"]["labels"][k], v, "{overlay}: {k}");
                }
                let port = &monitor["spec"]["endpoints"][0]["port"];
                assert!(
                    service["spec"]["ports"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .any(|p| &p["name"] == port),
                    "{overlay}: the monitor's port {port} is the Service's"
                );
                assert_eq!(monitor["metadata"]["namespace"], "aiops");
            }
        }
    }
}

#[test]
fn overlays_have_their_replicas_strategy_and_state() {
    let single = documents(&render("single", false));
    let deployment = object(&single, "Deployment", "aiops");
    assert_eq!(deployment["spec"]["replicas"], 1);
    assert_eq!(deployment["spec"]["strategy"]["type"], "Recreate");
    let volumes = deployment["spec"]["template"]["spec"]["volumes"]
        .as_array()
        .unwrap();
    let data = volumes.iter().find(|v| v["name"] == "data").unwrap();
    assert_eq!(data["persistentVolumeClaim"]["claimName"], "aiops-data");
    assert!(data.get("emptyDir").is_none());
    object(&single, "PersistentVolumeClaim", "aiops-data");

    let ha = documents(&render("ha", false));
    let deployment = object(&ha, "Deployment", "aiops");
    assert!(deployment["spec"]["replicas"].as_u64().unwrap() >= 2);
    assert_eq!(
        object(&ha, "PodDisruptionBudget", "aiops")["spec"]["minAvailable"],
        1
    );
    let config = object(&ha, "ConfigMap", "aiops-config")["data"]["config.yaml"]
        .as_str()
        .unwrap();
    let config: Value = serde_norway::from_str(config).unwrap();
    assert!(
        config["state"]["url"]
            .as_str()
            .unwrap()
            .starts_with("postgres://")
    );
    let password_env = config["state"]["password_env"].as_str().unwrap();
    let env = deployment["spec"]["template"]["spec"]["containers"][0]["env"]
        .as_array()
        .unwrap();
    let from_secret = env.iter().find(|e| e["name"] == password_env).unwrap();
    assert!(from_secret["valueFrom"]["secretKeyRef"]["name"].is_string());
    assert_eq!(config["leader_election"]["lease_name"], "aiops-leader");
    for var in ["POD_NAME", "POD_NAMESPACE"] {
        let e = env.iter().find(|e| e["name"] == var).unwrap();
        assert!(e["valueFrom"]["fieldRef"]["fieldPath"].is_string(), "{var}");
    }
}

/// Every `(group, resource)` a set of RBAC rules grants, asserting each rule grants
/// exactly `verbs` on named resources and nothing else.
fn granted(rules: &Value, verbs: &[&str]) -> BTreeSet<(String, String)> {
    let mut pairs = BTreeSet::new();
    for rule in rules.as_array().unwrap() {
        let rule_verbs: Vec<&str> = rule["verbs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        assert_eq!(rule_verbs, verbs, "{rule}");
        assert!(rule.get("nonResourceURLs").is_none(), "{rule}");
        for group in rule["apiGroups"].as_array().unwrap() {
            for resource in rule["resources"].as_array().unwrap() {
                let (group, resource) = (group.as_str().unwrap(), resource.as_str().unwrap());
                assert!(
                    group != "*" && resource != "*" && resource != "secrets",
                    "{rule}"
                );
                pairs.insert((group.to_string(), resource.to_string()));
            }
        }
    }
    pairs
}

#[test]
fn cluster_role_grants_exactly_the_collectors_kinds_read_only() {
    let expected: BTreeSet<(String, String)> = aiops_collect::k8s::kinds::rbac_resources()
        .into_iter()
        .collect();
    for overlay in ["single", "ha"] {
        let docs = documents(&render(overlay, true));
        let roles: Vec<&Value> = docs.iter().filter(|d| d["kind"] == "ClusterRole").collect();
        assert_eq!(roles.len(), 1, "{overlay}: one ClusterRole");
        assert_eq!(
            granted(&roles[0]["rules"], &["get", "list", "watch"]),
            expected,
            "{overlay}: the ClusterRole and host/collect/src/k8s/kinds.rs differ"
        );
        let binding = object(&docs, "ClusterRoleBinding", "aiops-read");
        assert_eq!(binding["roleRef"]["name"], roles[0]["metadata"]["name"]);
        assert_eq!(binding["subjects"][0]["name"], "aiops");

        // Leases in its own namespace only, through a Role.
        let role = object(&docs, "Role", "aiops-leader-election");
        assert_eq!(role["metadata"]["namespace"], "aiops");
        assert_eq!(
            granted(&role["rules"], &["get", "create", "update", "patch"]),
            BTreeSet::from([("coordination.k8s.io".to_string(), "leases".to_string())])
        );
        let kinds: BTreeSet<&str> = docs.iter().filter_map(|d| d["kind"].as_str()).collect();
        for kind in [
            "Namespace",
            "ServiceAccount",
            "RoleBinding",
            "ConfigMap",
            "Deployment",
            "Service",
            "PodDisruptionBudget",
            "NetworkPolicy",
        ] {
            assert!(kinds.contains(kind), "{overlay}: {kind}");
        }
    }
}

#[test]
fn deployment_is_locked_down_probed_and_bounded() {
    for overlay in ["single", "ha"] {
        let docs = documents(&render(overlay, false));
        let pod = &object(&docs, "Deployment", "aiops")["spec"]["template"]["spec"];
        assert_eq!(pod["securityContext"]["runAsNonRoot"], true);
        assert_eq!(
            pod["securityContext"]["seccompProfile"]["type"],
            "RuntimeDefault"
        );
        let c = &pod["containers"][0];
        let sc = &c["securityContext"];
        assert_eq!(sc["readOnlyRootFilesystem"], true, "{overlay}");
        assert_eq!(sc["allowPrivilegeEscalation"], false, "{overlay}");
        assert_eq!(sc["capabilities"]["drop"], serde_json::json!(["ALL"]));
        assert_eq!(c["livenessProbe"]["httpGet"]["path"], "/healthz");
        assert_eq!(c["readinessProbe"]["httpGet"]["path"], "/readyz");
        for what in ["requests", "limits"] {
            for r in ["cpu", "memory"] {
                assert!(c["resources"][what][r].is_string(), "{overlay}: {what}.{r}");
            }
        }
        // Ingress to the one port (API, console, metrics), nothing else.
        let policy = object(&docs, "NetworkPolicy", "aiops");
        let ingress = policy["spec"]["ingress"].as_array().unwrap();
        assert_eq!(ingress.len(), 1);
        assert_eq!(
            ingress[0]["ports"],
            serde_json::json!([{"port": "http", "protocol": "TCP"}])
        );
        assert_eq!(c["ports"].as_array().unwrap().len(), 1);
        assert_eq!(c["ports"][0]["name"], "http");
    }
}

#[test]
fn aiops_finds_nothing_in_its_own_manifests() {
    for overlay in ["single", "ha"] {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("aiops.yaml"), render(overlay, true)).unwrap();
        let out = Command::new(env!("CARGO_BIN_EXE_aiops"))
            .args([
                "scan",
                "--fail-on",
                "info",
                "--format",
                "json",
                "--manifests",
            ])
            .arg(dir.path())
            .env("AIOPS_CACHE_DIR", crate::remediate::cache())
            .output()
            .unwrap();
        let report: Value = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{overlay}: {}\n{}",
            serde_json::to_string_pretty(&report["findings"]).unwrap(),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// The README's "The image" table and list: `(stages, user, entrypoint, writable)`.
fn readme_image() -> (Vec<(String, String)>, String, String, BTreeSet<String>) {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let section = readme
        .split("\n### The image\n")
        .nth(1)
        .expect("README has a `### The image` section")
        .split("\n#")
        .next()
        .unwrap();
    let ticked = |line: &str| -> Vec<String> {
        line.split('`')
            .skip(1)
            .step_by(2)
            .map(str::to_string)
            .collect()
    };
    let mut stages = Vec::new();
    let (mut user, mut entrypoint, mut writable) = (None, None, BTreeSet::new());
    for line in section.lines() {
        if line.starts_with("| `") {
            let t = ticked(line);
            stages.push((t[0].clone(), t[1].clone()));
        } else if let Some(rest) = line.strip_prefix("- User: ") {
            user = ticked(rest).into_iter().next();
        } else if let Some(rest) = line.strip_prefix("- Entrypoint: ") {
            entrypoint = ticked(rest).into_iter().next();
        } else if let Some(rest) = line.strip_prefix("- Writable paths: ") {
            writable = ticked(rest).into_iter().collect();
        }
    }
    (
        stages,
        user.expect("- User:"),
        entrypoint.expect("- Entrypoint:"),
        writable,
    )
}

#[test]
fn containerfile_matches_what_the_readme_documents() {
    let text = std::fs::read_to_string(root().join("deploy/Containerfile")).unwrap();
    // Instructions, continuation lines joined.
    let joined = text
        .lines()
        .filter(|l| !l.trim_start().starts_with('#'))
        .collect::<Vec<_>>()
        .join("\n")
        .replace("\\\n", " ");
    let instructions: Vec<(&str, &str)> = joined
        .lines()
        .filter_map(|l| l.trim().split_once(' '))
        .collect();
    let stages: Vec<(String, String)> = instructions
        .iter()
        .filter(|(op, _)| *op == "FROM")
        .map(|(_, rest)| {
            let parts: Vec<&str> = rest.split_whitespace().collect();
            assert_eq!(parts.len(), 3, "FROM IMAGE AS NAME: {rest}");
            assert!(parts[1].eq_ignore_ascii_case("as"));
            (parts[2].to_string(), parts[0].to_string())
        })
        .collect();
    let last = |op: &str| {
        instructions
            .iter()
            .rev()
            .find(|(o, _)| *o == op)
            .map(|(_, r)| r.trim().to_string())
            .unwrap_or_else(|| panic!("no {op}"))
    };
    let user = last("USER");
    let entrypoint = last("ENTRYPOINT");
    assert!(
        !instructions.iter().any(|(op, _)| *op == "HEALTHCHECK"),
        "no HEALTHCHECK: Kubernetes probes do that"
    );
    let builder = instructions
        .iter()
        .filter(|(op, rest)| *op == "RUN" && rest.contains("cargo build"))
        .count();
    assert_eq!(builder, 1, "one cargo build");
    assert!(joined.contains("cargo build --release --locked -p aiops"));
    // Writable: the directories handed to the runtime user.
    let uid = user.split(':').next().unwrap().to_string();
    let writable: BTreeSet<String> = joined
        .split("&&")
        .filter_map(|cmd| {
            cmd.trim()
                .lines()
                .next()?
                .strip_prefix(&format!("chown {user} "))
        })
        .flat_map(|dirs| dirs.split_whitespace().map(str::to_string))
        .collect();
    let (readme_stages, readme_user, readme_entrypoint, readme_writable) = readme_image();
    assert_eq!(stages, readme_stages, "stages (name, image)");
    assert_eq!(user, readme_user);
    assert!(uid.parse::<u32>().unwrap() > 0, "a numeric non-root user");
    assert_eq!(entrypoint, readme_entrypoint);
    assert_eq!(
        serde_json::from_str::<Vec<String>>(&entrypoint).unwrap(),
        ["aiops", "serve"]
    );
    assert_eq!(writable, readme_writable, "writable paths");
    // The Deployment runs as that user and mounts exactly those paths writable or as
    // the plugin volume; the overlays' config points there.
    for overlay in ["single", "ha"] {
        let docs = documents(&render(overlay, false));
        let pod = &object(&docs, "Deployment", "aiops")["spec"]["template"]["spec"];
        assert_eq!(pod["securityContext"]["runAsUser"].to_string(), uid);
        let mounts = pod["containers"][0]["volumeMounts"].as_array().unwrap();
        let rw: BTreeSet<String> = mounts
            .iter()
            .filter(|m| m["readOnly"] != true)
            .map(|m| m["mountPath"].as_str().unwrap().to_string())
            .collect();
        let config: Value = serde_norway::from_str(
            object(&docs, "ConfigMap", "aiops-config")["data"]["config.yaml"]
                .as_str()
                .unwrap(),
        )
        .unwrap();
        let data_dir = config["data_dir"].as_str().unwrap().to_string();
        let plugin_dir = config["plugins"]["dir"].as_str().unwrap().to_string();
        assert_eq!(rw, BTreeSet::from([data_dir.clone()]), "{overlay}");
        assert_eq!(
            BTreeSet::from([data_dir.clone(), plugin_dir]),
            readme_writable,
            "{overlay}"
        );
        assert!(
            config["plugins"]["cache_dir"]
                .as_str()
                .unwrap()
                .starts_with(&data_dir)
        );
    }
}

#[test]
fn every_overlays_config_passes_config_check() {
    for overlay in ["single", "ha"] {
        let docs = documents(&render(overlay, false));
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("config.yaml");
        std::fs::write(
            &file,
            object(&docs, "ConfigMap", "aiops-config")["data"]["config.yaml"]
                .as_str()
                .unwrap(),
        )
        .unwrap();
        let out = Command::new(env!("CARGO_BIN_EXE_aiops"))
            .args(["config", "check"])
            .arg(&file)
            .env("AIOPS_STATE_PASSWORD", "not-a-real-password")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{overlay}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// The serve process, killed if the test ends without stopping it.
struct Serving(std::process::Child);

impl Drop for Serving {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn get(port: u16, path: &str) -> Option<(u16, String)> {
    use std::io::{Read as _, Write as _};
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .ok()?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut raw = String::new();
    stream.read_to_string(&mut raw).ok()?;
    let status = raw.split(' ').nth(1)?.parse().ok()?;
    Some((status, raw))
}

#[test]
fn serve_stays_ready_with_only_its_data_paths_writable() {
    let tmp = tempfile::tempdir().unwrap();
    let base = tmp.path();
    let (readonly, data, plugins) = (base.join("ro"), base.join("data"), base.join("plugins"));
    for d in [&readonly, &data, &plugins] {
        std::fs::create_dir(d).unwrap();
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let manifests = root().join("local-dev/manifests");
    let config = readonly.join("config.yaml");
    std::fs::write(
        &config,
        format!(
            "plugins: {{dir: {}, cache_dir: {}}}\nsources: ['manifests:{}']\ndata_dir: {}\n\
             api: {{listen: '127.0.0.1:{port}', read_open: true}}\nschedule: {{interval: 1h}}\n",
            plugins.display(),
            data.join("cache").display(),
            manifests.display(),
            data.display()
        ),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt as _;
    let mode =
        |p: &Path, m: u32| std::fs::set_permissions(p, std::fs::Permissions::from_mode(m)).unwrap();
    mode(base, 0o755);
    mode(&readonly, 0o555);
    let as_root = rustix::process::geteuid().is_root();
    let mut command = if as_root {
        // Root writes anywhere: run as nobody, who owns only the data paths.
        for d in [&data, &plugins] {
            std::os::unix::fs::chown(d, Some(65534), Some(65534)).unwrap();
        }
        let mut c = Command::new("setpriv");
        c.args(["--reuid=65534", "--regid=65534", "--clear-groups"])
            .arg(env!("CARGO_BIN_EXE_aiops"));
        c
    } else {
        Command::new(env!("CARGO_BIN_EXE_aiops"))
    };
    command
        .args(["serve", "--config"])
        .arg(&config)
        .current_dir(&readonly)
        .env("HOME", &readonly)
        .env("TMPDIR", &readonly)
        .env_remove("XDG_CACHE_HOME")
        .env_remove("XDG_DATA_HOME")
        .env_remove("AIOPS_CACHE_DIR")
        .env_remove("AIOPS_DATA_DIR")
        .env_remove("AIOPS_CONFIG")
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    let mut serving = Serving(command.spawn().unwrap());
    let start = Instant::now();
    loop {
        if let Some(status) = serving.0.try_wait().unwrap() {
            let mut err = String::new();
            use std::io::Read as _;
            serving
                .0
                .stderr
                .take()
                .unwrap()
                .read_to_string(&mut err)
                .unwrap();
            panic!("aiops serve exited ({status}): {err}");
        }
        if get(port, "/readyz").is_some_and(|(s, _)| s == 200) {
            break;
        }
        assert!(start.elapsed() < Duration::from_secs(180), "never ready");
        std::thread::sleep(Duration::from_millis(200));
    }
    // It works: the first cycle's findings are served.
    let start = Instant::now();
    loop {
        let (status, body) = get(port, "/api/v1/findings?limit=1").unwrap();
        assert_eq!(status, 200, "{body}");
        if body.contains("fingerprint") {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(180),
            "no findings: {body}"
        );
        std::thread::sleep(Duration::from_millis(300));
    }
    assert_eq!(get(port, "/readyz").unwrap().0, 200);
    assert!(
        data.join("state.db").is_file(),
        "state in the data directory"
    );
    assert_eq!(
        std::fs::read_dir(&readonly).unwrap().count(),
        1,
        "nothing but the config"
    );
}
