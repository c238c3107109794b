//! What the collector reads: each ARM resource type with its API version, the inventory
//! kind and id segment the detectors know (see `plugins/azure-monitor`), and the Azure
//! Monitor metrics summarised for it.

use aiops_sdk::kinds;

/// One ARM resource type the collector lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResourceType {
    /// ARM type, e.g. `Microsoft.Compute/virtualMachines`.
    pub arm_type: &'static str,
    /// `api-version` of its list call.
    pub api_version: &'static str,
    /// Inventory kind, e.g. `azure.compute.vm`.
    pub kind: &'static str,
    /// Segment of the inventory id `azure/RESOURCE-GROUP/SEGMENT/NAME`.
    pub segment: &'static str,
    /// Azure Monitor metric names summarised for each resource (one query per resource).
    pub metrics: &'static [&'static str],
}

/// Virtual machines.
pub const VM: ResourceType = ResourceType {
    arm_type: "Microsoft.Compute/virtualMachines",
    api_version: "2024-07-01",
    kind: kinds::AZURE_VM,
    segment: "vm",
    metrics: &["Percentage CPU", "Available Memory Bytes"],
};

/// MySQL flexible servers.
pub const MYSQL: ResourceType = ResourceType {
    arm_type: "Microsoft.DBforMySQL/flexibleServers",
    api_version: "2023-12-30",
    kind: kinds::AZURE_MYSQL_FLEXIBLE_SERVER,
    segment: "mysql",
    metrics: &["cpu_percent", "memory_percent", "storage_percent"],
};

/// Azure SQL logical servers.
pub const SQL_SERVER: ResourceType = ResourceType {
    arm_type: "Microsoft.Sql/servers",
    api_version: "2021-11-01",
    kind: kinds::AZURE_SQL_SERVER,
    segment: "sql",
    metrics: &[],
};

/// Azure SQL databases, listed under each SQL server (`{server id}/databases`); their
/// inventory id is `azure/RESOURCE-GROUP/sql-database/SERVER/DATABASE`.
pub const SQL_DATABASE: ResourceType = ResourceType {
    arm_type: "Microsoft.Sql/servers/databases",
    api_version: "2021-11-01",
    kind: kinds::AZURE_SQL_DATABASE,
    segment: "sql-database",
    metrics: &["cpu_percent", "storage_percent"],
};

/// Event Hubs namespaces.
pub const EVENTHUB: ResourceType = ResourceType {
    arm_type: "Microsoft.EventHub/namespaces",
    api_version: "2024-01-01",
    kind: kinds::AZURE_EVENTHUB_NAMESPACE,
    segment: "eventhub",
    metrics: &["ThrottledRequests", "IncomingMessages"],
};

/// Metric alert rules.
pub const METRIC_ALERT: ResourceType = ResourceType {
    arm_type: "Microsoft.Insights/metricAlerts",
    api_version: "2018-03-01",
    kind: kinds::AZURE_METRIC_ALERT,
    segment: "metric-alert",
    metrics: &[],
};

/// The types listed per subscription (`/subscriptions/{id}/providers/{type}`), in order.
pub const PER_SUBSCRIPTION: [ResourceType; 5] = [VM, MYSQL, SQL_SERVER, EVENTHUB, METRIC_ALERT];

/// `api-version` of `GET /subscriptions`.
pub const SUBSCRIPTIONS_API_VERSION: &str = "2022-12-01";

/// `api-version` of Azure Monitor's metrics API.
pub const METRICS_API_VERSION: &str = "2024-02-01";
