//! `GET /process-instance/{id}/activity-instances`: the activity instance tree of a
//! running instance, built from its state.
//!
//! Every token is an activity instance (and its own execution): the root is the process
//! instance (`activityId` = the definition id, `activityType` `processDefinition`),
//! subprocess tokens hold their children, a multi-instance body
//! (`<activityId>#multiInstanceBody`) holds the inner instances, and leaves are the
//! tasks, catch events and joins that wait. A token waiting for its asynchronous
//! continuation (`camunda:asyncBefore`/`asyncAfter`) is not in an activity but between
//! two: Camunda shows it as a transition instance, whose id is its execution id.

use std::collections::HashMap;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use procos_engine::bpmn::ProcessGraph;
use procos_engine::ids::Id;
use procos_engine::runtime::{Instance, Token, Wait};
use procos_engine::service::write::{activity_instance_id, body_instance_id};
use procos_engine::service::ServiceError;
use procos_engine::store::{IncidentRow, InstanceRow, Query};
use serde_json::{json, Value as Json};

use crate::error::RestError;
use crate::http::{Json as JsonResponse, NotFoundAs, OrRest};
use crate::AppState;

/// Activity instance routes.
pub fn router() -> Router<AppState> {
    Router::new().route(
        "/process-instance/{id}/activity-instances",
        get(activity_instances),
    )
}

/// What every node of the tree repeats.
struct Tree<'a> {
    row: &'a InstanceRow,
    state: &'a Instance,
    graph: &'a ProcessGraph,
    /// Incidents by execution id.
    incidents: HashMap<&'a str, Vec<&'a IncidentRow>>,
    definition_name: Option<&'a str>,
}

impl Tree<'_> {
    fn incidents_of(&self, execution: &str) -> (Vec<Json>, Vec<Json>) {
        let list = self
            .incidents
            .get(execution)
            .map(Vec::as_slice)
            .unwrap_or_default();
        let ids = list.iter().map(|i| json!(i.id)).collect();
        let pairs = list
            .iter()
            .map(|i| json!({ "id": i.id, "activityId": i.activity_id }))
            .collect();
        (ids, pairs)
    }

    /// The activity instance of token `token` (the root when it is the instance), with
    /// its children.
    fn node(&self, token: Id, parent_activity_instance: Option<&str>) -> Json {
        let token_row = self.state.token(token);
        let node = token_row.and_then(|t| t.node);
        let body = token_row.is_some_and(|t| t.body);
        let execution = if token == self.state.id {
            self.row.id.clone()
        } else {
            token.to_string()
        };
        let (id, activity_id, activity_type, name) = match node {
            Some(n) if body => {
                let graph_node = self.graph.node(n);
                (
                    body_instance_id(self.graph, n, token),
                    format!("{}#multiInstanceBody", graph_node.id),
                    "multiInstanceBody",
                    graph_node.name.as_deref(),
                )
            }
            Some(n) => {
                let graph_node = self.graph.node(n);
                (
                    activity_instance_id(self.graph, node, token),
                    graph_node.id.to_string(),
                    graph_node.activity_type,
                    graph_node.name.as_deref(),
                )
            }
            None => (
                self.row.id.clone(),
                self.row.definition_id.clone(),
                "processDefinition",
                self.definition_name,
            ),
        };
        let (transitions, activities): (Vec<&Token>, Vec<&Token>) = self
            .state
            .children(token)
            .partition(|child| matches!(child.wait, Wait::AsyncBefore | Wait::AsyncAfter));
        let children: Vec<Json> = activities
            .into_iter()
            .map(|child| self.node(child.id, Some(&id)))
            .collect();
        let transitions: Vec<Json> = transitions
            .into_iter()
            .map(|child| self.transition(child, &id))
            .collect();
        let (incident_ids, incidents) = self.incidents_of(&execution);
        json!({
            "id": id,
            "parentActivityInstanceId": parent_activity_instance,
            "activityId": activity_id,
            "activityType": activity_type,
            "processInstanceId": self.row.id,
            "processDefinitionId": self.row.definition_id,
            "childActivityInstances": children,
            "childTransitionInstances": transitions,
            "executionIds": [execution],
            "activityName": name,
            "name": name,
            "incidentIds": incident_ids,
            "incidents": incidents,
        })
    }

    /// The transition instance of a token waiting for its asynchronous continuation:
    /// the activity it enters (asyncBefore) or leaves (asyncAfter).
    fn transition(&self, token: &Token, parent_activity_instance: &str) -> Json {
        let execution = token.id.to_string();
        let node = token.node.map(|n| self.graph.node(n));
        let (incident_ids, incidents) = self.incidents_of(&execution);
        json!({
            "id": execution,
            "parentActivityInstanceId": parent_activity_instance,
            "activityId": node.map(|n| n.id.to_string()),
            "activityName": node.and_then(|n| n.name.as_deref()),
            "activityType": node.map(|n| n.activity_type),
            "processInstanceId": self.row.id,
            "processDefinitionId": self.row.definition_id,
            "executionId": execution,
            "incidentIds": incident_ids,
            "incidents": incidents,
        })
    }
}

async fn activity_instances(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, RestError> {
    let (row, instance) = match state.engine.instance(&id).await {
        Ok(found) => found,
        Err(ServiceError::NotFound(_)) => {
            return Err(RestError::invalid_request(
                StatusCode::NOT_FOUND,
                format!("Process instance with id {id} does not exist"),
            ))
        }
        // Camunda wraps engine failures in a 500 InvalidRequestException with the cause.
        Err(e) => {
            let inner = crate::http::service_error(e, NotFoundAs::ServerError);
            return Err(RestError::invalid_request_from_engine(
                StatusCode::INTERNAL_SERVER_ERROR,
                inner.message,
            ));
        }
    };
    let deployed = state
        .engine
        .definitions()
        .get(&row.definition_id)
        .await
        .map_err(|e| {
            RestError::invalid_request_from_engine(StatusCode::INTERNAL_SERVER_ERROR, e.to_string())
        })?;
    let incidents = state
        .engine
        .store()
        .incidents(&Query::all().eq("instance_id", id.as_str()))
        .await
        .or_rest(NotFoundAs::ServerError)?;
    let mut by_execution: HashMap<&str, Vec<&IncidentRow>> = HashMap::new();
    for incident in &incidents {
        if let Some(execution) = incident.execution_id.as_deref() {
            by_execution.entry(execution).or_default().push(incident);
        }
    }
    let tree = Tree {
        row: &row,
        state: &instance,
        graph: &deployed.graph,
        incidents: by_execution,
        definition_name: deployed.row.name.as_deref(),
    };
    Ok(JsonResponse(tree.node(instance.id, None)).into_response())
}
