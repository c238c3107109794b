//! The Lease client and elector against the Kubernetes API stand-in, which serves the
//! real `coordination.k8s.io/v1` Lease paths with resourceVersion conflicts.

use std::time::{Duration, Instant};

use aiops_lease::{Attempt, Elector, Leadership, LeaseClient, Timing};
use aiops_standins::k8s_api::FakeApiServer;
use k8s_openapi::api::coordination::v1::Lease;
use kube::api::{Api, PostParams};

async fn client(server: &FakeApiServer, dir: &std::path::Path) -> kube::Client {
    let path = server.write_kubeconfig(dir);
    let file = kube::config::Kubeconfig::read_from(&path).unwrap();
    let mut config = kube::Config::from_custom_kubeconfig(file, &Default::default())
        .await
        .unwrap();
    // As serve's client: the elector retries, kube does not.
    config.default_retry = false;
    kube::Client::try_from(config).unwrap()
}

fn timing(lease: u64, deadline: u64, retry: u64) -> Timing {
    Timing {
        lease_duration: Duration::from_secs(lease),
        renew_deadline: Duration::from_secs(deadline),
        retry_period: Duration::from_secs(retry),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn one_replica_takes_the_lease_the_other_only_once_it_has_expired() {
    let server = FakeApiServer::start();
    let dir = tempfile::tempdir().unwrap();
    let kube = client(&server, dir.path()).await;
    let t = timing(2, 1, 1);
    let mut a = LeaseClient::new(kube.clone(), "aiops", "aiops-leader", "pod-a", t);
    let mut b = LeaseClient::new(kube, "aiops", "aiops-leader", "pod-b", t);

    assert_eq!(
        a.try_acquire_or_renew().await.unwrap(),
        Attempt::Leading { token: 0 }
    );
    let created = server.state().lease("aiops", "aiops-leader").unwrap();
    assert_eq!(created["spec"]["holderIdentity"], "pod-a");
    assert_eq!(created["spec"]["leaseDurationSeconds"], 2);
    assert!(
        created["spec"]["renewTime"]
            .as_str()
            .unwrap()
            .ends_with('Z')
    );
    assert_eq!(
        b.try_acquire_or_renew().await.unwrap(),
        Attempt::Following {
            holder: Some("pod-a".into())
        }
    );
    // Renewing keeps the token and moves the resourceVersion.
    assert_eq!(
        a.try_acquire_or_renew().await.unwrap(),
        Attempt::Leading { token: 0 }
    );
    let renewed = server.state().lease("aiops", "aiops-leader").unwrap();
    assert_ne!(
        renewed["metadata"]["resourceVersion"],
        created["metadata"]["resourceVersion"]
    );
    // b saw this version now: it must stay unchanged for the lease duration.
    assert!(matches!(
        b.try_acquire_or_renew().await.unwrap(),
        Attempt::Following { .. }
    ));
    tokio::time::sleep(Duration::from_millis(2100)).await;
    assert_eq!(
        b.try_acquire_or_renew().await.unwrap(),
        Attempt::Leading { token: 1 }
    );
    assert_eq!(
        a.try_acquire_or_renew().await.unwrap(),
        Attempt::Following {
            holder: Some("pod-b".into())
        }
    );
    let lease = server.state().lease("aiops", "aiops-leader").unwrap();
    assert_eq!(lease["spec"]["holderIdentity"], "pod-b");
    assert_eq!(lease["spec"]["leaseTransitions"], 1);
    let methods: Vec<String> = server
        .state()
        .requests
        .iter()
        .map(|r| r.method.clone())
        .collect();
    assert!(methods.contains(&"POST".to_string()) && methods.contains(&"PUT".to_string()));
}

#[tokio::test(flavor = "multi_thread")]
async fn the_stand_in_refuses_a_stale_resource_version_and_answers_404_when_absent() {
    let server = FakeApiServer::start();
    let dir = tempfile::tempdir().unwrap();
    let api: Api<Lease> = Api::namespaced(client(&server, dir.path()).await, "aiops");
    let absent = api.get("aiops-leader").await.unwrap_err();
    match absent {
        kube::Error::Api(s) => assert_eq!((s.code, s.reason.as_str()), (404, "NotFound")),
        other => panic!("{other:?}"),
    }
    let mut lease = Lease::default();
    lease.metadata.name = Some("aiops-leader".into());
    let created = api.create(&PostParams::default(), &lease).await.unwrap();
    match api
        .create(&PostParams::default(), &lease)
        .await
        .unwrap_err()
    {
        kube::Error::Api(s) => assert_eq!((s.code, s.reason.as_str()), (409, "AlreadyExists")),
        other => panic!("{other:?}"),
    }
    // Two replicas replace from the same read: the first wins, the second conflicts.
    api.replace("aiops-leader", &PostParams::default(), &created)
        .await
        .unwrap();
    match api
        .replace("aiops-leader", &PostParams::default(), &created)
        .await
        .unwrap_err()
    {
        kube::Error::Api(s) => {
            assert_eq!((s.code, s.reason.as_str()), (409, "Conflict"));
            assert!(
                s.message.contains("the object has been modified"),
                "{}",
                s.message
            );
        }
        other => panic!("{other:?}"),
    }
    let list = api.list(&Default::default()).await.unwrap();
    assert_eq!(list.items.len(), 1);
}

async fn until(rx: &mut tokio::sync::watch::Receiver<Leadership>, want: fn(Leadership) -> bool) {
    tokio::time::timeout(Duration::from_secs(30), rx.wait_for(|l| want(*l)))
        .await
        .expect("leadership did not change in 30 s")
        .unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_leader_that_cannot_renew_gives_up_before_its_lease_expires_and_hands_over_on_shutdown() {
    let server = FakeApiServer::start();
    let dir = tempfile::tempdir().unwrap();
    let kube = client(&server, dir.path()).await;
    let t = timing(6, 2, 1);
    let (stop_a, stopped_a) = tokio::sync::oneshot::channel::<()>();
    let (mut a, task_a) = Elector::new(
        LeaseClient::new(kube.clone(), "aiops", "aiops-leader", "pod-a", t),
        t,
    )
    .spawn(async move {
        let _ = stopped_a.await;
    });
    until(&mut a, |l| l == Leadership::Leading { token: 0 }).await;
    let (stop_b, stopped_b) = tokio::sync::oneshot::channel::<()>();
    let (mut b, task_b) = Elector::new(
        LeaseClient::new(kube, "aiops", "aiops-leader", "pod-b", t),
        t,
    )
    .spawn(async move {
        let _ = stopped_b.await;
    });
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(
        *b.borrow(),
        Leadership::Following,
        "pod-a renews: pod-b follows"
    );

    // The API server becomes unreachable: pod-a cannot renew and must stop leading
    // before the lease duration has passed since its last renewal.
    server.state().leases_down = true;
    let down = Instant::now();
    until(&mut a, |l| l == Leadership::Following).await;
    assert!(
        down.elapsed() < Duration::from_secs(6),
        "stepped down after {:?}",
        down.elapsed()
    );
    assert_eq!(
        *b.borrow(),
        Leadership::Following,
        "nobody can take it while the API is down"
    );

    // Back: its Lease is still its own (nobody could take it), so it leads again with
    // the same token; pod-b still follows.
    server.state().leases_down = false;
    until(&mut a, |l| l == Leadership::Leading { token: 0 }).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(*b.borrow(), Leadership::Following);

    // Shutting down, the leader releases the Lease; the other takes it at once, a
    // takeover with a new token.
    stop_a.send(()).unwrap();
    task_a.await.unwrap();
    assert_eq!(*a.borrow(), Leadership::Following);
    let lease = server.state().lease("aiops", "aiops-leader").unwrap();
    assert!(lease["spec"]["holderIdentity"].is_null(), "{lease}");
    until(&mut b, |l| l == Leadership::Leading { token: 1 }).await;
    stop_b.send(()).unwrap();
    task_b.await.unwrap();
}
