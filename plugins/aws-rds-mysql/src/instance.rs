//! A typed view of the raw object: the fields of an RDS `DescribeDBInstances` item the
//! rules read, under AWS's own names.

use aiops_sdk::Resource;
use serde::Deserialize;

/// The RDS instance fields the rules read. Absent booleans and numbers read as AWS's
/// defaults (false, 0); identifier, class, engine and version are required.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DbInstance {
    /// `DBInstanceIdentifier`.
    #[serde(rename = "DBInstanceIdentifier")]
    pub identifier: String,
    /// `DBInstanceClass`, e.g. `db.r5.2xlarge`.
    #[serde(rename = "DBInstanceClass")]
    pub class: String,
    /// `Engine`: `mysql` or `aurora-mysql` (other engines are not judged).
    pub engine: String,
    /// `EngineVersion`, e.g. `8.0.35`.
    pub engine_version: String,
    /// `MultiAZ`.
    #[serde(rename = "MultiAZ", default)]
    pub multi_az: bool,
    /// `BackupRetentionPeriod` in days; 0 disables automated backups.
    #[serde(default)]
    pub backup_retention_period: u32,
    /// `PubliclyAccessible`.
    #[serde(default)]
    pub publicly_accessible: bool,
    /// `StorageEncrypted`.
    #[serde(default)]
    pub storage_encrypted: bool,
    /// `AllocatedStorage` in GiB.
    #[serde(default)]
    pub allocated_storage: Option<u64>,
    /// `MaxAllocatedStorage` in GiB; absent when storage autoscaling is off.
    #[serde(default)]
    pub max_allocated_storage: Option<u64>,
    /// `DBParameterGroups`.
    #[serde(rename = "DBParameterGroups", default)]
    pub parameter_groups: Vec<ParameterGroup>,
    /// `TagList`.
    #[serde(default)]
    pub tag_list: Vec<Tag>,
}

/// One entry of `DBParameterGroups`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ParameterGroup {
    /// `DBParameterGroupName`.
    #[serde(rename = "DBParameterGroupName")]
    pub name: String,
    /// `ParameterApplyStatus`, e.g. `in-sync`.
    #[serde(default)]
    pub parameter_apply_status: Option<String>,
}

/// One entry of `TagList`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Tag {
    /// `Key`.
    pub key: String,
    /// `Value`.
    #[serde(default)]
    pub value: String,
}

/// Engine name of Aurora MySQL.
pub const AURORA: &str = "aurora-mysql";

/// Engines this plugin judges.
pub const MYSQL_ENGINES: [&str; 2] = ["mysql", AURORA];

impl DbInstance {
    /// Reads the raw object of `resource`.
    pub fn from_resource(resource: &Resource) -> Result<DbInstance, String> {
        resource.object().map_err(|e| e.to_string())
    }

    /// True for MySQL and Aurora MySQL.
    pub fn is_mysql(&self) -> bool {
        MYSQL_ENGINES.contains(&self.engine.as_str())
    }

    /// True when storage autoscaling is on (a maximum above the allocated storage).
    pub fn storage_autoscaling(&self) -> bool {
        match (self.max_allocated_storage, self.allocated_storage) {
            (Some(max), Some(allocated)) => max > allocated,
            (Some(_), None) => true,
            (None, _) => false,
        }
    }

    /// The value of tag `key` (exact key match): the envelope's labels first, then `TagList`.
    pub fn tag(&self, resource: &Resource, key: &str) -> Option<String> {
        resource.label(key).map(str::to_string).or_else(|| {
            self.tag_list
                .iter()
                .find(|t| t.key == key)
                .map(|t| t.value.clone())
        })
    }
}
