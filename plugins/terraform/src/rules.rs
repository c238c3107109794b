//! The rule ids this remediator fixes, with what the fix does in Terraform. The host picks
//! a remediator for a finding by these ids.

/// Kind of RDS instances.
pub const RDS_KIND: &str = aiops_sdk::kinds::AWS_RDS_DB_INSTANCE;
/// Kind of Kinesis streams.
pub const KINESIS_KIND: &str = aiops_sdk::kinds::AWS_KINESIS_STREAM;
/// Kind of Azure metric alerts.
pub const ALERT_KIND: &str = aiops_sdk::kinds::AZURE_METRIC_ALERT;

/// Rule id and what the fix does in Terraform.
pub const FIXES: [(&str, &str); 17] = [
    (
        "aws.rds.under-used",
        "Sets `instance_class` of the `aws_db_instance` (or Aurora `aws_rds_cluster_instance`) to the proposed smaller class.",
    ),
    (
        "aws.rds.over-used",
        "Sets `instance_class` of the `aws_db_instance` (or Aurora `aws_rds_cluster_instance`) to the proposed larger class.",
    ),
    (
        "aws.rds.free-storage-low",
        "Sets `max_allocated_storage` of the `aws_db_instance`, adding it after `allocated_storage` when absent.",
    ),
    (
        "aws.rds.single-az-production",
        "Sets `multi_az = true` on the `aws_db_instance`; Aurora instances get a cannot-fix (availability comes from reader instances).",
    ),
    (
        "aws.rds.backup-retention",
        "Sets `backup_retention_period` of the `aws_db_instance`, or of the `aws_rds_cluster` of an Aurora instance.",
    ),
    (
        "aws.rds.publicly-accessible",
        "Sets `publicly_accessible = false` on the instance block.",
    ),
    (
        "aws.rds.storage-not-encrypted",
        "Sets `storage_encrypted = true` (on the cluster for Aurora). This forces replacement: a comment line above the attribute and a warning say so.",
    ),
    (
        "aws.rds.engine-end-of-support",
        "Sets `engine_version`, with `allow_major_version_upgrade = true` for a major upgrade; an upgrade that skips a major version, or a block pinning a parameter group of the old family, gets a cannot-fix.",
    ),
    (
        "aws.kinesis.over-provisioned",
        "Sets `shard_count` of the `aws_kinesis_stream`.",
    ),
    (
        "aws.kinesis.under-provisioned",
        "Sets `shard_count` of the `aws_kinesis_stream`.",
    ),
    (
        "aws.kinesis.consider-on-demand",
        "Sets `stream_mode_details { stream_mode = \"ON_DEMAND\" }` (adding the block when absent) and removes `shard_count`, which an on-demand stream must not set.",
    ),
    (
        "aws.kinesis.retention-below-policy",
        "Sets `retention_period` of the `aws_kinesis_stream`.",
    ),
    (
        "aws.kinesis.encryption-disabled",
        "Sets `encryption_type = \"KMS\"` and `kms_key_id` of the `aws_kinesis_stream`.",
    ),
    (
        "azure.monitor.no-metric-alert",
        "Adds an `azurerm_monitor_metric_alert` watching the resource (a reference to its block when the files define it), built from the hint and the config's alert template: severity, frequency, window, aggregation, thresholds, action group.",
    ),
    (
        "azure.monitor.alert-disabled",
        "Sets `enabled = true` on the `azurerm_monitor_metric_alert` (an absent `enabled` already means true).",
    ),
    (
        "azure.monitor.sustained-high-cpu",
        "Sets `size` of the `azurerm_linux_virtual_machine` or `azurerm_windows_virtual_machine` (`vm_size` of `azurerm_virtual_machine`), or `sku_name` of the `azurerm_mysql_flexible_server` keeping the tier prefix the file writes (`GP_Standard_D2ds_v4` → `GP_Standard_D4ds_v4`).",
    ),
    (
        "azure.monitor.alert-without-action-group",
        "Appends `action { action_group_id = ... }` to the `azurerm_monitor_metric_alert`, referencing the action group's block when the files define it.",
    ),
];

/// The rule ids this remediator fixes, for its info.
pub fn fixes() -> Vec<String> {
    FIXES.iter().map(|(id, _)| id.to_string()).collect()
}

/// True when `rule` is one this remediator fixes.
pub fn fixes_rule(rule: &str) -> bool {
    FIXES.iter().any(|(id, _)| *id == rule)
}
