//! Seeding moto through the real AWS API (the Rust SDK): RDS DB instances, Kinesis
//! streams with tags and consumers, and CloudWatch points with PutMetricData (moto
//! makes no metrics by itself).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_config::{BehaviorVersion, Region};
use aws_sdk_cloudwatch::primitives::DateTime;
use aws_sdk_cloudwatch::types::{Dimension, MetricDatum, StandardUnit};
use aws_sdk_kinesis::types::{StreamMode, StreamModeDetails};
use aws_sdk_rds::config::Credentials;
use aws_sdk_rds::types::Tag;
use futures_util::stream::{self, StreamExt};

use crate::moto::{ACCESS_KEY_ID, SECRET_ACCESS_KEY};

/// SDK clients of one region pointed at moto.
pub struct Seeder {
    /// RDS.
    pub rds: aws_sdk_rds::Client,
    /// Kinesis.
    pub kinesis: aws_sdk_kinesis::Client,
    /// CloudWatch.
    pub cloudwatch: aws_sdk_cloudwatch::Client,
}

/// One DB instance to create.
#[derive(Debug, Clone)]
pub struct DbSpec {
    /// `DBInstanceIdentifier`.
    pub id: String,
    /// `Engine`.
    pub engine: &'static str,
    /// `EngineVersion`.
    pub version: &'static str,
    /// `DBInstanceClass`.
    pub class: &'static str,
    /// `MultiAZ`.
    pub multi_az: bool,
    /// `PubliclyAccessible`.
    pub public: bool,
    /// `StorageEncrypted`.
    pub encrypted: bool,
    /// `BackupRetentionPeriod`.
    pub backup_days: i32,
    /// `AllocatedStorage`, GiB.
    pub storage_gib: i32,
    /// A custom DB parameter group (created by [`Seeder::create_parameter_group`]);
    /// `None`: the engine's default group.
    pub parameter_group: Option<&'static str>,
    /// Tags.
    pub tags: Vec<(&'static str, &'static str)>,
}

impl DbSpec {
    /// A well-kept production MySQL 8.4 instance.
    pub fn mysql(id: impl Into<String>) -> DbSpec {
        DbSpec {
            id: id.into(),
            engine: "mysql",
            version: "8.4.3",
            class: "db.m6g.large",
            multi_az: true,
            public: false,
            encrypted: true,
            backup_days: 7,
            storage_gib: 100,
            parameter_group: None,
            tags: vec![("environment", "production")],
        }
    }
}

/// One stream to create.
#[derive(Debug, Clone)]
pub struct StreamSpec {
    /// `StreamName`.
    pub name: String,
    /// Shards (provisioned) or `None` for on-demand.
    pub shards: Option<i32>,
    /// Retention hours above the default 24, if any.
    pub retention_hours: Option<i32>,
    /// Encrypt with this KMS key id.
    pub kms_key: Option<&'static str>,
    /// Tags.
    pub tags: Vec<(&'static str, &'static str)>,
    /// Enhanced fan-out consumers to register.
    pub consumers: Vec<&'static str>,
}

impl StreamSpec {
    /// A provisioned stream with `shards` shards and nothing else set.
    pub fn provisioned(name: impl Into<String>, shards: i32) -> StreamSpec {
        StreamSpec {
            name: name.into(),
            shards: Some(shards),
            retention_hours: None,
            kms_key: None,
            tags: Vec::new(),
            consumers: Vec::new(),
        }
    }
}

impl Seeder {
    /// Clients of `region` at moto's `url`, with the test credentials.
    pub async fn new(url: &str, region: &str) -> Seeder {
        Seeder::from_config(&Seeder::config(url, region).await)
    }

    async fn config(url: &str, region: &str) -> aws_config::SdkConfig {
        aws_config::defaults(BehaviorVersion::latest())
            .region(Region::new(region.to_string()))
            .endpoint_url(url)
            .credentials_provider(Credentials::new(
                ACCESS_KEY_ID,
                SECRET_ACCESS_KEY,
                None,
                None,
                "test",
            ))
            .load()
            .await
    }

    /// Clients of `region` acting in the account of `role_arn` (moto gives an assumed
    /// role's credentials that role's account).
    pub async fn assumed(url: &str, region: &str, role_arn: &str) -> Seeder {
        let base = Seeder::config(url, region).await;
        let provider = aws_config::sts::AssumeRoleProvider::builder(role_arn)
            .session_name("seed")
            .configure(&base)
            .build()
            .await;
        let config = base
            .into_builder()
            .credentials_provider(aws_sdk_rds::config::SharedCredentialsProvider::new(
                provider,
            ))
            .build();
        Seeder::from_config(&config)
    }

    fn from_config(config: &aws_config::SdkConfig) -> Seeder {
        Seeder {
            rds: aws_sdk_rds::Client::new(config),
            kinesis: aws_sdk_kinesis::Client::new(config),
            cloudwatch: aws_sdk_cloudwatch::Client::new(config),
        }
    }

    /// Creates the DB instances, several at a time.
    pub async fn create_db_instances(&self, specs: &[DbSpec]) {
        stream::iter(specs)
            .for_each_concurrent(8, |spec| async move {
                let mut request = self
                    .rds
                    .create_db_instance()
                    .db_instance_identifier(&spec.id)
                    .engine(spec.engine)
                    .engine_version(spec.version)
                    .db_instance_class(spec.class)
                    .multi_az(spec.multi_az)
                    .publicly_accessible(spec.public)
                    .storage_encrypted(spec.encrypted)
                    .backup_retention_period(spec.backup_days)
                    .allocated_storage(spec.storage_gib)
                    .master_username("admin")
                    .master_user_password("not-a-secret-1");
                if let Some(group) = spec.parameter_group {
                    request = request.db_parameter_group_name(group);
                }
                if spec.engine == "aurora-mysql" {
                    let cluster = format!("{}-cluster", spec.id);
                    self.rds
                        .create_db_cluster()
                        .db_cluster_identifier(&cluster)
                        .engine(spec.engine)
                        .engine_version(spec.version)
                        .master_username("admin")
                        .master_user_password("not-a-secret-1")
                        .send()
                        .await
                        .unwrap_or_else(|e| panic!("create cluster {cluster}: {e:?}"));
                    request = request.db_cluster_identifier(cluster);
                }
                for (key, value) in &spec.tags {
                    request = request.tags(Tag::builder().key(*key).value(*value).build());
                }
                request
                    .send()
                    .await
                    .unwrap_or_else(|e| panic!("create {}: {e:?}", spec.id));
            })
            .await;
    }

    /// Creates a DB parameter group of `family` (e.g. `mysql8.4`).
    pub async fn create_parameter_group(&self, name: &str, family: &str) {
        self.rds
            .create_db_parameter_group()
            .db_parameter_group_name(name)
            .db_parameter_group_family(family)
            .description("aiops test")
            .send()
            .await
            .unwrap_or_else(|e| panic!("create parameter group {name}: {e:?}"));
    }

    /// Creates the streams (with tags, retention, encryption, consumers).
    pub async fn create_streams(&self, specs: &[StreamSpec]) {
        stream::iter(specs)
            .for_each_concurrent(8, |spec| async move {
                let k = &self.kinesis;
                let mut request = k.create_stream().stream_name(&spec.name);
                request = match spec.shards {
                    Some(shards) => request.shard_count(shards),
                    None => request.stream_mode_details(
                        StreamModeDetails::builder()
                            .stream_mode(StreamMode::OnDemand)
                            .build()
                            .unwrap(),
                    ),
                };
                request
                    .send()
                    .await
                    .unwrap_or_else(|e| panic!("create stream {}: {e:?}", spec.name));
                if let Some(hours) = spec.retention_hours {
                    k.increase_stream_retention_period()
                        .stream_name(&spec.name)
                        .retention_period_hours(hours)
                        .send()
                        .await
                        .unwrap();
                }
                if let Some(key) = spec.kms_key {
                    k.start_stream_encryption()
                        .stream_name(&spec.name)
                        .encryption_type(aws_sdk_kinesis::types::EncryptionType::Kms)
                        .key_id(key)
                        .send()
                        .await
                        .unwrap();
                }
                if !spec.tags.is_empty() {
                    let mut tags = k.add_tags_to_stream().stream_name(&spec.name);
                    for (key, value) in &spec.tags {
                        tags = tags.tags(*key, *value);
                    }
                    tags.send().await.unwrap();
                }
                if !spec.consumers.is_empty() {
                    let arn = k
                        .describe_stream_summary()
                        .stream_name(&spec.name)
                        .send()
                        .await
                        .unwrap()
                        .stream_description_summary()
                        .unwrap()
                        .stream_arn()
                        .to_string();
                    for consumer in &spec.consumers {
                        k.register_stream_consumer()
                            .stream_arn(&arn)
                            .consumer_name(*consumer)
                            .send()
                            .await
                            .unwrap();
                    }
                }
            })
            .await;
    }

    /// Puts one point per value, one period apart, the last one period before `end`
    /// (see [`aligned_end`]), for the resource `dimension=value`.
    #[allow(clippy::too_many_arguments)]
    pub async fn put_series(
        &self,
        namespace: &str,
        dimension: &str,
        value: &str,
        metric: &str,
        unit: StandardUnit,
        end: i64,
        period: i64,
        values: &[f64],
    ) {
        let n = values.len() as i64;
        let data: Vec<MetricDatum> = values
            .iter()
            .enumerate()
            .map(|(i, v)| {
                let at = end - (n - i as i64) * period + 1;
                MetricDatum::builder()
                    .metric_name(metric)
                    .dimensions(Dimension::builder().name(dimension).value(value).build())
                    .timestamp(DateTime::from_secs(at))
                    .value(*v)
                    .unit(unit.clone())
                    .build()
            })
            .collect();
        for chunk in data.chunks(500) {
            self.cloudwatch
                .put_metric_data()
                .namespace(namespace)
                .set_metric_data(Some(chunk.to_vec()))
                .send()
                .await
                .unwrap_or_else(|e| panic!("put {metric} of {value}: {e:?}"));
        }
    }
}

/// The end of the metric window a collector running now computes: now rounded down to
/// the period.
pub fn aligned_end(period: i64) -> i64 {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or(Duration::ZERO)
        .as_secs() as i64;
    now - now.rem_euclid(period)
}
