//! The raw object of a resource: the AWS API item rebuilt as JSON under the API's own
//! (PascalCase) field names, from the SDK's types (which have no serde). Only fields
//! the API returned are written, so a detector reads what AWS said and nothing else.

use aws_sdk_kinesis::types::StreamDescriptionSummary;
use aws_sdk_rds::primitives::DateTime;
use aws_sdk_rds::primitives::DateTimeFormat;
use aws_sdk_rds::types::DbInstance;
use serde_json::{Map, Value};

/// A JSON object under construction that skips absent fields.
#[derive(Default)]
struct Object(Map<String, Value>);

impl Object {
    fn put(mut self, key: &str, value: Option<impl Into<Value>>) -> Self {
        if let Some(value) = value {
            self.0.insert(key.to_string(), value.into());
        }
        self
    }

    fn put_list(self, key: &str, items: Vec<Value>) -> Self {
        self.put(key, (!items.is_empty()).then_some(Value::Array(items)))
    }

    fn done(self) -> Value {
        Value::Object(self.0)
    }
}

/// An SDK timestamp as the API's ISO 8601 text.
fn timestamp(at: Option<&DateTime>) -> Option<String> {
    at.and_then(|t| t.fmt(DateTimeFormat::DateTime).ok())
}

/// A `DescribeDBInstances` item (`DBInstance`).
pub fn db_instance(db: &DbInstance) -> Value {
    let parameter_groups = db
        .db_parameter_groups()
        .iter()
        .map(|g| {
            Object::default()
                .put("DBParameterGroupName", g.db_parameter_group_name())
                .put("ParameterApplyStatus", g.parameter_apply_status())
                .done()
        })
        .collect();
    let tags = db
        .tag_list()
        .iter()
        .map(|t| {
            Object::default()
                .put("Key", t.key())
                .put("Value", t.value())
                .done()
        })
        .collect();
    let endpoint = db.endpoint().map(|e| {
        Object::default()
            .put("Address", e.address())
            .put("Port", e.port())
            .put("HostedZoneId", e.hosted_zone_id())
            .done()
    });
    let replicas: Vec<Value> = db
        .read_replica_db_instance_identifiers()
        .iter()
        .map(|id| Value::from(id.as_str()))
        .collect();
    Object::default()
        .put("DBInstanceIdentifier", db.db_instance_identifier())
        .put("DBInstanceArn", db.db_instance_arn())
        .put("DbiResourceId", db.dbi_resource_id())
        .put("DBInstanceClass", db.db_instance_class())
        .put("Engine", db.engine())
        .put("EngineVersion", db.engine_version())
        .put("EngineLifecycleSupport", db.engine_lifecycle_support())
        .put("LicenseModel", db.license_model())
        .put("DBInstanceStatus", db.db_instance_status())
        .put("DBClusterIdentifier", db.db_cluster_identifier())
        .put("MultiAZ", db.multi_az())
        .put("AvailabilityZone", db.availability_zone())
        .put(
            "SecondaryAvailabilityZone",
            db.secondary_availability_zone(),
        )
        .put("BackupRetentionPeriod", db.backup_retention_period())
        .put("PreferredBackupWindow", db.preferred_backup_window())
        .put(
            "PreferredMaintenanceWindow",
            db.preferred_maintenance_window(),
        )
        .put("PubliclyAccessible", db.publicly_accessible())
        .put("StorageEncrypted", db.storage_encrypted())
        .put("KmsKeyId", db.kms_key_id())
        .put("AllocatedStorage", db.allocated_storage())
        .put("MaxAllocatedStorage", db.max_allocated_storage())
        .put("StorageType", db.storage_type())
        .put("Iops", db.iops())
        .put("StorageThroughput", db.storage_throughput())
        .put("AutoMinorVersionUpgrade", db.auto_minor_version_upgrade())
        .put("DeletionProtection", db.deletion_protection())
        .put(
            "IAMDatabaseAuthenticationEnabled",
            db.iam_database_authentication_enabled(),
        )
        .put(
            "PerformanceInsightsEnabled",
            db.performance_insights_enabled(),
        )
        .put("MonitoringInterval", db.monitoring_interval())
        .put("CACertificateIdentifier", db.ca_certificate_identifier())
        .put(
            "ReadReplicaSourceDBInstanceIdentifier",
            db.read_replica_source_db_instance_identifier(),
        )
        .put_list("ReadReplicaDBInstanceIdentifiers", replicas)
        .put("InstanceCreateTime", timestamp(db.instance_create_time()))
        .put("Endpoint", endpoint)
        .put_list("DBParameterGroups", parameter_groups)
        .put_list("TagList", tags)
        .done()
}

/// A `DescribeStreamSummary` result (`StreamDescriptionSummary`). `ConsumerCount` is
/// the summary's own, or the number `ListStreamConsumers` returned when the summary
/// has none.
pub fn stream_summary(summary: &StreamDescriptionSummary, consumers: Option<i32>) -> Value {
    let monitoring: Vec<Value> = summary
        .enhanced_monitoring()
        .iter()
        .map(|m| {
            let metrics: Vec<Value> = m
                .shard_level_metrics()
                .iter()
                .map(|metric| Value::from(metric.as_str()))
                .collect();
            Object::default()
                .put("ShardLevelMetrics", Some(Value::Array(metrics)))
                .done()
        })
        .collect();
    let mode = summary.stream_mode_details().map(|d| {
        Object::default()
            .put("StreamMode", Some(d.stream_mode().as_str()))
            .done()
    });
    Object::default()
        .put("StreamName", Some(summary.stream_name()))
        .put("StreamARN", Some(summary.stream_arn()))
        .put("StreamStatus", Some(summary.stream_status().as_str()))
        .put("StreamModeDetails", mode)
        .put(
            "RetentionPeriodHours",
            Some(summary.retention_period_hours()),
        )
        .put(
            "StreamCreationTimestamp",
            timestamp(Some(summary.stream_creation_timestamp())),
        )
        .put("EnhancedMonitoring", Some(Value::Array(monitoring)))
        .put(
            "EncryptionType",
            summary.encryption_type().map(|e| e.as_str()),
        )
        .put("KeyId", summary.key_id())
        .put("OpenShardCount", Some(summary.open_shard_count()))
        .put("ConsumerCount", summary.consumer_count().or(consumers))
        .done()
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_kinesis::types::{EncryptionType, StreamMode, StreamModeDetails, StreamStatus};
    use aws_sdk_rds::types::{DbParameterGroupStatus, Tag};

    #[test]
    fn db_instance_uses_the_api_names_and_skips_absent_fields() {
        let db = DbInstance::builder()
            .db_instance_identifier("orders-db")
            .db_instance_class("db.r5.2xlarge")
            .engine("mysql")
            .engine_version("8.4.3")
            .multi_az(true)
            .backup_retention_period(7)
            .publicly_accessible(false)
            .allocated_storage(500)
            .db_parameter_groups(
                DbParameterGroupStatus::builder()
                    .db_parameter_group_name("orders-mysql84")
                    .parameter_apply_status("in-sync")
                    .build(),
            )
            .tag_list(Tag::builder().key("team").value("orders").build())
            .build();
        let raw = db_instance(&db);
        assert_eq!(
            raw,
            serde_json::json!({
                "DBInstanceIdentifier": "orders-db",
                "DBInstanceClass": "db.r5.2xlarge",
                "Engine": "mysql",
                "EngineVersion": "8.4.3",
                "MultiAZ": true,
                "BackupRetentionPeriod": 7,
                "PubliclyAccessible": false,
                "AllocatedStorage": 500,
                "DBParameterGroups": [
                    {"DBParameterGroupName": "orders-mysql84", "ParameterApplyStatus": "in-sync"}
                ],
                "TagList": [{"Key": "team", "Value": "orders"}]
            })
        );
    }

    #[test]
    fn stream_summary_counts_consumers_when_the_summary_has_none() {
        let summary = StreamDescriptionSummary::builder()
            .stream_name("clickstream")
            .stream_arn("arn:aws:kinesis:eu-west-1:123456789012:stream/clickstream")
            .stream_status(StreamStatus::Active)
            .stream_mode_details(
                StreamModeDetails::builder()
                    .stream_mode(StreamMode::Provisioned)
                    .build()
                    .unwrap(),
            )
            .retention_period_hours(72)
            .stream_creation_timestamp(DateTime::from_secs(1_710_148_364))
            .encryption_type(EncryptionType::Kms)
            .key_id("alias/aws/kinesis")
            .open_shard_count(8)
            .set_enhanced_monitoring(Some(Vec::new()))
            .build()
            .unwrap();
        let raw = stream_summary(&summary, Some(2));
        assert_eq!(raw["StreamModeDetails"]["StreamMode"], "PROVISIONED");
        assert_eq!(raw["StreamCreationTimestamp"], "2024-03-11T09:12:44Z");
        assert_eq!(raw["EncryptionType"], "KMS");
        assert_eq!(raw["OpenShardCount"], 8);
        assert_eq!(raw["ConsumerCount"], 2);
        assert_eq!(raw["RetentionPeriodHours"], 72);
        assert_eq!(raw["EnhancedMonitoring"], serde_json::json!([]));
    }
}
