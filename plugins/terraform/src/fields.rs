//! The mapping from the cloud API fields a hint changes (JSON pointers into the raw AWS or
//! Azure object) to Terraform resource attributes, with each attribute's documented
//! default and where a new line goes.

/// Which block of a resource an attribute lives in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    /// The resource's own block, under this attribute name.
    Own(&'static str),
    /// The block of the Aurora cluster the instance belongs to (`aws_rds_cluster`).
    Cluster(&'static str),
    /// No Terraform attribute says this; the reason, for a cannot-fix.
    Nowhere(&'static str),
}

/// One API field and its Terraform attribute.
#[derive(Debug, Clone, Copy)]
pub struct Field {
    /// JSON pointer in the raw object, e.g. `/DBInstanceClass`.
    pub pointer: &'static str,
    /// Where it lives for this resource (RDS MySQL, Kinesis, Azure alerts).
    pub place: Place,
    /// Where it lives for an Aurora instance (`aws_rds_cluster_instance`).
    pub aurora: Place,
    /// The provider's value when the attribute is absent, as JSON, when documented.
    pub default: Option<&'static str>,
    /// Attributes after which a new line for it goes, first present wins.
    pub anchors: &'static [&'static str],
    /// Changing it makes Terraform destroy and recreate the resource.
    pub replaces: bool,
}

const fn field(
    pointer: &'static str,
    place: Place,
    aurora: Place,
    default: Option<&'static str>,
    anchors: &'static [&'static str],
) -> Field {
    Field {
        pointer,
        place,
        aurora,
        default,
        anchors,
        replaces: false,
    }
}

const NOT_AURORA: Place = Place::Nowhere("not a field of non-Aurora resources");

/// `aws_db_instance` (and, for Aurora, `aws_rds_cluster_instance` / `aws_rds_cluster`).
pub const RDS: &[Field] = &[
    field(
        "/DBInstanceClass",
        Place::Own("instance_class"),
        Place::Own("instance_class"),
        None,
        &["engine_version", "engine"],
    ),
    field(
        "/MultiAZ",
        Place::Own("multi_az"),
        Place::Nowhere(
            "an Aurora instance has no multi_az: availability comes from reader instances \
             of the cluster in other zones",
        ),
        Some("false"),
        &["instance_class"],
    ),
    field(
        "/BackupRetentionPeriod",
        Place::Own("backup_retention_period"),
        Place::Cluster("backup_retention_period"),
        None,
        &["backup_window", "multi_az", "storage_encrypted"],
    ),
    Field {
        replaces: true,
        ..field(
            "/StorageEncrypted",
            Place::Own("storage_encrypted"),
            Place::Cluster("storage_encrypted"),
            Some("false"),
            &["max_allocated_storage", "allocated_storage", "storage_type"],
        )
    },
    field(
        "/MaxAllocatedStorage",
        Place::Own("max_allocated_storage"),
        Place::Nowhere("Aurora storage grows by itself and has no max_allocated_storage"),
        None,
        &["allocated_storage"],
    ),
    field(
        "/PubliclyAccessible",
        Place::Own("publicly_accessible"),
        Place::Own("publicly_accessible"),
        Some("false"),
        &["vpc_security_group_ids", "db_subnet_group_name"],
    ),
    field(
        "/EngineVersion",
        Place::Own("engine_version"),
        Place::Cluster("engine_version"),
        None,
        &["engine"],
    ),
    field(
        "/DBParameterGroups/0/DBParameterGroupName",
        Place::Own("parameter_group_name"),
        Place::Own("db_parameter_group_name"),
        None,
        &["engine_version", "engine"],
    ),
];

/// `aws_kinesis_stream`; `/StreamModeDetails/StreamMode` is handled by [`crate::kinesis`].
pub const KINESIS: &[Field] = &[
    field(
        "/OpenShardCount",
        Place::Own("shard_count"),
        NOT_AURORA,
        None,
        &["name"],
    ),
    field(
        "/RetentionPeriodHours",
        Place::Own("retention_period"),
        NOT_AURORA,
        Some("24"),
        &["shard_count", "name"],
    ),
    field(
        "/EncryptionType",
        Place::Own("encryption_type"),
        NOT_AURORA,
        Some("\"NONE\""),
        &["retention_period", "shard_count", "name"],
    ),
    field(
        "/KeyId",
        Place::Own("kms_key_id"),
        NOT_AURORA,
        None,
        &["encryption_type"],
    ),
];

/// `azurerm_monitor_metric_alert`; `/properties/actions/-` is handled by [`crate::alerts`].
pub const METRIC_ALERT: &[Field] = &[field(
    "/properties/enabled",
    Place::Own("enabled"),
    NOT_AURORA,
    Some("true"),
    &["severity", "description", "scopes"],
)];

/// azurerm VMs (`size`) and MySQL flexible servers (`sku_name`), see [`crate::sizes`].
pub const AZURE_SIZES: &[Field] = &[
    field(
        "/properties/hardwareProfile/vmSize",
        Place::Own("size"),
        NOT_AURORA,
        None,
        &["location"],
    ),
    field(
        "/sku/name",
        Place::Own("sku_name"),
        NOT_AURORA,
        None,
        &["version", "location"],
    ),
];

/// The field of `table` at `pointer`.
pub fn find(table: &'static [Field], pointer: &str) -> Option<&'static Field> {
    table.iter().find(|f| f.pointer == pointer)
}
