//! Finding the files of an IaC repository that define a resource.
//!
//! In order: the resource's `aiops.io/source` annotation (Kubernetes) or tag (AWS,
//! Azure), `PATH#RESOURCE`; for a Kubernetes resource read from a file inside the
//! repository, that file; otherwise a search — Kubernetes: YAML documents of the same
//! kind and name ([`k8s`]); Terraform: resource blocks whose cloud name matches
//! ([`terraform`]). Kubernetes results add the Kustomize patches of the resource (and
//! their `kustomization.yaml`); Terraform results add the other `.tf` files of the
//! module, so the remediator sees related blocks. The repository is indexed once per
//! [`Locator`].

pub mod k8s;
pub mod terraform;

use std::sync::OnceLock;

use aiops_sdk::{Platform, Resource};

use super::repo::IacRepo;
use aiops_core::SourceLocation;

/// The annotation (Kubernetes) or tag (AWS, Azure) naming a resource's source:
/// `PATH#RESOURCE`, e.g. `k8s/base/cart.yaml#Deployment/cart` or
/// `terraform/rds.tf#aws_db_instance.orders`.
pub const SOURCE_ANNOTATION: &str = "aiops.io/source";

/// The files that define a resource, repository-relative, the defining file first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Located {
    /// The files to hand the remediator.
    pub files: Vec<String>,
    /// How they were found, for reports: `annotation`, `inventory location` or `search`.
    pub how: &'static str,
}

/// Locates resources in one repository, indexing it lazily once.
pub struct Locator<'a> {
    repo: &'a IacRepo,
    k8s: OnceLock<k8s::Index>,
    terraform: OnceLock<terraform::Index>,
}

impl<'a> Locator<'a> {
    /// A locator over `repo`.
    pub fn new(repo: &'a IacRepo) -> Self {
        Locator {
            repo,
            k8s: OnceLock::new(),
            terraform: OnceLock::new(),
        }
    }

    fn k8s(&self) -> &k8s::Index {
        self.k8s.get_or_init(|| k8s::Index::build(self.repo))
    }

    fn terraform(&self) -> &terraform::Index {
        self.terraform
            .get_or_init(|| terraform::Index::build(self.repo))
    }

    /// The files defining `resource`; `location` is where the inventory read it, if
    /// from a file. The error says why nothing (safe) was found.
    pub fn locate(
        &self,
        resource: &Resource,
        location: Option<&SourceLocation>,
    ) -> Result<Located, String> {
        if let Some(tag) = source_annotation(resource) {
            let (path, _) = tag.split_once('#').unwrap_or((tag.as_str(), ""));
            self.repo.resolve(path).map_err(|e| {
                format!("the {SOURCE_ANNOTATION} annotation `{tag}` cannot be used: {e}")
            })?;
            if !self.repo.resolve(path).is_ok_and(|p| p.is_file()) {
                return Err(format!(
                    "the {SOURCE_ANNOTATION} annotation `{tag}` names {path}, which is not a file of the repository"
                ));
            }
            let files = match resource.platform {
                Platform::Kubernetes => self.k8s().with_patches(vec![path.to_string()], resource),
                _ => self.terraform().with_module(path),
            };
            return Ok(Located {
                files,
                how: "annotation",
            });
        }
        match resource.platform {
            Platform::Kubernetes => {
                let in_repo = location.and_then(|l| self.repo.relative(&l.file));
                if let Some(file) = in_repo {
                    return Ok(Located {
                        files: self.k8s().with_patches(vec![file], resource),
                        how: "inventory location",
                    });
                }
                let files = self.k8s().defining(resource);
                if files.is_empty() {
                    return Err(format!(
                        "no YAML document in the IaC repository defines {} {}",
                        resource.kind,
                        qualified(resource)
                    ));
                }
                Ok(Located {
                    files: self.k8s().with_patches(files, resource),
                    how: "search",
                })
            }
            _ => self.terraform().defining(resource).map(|files| Located {
                files,
                how: "search",
            }),
        }
    }
}

/// `namespace/name` or `name`.
fn qualified(resource: &Resource) -> String {
    match &resource.namespace {
        Some(ns) => format!("{ns}/{}", resource.name),
        None => resource.name.clone(),
    }
}

/// The `aiops.io/source` annotation of a Kubernetes object, or tag of a cloud resource.
pub fn source_annotation(resource: &Resource) -> Option<String> {
    if resource.platform == Platform::Kubernetes {
        let raw: serde_json::Value = resource.object().ok()?;
        return raw
            .pointer("/metadata/annotations")
            .and_then(|a| a.get(SOURCE_ANNOTATION))
            .and_then(|v| v.as_str())
            .map(str::to_string);
    }
    resource.label(SOURCE_ANNOTATION).map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn repo(files: &[(&str, &str)]) -> (tempfile::TempDir, IacRepo) {
        let dir = tempfile::tempdir().unwrap();
        for (path, content) in files {
            let p = dir.path().join(path);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, content).unwrap();
        }
        let repo = IacRepo::open(dir.path()).unwrap();
        (dir, repo)
    }

    fn k8s(yaml: &str) -> Resource {
        let value: serde_json::Value = serde_norway::from_str(yaml).unwrap();
        aiops_sdk::k8s::resource_from_object(&value).unwrap()
    }

    const WEB: &str = "kind: Deployment\nmetadata:\n  name: web\n  namespace: shop\n";

    #[test]
    fn k8s_search_matches_kind_name_and_namespace_and_adds_kustomize_patches() {
        let (_d, repo) = repo(&[
            (
                "k8s/base/web.yaml",
                &format!("# web\n{WEB}---\nkind: Service\nmetadata:\n  name: web\n"),
            ),
            (
                "k8s/base/other-ns.yaml",
                "kind: Deployment\nmetadata:\n  name: web\n  namespace: batch\n",
            ),
            ("k8s/base/job.yaml", "kind: Job\nmetadata:\n  name: web\n"),
            (
                "k8s/prod/kustomization.yaml",
                "resources: [../base]\npatches:\n  - path: patches/web.yaml\n  - path: patches/api.yaml\n",
            ),
            (
                "k8s/prod/patches/web.yaml",
                "kind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 3\n",
            ),
            (
                "k8s/prod/patches/api.yaml",
                "kind: Deployment\nmetadata:\n  name: api\n",
            ),
            (
                "charts/web/templates/d.yaml",
                "kind: Deployment\nmetadata:\n  name: {{ .Values.name }}\n",
            ),
            (".git/x.yaml", WEB),
        ]);
        let located = Locator::new(&repo).locate(&k8s(WEB), None).unwrap();
        assert_eq!(located.how, "search");
        assert_eq!(
            located.files,
            [
                "k8s/base/web.yaml",
                "k8s/prod/patches/web.yaml",
                "k8s/prod/kustomization.yaml"
            ]
        );
        let missing = k8s("kind: Deployment\nmetadata:\n  name: gone\n");
        let err = Locator::new(&repo).locate(&missing, None).unwrap_err();
        assert!(err.contains("defines Deployment gone"), "{err}");
    }

    #[test]
    fn annotation_wins_and_must_stay_inside_the_repository() {
        let (_d, repo) = repo(&[("deploy/web.yaml", WEB), ("k8s/web.yaml", WEB)]);
        let annotated = |source: &str| {
            k8s(&format!(
                "{WEB}  annotations:\n    aiops.io/source: \"{source}\"\n"
            ))
        };
        let located = Locator::new(&repo)
            .locate(&annotated("deploy/web.yaml#Deployment/web"), None)
            .unwrap();
        assert_eq!(
            (located.how, located.files),
            ("annotation", vec!["deploy/web.yaml".to_string()])
        );
        let err = Locator::new(&repo)
            .locate(&annotated("../../etc/passwd#x"), None)
            .unwrap_err();
        assert!(err.contains("`..` is not allowed"), "{err}");
    }

    #[test]
    fn inventory_location_inside_the_repository_is_used() {
        let (dir, repo) = repo(&[("a/web.yaml", WEB), ("b/web.yaml", WEB)]);
        let location = SourceLocation {
            file: dir.path().join("b/web.yaml"),
            document: 0,
            line: 1,
        };
        let located = Locator::new(&repo)
            .locate(&k8s(WEB), Some(&location))
            .unwrap();
        assert_eq!(
            (located.how, located.files),
            ("inventory location", vec!["b/web.yaml".to_string()])
        );
    }

    #[test]
    fn terraform_search_by_cloud_name_hands_over_the_module() {
        let (_d, repo) = repo(&[
            (
                "terraform/rds.tf",
                "# orders\nresource \"aws_db_instance\" \"orders\" {\n  identifier     = \"orders-db\"\n  instance_class = \"db.r5.2xlarge\"\n}\n",
            ),
            (
                "terraform/kinesis.tf",
                "resource \"aws_kinesis_stream\" \"clicks\" {\n  name = \"clicks\"\n}\n",
            ),
            (
                "other/main.tf",
                "resource \"aws_db_instance\" \"x\" {\n  identifier = var.id\n}\n",
            ),
        ]);
        let rds = Resource {
            id: "aws/rds/orders-db".into(),
            kind: aiops_sdk::kinds::AWS_RDS_DB_INSTANCE.into(),
            platform: Platform::Aws,
            name: "orders-db".into(),
            namespace: Some("eu-west-1".into()),
            labels: vec![],
            metrics: vec![],
            raw: "{}".into(),
        };
        let located = Locator::new(&repo).locate(&rds, None).unwrap();
        assert_eq!(located.files, ["terraform/rds.tf", "terraform/kinesis.tf"]);
        let gone = Resource {
            name: "gone".into(),
            ..rds.clone()
        };
        let err = Locator::new(&repo).locate(&gone, None).unwrap_err();
        assert!(err.contains("identifier = \"gone\""), "{err}");
        let tagged = Resource {
            labels: vec![(
                SOURCE_ANNOTATION.into(),
                "terraform/kinesis.tf#aws_kinesis_stream.clicks".into(),
            )],
            ..rds
        };
        let located = Locator::new(&repo).locate(&tagged, None).unwrap();
        assert_eq!(
            (located.how, located.files[0].as_str()),
            ("annotation", "terraform/kinesis.tf")
        );
    }
}
