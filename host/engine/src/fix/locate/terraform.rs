//! The Terraform side of locating: resource blocks of the repository's `.tf` files
//! (parsed with `hcl-edit`) whose cloud-name attribute equals the resource's name.

use std::collections::BTreeMap;

use aiops_sdk::{Resource, kinds};
use hcl_edit::expr::Expression;
use hcl_edit::structure::Structure;

use crate::fix::repo::IacRepo;

/// Largest `.tf` file indexed.
const MAX_FILE: usize = 4 << 20;

/// Terraform resource types that define an inventory kind, and the attribute holding
/// the cloud name.
pub fn block_types(kind: &str) -> Option<(&'static [&'static str], &'static str)> {
    Some(match kind {
        kinds::AWS_RDS_DB_INSTANCE => (
            &["aws_db_instance", "aws_rds_cluster_instance"],
            "identifier",
        ),
        kinds::AWS_KINESIS_STREAM => (&["aws_kinesis_stream"], "name"),
        kinds::AZURE_METRIC_ALERT => (&["azurerm_monitor_metric_alert"], "name"),
        kinds::AZURE_VM => (
            &[
                "azurerm_linux_virtual_machine",
                "azurerm_windows_virtual_machine",
                "azurerm_virtual_machine",
            ],
            "name",
        ),
        kinds::AZURE_MYSQL_FLEXIBLE_SERVER => (&["azurerm_mysql_flexible_server"], "name"),
        kinds::AZURE_EVENTHUB_NAMESPACE => (&["azurerm_eventhub_namespace"], "name"),
        _ => return None,
    })
}

/// One resource block.
#[derive(Debug, Clone)]
struct Block {
    file: String,
    ty: String,
    /// Literal string attributes of the block (`identifier`, `name`, ...).
    attributes: BTreeMap<String, String>,
}

/// Every resource block of the repository.
#[derive(Debug, Default)]
pub struct Index {
    blocks: Vec<Block>,
    files: Vec<String>,
}

impl Index {
    /// Parses every `.tf` file of `repo`; a file that does not parse is skipped with a
    /// warning.
    pub fn build(repo: &IacRepo) -> Index {
        let mut index = Index::default();
        for file in repo.files(&[".tf"]) {
            let Ok(text) = repo.read(&file, MAX_FILE) else {
                continue;
            };
            index.files.push(file.clone());
            let body = match hcl_edit::parser::parse_body(&text) {
                Ok(body) => body,
                Err(err) => {
                    tracing::warn!(file = %file, error = %err, "cannot parse a Terraform file of the IaC repository");
                    continue;
                }
            };
            for structure in body.iter() {
                let Structure::Block(block) = structure else {
                    continue;
                };
                if block.ident.as_str() != "resource" || block.labels.len() != 2 {
                    continue;
                }
                let attributes = block
                    .body
                    .iter()
                    .filter_map(|s| match s {
                        Structure::Attribute(a) => match &a.value {
                            Expression::String(v) => {
                                Some((a.key.as_str().to_string(), v.value().to_string()))
                            }
                            _ => None,
                        },
                        _ => None,
                    })
                    .collect();
                index.blocks.push(Block {
                    file: file.clone(),
                    ty: block.labels[0].as_str().to_string(),
                    attributes,
                });
            }
        }
        index
    }

    /// The files of the module (directory) holding the block that defines `resource`,
    /// that file first.
    pub fn defining(&self, resource: &Resource) -> Result<Vec<String>, String> {
        let Some((types, attribute)) = block_types(&resource.kind) else {
            return Err(format!(
                "no Terraform resource type is known for kind {}",
                resource.kind
            ));
        };
        let mut found: Vec<&str> = self
            .blocks
            .iter()
            .filter(|b| {
                types.contains(&b.ty.as_str())
                    && b.attributes.get(attribute).map(String::as_str)
                        == Some(resource.name.as_str())
            })
            .map(|b| b.file.as_str())
            .collect();
        found.dedup();
        match found.as_slice() {
            [] => Err(format!(
                "no {} block with {attribute} = \"{}\" in the IaC repository's .tf files",
                types.join(" or "),
                resource.name
            )),
            [file] => Ok(self.with_module(file)),
            many => Err(format!(
                "{} .tf files define {} `{}` ({}): which one is deployed is unclear",
                many.len(),
                resource.kind,
                resource.name,
                many.join(", ")
            )),
        }
    }

    /// `file` and the other `.tf` files of its directory (the Terraform module).
    pub fn with_module(&self, file: &str) -> Vec<String> {
        let dir = |f: &str| {
            f.rsplit_once('/')
                .map_or(String::new(), |(d, _)| d.to_string())
        };
        let mut files = vec![file.to_string()];
        files.extend(
            self.files
                .iter()
                .filter(|f| f.as_str() != file && dir(f) == dir(file))
                .cloned(),
        );
        files
    }
}
