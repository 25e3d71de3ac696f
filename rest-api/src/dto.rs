//! Camunda's response DTOs. Every key is always present, null when there is no value:
//! pycamunda reads keys with `data['…']` and fails on a missing one.

use procos_engine::store::{
    DefinitionRow, DeploymentRow, ExternalTaskRow, HistoricActivityRow, HistoricInstanceRow,
    IncidentRow, InstanceRow, JobRow, SubscriptionRow, UserTaskRow,
};
use serde::Serialize;
use serde_json::{json, Value as Json};

use crate::http::date;

/// `{"method", "href", "rel"}`.
#[derive(Debug, Clone, Serialize)]
pub struct Link {
    /// HTTP method.
    pub method: &'static str,
    /// Absolute URL.
    pub href: String,
    /// Relation.
    pub rel: &'static str,
}

/// `DeploymentDto`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DeploymentDto {
    /// Links (always present).
    pub links: Vec<Link>,
    /// Id.
    pub id: String,
    /// Name.
    pub name: Option<String>,
    /// Source.
    pub source: Option<String>,
    /// Deployment time.
    pub deployment_time: Option<String>,
    /// Tenant.
    pub tenant_id: Option<String>,
}

impl DeploymentDto {
    /// From a row.
    pub fn from_row(d: &DeploymentRow) -> Self {
        DeploymentDto {
            links: Vec::new(),
            id: d.id.clone(),
            name: d.name.clone(),
            source: d.source.clone(),
            deployment_time: date(Some(d.deploy_time)),
            tenant_id: d.tenant_id.clone(),
        }
    }
}

/// `ProcessDefinitionDto`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ProcessDefinitionDto {
    /// `key:version:uuid`.
    pub id: String,
    /// Key.
    pub key: String,
    /// targetNamespace.
    pub category: Option<String>,
    /// Documentation.
    pub description: Option<String>,
    /// Name.
    pub name: Option<String>,
    /// Version.
    pub version: i32,
    /// Resource name.
    pub resource: String,
    /// Deployment.
    pub deployment_id: String,
    /// Diagram resource (none).
    pub diagram: Option<String>,
    /// Suspended.
    pub suspended: bool,
    /// Tenant.
    pub tenant_id: Option<String>,
    /// Version tag.
    pub version_tag: Option<String>,
    /// History time to live in days.
    pub history_time_to_live: Option<i32>,
    /// Startable in Tasklist.
    pub startable_in_tasklist: bool,
}

impl ProcessDefinitionDto {
    /// From a row.
    pub fn from_row(d: &DefinitionRow) -> Self {
        ProcessDefinitionDto {
            id: d.id.clone(),
            key: d.key.clone(),
            category: d.category.clone(),
            description: d.description.clone(),
            name: d.name.clone(),
            version: d.version,
            resource: d.resource_name.clone(),
            deployment_id: d.deployment_id.clone(),
            diagram: None,
            suspended: d.suspended,
            tenant_id: d.tenant_id.clone(),
            version_tag: d.version_tag.clone(),
            history_time_to_live: d.history_ttl,
            startable_in_tasklist: d.startable,
        }
    }
}

/// `ProcessInstanceDto` (also with `variables` when asked).
// One argument per DTO field the callers know; a struct would only rename them.
#[allow(clippy::too_many_arguments)]
pub fn process_instance(
    base: &str,
    id: &str,
    definition_id: &str,
    definition_key: &str,
    business_key: Option<&str>,
    tenant_id: Option<&str>,
    ended: bool,
    suspended: bool,
) -> Json {
    json!({
        "links": [{"method": "GET", "href": format!("{base}/process-instance/{id}"), "rel": "self"}],
        "id": id,
        "definitionId": definition_id,
        "definitionKey": definition_key,
        "businessKey": business_key,
        "caseInstanceId": null,
        "ended": ended,
        "suspended": suspended,
        "tenantId": tenant_id,
    })
}

/// `ProcessInstanceDto` of a running instance row (as lists return it, without links).
pub fn instance_row(i: &InstanceRow) -> Json {
    json!({
        "links": [],
        "id": i.id,
        "definitionId": i.definition_id,
        "definitionKey": i.definition_key,
        "businessKey": i.business_key,
        "caseInstanceId": null,
        "ended": false,
        "suspended": i.suspended,
        "tenantId": i.tenant_id,
    })
}

/// `ExternalTaskDto`.
pub fn external_task(t: &ExternalTaskRow) -> Json {
    json!({
        "activityId": t.activity_id,
        "activityInstanceId": t.activity_instance_id,
        "errorMessage": t.error_message,
        "executionId": t.execution_id,
        "id": t.id,
        "lockExpirationTime": date(t.lock_expiration),
        "createTime": date(Some(t.create_time)),
        "processDefinitionId": t.definition_id,
        "processDefinitionKey": t.definition_key,
        "processDefinitionVersionTag": t.version_tag,
        "processInstanceId": t.instance_id,
        "tenantId": t.tenant_id,
        "retries": t.retries,
        "suspended": t.suspended,
        "workerId": t.worker_id,
        "priority": t.priority,
        "topicName": t.topic,
        "businessKey": t.business_key,
    })
}

/// `TaskDto`.
pub fn user_task(t: &UserTaskRow) -> Json {
    json!({
        "id": t.id,
        "name": t.name,
        "assignee": t.assignee,
        "owner": t.owner,
        "created": date(Some(t.created)),
        "lastUpdated": date(t.last_updated),
        "due": date(t.due),
        "followUp": date(t.follow_up),
        "delegationState": null,
        "description": t.description,
        "executionId": t.execution_id,
        "parentTaskId": null,
        "priority": t.priority,
        "processDefinitionId": t.definition_id,
        "processInstanceId": t.instance_id,
        "caseExecutionId": null,
        "caseDefinitionId": null,
        "caseInstanceId": null,
        "taskDefinitionKey": t.activity_id,
        "suspended": t.suspended,
        "formKey": t.form_key,
        "camundaFormRef": null,
        "tenantId": t.tenant_id,
        "taskState": "Created",
    })
}

/// `HistoricProcessInstanceDto`.
pub fn historic_instance(h: &HistoricInstanceRow) -> Json {
    json!({
        "id": h.id,
        "rootProcessInstanceId": h.root_instance_id,
        "superProcessInstanceId": h.super_instance_id,
        "superCaseInstanceId": null,
        "caseInstanceId": null,
        "processDefinitionName": h.definition_name,
        "processDefinitionKey": h.definition_key,
        "processDefinitionVersion": h.definition_version,
        "processDefinitionId": h.definition_id,
        "businessKey": h.business_key,
        "startTime": date(Some(h.start_time)),
        "endTime": date(h.end_time),
        "removalTime": date(h.removal_time),
        "durationInMillis": h.end_time.map(|e| e - h.start_time),
        "startUserId": null,
        "startActivityId": h.start_activity_id,
        "deleteReason": h.delete_reason,
        "tenantId": h.tenant_id,
        "state": h.state,
        "restartedProcessInstanceId": null,
    })
}

/// `HistoricActivityInstanceDto`.
pub fn historic_activity(a: &HistoricActivityRow, root_instance: &str) -> Json {
    json!({
        "id": a.id,
        "parentActivityInstanceId": a.parent_id,
        "activityId": a.activity_id,
        "activityName": a.activity_name,
        "activityType": a.activity_type,
        "processDefinitionKey": a.definition_key,
        "processDefinitionId": a.definition_id,
        "processInstanceId": a.instance_id,
        "executionId": a.execution_id,
        "taskId": a.task_id,
        "assignee": a.assignee,
        "calledProcessInstanceId": a.called_instance_id,
        "calledCaseInstanceId": null,
        "startTime": date(Some(a.start_time)),
        "endTime": date(a.end_time),
        "durationInMillis": a.end_time.map(|e| e - a.start_time),
        "canceled": a.canceled,
        "completeScope": a.end_time.is_some() && !a.canceled && a.activity_type.ends_with("EndEvent"),
        "tenantId": a.tenant_id,
        "removalTime": null,
        "rootProcessInstanceId": root_instance,
    })
}

/// `IncidentDto`.
pub fn incident(i: &IncidentRow) -> Json {
    json!({
        "id": i.id,
        "processDefinitionId": i.definition_id,
        "processInstanceId": i.instance_id,
        "executionId": i.execution_id,
        "incidentTimestamp": date(Some(i.created)),
        "incidentType": i.incident_type,
        "activityId": i.activity_id,
        "failedActivityId": i.failed_activity_id,
        "causeIncidentId": i.id,
        "rootCauseIncidentId": i.id,
        "configuration": i.configuration,
        "tenantId": i.tenant_id,
        "incidentMessage": i.message,
        "jobDefinitionId": null,
        "annotation": null,
    })
}

/// `JobDto`.
pub fn job(j: &JobRow) -> Json {
    json!({
        "id": j.id,
        "jobDefinitionId": null,
        "dueDate": date(Some(j.due)),
        "processInstanceId": j.instance_id,
        "executionId": j.execution_id,
        "processDefinitionId": j.definition_id,
        "processDefinitionKey": j.definition_key,
        "retries": j.retries,
        "exceptionMessage": j.exception_message,
        "failedActivityId": if j.exception_message.is_some() { Some(j.activity_id.clone()) } else { None },
        "suspended": j.suspended,
        "priority": j.priority,
        "tenantId": j.tenant_id,
        "createTime": date(Some(j.created)),
        "batchId": null,
    })
}

/// `EventSubscriptionDto`.
pub fn subscription(s: &SubscriptionRow) -> Json {
    json!({
        "id": s.id,
        "eventType": s.event_type,
        // Conditional and compensation subscriptions have no name.
        "eventName": (!s.event_name.is_empty()).then_some(&s.event_name),
        "executionId": s.execution_id,
        "processInstanceId": s.instance_id,
        "activityId": s.activity_id,
        "createdDate": date(Some(s.created)),
        "tenantId": s.tenant_id,
    })
}

/// `{"count": n}`.
pub fn count(n: i64) -> Json {
    json!({ "count": n })
}
