//! Every reason the remediator refuses to edit, with its exact message, and locating a
//! block by the `aiops.io/source` tag.

use crate::common;

use common::*;
use serde_json::json;

const DB: &str = r#"resource "aws_db_instance" "orders" {
  identifier     = "orders-db"
  instance_class = "db.r5.2xlarge"
}
"#;

fn shrink() -> aiops_sdk::Finding {
    finding(
        "aws.rds.under-used",
        &rds("orders-db"),
        &[(
            "/DBInstanceClass",
            Some(json!("db.r5.2xlarge")),
            json!("db.r5.xlarge"),
        )],
    )
}

fn with_class(expr: &str) -> String {
    DB.replace("\"db.r5.2xlarge\"", expr)
}

fn tagged(tag: &str) -> aiops_sdk::Resource {
    let mut r = rds("orders-db");
    r.labels
        .push(("aiops.io/source".to_string(), tag.to_string()));
    r
}

#[test]
fn a_variable_is_named_with_where_it_is_set() {
    assert_eq!(
        cannot(
            &shrink(),
            &rds("orders-db"),
            &[("rds.tf", &with_class("var.orders_class"))]
        ),
        "`instance_class` of `aws_db_instance.orders` (rds.tf:3) is set by the variable \
         `var.orders_class`, not a literal: change it where that value is defined (this \
         remediator does not guess values behind expressions)"
    );
}

#[test]
fn locals_conditionals_and_functions_are_not_resolved() {
    for (expr, how) in [
        ("local.sizes.orders", "the local value `local.sizes.orders`"),
        (
            "var.prod ? \"db.r5.2xlarge\" : \"db.t3.small\"",
            "the conditional `var.prod ? \"db.r5.2xlarge\" : \"db.t3.small\"`",
        ),
        (
            "lookup(var.sizes, \"orders\")",
            "the function call `lookup(var.sizes, \"orders\")`",
        ),
        (
            "\"db.${var.family}.2xlarge\"",
            "the template `\"db.${var.family}.2xlarge\"`",
        ),
    ] {
        let reason = cannot(
            &shrink(),
            &rds("orders-db"),
            &[("rds.tf", &with_class(expr))],
        );
        assert!(
            reason.contains(&format!("is set by {how}, not a literal")),
            "{reason}"
        );
    }
}

#[test]
fn count_and_for_each_blocks_are_refused() {
    for meta in ["count    = 2", "for_each = toset([\"a\"])"] {
        let text = DB.replace("  identifier", &format!("  {meta}\n  identifier"));
        let word = meta.split_whitespace().next().unwrap();
        assert_eq!(
            cannot(&shrink(), &rds("orders-db"), &[("rds.tf", &text)]),
            format!(
                "`aws_db_instance.orders` (rds.tf:1) uses `{word}`: its instances share one \
                 block, so one instance cannot be changed without changing the others"
            )
        );
    }
}

#[test]
fn a_missing_block_is_refused_listing_the_files() {
    assert_eq!(
        cannot(
            &shrink(),
            &rds("payments-db"),
            &[("rds.tf", DB), ("README.md", "# docs")]
        ),
        "the finding is about `aws/rds/eu-west-1/orders-db` but the target resource is \
         `aws/rds/eu-west-1/payments-db`"
    );
    let f = finding(
        "aws.rds.under-used",
        &rds("payments-db"),
        &[(
            "/DBInstanceClass",
            Some(json!("db.r5.2xlarge")),
            json!("db.r5.xlarge"),
        )],
    );
    assert_eq!(
        cannot(
            &f,
            &rds("payments-db"),
            &[("rds.tf", DB), ("README.md", "# docs")]
        ),
        "no aws_db_instance block with identifier = \"payments-db\" in the files passed (rds.tf)"
    );
    assert_eq!(
        cannot(&f, &rds("payments-db"), &[]),
        "no aws_db_instance block with identifier = \"payments-db\" in the files passed (no .tf \
         file)"
    );
}

#[test]
fn a_computed_identifier_is_mentioned_when_nothing_matches() {
    let text = DB.replace("\"orders-db\"", "\"${var.env}-orders\"");
    assert_eq!(
        cannot(&shrink(), &rds("orders-db"), &[("rds.tf", &text)]),
        "no aws_db_instance block with identifier = \"orders-db\" in the files passed (rds.tf); \
         identifier of `aws_db_instance.orders` (the template `\"${var.env}-orders\"`) is \
         computed and could not be compared"
    );
}

#[test]
fn two_matching_blocks_are_ambiguous() {
    let other = DB.replace("\"orders\"", "\"orders_copy\"");
    assert_eq!(
        cannot(
            &shrink(),
            &rds("orders-db"),
            &[("a.tf", DB), ("b.tf", &other)]
        ),
        "2 aws_db_instance blocks have identifier = \"orders-db\" (`aws_db_instance.orders` at \
         a.tf:1, `aws_db_instance.orders_copy` at b.tf:1); which one to edit is ambiguous"
    );
}

#[test]
fn a_file_that_disagrees_with_the_live_resource_is_drift() {
    assert_eq!(
        cannot(
            &shrink(),
            &rds("orders-db"),
            &[("rds.tf", &with_class("\"db.r5.4xlarge\""))]
        ),
        "`instance_class` of `aws_db_instance.orders` (rds.tf:3) is \"db.r5.4xlarge\" in the file \
         but \"db.r5.2xlarge\" on the live resource: the source and the resource differ, so the \
         finding may not apply to the file"
    );
}

#[test]
fn an_ignored_attribute_is_refused() {
    let text = DB.replace(
        "}\n",
        "\n  lifecycle {\n    ignore_changes = [instance_class, tags]\n  }\n}\n",
    );
    assert_eq!(
        cannot(&shrink(), &rds("orders-db"), &[("rds.tf", &text)]),
        "`instance_class` of `aws_db_instance.orders` (rds.tf:1) is in lifecycle.ignore_changes \
         ([instance_class, tags]): editing it would have no effect"
    );
}

#[test]
fn unparsable_and_crlf_files_are_refused_by_name() {
    let reason = cannot(
        &shrink(),
        &rds("orders-db"),
        &[("rds.tf", "resource \"x\" {\n")],
    );
    assert!(
        reason.starts_with("rds.tf does not parse as HCL: "),
        "{reason}"
    );
    assert_eq!(
        cannot(
            &shrink(),
            &rds("orders-db"),
            &[("rds.tf", &DB.replace('\n', "\r\n"))]
        ),
        "rds.tf cannot be edited without reformatting it (hcl-edit does not write it back byte \
         for byte, e.g. because of CRLF line endings)"
    );
}

#[test]
fn findings_without_a_hint_or_of_other_rules_are_refused() {
    let mut f = shrink();
    f.remediation = None;
    assert_eq!(
        cannot(&f, &rds("orders-db"), &[("rds.tf", DB)]),
        "the finding carries no remediation hint: `aws.rds.under-used` gives no value to set"
    );
    let mut f = shrink();
    f.rule = "aws.rds.default-parameter-group".to_string();
    assert_eq!(
        cannot(&f, &rds("orders-db"), &[("rds.tf", DB)]),
        "rule `aws.rds.default-parameter-group` is not one this remediator fixes"
    );
    let f = finding(
        "aws.rds.under-used",
        &rds("orders-db"),
        &[("/StorageType", Some(json!("gp2")), json!("gp3"))],
    );
    assert_eq!(
        cannot(&f, &rds("orders-db"), &[("rds.tf", DB)]),
        "/StorageType has no Terraform attribute this remediator knows"
    );
}

#[test]
fn the_source_tag_picks_the_block_even_with_a_computed_identifier() {
    let text = DB.replace("\"orders-db\"", "local.orders_id");
    let out = fixed(
        &shrink(),
        &tagged("./terraform/rds.tf#aws_db_instance.orders"),
        "terraform/rds.tf",
        &text,
    );
    assert_eq!(out, text.replace("\"db.r5.2xlarge\"", "\"db.r5.xlarge\""));
}

#[test]
fn a_source_tag_that_cannot_be_followed_is_refused() {
    let f = |tag: &str| cannot(&shrink(), &tagged(tag), &[("terraform/rds.tf", DB)]);
    assert_eq!(
        f("terraform/db.tf#aws_db_instance.orders"),
        "the source tag names terraform/db.tf, which is not among the Terraform files passed"
    );
    assert_eq!(
        f("terraform/rds.tf#aws_db_instance.payments"),
        "terraform/rds.tf has no block `resource \"aws_db_instance\" \"payments\"`"
    );
    assert_eq!(
        f("terraform/rds.tf#module.db.aws_db_instance.this"),
        "the aiops.io/source tag names `module.db.aws_db_instance.this`, inside a module: the \
         values come from the module call's inputs, which this remediator does not edit"
    );
    assert_eq!(
        f("terraform/rds.tf#aws_rds_cluster.orders"),
        "the aiops.io/source tag names `aws_rds_cluster.orders`, but this resource is defined by \
         aws_db_instance"
    );
    assert_eq!(
        f("terraform/rds.tf"),
        "the aiops.io/source tag `terraform/rds.tf` is not of the form PATH#TYPE.NAME"
    );
}

#[test]
fn a_bad_config_is_refused_naming_the_key() {
    let reason = cannot_with(
        r#"{"alert_severity": 9}"#,
        &shrink(),
        &rds("orders-db"),
        &[("rds.tf", DB)],
    );
    assert!(reason.contains("alert_severity"), "{reason}");
}
