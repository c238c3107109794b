//! The rule ids this remediator fixes, with what the fix does in Terraform. The host picks
//! a remediator for a finding by these ids.

use aiops_sdk::{RuleInfo, Severity};

/// Kind of RDS instances.
pub const RDS_KIND: &str = aiops_sdk::kinds::AWS_RDS_DB_INSTANCE;
/// Kind of Kinesis streams.
pub const KINESIS_KIND: &str = aiops_sdk::kinds::AWS_KINESIS_STREAM;
/// Kind of Azure metric alerts.
pub const ALERT_KIND: &str = aiops_sdk::kinds::AZURE_METRIC_ALERT;

/// Rule id, the detector's default severity, title, what the fix does.
const RULES: [(&str, Severity, &str, &str); 17] = [
    (
        "aws.rds.under-used",
        Severity::Medium,
        "Smaller instance class",
        "Sets `instance_class` of the `aws_db_instance` (or Aurora `aws_rds_cluster_instance`) to the proposed smaller class.",
    ),
    (
        "aws.rds.over-used",
        Severity::High,
        "Larger instance class",
        "Sets `instance_class` of the `aws_db_instance` (or Aurora `aws_rds_cluster_instance`) to the proposed larger class.",
    ),
    (
        "aws.rds.free-storage-low",
        Severity::High,
        "Storage autoscaling",
        "Sets `max_allocated_storage` of the `aws_db_instance`, adding it after `allocated_storage` when absent.",
    ),
    (
        "aws.rds.single-az-production",
        Severity::Medium,
        "Multi-AZ",
        "Sets `multi_az = true` on the `aws_db_instance`; Aurora instances get a cannot-fix (availability comes from reader instances).",
    ),
    (
        "aws.rds.backup-retention",
        Severity::Medium,
        "Backup retention",
        "Sets `backup_retention_period` of the `aws_db_instance`, or of the `aws_rds_cluster` of an Aurora instance.",
    ),
    (
        "aws.rds.publicly-accessible",
        Severity::High,
        "No public access",
        "Sets `publicly_accessible = false` on the instance block.",
    ),
    (
        "aws.rds.storage-not-encrypted",
        Severity::Medium,
        "Storage encryption",
        "Sets `storage_encrypted = true` (on the cluster for Aurora). This forces replacement: a comment line above the attribute and a warning say so.",
    ),
    (
        "aws.rds.engine-end-of-support",
        Severity::High,
        "Engine upgrade",
        "Sets `engine_version`, with `allow_major_version_upgrade = true` for a major upgrade; an upgrade that skips a major version, or a block pinning a parameter group of the old family, gets a cannot-fix.",
    ),
    (
        "aws.kinesis.over-provisioned",
        Severity::Low,
        "Fewer shards",
        "Sets `shard_count` of the `aws_kinesis_stream`.",
    ),
    (
        "aws.kinesis.under-provisioned",
        Severity::High,
        "More shards",
        "Sets `shard_count` of the `aws_kinesis_stream`.",
    ),
    (
        "aws.kinesis.consider-on-demand",
        Severity::Medium,
        "On-demand capacity",
        "Sets `stream_mode_details { stream_mode = \"ON_DEMAND\" }` (adding the block when absent) and removes `shard_count`, which an on-demand stream must not set.",
    ),
    (
        "aws.kinesis.retention-below-policy",
        Severity::Low,
        "Retention period",
        "Sets `retention_period` of the `aws_kinesis_stream`.",
    ),
    (
        "aws.kinesis.encryption-disabled",
        Severity::Medium,
        "Encryption at rest",
        "Sets `encryption_type = \"KMS\"` and `kms_key_id` of the `aws_kinesis_stream`.",
    ),
    (
        "azure.monitor.no-metric-alert",
        Severity::Medium,
        "New metric alert",
        "Adds an `azurerm_monitor_metric_alert` watching the resource (a reference to its block when the files define it), built from the hint and the config's alert template: severity, frequency, window, aggregation, thresholds, action group.",
    ),
    (
        "azure.monitor.alert-disabled",
        Severity::Low,
        "Enable the alert",
        "Sets `enabled = true` on the `azurerm_monitor_metric_alert` (an absent `enabled` already means true).",
    ),
    (
        "azure.monitor.sustained-high-cpu",
        Severity::High,
        "Larger size",
        "Sets `size` of the `azurerm_linux_virtual_machine` or `azurerm_windows_virtual_machine` (`vm_size` of `azurerm_virtual_machine`), or `sku_name` of the `azurerm_mysql_flexible_server` keeping the tier prefix the file writes (`GP_Standard_D2ds_v4` → `GP_Standard_D4ds_v4`).",
    ),
    (
        "azure.monitor.alert-without-action-group",
        Severity::Medium,
        "Action group",
        "Appends `action { action_group_id = ... }` to the `azurerm_monitor_metric_alert`, referencing the action group's block when the files define it.",
    ),
];

/// The rules this remediator fixes.
pub fn rule_infos() -> Vec<RuleInfo> {
    RULES
        .iter()
        .map(|&(id, severity, title, description)| RuleInfo::new(id, severity, title, description))
        .collect()
}
