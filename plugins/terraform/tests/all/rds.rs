//! RDS fixes: each attribute the RDS detector proposes, byte for byte, and idempotent.

use crate::common;

use aiops_sdk::{LogLevel, Outcome};
use common::*;
use serde_json::json;
use terraform::Terraform;

const RDS: &str = r#"# Orders database.
resource "aws_db_instance" "orders" {
  identifier     = "orders-db"
  engine         = "mysql"
  engine_version = "8.0.39"
  instance_class = "db.r5.2xlarge" # sized for the 2025 peak

  allocated_storage       = 100
  storage_type            = "gp3"
  storage_encrypted       = false
  backup_retention_period = 1
  publicly_accessible     = true

  tags = {
    team = "orders"
  }
}

# Another instance, untouched.
resource "aws_db_instance" "other" {
  identifier     = "other-db"
  instance_class = "db.r5.2xlarge"
}
"#;

fn edit(from: &str, to: &str) -> String {
    assert!(RDS.contains(from), "{from}");
    RDS.replacen(from, to, 1)
}

#[test]
fn instance_class_changes_in_place_keeping_its_comment() {
    let f = finding(
        "aws.rds.under-used",
        &rds("orders-db"),
        &[(
            "/DBInstanceClass",
            Some(json!("db.r5.2xlarge")),
            json!("db.r5.xlarge"),
        )],
    );
    assert_eq!(
        fixed(&f, &rds("orders-db"), "rds.tf", RDS),
        edit(
            "  instance_class = \"db.r5.2xlarge\" # sized",
            "  instance_class = \"db.r5.xlarge\" # sized"
        )
    );
}

#[test]
fn multi_az_is_added_after_the_class_aligned_with_its_group() {
    let f = finding(
        "aws.rds.single-az-production",
        &rds("orders-db"),
        &[("/MultiAZ", Some(json!(false)), json!(true))],
    );
    assert_eq!(
        fixed(&f, &rds("orders-db"), "rds.tf", RDS),
        edit(
            "# sized for the 2025 peak\n",
            "# sized for the 2025 peak\n  multi_az       = true\n"
        )
    );
}

#[test]
fn max_allocated_storage_is_added_after_allocated_storage_unquoted() {
    let f = finding(
        "aws.rds.free-storage-low",
        &rds("orders-db"),
        &[("/MaxAllocatedStorage", None, json!(200))],
    );
    assert_eq!(
        fixed(&f, &rds("orders-db"), "rds.tf", RDS),
        edit(
            "  allocated_storage       = 100\n",
            "  allocated_storage       = 100\n  max_allocated_storage   = 200\n"
        )
    );
}

#[test]
fn backup_retention_and_public_access_keep_terraform_types() {
    let f = finding(
        "aws.rds.backup-retention",
        &rds("orders-db"),
        &[("/BackupRetentionPeriod", Some(json!(1)), json!(7))],
    );
    assert_eq!(
        fixed(&f, &rds("orders-db"), "rds.tf", RDS),
        edit("backup_retention_period = 1", "backup_retention_period = 7")
    );
    let f = finding(
        "aws.rds.publicly-accessible",
        &rds("orders-db"),
        &[("/PubliclyAccessible", Some(json!(true)), json!(false))],
    );
    assert_eq!(
        fixed(&f, &rds("orders-db"), "rds.tf", RDS),
        edit(
            "publicly_accessible     = true",
            "publicly_accessible     = false"
        )
    );
}

#[test]
fn storage_encryption_is_flagged_as_a_replacement() {
    let target = rds("orders-db");
    let f = finding(
        "aws.rds.storage-not-encrypted",
        &target,
        &[("/StorageEncrypted", Some(json!(false)), json!(true))],
    );
    assert_eq!(
        fixed(&f, &target, "rds.tf", RDS),
        edit(
            "  storage_encrypted       = false\n",
            "  # aiops: storage_encrypted = true forces replacement (destroy and recreate); migrate the data first, e.g. from an encrypted snapshot copy\n  storage_encrypted       = true\n"
        )
    );
    let log = std::cell::RefCell::new(Vec::new());
    struct Sink<'a>(&'a std::cell::RefCell<Vec<(LogLevel, String)>>);
    impl aiops_sdk::LogSink for Sink<'_> {
        fn write(&self, level: LogLevel, message: &str, _: &[(&str, &str)]) {
            self.0.borrow_mut().push((level, message.to_string()));
        }
    }
    let sink = Sink(&log);
    let ctx = aiops_sdk::Context::new("{}".to_string(), &sink);
    let out =
        <Terraform as aiops_sdk::Remediator>::remediate(&ctx, f, target, files(&[("rds.tf", RDS)]));
    assert!(matches!(out, Outcome::Edits(ref e) if e.len() == 1));
    assert!(
        log.borrow()
            .iter()
            .any(|(l, m)| *l == LogLevel::Warn && m.contains("forces replacement")),
        "{:?}",
        log.borrow()
    );
}

#[test]
fn major_engine_upgrade_allows_it_explicitly() {
    let f = finding(
        "aws.rds.engine-end-of-support",
        &rds("orders-db"),
        &[("/EngineVersion", Some(json!("8.0.39")), json!("8.4"))],
    );
    assert_eq!(
        fixed(&f, &rds("orders-db"), "rds.tf", RDS),
        edit(
            "  engine_version = \"8.0.39\"\n",
            "  engine_version = \"8.4\"\n  allow_major_version_upgrade = true\n"
        )
    );
}

#[test]
fn engine_version_pinned_to_a_major_prefix_is_not_drift() {
    let text = RDS.replace("\"8.0.39\"", "\"8.0\"");
    let f = finding(
        "aws.rds.engine-end-of-support",
        &rds("orders-db"),
        &[("/EngineVersion", Some(json!("8.0.39")), json!("8.4"))],
    );
    let out = fixed(&f, &rds("orders-db"), "rds.tf", &text);
    assert!(
        out.contains("  engine_version = \"8.4\"\n  allow_major_version_upgrade = true\n"),
        "{out}"
    );
}

#[test]
fn engine_upgrade_skipping_a_major_version_cannot_be_fixed() {
    let text = RDS.replace("\"8.0.39\"", "\"5.7.44\"");
    let f = finding(
        "aws.rds.engine-end-of-support",
        &rds("orders-db"),
        &[("/EngineVersion", Some(json!("5.7.44")), json!("8.4"))],
    );
    assert_eq!(
        cannot(&f, &rds("orders-db"), &[("rds.tf", &text)]),
        "engine_version 5.7 → 8.4 skips 8.0: RDS upgrades MySQL one major version at a time, so \
         this needs an upgrade to 8.0 first, by hand"
    );
}

#[test]
fn engine_upgrade_with_an_old_family_parameter_group_cannot_be_fixed() {
    let text = RDS.replace(
        "  instance_class = \"db.r5.2xlarge\" #",
        "  parameter_group_name = \"orders-mysql80\"\n  instance_class = \"db.r5.2xlarge\" #",
    );
    let f = finding(
        "aws.rds.engine-end-of-support",
        &rds("orders-db"),
        &[("/EngineVersion", Some(json!("8.0.39")), json!("8.4"))],
    );
    assert_eq!(
        cannot(&f, &rds("orders-db"), &[("rds.tf", &text)]),
        "`aws_db_instance.orders` sets parameter_group_name = \"orders-mysql80\", a group of the \
         MySQL 8.0 family: a major upgrade to 8.4 needs a parameter group of the new family, \
         which this remediator cannot create"
    );
}

#[test]
fn an_absent_attribute_at_its_default_needs_no_edit() {
    let text = RDS.replace("  publicly_accessible     = true\n", "");
    let f = finding(
        "aws.rds.publicly-accessible",
        &rds("orders-db"),
        &[("/PubliclyAccessible", Some(json!(true)), json!(false))],
    );
    unchanged(&f, &rds("orders-db"), &[("rds.tf", &text)]);
}

const AURORA: &str = r#"resource "aws_rds_cluster" "analytics" {
  cluster_identifier      = "analytics"
  engine                  = "aurora-mysql"
  backup_retention_period = 3 # raise before the audit
}

resource "aws_rds_cluster_instance" "analytics" {
  identifier         = "analytics-aurora"
  cluster_identifier = aws_rds_cluster.analytics.id
  instance_class     = "db.r6g.large"
}
"#;

#[test]
fn aurora_backups_are_set_on_the_cluster() {
    let target = aurora("analytics-aurora", "analytics");
    let f = finding(
        "aws.rds.backup-retention",
        &target,
        &[("/BackupRetentionPeriod", Some(json!(3)), json!(7))],
    );
    assert_eq!(
        fixed(&f, &target, "aurora.tf", AURORA),
        AURORA.replace(
            "backup_retention_period = 3 #",
            "backup_retention_period = 7 #"
        )
    );
}

#[test]
fn aurora_class_is_set_on_the_instance() {
    let target = aurora("analytics-aurora", "analytics");
    let f = finding(
        "aws.rds.over-used",
        &target,
        &[(
            "/DBInstanceClass",
            Some(json!("db.r6g.large")),
            json!("db.r6g.xlarge"),
        )],
    );
    assert_eq!(
        fixed(&f, &target, "aurora.tf", AURORA),
        AURORA.replace("\"db.r6g.large\"", "\"db.r6g.xlarge\"")
    );
}

#[test]
fn aurora_multi_az_cannot_be_fixed() {
    let target = aurora("analytics-aurora", "analytics");
    let f = finding(
        "aws.rds.single-az-production",
        &target,
        &[("/MultiAZ", Some(json!(false)), json!(true))],
    );
    assert_eq!(
        cannot(&f, &target, &[("aurora.tf", AURORA)]),
        "/MultiAZ: an Aurora instance has no multi_az: availability comes from reader instances \
         of the cluster in other zones"
    );
}

#[test]
fn aurora_cluster_not_in_the_files_cannot_be_fixed() {
    let target = aurora("analytics-aurora", "analytics");
    let text = AURORA.replace("\"analytics\"\n", "\"reporting\"\n");
    let f = finding(
        "aws.rds.backup-retention",
        &target,
        &[("/BackupRetentionPeriod", Some(json!(3)), json!(7))],
    );
    assert_eq!(
        cannot(&f, &target, &[("aurora.tf", &text)]),
        "no aws_rds_cluster block with cluster_identifier = \"analytics\" in the files passed \
         (aurora.tf)"
    );
}
