//! Resource kind names, spelled once: the collectors that produce resources and the
//! plugins that declare the kinds they judge or edit use these constants.
//!
//! Kubernetes kinds are the API's own names (`Deployment`); the other platforms' kinds are
//! `PLATFORM.SERVICE.TYPE` (`aws.rds.db-instance`).

/// Kubernetes `Deployment`.
pub const DEPLOYMENT: &str = "Deployment";
/// Kubernetes `StatefulSet`.
pub const STATEFUL_SET: &str = "StatefulSet";
/// Kubernetes `DaemonSet`.
pub const DAEMON_SET: &str = "DaemonSet";
/// Kubernetes `Job`.
pub const JOB: &str = "Job";
/// Kubernetes `CronJob`.
pub const CRON_JOB: &str = "CronJob";
/// Kubernetes `Pod`.
pub const POD: &str = "Pod";
/// Kubernetes `ReplicaSet` (judged on its own when no controller owns it).
pub const REPLICA_SET: &str = "ReplicaSet";
/// Kubernetes `ReplicationController`, the ReplicaSet's predecessor.
pub const REPLICATION_CONTROLLER: &str = "ReplicationController";
/// Kubernetes `PodTemplate` (a pod template kept as an object of its own).
pub const POD_TEMPLATE: &str = "PodTemplate";
/// Kubernetes `HorizontalPodAutoscaler`.
pub const HORIZONTAL_POD_AUTOSCALER: &str = "HorizontalPodAutoscaler";
/// Kubernetes `PodDisruptionBudget`.
pub const POD_DISRUPTION_BUDGET: &str = "PodDisruptionBudget";
/// Kubernetes `Namespace`.
pub const NAMESPACE: &str = "Namespace";
/// Kubernetes `LimitRange`.
pub const LIMIT_RANGE: &str = "LimitRange";
/// Kubernetes `ResourceQuota`.
pub const RESOURCE_QUOTA: &str = "ResourceQuota";

/// Kubernetes workload kinds whose objects carry a pod template (or are a pod).
pub const WORKLOADS: [&str; 9] = [
    DEPLOYMENT,
    STATEFUL_SET,
    DAEMON_SET,
    JOB,
    CRON_JOB,
    POD,
    REPLICA_SET,
    REPLICATION_CONTROLLER,
    POD_TEMPLATE,
];

/// An RDS DB instance (`DescribeDBInstances` item).
pub const AWS_RDS_DB_INSTANCE: &str = "aws.rds.db-instance";
/// A Kinesis data stream (`DescribeStreamSummary` item).
pub const AWS_KINESIS_STREAM: &str = "aws.kinesis.stream";

/// A virtual machine (`Microsoft.Compute/virtualMachines`).
pub const AZURE_VM: &str = "azure.compute.vm";
/// A MySQL flexible server (`Microsoft.DBforMySQL/flexibleServers`).
pub const AZURE_MYSQL_FLEXIBLE_SERVER: &str = "azure.mysql.flexible-server";
/// An Azure SQL logical server (`Microsoft.Sql/servers`).
pub const AZURE_SQL_SERVER: &str = "azure.sql.server";
/// An Azure SQL database (`Microsoft.Sql/servers/databases`).
pub const AZURE_SQL_DATABASE: &str = "azure.sql.database";
/// An Event Hubs namespace (`Microsoft.EventHub/namespaces`).
pub const AZURE_EVENTHUB_NAMESPACE: &str = "azure.eventhub.namespace";
/// A metric alert rule (`Microsoft.Insights/metricAlerts`).
pub const AZURE_METRIC_ALERT: &str = "azure.monitor.metric-alert";
