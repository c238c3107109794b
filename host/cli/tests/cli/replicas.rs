//! Two `aiops serve` replicas sharing one PostgreSQL and one Lease (the Kubernetes API
//! stand-in's `coordination.k8s.io/v1` leases): exactly one leads; SIGKILL it and the
//! other takes over within the lease duration; across the handover no two cycles
//! overlap, no remediation (the local provider's pull request) is proposed twice and
//! no notification is delivered twice, but for one the SIGKILL cut between its send and
//! its record, sent again under the same idempotency key. Both replicas answer the API
//! throughout.
//!
//! `AIOPS_TEST_LEASE=15,10,2` runs it with other lease settings (the defaults, for the
//! failover figure it prints).

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use aiops_standins::http_sink::HttpSink;
use aiops_standins::k8s_api::FakeApiServer;
use aiops_standins::postgres;
use serde_json::Value;

use crate::remediate::{GitWork, cache};

const READER: &str = "reader-token-0123456789abcdef";

/// A replica, killed if the test ends without stopping it.
struct Replica {
    child: std::process::Child,
    port: u16,
}

impl Drop for Replica {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn get(port: u16, path: &str) -> Option<String> {
    use std::io::{Read as _, Write as _};
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .ok()?;
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nAuthorization: Bearer {READER}\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).ok()?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).ok()?;
    let text = String::from_utf8_lossy(&raw).to_string();
    let (head, body) = text.split_once("\r\n\r\n")?;
    if !head.starts_with("HTTP/1.1 200") {
        return None;
    }
    if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        let mut out = String::new();
        let mut s = body;
        while let Some((size, rest)) = s.split_once("\r\n") {
            let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
            if n == 0 || rest.len() < n + 2 {
                break;
            }
            out.push_str(&rest[..n]);
            s = &rest[n + 2..];
        }
        return Some(out);
    }
    Some(body.to_string())
}

fn api(port: u16, path: &str) -> Value {
    serde_json::from_str(&get(port, path).unwrap_or_else(|| panic!("GET {path}"))).unwrap()
}

/// The `aiops_leader` gauge of a replica.
fn leader_gauge(port: u16) -> Option<i64> {
    get(port, "/metrics")?
        .lines()
        .find_map(|l| l.strip_prefix("aiops_leader "))
        .and_then(|v| v.trim().parse().ok())
}

fn wait_for(what: &str, within: Duration, mut ok: impl FnMut() -> bool) {
    let start = Instant::now();
    while !ok() {
        assert!(start.elapsed() < within, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The pid in the Lease's holder identity (`HOSTNAME-PID`).
fn holder_pid(server: &FakeApiServer) -> Option<u32> {
    let lease = server.state().lease("aiops", "aiops-leader")?;
    lease["spec"]["holderIdentity"]
        .as_str()?
        .rsplit('-')
        .next()?
        .parse()
        .ok()
}

fn cycles(port: u16) -> Vec<Value> {
    api(port, "/api/v1/cycles?limit=1000")
        .as_array()
        .cloned()
        .unwrap_or_default()
}

#[test]
fn two_replicas_one_leads_and_the_other_takes_over_after_a_sigkill_without_duplicates() {
    let (lease, deadline, retry): (u64, u64, u64) = match std::env::var("AIOPS_TEST_LEASE") {
        Ok(v) => {
            let n: Vec<u64> = v.split(',').map(|x| x.trim().parse().unwrap()).collect();
            (n[0], n[1], n[2])
        }
        Err(_) => (4, 3, 1),
    };
    let k8s = FakeApiServer::start();
    let sink = HttpSink::start();
    let pg = postgres::server().fresh_database("replicas");
    let extra = |data: &str, kubeconfig: &std::path::Path| {
        format!(
            "api:\n  tokens: [{{name: reader, role: read, token_file: reader.token}}]\n\
             schedule: {{interval: 2s}}\n\
             state: {{url: '{pg}', password_env: AIOPS_STATE_PASSWORD}}\n\
             collectors: {{k8s: {{kubeconfig: '{}'}}}}\n\
             leader_election:\n  lease_name: aiops-leader\n  namespace: aiops\n  \
             lease_duration_seconds: {lease}\n  renew_deadline_seconds: {deadline}\n  retry_period_seconds: {retry}\n\
             notifications:\n  channels: {{hook: {{type: webhook, url: '{}/hook'}}}}\n  routes: [{{channel: hook}}]\n\
             policy: {{}}\n# {data}\n",
            kubeconfig.display(),
            sink.url
        )
    };
    let work = GitWork::new("");
    let kubeconfig = k8s.write_kubeconfig(work.path());
    std::fs::write(work.path().join("reader.token"), READER).unwrap();
    // One config per replica: the same store and Lease, a data directory each.
    let base = std::fs::read_to_string(work.path().join("aiops.yaml")).unwrap();
    for (name, data) in [("a.yaml", "data-a"), ("b.yaml", "data-b")] {
        let text = base.replace("data_dir: data\n", &format!("data_dir: {data}\n"));
        std::fs::write(
            work.path().join(name),
            format!("{text}{}", extra(data, &kubeconfig)),
        )
        .unwrap();
    }
    let spawn = |config: &str| {
        let port = free_port();
        let child = Command::new(env!("CARGO_BIN_EXE_aiops"))
            .arg("--config")
            .arg(work.path().join(config))
            .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
            .current_dir(work.path().join("deploy"))
            .env("AIOPS_CACHE_DIR", cache())
            .env("AIOPS_STATE_PASSWORD", postgres::PASSWORD)
            .env_remove("AIOPS_DATA_DIR")
            .env_remove("POD_NAME")
            .env_remove("POD_NAMESPACE")
            .env_remove("RUST_LOG")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        Replica { child, port }
    };
    let mut replicas = vec![spawn("a.yaml"), spawn("b.yaml")];
    let ports: Vec<u16> = replicas.iter().map(|r| r.port).collect();

    // Exactly one leads: the Lease names it, its gauge says 1, the other's 0.
    wait_for("a leader", Duration::from_secs(120), || {
        holder_pid(&k8s).is_some_and(|pid| replicas.iter().any(|r| r.child.id() == pid))
            && ports.iter().all(|p| leader_gauge(*p).is_some())
            && ports.iter().map(|p| leader_gauge(*p).unwrap()).sum::<i64>() == 1
    });
    let first = replicas
        .iter()
        .position(|r| Some(r.child.id()) == holder_pid(&k8s))
        .unwrap();
    let other = 1 - first;
    assert_eq!(leader_gauge(ports[first]), Some(1));
    assert_eq!(leader_gauge(ports[other]), Some(0));
    // The leader runs cycles, proposes remediations and delivers notifications; the
    // follower, ready all along, serves the same state.
    wait_for("the leader's work", Duration::from_secs(180), || {
        cycles(ports[other])
            .iter()
            .filter(|c| c["status"] == "completed")
            .count()
            >= 2
            && !sink.state().delivered.is_empty()
            && api(ports[other], "/api/v1/remediations")
                .as_array()
                .is_some_and(|r| !r.is_empty())
    });
    assert!(
        get(ports[other], "/readyz").is_some(),
        "the follower is ready"
    );
    for (role, i) in [("leader", first), ("follower", other)] {
        let status = std::fs::read_to_string(format!("/proc/{}/status", replicas[i].child.id()))
            .unwrap_or_default();
        let rss = status
            .lines()
            .find(|l| l.starts_with("VmRSS:"))
            .unwrap_or("VmRSS: ?");
        eprintln!(
            "idle RSS of the {role} (between cycles): {}",
            rss.trim_start_matches("VmRSS:").trim()
        );
    }
    let owner_first = format!("pid {}", replicas[first].child.id());
    assert!(
        cycles(ports[other])
            .iter()
            .all(|c| c["owner"].as_str().unwrap().contains(&owner_first)),
        "only the leader ran cycles"
    );

    // SIGKILL the leader: the other takes over within the lease duration (plus the
    // polling it takes to see the Lease go unrenewed) and runs the next cycle.
    let killed = replicas.remove(first);
    let killed_pid = killed.child.id();
    let survivor = replicas.pop().unwrap();
    let mut killed = killed;
    killed.child.kill().unwrap();
    let at_kill = Instant::now();
    let kill_ms = aiops_state::now_millis();
    killed.child.wait().unwrap();
    let owner_new = format!("pid {}", survivor.child.id());
    wait_for(
        "the takeover's first cycle",
        Duration::from_secs(lease + 60),
        || {
            cycles(survivor.port)
                .iter()
                .any(|c| c["owner"].as_str().unwrap().contains(&owner_new))
        },
    );
    let seen = at_kill.elapsed();
    let first_new = cycles(survivor.port)
        .iter()
        .filter(|c| c["owner"].as_str().unwrap().contains(&owner_new))
        .map(|c| c["started_at"].as_i64().unwrap())
        .min()
        .unwrap();
    eprintln!(
        "failover (lease {lease}s, renew deadline {deadline}s, retry {retry}s): SIGKILL to the new leader's first cycle start {} ms (seen by the test after {} ms)",
        first_new - kill_ms,
        seen.as_millis()
    );
    assert_eq!(holder_pid(&k8s), Some(survivor.child.id()));
    assert_ne!(holder_pid(&k8s), Some(killed_pid));
    assert_eq!(leader_gauge(survivor.port), Some(1));
    let transitions =
        k8s.state().lease("aiops", "aiops-leader").unwrap()["spec"]["leaseTransitions"]
            .as_i64()
            .unwrap();
    assert_eq!(transitions, 1, "one takeover");
    // Let the new leader work a little: more cycles, its drains.
    wait_for(
        "two cycles of the new leader",
        Duration::from_secs(120),
        || {
            cycles(survivor.port)
                .iter()
                .filter(|c| {
                    c["owner"].as_str().unwrap().contains(&owner_new) && c["status"] == "completed"
                })
                .count()
                >= 2
        },
    );
    std::thread::sleep(Duration::from_secs(6));

    // No two cycles overlapped: each began after the one before it finished.
    let mut all = cycles(survivor.port);
    all.sort_by_key(|c| c["id"].as_i64().unwrap());
    for pair in all.windows(2) {
        let finished = pair[0]["finished_at"].as_i64().unwrap_or(i64::MAX);
        let started = pair[1]["started_at"].as_i64().unwrap();
        assert!(
            finished <= started,
            "cycles overlap: {} and {}",
            pair[0],
            pair[1]
        );
    }
    // No remediation proposed twice: one per group, one branch each on the remote.
    let remediations = api(survivor.port, "/api/v1/remediations");
    let groups: Vec<&str> = remediations
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["group_fingerprint"].as_str().unwrap())
        .collect();
    let unique: std::collections::BTreeSet<&str> = groups.iter().copied().collect();
    assert_eq!(groups.len(), unique.len(), "{remediations}");
    let audit = api(survivor.port, "/api/v1/audit?limit=1000");
    let proposed = audit
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["action"] == "remediation.proposed")
        .count();
    assert_eq!(
        proposed,
        groups.len(),
        "each remediation proposed once: {audit}"
    );
    // No notification delivered twice, but for the one the SIGKILL may cut between
    // its send and its record: that one is sent again, once, by the new leader and
    // under the same idempotency key (what the receiver deduplicates on).
    let outbox = api(survivor.port, "/api/v1/notifications?limit=1000");
    let sent_at: std::collections::BTreeMap<&str, i64> = outbox
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|n| Some((n["idempotency_key"].as_str()?, n["sent_at"].as_i64()?)))
        .collect();
    let state = sink.state();
    let mut receipts: std::collections::BTreeMap<&str, Vec<i64>> = Default::default();
    for r in &state.delivered {
        let key = r.header("idempotency-key").unwrap();
        receipts.entry(key).or_default().push(r.at_millis);
    }
    assert!(!receipts.is_empty());
    let mut resent = 0;
    for (key, times) in &receipts {
        let recorded = sent_at.get(key).copied();
        assert!(recorded.is_some(), "{key} delivered but not recorded sent");
        if times.len() == 1 {
            continue;
        }
        resent += 1;
        assert_eq!(times.len(), 2, "{key} delivered {} times", times.len());
        assert!(
            times[0] <= kill_ms && times[1] >= kill_ms && recorded >= Some(kill_ms),
            "{key} delivered twice without being in flight at the SIGKILL \
             (received at {times:?}, recorded sent at {recorded:?}, killed at {kill_ms})"
        );
    }
    eprintln!("messages sent again across the handover: {resent}");
    assert!(resent <= 1, "{resent} messages sent again: {receipts:?}");
}
