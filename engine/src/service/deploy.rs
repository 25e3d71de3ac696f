//! Deployments: Camunda's duplicate filtering and deploy-changed-only, versions per key,
//! and the start triggers (message and signal start subscriptions, timer start jobs)
//! that the newest version of a process owns.

use std::sync::Arc;

use crate::bpmn::{self, Problem};
use crate::store::{CorrelationQuery, DefinitionRow, DeploymentRow, ResourceRow, SubscriptionRow};
use crate::time::{self, Timestamp};

use super::definitions::Deployed;
use super::error::{ServiceError, ServiceResult};
use super::ids::new_id;
use super::work::Work;
use super::write::timer_job;
use super::Engine;

/// A deployment request, as `POST /deployment/create` carries it.
#[derive(Debug, Clone, Default)]
pub struct DeployRequest {
    /// `deployment-name`.
    pub name: Option<String>,
    /// `deployment-source`.
    pub source: Option<String>,
    /// `tenant-id`.
    pub tenant_id: Option<String>,
    /// `enable-duplicate-filtering`: return the existing deployment when nothing changed.
    pub duplicate_filtering: bool,
    /// `deploy-changed-only`: deploy only the resources that changed.
    pub changed_only: bool,
    /// Resources: (file name, content).
    pub resources: Vec<(String, Vec<u8>)>,
}

/// What a deployment created.
#[derive(Debug, Clone)]
pub struct DeployResult {
    /// The deployment (an existing one when duplicate filtering found no change).
    pub deployment: DeploymentRow,
    /// The definitions created; None when duplicate filtering returned an existing
    /// deployment (Camunda answers `deployedProcessDefinitions: null` then).
    pub definitions: Option<Vec<DefinitionRow>>,
    /// Warnings found while parsing, per resource.
    pub warnings: Vec<(String, Problem)>,
}

/// True for the file names Camunda reads as BPMN.
pub fn is_bpmn_resource(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    lower.ends_with(".bpmn") || lower.ends_with(".bpmn20.xml")
}

impl Engine {
    /// Deploys resources; BPMN files become process definitions.
    pub async fn deploy(&self, req: DeployRequest) -> ServiceResult<DeployResult> {
        if req.resources.is_empty() {
            return Err(ServiceError::BadRequest(
                "No deployment resources contained in the form upload.".to_owned(),
            ));
        }
        // Parse everything before touching the database: a bad file changes nothing.
        let mut compiled = Vec::new();
        let mut warnings = Vec::new();
        for (name, content) in &req.resources {
            if !is_bpmn_resource(name) {
                continue;
            }
            let text = std::str::from_utf8(content).map_err(|e| ServiceError::BadRequest(format!(
                "ENGINE-09005 Could not parse BPMN process. Errors: \n* the file is not UTF-8 text: {e} | resource {name}"
            )))?;
            let defs = bpmn::compile(text).map_err(|rejected| ServiceError::Parse {
                resource: name.clone(),
                rejected,
            })?;
            warnings.extend(defs.warnings.into_iter().map(|w| (name.clone(), w)));
            compiled.push((name.clone(), defs.processes));
        }
        let mut keys = std::collections::HashSet::new();
        for (_, processes) in &compiled {
            for p in processes {
                if !keys.insert(p.key.clone()) {
                    return Err(ServiceError::BadRequest(format!(
                        "ENGINE-09005 Could not parse BPMN process. Errors: \n* The deployment contains definitions with the same key '{}' (id attribute), this is not allowed",
                        p.key
                    )));
                }
            }
        }

        let mut work = Work::begin(self).await?;
        // Before duplicate filtering and version numbering read anything: a concurrent
        // deployment (another node booting on the same folder, two Modeler clicks) must
        // be either fully visible or not started.
        work.tx().lock_deployments().await?;
        let now = work.now();
        let tenant = req.tenant_id.as_deref();
        let mut to_deploy: Vec<&(String, Vec<u8>)> = req.resources.iter().collect();
        if req.duplicate_filtering || req.changed_only {
            if let Some(name) = &req.name {
                if let Some((previous, resources)) =
                    work.tx().latest_deployment(name, tenant).await?
                {
                    let unchanged = |r: &(String, Vec<u8>)| {
                        resources.iter().any(|p| p.name == r.0 && p.content == r.1)
                    };
                    let changed: Vec<&(String, Vec<u8>)> =
                        req.resources.iter().filter(|r| !unchanged(r)).collect();
                    if changed.is_empty() {
                        return Ok(DeployResult {
                            deployment: previous,
                            definitions: None,
                            warnings,
                        });
                    }
                    if req.changed_only {
                        to_deploy = changed;
                    }
                }
            }
        }

        let deployment = DeploymentRow {
            id: new_id(),
            name: req.name.clone(),
            source: req.source.clone(),
            tenant_id: req.tenant_id.clone(),
            deploy_time: now,
        };
        let resources: Vec<ResourceRow> = to_deploy
            .iter()
            .map(|(name, content)| ResourceRow {
                deployment_id: deployment.id.clone(),
                name: name.clone(),
                content: content.clone(),
            })
            .collect();
        work.tx().insert_deployment(&deployment, &resources).await?;

        let mut definitions = Vec::new();
        let mut deployed = Vec::new();
        for (resource, processes) in compiled {
            if !to_deploy.iter().any(|(n, _)| *n == resource) {
                continue;
            }
            let category = req
                .resources
                .iter()
                .find(|(n, _)| *n == resource)
                .and_then(|(_, c)| target_namespace(c));
            for graph in processes {
                let version = match work.tx().latest_definition(&graph.key, tenant).await? {
                    Some(d) => d.version + 1,
                    None => 1,
                };
                let row = DefinitionRow {
                    id: format!("{}:{}:{}", graph.key, version, new_id()),
                    key: graph.key.clone(),
                    version,
                    version_tag: graph.version_tag.clone(),
                    name: graph.name.clone(),
                    category: category.clone(),
                    description: graph.documentation.clone(),
                    tenant_id: req.tenant_id.clone(),
                    deployment_id: deployment.id.clone(),
                    resource_name: resource.clone(),
                    history_ttl: graph
                        .history_time_to_live
                        .map(|d| i32::try_from(d).unwrap_or(i32::MAX)),
                    startable: graph.startable_in_tasklist,
                    suspended: false,
                };
                work.tx().insert_definition(&row).await?;
                let d = Arc::new(Deployed {
                    row: row.clone(),
                    graph,
                });
                self.install_start_triggers(&mut work, &d, now).await?;
                definitions.push(row);
                deployed.push(d);
            }
        }
        work.commit().await?;
        for d in deployed {
            self.definitions.insert(d);
        }
        Ok(DeployResult {
            deployment,
            definitions: Some(definitions),
            warnings,
        })
    }

    /// Deletes a deployment and its definitions; with `cascade`, its running instances
    /// too (without, running instances make it fail, as in Camunda).
    pub async fn delete_deployment(
        &self,
        id: &str,
        cascade: bool,
        skip_custom_listeners: bool,
    ) -> ServiceResult<()> {
        transact!(self, work, {
            let instances = work.tx().instances_of_deployment(id).await?;
            if !instances.is_empty() && !cascade {
                return Err(ServiceError::Engine(format!(
                    "Deletion of process definition without cascading failed: deployment {id} has {} running process instances; delete them first or use cascade=true",
                    instances.len()
                )));
            }
            for instance in &instances {
                work.apply(
                    instance,
                    crate::runtime::Command::Cancel {
                        skip_listeners: skip_custom_listeners,
                    },
                )
                .await?;
            }
            work.tx().delete_deployment(id).await?;
            Ok(())
        })?;
        self.definitions.forget_deployment(id);
        Ok(())
    }

    /// Replaces the start triggers of `d.row.key` with those of this new version.
    async fn install_start_triggers(
        &self,
        work: &mut Work<'_>,
        d: &Deployed,
        now: i64,
    ) -> ServiceResult<()> {
        let tenant = d.row.tenant_id.as_deref();
        work.tx().delete_start_triggers(&d.row.key, tenant).await?;
        let mut write = crate::store::InstanceWrite::default();
        for (node, name) in d.graph.message_starts() {
            let others = work
                .tx()
                .correlation_candidates(&CorrelationQuery {
                    message: name.to_owned(),
                    tenant: Some(d.row.tenant_id.clone()),
                    starts: true,
                    ..CorrelationQuery::default()
                })
                .await?;
            if others
                .iter()
                .any(|s| definition_key_of(&s.definition_id) != Some(d.row.key.as_str()))
            {
                return Err(ServiceError::Engine(format!(
                    "ENGINE-01011 Cannot deploy process definition '{}': there already is a message event subscription for the message with name '{name}'.",
                    d.row.resource_name
                )));
            }
            write
                .subscriptions
                .push(start_subscription(d, node, "message", name, now));
        }
        for (node, name) in d.graph.signal_starts() {
            write
                .subscriptions
                .push(start_subscription(d, node, "signal", name, now));
        }
        for node in d.graph.conditional_starts() {
            write
                .subscriptions
                .push(start_subscription(d, node, "conditional", "", now));
        }
        for (node, timer) in d.graph.timer_starts() {
            let node_id = d.graph.node(node).id.to_string();
            let Some(text) = timer.text.literal_text() else {
                return Err(ServiceError::Engine(format!(
                    "the timer start event '{node_id}' uses an expression, which a timer start event cannot evaluate (there are no variables yet)"
                )));
            };
            let schedule = time::first_schedule(timer.kind, text, Timestamp(now)).map_err(|e| {
                ServiceError::Engine(format!("the timer start event '{node_id}' is invalid: {e}"))
            })?;
            if let Some(s) = schedule {
                write.jobs.push(timer_job(
                    new_id(),
                    "timer-start",
                    s.due.0,
                    None,
                    None,
                    &d.row,
                    node_id,
                    s.repeat,
                    now,
                ));
                work.wake_jobs();
            }
        }
        if !write.is_empty() {
            work.tx().persist(&write).await?;
        }
        Ok(())
    }
}

fn start_subscription(
    d: &Deployed,
    node: crate::bpmn::NodeIdx,
    kind: &str,
    name: &str,
    now: i64,
) -> SubscriptionRow {
    SubscriptionRow {
        id: new_id(),
        event_type: kind.to_owned(),
        event_name: name.to_owned(),
        instance_id: None,
        execution_id: None,
        activity_id: d.graph.node(node).id.to_string(),
        definition_id: d.row.id.clone(),
        tenant_id: d.row.tenant_id.clone(),
        created: now,
    }
}

/// The key part of a `key:version:uuid` definition id.
pub fn definition_key_of(id: &str) -> Option<&str> {
    let mut parts = id.rsplitn(3, ':');
    let _uuid = parts.next()?;
    let _version = parts.next()?;
    parts.next()
}

/// The `targetNamespace` of a BPMN file, which Camunda reports as the category.
fn target_namespace(content: &[u8]) -> Option<String> {
    let text = std::str::from_utf8(content).ok()?;
    let root = bpmn::xml::parse_document(text, bpmn::xml::Limits::default()).ok()?;
    root.attr("targetNamespace").map(str::to_owned)
}
