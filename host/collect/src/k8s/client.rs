//! Connecting to the cluster: kubeconfig or in-cluster service account, whichever is
//! present (`kube::Config::infer`), or the kubeconfig file and context the config names.

use kube::config::{KubeConfigOptions, Kubeconfig};

use super::config::K8sConfig;
use aiops_core::CollectError;

/// A client for the cluster the config points at, and the server's URL (for
/// messages). Errors name the kubeconfig or context, never a credential.
pub async fn connect(config: &K8sConfig) -> Result<(kube::Client, String), CollectError> {
    let options = KubeConfigOptions {
        context: config.context.clone(),
        ..KubeConfigOptions::default()
    };
    let mut kube_config = match (&config.kubeconfig, &config.context) {
        (Some(path), _) => {
            let file = Kubeconfig::read_from(path).map_err(|err| {
                CollectError::Config(format!("kubeconfig {}: {err}", path.display()))
            })?;
            kube::Config::from_custom_kubeconfig(file, &options)
                .await
                .map_err(|err| {
                    CollectError::Credentials(format!("kubeconfig {}: {err}", path.display()))
                })?
        }
        (None, Some(context)) => kube::Config::from_kubeconfig(&options)
            .await
            .map_err(|err| CollectError::Credentials(format!("kubeconfig context `{context}`: {err}")))?,
        (None, None) => kube::Config::infer().await.map_err(|err| {
            CollectError::Credentials(format!(
                "no kubeconfig ($KUBECONFIG, ~/.kube/config) and no in-cluster service account: {err}"
            ))
        })?,
    };
    // Retries are ours (`collectors.k8s.retry`, honouring Retry-After), not kube's.
    kube_config.default_retry = false;
    let server = kube_config.cluster_url.to_string();
    tracing::debug!(%server, "k8s: connecting");
    let client = kube::Client::try_from(kube_config).map_err(|err| {
        CollectError::Config(format!("cannot set up a client for {server}: {err}"))
    })?;
    Ok((client, server))
}
