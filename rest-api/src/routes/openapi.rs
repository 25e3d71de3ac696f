//! `GET /openapi.json`: procos's own OpenAPI 3.0 document, for exactly the routes procos
//! serves, so that tools such as schemathesis can generate requests from it and check
//! every response against it.
//!
//! [`operations`] is the one list of what procos serves: every route with its
//! parameters, request body and responses. The tests compare it with the `.route(…)`
//! registrations in `src/routes/*.rs`, so a route added without documentation, or
//! documentation left behind by a removed route, fails the build's tests.
//!
//! The schemas are written from procos's own DTO builders (`dto.rs` and the routes),
//! which follow Camunda's shapes (COMPAT.md): every key is always present (hence
//! `required` lists all of them), `nullable: true` marks the keys that can be null, and
//! dates are strings in Camunda's format, `2013-01-23T13:42:42.000+0200`, which is not
//! RFC 3339 (no colon in the offset), hence a `pattern` rather than `format: date-time`.
//! Errors are `{type, message, code}` for every status a route can answer; with
//! authentication on, every route but `GET /engine` may also answer 401 without body.

use std::borrow::Cow;

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use serde_json::{json, Map, Value as Json};

use crate::http::Json as JsonResponse;
use crate::AppState;

/// The OpenAPI route.
pub fn router() -> Router<AppState> {
    Router::new().route("/openapi.json", get(serve))
}

async fn serve(State(state): State<AppState>) -> Response {
    JsonResponse(document(!state.config.users.is_empty())).into_response()
}

/// Camunda's REST date format, as procos writes it.
const DATE_PATTERN: &str = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}[+-]\d{4}$";

/// Paths that answer without credentials even when authentication is on.
const OPEN_PATHS: &[&str] = &["/engine"];

/// One documented operation.
#[derive(Debug, Clone)]
pub struct Operation {
    /// Lower-case HTTP method.
    pub method: &'static str,
    /// Path under `/engine-rest`, with `{name}` parameters as the router writes them.
    pub path: Cow<'static, str>,
    tag: &'static str,
    summary: Cow<'static, str>,
    query: Vec<(String, Json)>,
    body: Option<(&'static str, Json)>,
    responses: Vec<(u16, Json)>,
}

fn op(
    method: &'static str,
    path: impl Into<Cow<'static, str>>,
    tag: &'static str,
    summary: impl Into<Cow<'static, str>>,
) -> Operation {
    Operation {
        method,
        path: path.into(),
        tag,
        summary: summary.into(),
        query: Vec::new(),
        body: None,
        responses: Vec::new(),
    }
}

impl Operation {
    /// Adds query parameters.
    fn params(mut self, params: Vec<(&str, Json)>) -> Self {
        self.query
            .extend(params.into_iter().map(|(n, s)| (n.to_owned(), s)));
        self
    }

    /// A JSON request body.
    fn body(mut self, schema: Json) -> Self {
        self.body = Some(("application/json", schema));
        self
    }

    /// A request body of another media type.
    fn body_as(mut self, media: &'static str, schema: Json) -> Self {
        self.body = Some((media, schema));
        self
    }

    /// 200 with a JSON body.
    fn ok(self, schema: Json) -> Self {
        self.ok_as("application/json", schema)
    }

    /// 200 with a body of `media`.
    fn ok_as(mut self, media: &str, schema: Json) -> Self {
        self.responses.push((
            200,
            json!({"description": "Request successful.", "content": {media: {"schema": schema}}}),
        ));
        self
    }

    /// 204 without body.
    fn no_content(mut self) -> Self {
        self.responses.push((
            204,
            json!({"description": "Request successful, no content."}),
        ));
        self
    }

    /// Error statuses, each with Camunda's error body.
    fn errors(mut self, codes: &[u16]) -> Self {
        for &code in codes {
            let description = match code {
                400 => "Bad request: an invalid parameter or body.",
                404 => "Not found.",
                413 => "The request body is larger than the configured limit.",
                _ => "The engine failed (Camunda's status for this failure).",
            };
            self.responses.push((
                code,
                json!({
                    "description": description,
                    "content": {"application/json": {"schema": r("ExceptionDto")}},
                }),
            ));
        }
        self
    }

    fn to_json(&self, auth: bool) -> Json {
        let mut parameters: Vec<Json> = path_params(&self.path)
            .into_iter()
            .map(|name| {
                json!({"name": name, "in": "path", "required": true, "schema": {"type": "string"}})
            })
            .collect();
        parameters.extend(
            self.query
                .iter()
                .map(|(name, schema)| json!({"name": name, "in": "query", "schema": schema})),
        );
        let mut responses = Map::new();
        for (code, response) in &self.responses {
            responses.insert(code.to_string(), response.clone());
        }
        let open = OPEN_PATHS.contains(&&*self.path);
        if auth && !open {
            responses.insert(
                "401".to_owned(),
                json!({
                    "description": "Missing or wrong credentials (no body).",
                    "headers": {"WWW-Authenticate": {"schema": {"type": "string"}}},
                }),
            );
        }
        let mut out = json!({
            "tags": [self.tag],
            "summary": self.summary,
            "operationId": operation_id(self.method, &self.path),
            "parameters": parameters,
            "responses": responses,
        });
        if let Some((media, schema)) = &self.body {
            out["requestBody"] = json!({"content": {*media: {"schema": schema}}});
        }
        if auth && open {
            out["security"] = json!([]);
        }
        out
    }
}

/// The `{name}` parameters of a path, in order.
fn path_params(path: &str) -> Vec<&str> {
    path.split('/')
        .filter_map(|seg| seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
        .collect()
}

/// A unique id: the method and the path's words, e.g. `get_process_instance_id_variables`.
fn operation_id(method: &str, path: &str) -> String {
    let mut id = method.to_owned();
    for word in path.split(|c: char| !c.is_ascii_alphanumeric()) {
        if !word.is_empty() {
            id.push('_');
            id.push_str(word);
        }
    }
    id
}

// Schema helpers.

fn s() -> Json {
    json!({"type": "string"})
}
fn ns() -> Json {
    json!({"type": "string", "nullable": true})
}
fn int() -> Json {
    json!({"type": "integer", "format": "int64"})
}
fn nint() -> Json {
    json!({"type": "integer", "format": "int64", "nullable": true})
}
fn boolean() -> Json {
    json!({"type": "boolean"})
}
fn date() -> Json {
    json!({"type": "string", "pattern": DATE_PATTERN})
}
fn ndate() -> Json {
    json!({"type": "string", "pattern": DATE_PATTERN, "nullable": true})
}
fn arr(items: Json) -> Json {
    json!({"type": "array", "items": items})
}
fn r(name: &str) -> Json {
    json!({ "$ref": format!("#/components/schemas/{name}") })
}
/// A map from names to `values`.
fn map_of(values: Json) -> Json {
    json!({"type": "object", "additionalProperties": values})
}
/// An object whose keys are all present.
fn obj(props: Vec<(&str, Json)>) -> Json {
    let required: Vec<&str> = props.iter().map(|(k, _)| *k).collect();
    let properties: Map<String, Json> = props.into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
    json!({"type": "object", "properties": properties, "required": required})
}
/// A request object: every key optional, unknown keys ignored (as Jackson does).
fn input(props: Vec<(&str, Json)>) -> Json {
    let properties: Map<String, Json> = props.into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
    json!({"type": "object", "properties": properties})
}
fn nullable(mut schema: Json) -> Json {
    schema["nullable"] = Json::Bool(true);
    schema
}
/// An input value that may be null.
fn opt(mut schema: Json) -> Json {
    schema["nullable"] = Json::Bool(true);
    schema
}

// Query parameter schemas: what the server reads; lists are comma-separated text,
// dates text in Camunda's format (read leniently).

fn q_str() -> Json {
    s()
}
fn q_bool() -> Json {
    boolean()
}
fn q_int() -> Json {
    int()
}
fn q_date() -> Json {
    json!({"type": "string", "description": "yyyy-MM-dd'T'HH:mm:ss.SSSZ"})
}
fn q_list() -> Json {
    json!({"type": "string", "description": LIST})
}
/// A POST query body carries as arrays what a query string carries as comma lists.
fn is_list(schema: &Json) -> bool {
    schema.get("description").and_then(Json::as_str) == Some(LIST)
}
const LIST: &str = "comma-separated list";

fn paging() -> Vec<(&'static str, Json)> {
    vec![("firstResult", q_int()), ("maxResults", q_int())]
}

fn sorting(values: &[&str]) -> Vec<(&'static str, Json)> {
    vec![
        ("sortBy", json!({"type": "string", "enum": values})),
        (
            "sortOrder",
            json!({"type": "string", "enum": ["asc", "desc"]}),
        ),
    ]
}

fn names<'a>(list: &[(&'a str, &str)]) -> Vec<&'a str> {
    list.iter().map(|(n, _)| *n).collect()
}

// Response schemas, from the DTO builders.

fn schemas() -> Map<String, Json> {
    let mut m = Map::new();
    let mut add = |name: &str, schema: Json| {
        m.insert(name.to_owned(), schema);
    };
    add(
        "ExceptionDto",
        json!({
            "type": "object",
            "properties": {
                "type": {"type": "string"},
                "message": {"type": "string"},
                "code": {"type": "integer", "nullable": true},
                "details": {"type": "object"},
            },
            "required": ["type", "message", "code"],
        }),
    );
    add("CountResultDto", obj(vec![("count", int())]));
    add(
        "LinkDto",
        obj(vec![("method", s()), ("href", s()), ("rel", s())]),
    );
    add("ProcessEngineDto", obj(vec![("name", s())]));
    add("VersionDto", obj(vec![("version", s())]));
    add(
        "VariableValueDto",
        obj(vec![
            ("type", s()),
            ("value", json!({"nullable": true})),
            ("valueInfo", json!({"type": "object"})),
        ]),
    );
    add("VariableMap", map_of(r("VariableValueDto")));
    add("DeploymentDto", obj(deployment_props()));
    let mut with_definitions = deployment_props();
    with_definitions.extend([
        (
            "deployedProcessDefinitions",
            nullable(map_of(r("ProcessDefinitionDto"))),
        ),
        (
            "deployedCaseDefinitions",
            nullable(json!({"type": "object"})),
        ),
        (
            "deployedDecisionDefinitions",
            nullable(json!({"type": "object"})),
        ),
        (
            "deployedDecisionRequirementsDefinitions",
            nullable(json!({"type": "object"})),
        ),
    ]);
    add("DeploymentWithDefinitionsDto", obj(with_definitions));
    add(
        "DeploymentResourceDto",
        obj(vec![("id", s()), ("name", s()), ("deploymentId", s())]),
    );
    add("ProcessDefinitionDto", obj(definition_props()));
    add(
        "ProcessDefinitionDiagramDto",
        obj(vec![("id", s()), ("bpmn20Xml", s())]),
    );
    add("ProcessInstanceDto", obj(instance_props()));
    let mut with_variables = obj(instance_props());
    with_variables["properties"]["variables"] = r("VariableMap");
    add("ProcessInstanceWithVariablesDto", with_variables);
    add("ExternalTaskDto", obj(external_task_props()));
    let mut locked = external_task_props();
    locked.extend([
        ("errorDetails", ns()),
        ("variables", r("VariableMap")),
        ("extensionProperties", map_of(s())),
    ]);
    add("LockedExternalTaskDto", obj(locked));
    add(
        "HistoricProcessInstanceDto",
        obj(vec![
            ("id", s()),
            ("rootProcessInstanceId", s()),
            ("superProcessInstanceId", ns()),
            ("superCaseInstanceId", ns()),
            ("caseInstanceId", ns()),
            ("processDefinitionName", ns()),
            ("processDefinitionKey", s()),
            ("processDefinitionVersion", int()),
            ("processDefinitionId", s()),
            ("businessKey", ns()),
            ("startTime", date()),
            ("endTime", ndate()),
            ("removalTime", ndate()),
            ("durationInMillis", nint()),
            ("startUserId", ns()),
            ("startActivityId", ns()),
            ("deleteReason", ns()),
            ("tenantId", ns()),
            ("state", s()),
            ("restartedProcessInstanceId", ns()),
        ]),
    );
    add(
        "HistoricActivityInstanceDto",
        obj(vec![
            ("id", s()),
            ("parentActivityInstanceId", s()),
            ("activityId", s()),
            ("activityName", ns()),
            ("activityType", s()),
            ("processDefinitionKey", s()),
            ("processDefinitionId", s()),
            ("processInstanceId", s()),
            ("executionId", s()),
            ("taskId", ns()),
            ("assignee", ns()),
            ("calledProcessInstanceId", ns()),
            ("calledCaseInstanceId", ns()),
            ("startTime", date()),
            ("endTime", ndate()),
            ("durationInMillis", nint()),
            ("canceled", boolean()),
            ("completeScope", boolean()),
            ("tenantId", ns()),
            ("removalTime", ndate()),
            ("rootProcessInstanceId", s()),
        ]),
    );
    let mut historic_variable = value_props();
    historic_variable.extend([
        ("id", s()),
        ("name", s()),
        ("processDefinitionKey", s()),
        ("processDefinitionId", s()),
        ("processInstanceId", s()),
        ("executionId", s()),
        ("activityInstanceId", s()),
        ("caseDefinitionKey", ns()),
        ("caseDefinitionId", ns()),
        ("caseInstanceId", ns()),
        ("caseExecutionId", ns()),
        ("taskId", ns()),
        ("tenantId", ns()),
        ("errorMessage", ns()),
        ("state", s()),
        ("createTime", date()),
        ("removalTime", ndate()),
        ("rootProcessInstanceId", s()),
    ]);
    add("HistoricVariableInstanceDto", obj(historic_variable));
    let mut variable = value_props();
    variable.extend([
        ("id", s()),
        ("name", s()),
        ("processDefinitionId", ns()),
        ("processInstanceId", s()),
        ("executionId", s()),
        ("caseInstanceId", ns()),
        ("caseExecutionId", ns()),
        ("taskId", ns()),
        ("batchId", ns()),
        ("activityInstanceId", s()),
        ("tenantId", ns()),
        ("errorMessage", ns()),
    ]);
    add("VariableInstanceDto", obj(variable));
    add(
        "IncidentDto",
        obj(vec![
            ("id", s()),
            ("processDefinitionId", ns()),
            ("processInstanceId", ns()),
            ("executionId", ns()),
            ("incidentTimestamp", date()),
            ("incidentType", s()),
            ("activityId", ns()),
            ("failedActivityId", ns()),
            ("causeIncidentId", s()),
            ("rootCauseIncidentId", s()),
            ("configuration", ns()),
            ("tenantId", ns()),
            ("incidentMessage", ns()),
            ("jobDefinitionId", ns()),
            ("annotation", ns()),
        ]),
    );
    add(
        "JobDto",
        obj(vec![
            ("id", s()),
            ("jobDefinitionId", ns()),
            ("dueDate", date()),
            ("processInstanceId", ns()),
            ("executionId", ns()),
            ("processDefinitionId", ns()),
            ("processDefinitionKey", ns()),
            ("retries", int()),
            ("exceptionMessage", ns()),
            ("failedActivityId", ns()),
            ("suspended", boolean()),
            ("priority", int()),
            ("tenantId", ns()),
            ("createTime", date()),
            ("batchId", ns()),
        ]),
    );
    add(
        "EventSubscriptionDto",
        obj(vec![
            ("id", s()),
            ("eventType", s()),
            ("eventName", ns()),
            ("executionId", ns()),
            ("processInstanceId", ns()),
            ("activityId", s()),
            ("createdDate", date()),
            ("tenantId", ns()),
        ]),
    );
    let incident_pair = obj(vec![("id", s()), ("activityId", ns())]);
    add(
        "ActivityInstanceDto",
        obj(vec![
            ("id", s()),
            ("parentActivityInstanceId", ns()),
            ("activityId", s()),
            ("activityType", s()),
            ("processInstanceId", s()),
            ("processDefinitionId", s()),
            ("childActivityInstances", arr(r("ActivityInstanceDto"))),
            ("childTransitionInstances", arr(r("TransitionInstanceDto"))),
            ("executionIds", arr(s())),
            ("activityName", ns()),
            ("name", ns()),
            ("incidentIds", arr(s())),
            ("incidents", arr(incident_pair)),
        ]),
    );
    add(
        "TransitionInstanceDto",
        obj(vec![
            ("id", s()),
            ("parentActivityInstanceId", s()),
            ("activityId", s()),
            ("activityName", ns()),
            ("activityType", s()),
            ("processInstanceId", s()),
            ("processDefinitionId", s()),
            ("executionId", s()),
            ("incidentIds", arr(s())),
            (
                "incidents",
                arr(obj(vec![("id", s()), ("activityId", ns())])),
            ),
        ]),
    );
    add(
        "IncidentStatisticsResultDto",
        obj(vec![("incidentType", s()), ("incidentCount", int())]),
    );
    add(
        "ActivityStatisticsResultDto",
        obj(vec![
            ("@class", s()),
            ("id", s()),
            ("instances", int()),
            ("failedJobs", int()),
            ("incidents", arr(r("IncidentStatisticsResultDto"))),
        ]),
    );
    add(
        "ProcessDefinitionStatisticsResultDto",
        obj(vec![
            ("@class", s()),
            ("id", s()),
            ("instances", int()),
            ("failedJobs", int()),
            ("definition", r("ProcessDefinitionDto")),
            ("incidents", arr(r("IncidentStatisticsResultDto"))),
        ]),
    );
    add(
        "TaskDto",
        obj(vec![
            ("id", s()),
            ("name", ns()),
            ("assignee", ns()),
            ("owner", ns()),
            ("created", date()),
            ("lastUpdated", ndate()),
            ("due", ndate()),
            ("followUp", ndate()),
            ("delegationState", ns()),
            ("description", ns()),
            ("executionId", s()),
            ("parentTaskId", ns()),
            ("priority", int()),
            ("processDefinitionId", s()),
            ("processInstanceId", s()),
            ("caseExecutionId", ns()),
            ("caseDefinitionId", ns()),
            ("caseInstanceId", ns()),
            ("taskDefinitionKey", s()),
            ("suspended", boolean()),
            ("formKey", ns()),
            ("camundaFormRef", ns()),
            ("tenantId", ns()),
            ("taskState", s()),
        ]),
    );
    add("ExecutionDto", obj(execution_props()));
    let mut correlation = obj(vec![
        (
            "resultType",
            json!({"type": "string", "enum": ["Execution", "ProcessDefinition"]}),
        ),
        ("execution", nullable(obj(execution_props()))),
        ("processInstance", nullable(obj(instance_props()))),
    ]);
    correlation["properties"]["variables"] = r("VariableMap");
    add("MessageCorrelationResultWithVariableDto", correlation);
    add("OpenApiDocument", json!({"type": "object"}));
    m
}

fn deployment_props() -> Vec<(&'static str, Json)> {
    vec![
        ("links", arr(r("LinkDto"))),
        ("id", s()),
        ("name", ns()),
        ("source", ns()),
        ("deploymentTime", ndate()),
        ("tenantId", ns()),
    ]
}

fn definition_props() -> Vec<(&'static str, Json)> {
    vec![
        ("id", s()),
        ("key", s()),
        ("category", ns()),
        ("description", ns()),
        ("name", ns()),
        ("version", int()),
        ("resource", s()),
        ("deploymentId", s()),
        ("diagram", ns()),
        ("suspended", boolean()),
        ("tenantId", ns()),
        ("versionTag", ns()),
        ("historyTimeToLive", nint()),
        ("startableInTasklist", boolean()),
    ]
}

fn instance_props() -> Vec<(&'static str, Json)> {
    vec![
        ("links", arr(r("LinkDto"))),
        ("id", s()),
        ("definitionId", s()),
        ("definitionKey", s()),
        ("businessKey", ns()),
        ("caseInstanceId", ns()),
        ("ended", boolean()),
        ("suspended", boolean()),
        ("tenantId", ns()),
    ]
}

fn execution_props() -> Vec<(&'static str, Json)> {
    vec![
        ("id", s()),
        ("processInstanceId", s()),
        ("ended", boolean()),
        ("tenantId", ns()),
    ]
}

fn external_task_props() -> Vec<(&'static str, Json)> {
    vec![
        ("activityId", s()),
        ("activityInstanceId", s()),
        ("errorMessage", ns()),
        ("executionId", s()),
        ("id", s()),
        ("lockExpirationTime", ndate()),
        ("createTime", date()),
        ("processDefinitionId", s()),
        ("processDefinitionKey", s()),
        ("processDefinitionVersionTag", ns()),
        ("processInstanceId", s()),
        ("tenantId", ns()),
        ("retries", nint()),
        ("suspended", boolean()),
        ("workerId", ns()),
        ("priority", int()),
        ("topicName", s()),
        ("businessKey", ns()),
    ]
}

fn value_props() -> Vec<(&'static str, Json)> {
    vec![
        ("type", s()),
        ("value", json!({"nullable": true})),
        ("valueInfo", json!({"type": "object"})),
    ]
}

// Request bodies.

fn variable_input() -> Json {
    input(vec![
        ("value", json!({"nullable": true})),
        ("type", opt(s())),
        ("valueInfo", opt(json!({"type": "object"}))),
    ])
}
fn variables_input() -> Json {
    opt(map_of(variable_input()))
}
fn modifications_input() -> Json {
    input(vec![
        ("modifications", variables_input()),
        ("deletions", opt(arr(s()))),
    ])
}
fn worker_input(extra: Vec<(&'static str, Json)>) -> Json {
    let mut props = vec![("workerId", opt(s()))];
    props.extend(extra);
    input(props)
}

// Parameters shared by several routes.

const DEPLOYMENT_SORT: &[&str] = &["id", "name", "deploymentTime", "tenantId"];
const DEFINITION_SORT: &[&str] = &[
    "category",
    "key",
    "id",
    "name",
    "version",
    "deploymentId",
    "tenantId",
    "versionTag",
];
const INSTANCE_SORT: &[&str] = &[
    "instanceId",
    "definitionKey",
    "definitionId",
    "tenantId",
    "businessKey",
];
const EXTERNAL_TASK_SORT: &[&str] = &[
    "id",
    "lockExpirationTime",
    "processInstanceId",
    "processDefinitionId",
    "processDefinitionKey",
    "tenantId",
    "taskPriority",
    "createTime",
];
const HISTORIC_INSTANCE_SORT: &[&str] = &[
    "instanceId",
    "definitionId",
    "definitionKey",
    "definitionName",
    "definitionVersion",
    "businessKey",
    "startTime",
    "endTime",
    "tenantId",
];
const HISTORIC_ACTIVITY_SORT: &[&str] = &[
    "activityInstanceId",
    "instanceId",
    "executionId",
    "activityId",
    "activityName",
    "activityType",
    "startTime",
    "endTime",
    "duration",
    "definitionId",
    "occurrence",
    "tenantId",
];
const HISTORIC_VARIABLE_SORT: &[&str] = &["instanceId", "variableName", "tenantId"];
const TASK_SORT: &[&str] = &[
    "instanceId",
    "processInstanceId",
    "dueDate",
    "followUpDate",
    "executionId",
    "assignee",
    "created",
    "lastUpdated",
    "description",
    "id",
    "name",
    "priority",
    "tenantId",
    "taskDefinitionKey",
];

fn deployment_filters() -> Vec<(&'static str, Json)> {
    vec![
        ("id", q_str()),
        ("name", q_str()),
        ("nameLike", q_str()),
        ("source", q_str()),
        ("withoutSource", q_bool()),
        ("tenantIdIn", q_list()),
        ("withoutTenantId", q_bool()),
        ("includeDeploymentsWithoutTenantId", q_bool()),
        ("after", q_date()),
        ("before", q_date()),
    ]
}

fn definition_filters() -> Vec<(&'static str, Json)> {
    let mut v: Vec<(&str, Json)> = [
        "processDefinitionId",
        "name",
        "deploymentId",
        "key",
        "category",
        "resourceName",
        "versionTag",
        "nameLike",
        "keyLike",
        "categoryLike",
        "resourceNameLike",
        "versionTagLike",
    ]
    .into_iter()
    .map(|n| (n, q_str()))
    .collect();
    v.extend(
        ["processDefinitionIdIn", "keysIn", "keyIn", "tenantIdIn"]
            .into_iter()
            .map(|n| (n, q_list())),
    );
    v.push(("version", q_int()));
    v.extend(
        [
            "latestVersion",
            "active",
            "suspended",
            "withoutVersionTag",
            "startableInTasklist",
            "notStartableInTasklist",
            "includeProcessDefinitionsWithoutTenantId",
            "withoutTenantId",
        ]
        .into_iter()
        .map(|n| (n, q_bool())),
    );
    v
}

fn instance_filters() -> Vec<(&'static str, Json)> {
    let mut v: Vec<(&str, Json)> = [
        "businessKey",
        "businessKeyLike",
        "processDefinitionId",
        "processDefinitionKey",
        "superProcessInstance",
        "subProcessInstance",
        "variables",
    ]
    .into_iter()
    .map(|n| (n, q_str()))
    .collect();
    v.extend(
        [
            "processInstanceIds",
            "processDefinitionKeyIn",
            "processDefinitionKeyNotIn",
            "tenantIdIn",
            "activityIdIn",
        ]
        .into_iter()
        .map(|n| (n, q_list())),
    );
    v.extend(
        [
            "active",
            "suspended",
            "withoutTenantId",
            "rootProcessInstances",
            "withIncident",
            "variableNamesIgnoreCase",
            "variableValuesIgnoreCase",
        ]
        .into_iter()
        .map(|n| (n, q_bool())),
    );
    v
}

fn instance_query_body() -> Json {
    let mut props: Vec<(&str, Json)> = instance_filters()
        .into_iter()
        .filter(|(n, _)| *n != "variables")
        .map(|(n, schema)| {
            let schema = if is_list(&schema) {
                opt(arr(s()))
            } else {
                opt(schema)
            };
            (n, schema)
        })
        .collect();
    props.push((
        "variables",
        opt(arr(input(vec![
            ("name", s()),
            ("operator", s()),
            ("value", json!({"nullable": true})),
        ]))),
    ));
    props.push((
        "sorting",
        opt(arr(input(vec![("sortBy", s()), ("sortOrder", s())]))),
    ));
    input(props)
}

fn external_task_filters() -> Vec<(&'static str, Json)> {
    let mut v: Vec<(&str, Json)> = [
        "externalTaskId",
        "topicName",
        "workerId",
        "executionId",
        "processInstanceId",
        "processDefinitionId",
        "activityId",
    ]
    .into_iter()
    .map(|n| (n, q_str()))
    .collect();
    v.extend(
        [
            "externalTaskIdIn",
            "activityIdIn",
            "processInstanceIdIn",
            "tenantIdIn",
        ]
        .into_iter()
        .map(|n| (n, q_list())),
    );
    v.extend(
        [
            "locked",
            "notLocked",
            "withRetriesLeft",
            "noRetriesLeft",
            "active",
            "suspended",
        ]
        .into_iter()
        .map(|n| (n, q_bool())),
    );
    v.extend([
        ("lockExpirationAfter", q_date()),
        ("lockExpirationBefore", q_date()),
        ("priorityHigherThanOrEquals", q_int()),
        ("priorityLowerThanOrEquals", q_int()),
    ]);
    v
}

fn historic_instance_filters() -> Vec<(&'static str, Json)> {
    let mut v: Vec<(&str, Json)> = [
        "processInstanceId",
        "processDefinitionId",
        "processDefinitionKey",
        "processInstanceBusinessKey",
        "processInstanceBusinessKeyLike",
        "processDefinitionName",
        "superProcessInstanceId",
        "rootProcessInstanceId",
        "state",
        "variables",
    ]
    .into_iter()
    .map(|n| (n, q_str()))
    .collect();
    v.extend(
        ["processInstanceIds", "processDefinitionKeyIn", "tenantIdIn"]
            .into_iter()
            .map(|n| (n, q_list())),
    );
    v.extend(
        [
            "finished",
            "unfinished",
            "active",
            "suspended",
            "completed",
            "externallyTerminated",
            "internallyTerminated",
            "withoutTenantId",
        ]
        .into_iter()
        .map(|n| (n, q_bool())),
    );
    v.extend(
        [
            "startedBefore",
            "startedAfter",
            "finishedBefore",
            "finishedAfter",
        ]
        .into_iter()
        .map(|n| (n, q_date())),
    );
    v
}

fn historic_activity_filters() -> Vec<(&'static str, Json)> {
    let mut v: Vec<(&str, Json)> = [
        "activityInstanceId",
        "processInstanceId",
        "processDefinitionId",
        "executionId",
        "activityId",
        "activityName",
        "activityType",
        "taskAssignee",
    ]
    .into_iter()
    .map(|n| (n, q_str()))
    .collect();
    v.extend(
        ["tenantIdIn", "activityInstanceIdIn"]
            .into_iter()
            .map(|n| (n, q_list())),
    );
    v.extend(
        ["finished", "unfinished", "canceled"]
            .into_iter()
            .map(|n| (n, q_bool())),
    );
    v.extend(
        [
            "startedBefore",
            "startedAfter",
            "finishedBefore",
            "finishedAfter",
        ]
        .into_iter()
        .map(|n| (n, q_date())),
    );
    v
}

fn historic_variable_filters() -> Vec<(&'static str, Json)> {
    let mut v: Vec<(&str, Json)> = [
        "variableName",
        "variableNameLike",
        "processInstanceId",
        "processDefinitionId",
        "processDefinitionKey",
    ]
    .into_iter()
    .map(|n| (n, q_str()))
    .collect();
    v.extend(
        [
            "processInstanceIdIn",
            "executionIdIn",
            "tenantIdIn",
            "variableNameIn",
            "variableTypeIn",
        ]
        .into_iter()
        .map(|n| (n, q_list())),
    );
    v.push(("includeDeleted", q_bool()));
    v
}

fn job_filters() -> Vec<(&'static str, Json)> {
    let mut v: Vec<(&str, Json)> = [
        "jobId",
        "jobDefinitionId",
        "processInstanceId",
        "executionId",
        "processDefinitionId",
        "processDefinitionKey",
        "activityId",
        "exceptionMessage",
        "failedActivityId",
    ]
    .into_iter()
    .map(|n| (n, q_str()))
    .collect();
    v.extend(
        ["jobIds", "processInstanceIds", "tenantIdIn"]
            .into_iter()
            .map(|n| (n, q_list())),
    );
    v.extend(
        [
            "timers",
            "messages",
            "withRetriesLeft",
            "noRetriesLeft",
            "executable",
            "withException",
            "active",
            "suspended",
            "withoutTenantId",
            "includeJobsWithoutTenantId",
        ]
        .into_iter()
        .map(|n| (n, q_bool())),
    );
    v.extend([
        (
            "dueDates",
            json!({"type": "string", "description": "gt_<date>,lt_<date>"}),
        ),
        (
            "createTimes",
            json!({"type": "string", "description": "gt_<date>,lt_<date>"}),
        ),
        ("priorityHigherThanOrEquals", q_int()),
        ("priorityLowerThanOrEquals", q_int()),
    ]);
    v
}

fn incident_filters() -> Vec<(&'static str, Json)> {
    let mut v: Vec<(&str, Json)> = [
        "incidentId",
        "incidentType",
        "incidentMessage",
        "incidentMessageLike",
        "processDefinitionId",
        "processInstanceId",
        "executionId",
        "activityId",
        "failedActivityId",
        "causeIncidentId",
        "rootCauseIncidentId",
        "configuration",
    ]
    .into_iter()
    .map(|n| (n, q_str()))
    .collect();
    v.extend(
        ["processDefinitionKeyIn", "tenantIdIn", "jobDefinitionIdIn"]
            .into_iter()
            .map(|n| (n, q_list())),
    );
    v.extend([
        ("incidentTimestampBefore", q_date()),
        ("incidentTimestampAfter", q_date()),
    ]);
    v
}

fn subscription_filters() -> Vec<(&'static str, Json)> {
    let mut v: Vec<(&str, Json)> = [
        "eventSubscriptionId",
        "eventName",
        "eventType",
        "executionId",
        "processInstanceId",
        "activityId",
    ]
    .into_iter()
    .map(|n| (n, q_str()))
    .collect();
    v.push(("tenantIdIn", q_list()));
    v.extend(
        [
            "withoutTenantId",
            "includeEventSubscriptionsWithoutTenantId",
        ]
        .into_iter()
        .map(|n| (n, q_bool())),
    );
    v
}

fn variable_instance_filters() -> Vec<(&'static str, Json)> {
    let mut v: Vec<(&str, Json)> = [("variableName", q_str()), ("variableNameLike", q_str())]
        .into_iter()
        .collect();
    v.extend(
        [
            "processInstanceIdIn",
            "executionIdIn",
            "activityInstanceIdIn",
            "variableScopeIdIn",
            "taskIdIn",
            "caseInstanceIdIn",
            "caseExecutionIdIn",
            "batchIdIn",
            "tenantIdIn",
        ]
        .into_iter()
        .map(|n| (n, q_list())),
    );
    v.extend([
        (
            "variableValues",
            json!({"type": "string", "description": "name_op_value[,…]"}),
        ),
        ("variableNamesIgnoreCase", q_bool()),
        ("variableValuesIgnoreCase", q_bool()),
    ]);
    v
}

fn task_filters() -> Vec<(&'static str, Json)> {
    let mut v: Vec<(&str, Json)> = [
        "taskId",
        "processInstanceId",
        "processInstanceBusinessKey",
        "processDefinitionId",
        "processDefinitionKey",
        "taskDefinitionKey",
        "executionId",
        "assignee",
        "owner",
        "name",
        "description",
        "nameLike",
        "assigneeLike",
        "descriptionLike",
        "processInstanceBusinessKeyLike",
        "taskDefinitionKeyLike",
        "candidateUser",
        "candidateGroup",
        "processVariables",
    ]
    .into_iter()
    .map(|n| (n, q_str()))
    .collect();
    v.extend(
        [
            "taskIdIn",
            "processInstanceIdIn",
            "processInstanceBusinessKeyIn",
            "processDefinitionKeyIn",
            "taskDefinitionKeyIn",
            "assigneeIn",
            "assigneeNotIn",
            "tenantIdIn",
            "candidateGroups",
        ]
        .into_iter()
        .map(|n| (n, q_list())),
    );
    v.extend(
        [
            "unassigned",
            "assigned",
            "active",
            "suspended",
            "withoutTenantId",
            "withoutDueDate",
            "includeAssignedTasks",
            "withCandidateUsers",
            "variableNamesIgnoreCase",
            "variableValuesIgnoreCase",
        ]
        .into_iter()
        .map(|n| (n, q_bool())),
    );
    v.extend(
        ["priority", "maxPriority", "minPriority"]
            .into_iter()
            .map(|n| (n, q_int())),
    );
    v.extend(
        [
            "dueBefore",
            "dueAfter",
            "dueDate",
            "followUpBefore",
            "followUpAfter",
            "createdBefore",
            "createdAfter",
            "createdOn",
        ]
        .into_iter()
        .map(|n| (n, q_date())),
    );
    v
}

fn task_query_body() -> Json {
    let props: Vec<(&str, Json)> = task_filters()
        .into_iter()
        .filter(|(n, _)| *n != "processVariables")
        .map(|(n, schema)| {
            let schema = if is_list(&schema) {
                opt(arr(s()))
            } else {
                opt(schema)
            };
            (n, schema)
        })
        .chain([
            (
                "processVariables",
                opt(arr(input(vec![
                    ("name", s()),
                    ("operator", s()),
                    ("value", json!({"nullable": true})),
                ]))),
            ),
            (
                "sorting",
                opt(arr(input(vec![("sortBy", s()), ("sortOrder", s())]))),
            ),
        ])
        .collect();
    input(props)
}

fn with<T>(mut a: Vec<T>, b: Vec<T>) -> Vec<T> {
    a.extend(b);
    a
}

/// Every route procos serves under `/engine-rest` (and `/engine-rest/engine/default`).
pub fn operations() -> Vec<Operation> {
    let list = |schema: &str| arr(r(schema));
    let count = r("CountResultDto");
    let mut ops = vec![
        // Engine.
        op(
            "get",
            "/engine",
            "Engine",
            "The engines: [{name: default}].",
        )
        .ok(list("ProcessEngineDto")),
        op(
            "get",
            "/version",
            "Engine",
            "The Camunda version procos answers as.",
        )
        .ok(r("VersionDto")),
        op("get", "/openapi.json", "Engine", "This document.").ok(r("OpenApiDocument")),
        // Deployments.
        op(
            "post",
            "/deployment/create",
            "Deployment",
            "Deploys BPMN files (multipart form).",
        )
        .body_as(
            "multipart/form-data",
            json!({
                "type": "object",
                "properties": {
                    "deployment-name": {"type": "string"},
                    "deployment-source": {"type": "string"},
                    "tenant-id": {"type": "string"},
                    "enable-duplicate-filtering": {"type": "string"},
                    "deploy-changed-only": {"type": "string"},
                    "data": {"type": "string", "format": "binary"},
                },
            }),
        )
        .ok(r("DeploymentWithDefinitionsDto"))
        .errors(&[400, 500]),
        op("get", "/deployment", "Deployment", "Lists deployments.")
            .params(with(
                deployment_filters(),
                with(sorting(DEPLOYMENT_SORT), paging()),
            ))
            .ok(list("DeploymentDto"))
            .errors(&[400, 500]),
        op(
            "get",
            "/deployment/count",
            "Deployment",
            "Counts deployments.",
        )
        .params(deployment_filters())
        .ok(count.clone())
        .errors(&[400, 500]),
        op("get", "/deployment/{id}", "Deployment", "One deployment.")
            .ok(r("DeploymentDto"))
            .errors(&[404, 500]),
        op(
            "delete",
            "/deployment/{id}",
            "Deployment",
            "Deletes a deployment.",
        )
        .params(vec![
            ("cascade", q_bool()),
            ("skipCustomListeners", q_bool()),
            ("skipIoMappings", q_bool()),
        ])
        .no_content()
        .errors(&[400, 404, 500]),
        op(
            "get",
            "/deployment/{id}/resources",
            "Deployment",
            "The resources of a deployment.",
        )
        .ok(list("DeploymentResourceDto"))
        .errors(&[404, 500]),
        op(
            "get",
            "/deployment/{id}/resources/{name}/data",
            "Deployment",
            "A resource's content.",
        )
        .ok_as(
            "application/octet-stream",
            json!({"type": "string", "format": "binary"}),
        )
        .errors(&[404, 500]),
    ];

    // Process definitions.
    let start_body = input(vec![
        ("businessKey", opt(s())),
        ("variables", variables_input()),
        ("caseInstanceId", opt(s())),
        (
            "startInstructions",
            opt(arr(input(vec![
                ("type", opt(s())),
                ("activityId", opt(s())),
            ]))),
        ),
        ("skipCustomListeners", opt(boolean())),
        ("skipIoMappings", opt(boolean())),
        ("withVariablesInReturn", opt(boolean())),
    ]);
    ops.extend([
        op(
            "get",
            "/process-definition",
            "Process definition",
            "Lists process definitions.",
        )
        .params(with(
            definition_filters(),
            with(sorting(DEFINITION_SORT), paging()),
        ))
        .ok(list("ProcessDefinitionDto"))
        .errors(&[400, 500]),
        op(
            "get",
            "/process-definition/count",
            "Process definition",
            "Counts process definitions.",
        )
        .params(definition_filters())
        .ok(count.clone())
        .errors(&[400, 500]),
    ]);
    ops.extend([
        op(
            "get",
            "/process-definition/{id}",
            "Process definition",
            "One definition by id.",
        )
        .ok(r("ProcessDefinitionDto"))
        .errors(&[404, 500]),
        op(
            "get",
            "/process-definition/{id}/xml",
            "Process definition",
            "The BPMN XML.",
        )
        .ok(r("ProcessDefinitionDiagramDto"))
        .errors(&[404, 500]),
        op(
            "post",
            "/process-definition/{id}/start",
            "Process definition",
            "Starts an instance (an unknown id is a 500, as in Camunda).",
        )
        .body(start_body.clone())
        .ok(r("ProcessInstanceWithVariablesDto"))
        .errors(&[400, 413, 500]),
        op(
            "get",
            "/process-definition/key/{key}",
            "Process definition",
            "The latest version of a key.",
        )
        .ok(r("ProcessDefinitionDto"))
        .errors(&[404, 500]),
        op(
            "get",
            "/process-definition/key/{key}/xml",
            "Process definition",
            "The BPMN XML of the latest version.",
        )
        .ok(r("ProcessDefinitionDiagramDto"))
        .errors(&[404, 500]),
        op(
            "post",
            "/process-definition/key/{key}/start",
            "Process definition",
            "Starts the latest version.",
        )
        .body(start_body.clone())
        .ok(r("ProcessInstanceWithVariablesDto"))
        .errors(&[400, 404, 413, 500]),
        op(
            "get",
            "/process-definition/key/{key}/tenant-id/{tenant}",
            "Process definition",
            "The latest version of a key for a tenant.",
        )
        .ok(r("ProcessDefinitionDto"))
        .errors(&[404, 500]),
        op(
            "get",
            "/process-definition/key/{key}/tenant-id/{tenant}/xml",
            "Process definition",
            "The BPMN XML of the latest version for a tenant.",
        )
        .ok(r("ProcessDefinitionDiagramDto"))
        .errors(&[404, 500]),
        op(
            "post",
            "/process-definition/key/{key}/tenant-id/{tenant}/start",
            "Process definition",
            "Starts the latest version for a tenant.",
        )
        .body(start_body)
        .ok(r("ProcessInstanceWithVariablesDto"))
        .errors(&[400, 404, 413, 500]),
    ]);

    // Statistics.
    let incident_flags = vec![
        ("failedJobs", q_bool()),
        ("incidents", q_bool()),
        ("incidentsForType", q_str()),
    ];
    ops.extend([
        op(
            "get",
            "/process-definition/statistics",
            "Process definition",
            "Instances, failed jobs and incidents per definition.",
        )
        .params(with(
            incident_flags.clone(),
            vec![("rootIncidents", q_bool())],
        ))
        .ok(list("ProcessDefinitionStatisticsResultDto"))
        .errors(&[400, 500]),
        op(
            "get",
            "/process-definition/{id}/statistics",
            "Process definition",
            "Running instances, failed jobs and incidents per activity (an unknown id has none).",
        )
        .params(incident_flags)
        .ok(list("ActivityStatisticsResultDto"))
        .errors(&[400, 500]),
    ]);

    // Suspension.
    let definition_suspension = input(vec![
        ("suspended", opt(boolean())),
        ("includeProcessInstances", opt(boolean())),
        (
            "executionDate",
            opt(json!({"type": "string", "description": "null, or a date not in the future"})),
        ),
    ]);
    ops.extend([
        op(
            "put",
            "/process-instance/{id}/suspended",
            "Process instance",
            "Suspends or activates an instance (an unknown id changes nothing).",
        )
        .body(input(vec![("suspended", opt(boolean()))]))
        .no_content()
        .errors(&[400, 413, 500]),
        op(
            "put",
            "/process-definition/{id}/suspended",
            "Process definition",
            "Suspends or activates a definition (an unknown id changes nothing).",
        )
        .body(definition_suspension.clone())
        .no_content()
        .errors(&[400, 413, 500]),
        op(
            "put",
            "/process-definition/key/{key}/suspended",
            "Process definition",
            "Suspends or activates the latest version of a key.",
        )
        .body(definition_suspension.clone())
        .no_content()
        .errors(&[400, 404, 413, 500]),
        op(
            "put",
            "/process-definition/key/{key}/tenant-id/{tenant}/suspended",
            "Process definition",
            "Suspends or activates the latest version of a key for a tenant.",
        )
        .body(definition_suspension)
        .no_content()
        .errors(&[400, 404, 413, 500]),
    ]);

    // Process instances.
    let instance_list_params = with(instance_filters(), with(sorting(INSTANCE_SORT), paging()));
    ops.extend([
        op(
            "get",
            "/process-instance",
            "Process instance",
            "Lists running instances.",
        )
        .params(instance_list_params)
        .ok(list("ProcessInstanceDto"))
        .errors(&[400, 500]),
        op(
            "post",
            "/process-instance",
            "Process instance",
            "Lists running instances (query in the body).",
        )
        .params(paging())
        .body(instance_query_body())
        .ok(list("ProcessInstanceDto"))
        .errors(&[400, 413, 500]),
        op(
            "get",
            "/process-instance/count",
            "Process instance",
            "Counts running instances.",
        )
        .params(instance_filters())
        .ok(count.clone())
        .errors(&[400, 500]),
        op(
            "post",
            "/process-instance/count",
            "Process instance",
            "Counts running instances (query in the body).",
        )
        .body(instance_query_body())
        .ok(count.clone())
        .errors(&[400, 413, 500]),
        op(
            "get",
            "/process-instance/{id}",
            "Process instance",
            "One running instance.",
        )
        .ok(r("ProcessInstanceDto"))
        .errors(&[404, 500]),
        op(
            "delete",
            "/process-instance/{id}",
            "Process instance",
            "Cancels an instance.",
        )
        .params(vec![
            ("skipCustomListeners", q_bool()),
            ("skipIoMappings", q_bool()),
            ("skipSubprocesses", q_bool()),
            ("failIfNotExists", q_bool()),
        ])
        .no_content()
        .errors(&[400, 404, 500]),
        op(
            "get",
            "/process-instance/{id}/activity-instances",
            "Process instance",
            "The activity instance tree.",
        )
        .ok(r("ActivityInstanceDto"))
        .errors(&[404, 500]),
    ]);

    // Variables of instances, executions and tasks. An unknown task is a 404; an
    // unknown instance or execution is a 500, as in Camunda (AbstractVariablesResource).
    for (prefix, tag, what, binary) in [
        (
            "/process-instance/{id}/variables",
            "Process instance",
            "process instance",
            true,
        ),
        (
            "/execution/{id}/localVariables",
            "Execution",
            "execution",
            true,
        ),
        ("/task/{id}/variables", "Task", "task", false),
        ("/task/{id}/localVariables", "Task", "task (local)", false),
    ] {
        let scope_errors: &[u16] = if tag == "Task" {
            &[400, 404, 500]
        } else {
            &[400, 500]
        };
        let body_errors: &[u16] = if tag == "Task" {
            &[400, 404, 413, 500]
        } else {
            &[400, 413, 500]
        };
        let one = format!("{prefix}/{{name}}");
        ops.extend([
            op("get", prefix, tag, format!("The variables of a {what}."))
                .params(vec![("deserializeValues", q_bool())])
                .ok(r("VariableMap"))
                .errors(scope_errors),
            op(
                "post",
                prefix,
                tag,
                format!("Sets and removes variables of a {what}."),
            )
            .body(modifications_input())
            .no_content()
            .errors(body_errors),
            op(
                "get",
                one.clone(),
                tag,
                format!("One variable of a {what}."),
            )
            .params(vec![("deserializeValue", q_bool())])
            .ok(r("VariableValueDto"))
            .errors(&[400, 404, 500]),
            op(
                "put",
                one.clone(),
                tag,
                format!("Sets one variable of a {what}."),
            )
            .body(variable_input())
            .no_content()
            .errors(body_errors),
            op(
                "delete",
                one.clone(),
                tag,
                format!("Removes one variable of a {what}."),
            )
            .no_content()
            .errors(scope_errors),
        ]);
        if binary {
            ops.push(
                op(
                    "get",
                    format!("{one}/data"),
                    tag,
                    format!("The binary content of a {what} variable."),
                )
                .ok_as("*/*", json!({"type": "string", "format": "binary"}))
                .errors(&[400, 404, 500]),
            );
        }
    }

    // External tasks.
    let fetch_body = input(vec![
        ("workerId", opt(s())),
        ("maxTasks", opt(int())),
        ("usePriority", opt(boolean())),
        (
            "asyncResponseTimeout",
            opt(json!({"type": "integer", "format": "int64", "maximum": 1_800_000})),
        ),
        (
            "sorting",
            opt(arr(input(vec![("sortBy", s()), ("sortOrder", s())]))),
        ),
        (
            "topics",
            opt(arr(input(vec![
                ("topicName", opt(s())),
                ("lockDuration", opt(int())),
                ("variables", opt(arr(s()))),
                ("localVariables", opt(boolean())),
                ("deserializeValues", opt(boolean())),
                ("includeExtensionProperties", opt(boolean())),
                ("businessKey", opt(s())),
                ("processDefinitionId", opt(s())),
                ("processDefinitionIdIn", opt(arr(s()))),
                ("processDefinitionKey", opt(s())),
                ("processDefinitionKeyIn", opt(arr(s()))),
                ("processDefinitionVersionTag", opt(s())),
                ("tenantIdIn", opt(arr(s()))),
                ("withoutTenantId", opt(boolean())),
                ("processVariables", opt(json!({"type": "object"}))),
            ]))),
        ),
    ]);
    ops.extend([
        op(
            "post",
            "/external-task/fetchAndLock",
            "External task",
            "Fetches and locks tasks, with long polling.",
        )
        .body(fetch_body)
        .ok(list("LockedExternalTaskDto"))
        .errors(&[400, 413, 500]),
        op(
            "get",
            "/external-task",
            "External task",
            "Lists external tasks.",
        )
        .params(with(
            external_task_filters(),
            with(sorting(EXTERNAL_TASK_SORT), paging()),
        ))
        .ok(list("ExternalTaskDto"))
        .errors(&[400, 500]),
        op(
            "get",
            "/external-task/count",
            "External task",
            "Counts external tasks.",
        )
        .params(external_task_filters())
        .ok(count.clone())
        .errors(&[400, 500]),
        op(
            "get",
            "/external-task/{id}",
            "External task",
            "One external task.",
        )
        .ok(r("ExternalTaskDto"))
        .errors(&[404, 500]),
        op(
            "post",
            "/external-task/{id}/complete",
            "External task",
            "Completes a task.",
        )
        .body(worker_input(vec![
            ("variables", variables_input()),
            ("localVariables", variables_input()),
        ]))
        .no_content()
        .errors(&[400, 404, 413, 500]),
        op(
            "post",
            "/external-task/{id}/failure",
            "External task",
            "Reports a failure.",
        )
        .body(worker_input(vec![
            ("errorMessage", opt(s())),
            ("errorDetails", opt(s())),
            ("retries", opt(int())),
            ("retryTimeout", opt(int())),
            ("variables", variables_input()),
            ("localVariables", variables_input()),
        ]))
        .no_content()
        .errors(&[400, 404, 413, 500]),
        op(
            "post",
            "/external-task/{id}/bpmnError",
            "External task",
            "Throws a BPMN error.",
        )
        .body(worker_input(vec![
            ("errorCode", opt(s())),
            ("errorMessage", opt(s())),
            ("variables", variables_input()),
        ]))
        .no_content()
        .errors(&[400, 404, 413, 500]),
        op(
            "post",
            "/external-task/{id}/extendLock",
            "External task",
            "Extends a lock.",
        )
        .body(worker_input(vec![("newDuration", opt(int()))]))
        .no_content()
        .errors(&[400, 404, 413, 500]),
        op(
            "post",
            "/external-task/{id}/lock",
            "External task",
            "Locks a task.",
        )
        .body(worker_input(vec![("lockDuration", opt(int()))]))
        .no_content()
        .errors(&[400, 404, 413, 500]),
        op(
            "post",
            "/external-task/{id}/unlock",
            "External task",
            "Unlocks a task.",
        )
        .no_content()
        .errors(&[400, 404, 500]),
        op(
            "put",
            "/external-task/{id}/retries",
            "External task",
            "Sets the retries.",
        )
        .body(input(vec![("retries", opt(int()))]))
        .no_content()
        .errors(&[400, 404, 413, 500]),
        op(
            "put",
            "/external-task/{id}/priority",
            "External task",
            "Sets the priority.",
        )
        .body(input(vec![("priority", opt(int()))]))
        .no_content()
        .errors(&[400, 404, 413, 500]),
        op(
            "get",
            "/external-task/{id}/errorDetails",
            "External task",
            "The last failure's details (204 when none).",
        )
        .ok_as("text/plain", s())
        .no_content()
        .errors(&[500]),
    ]);

    // History.
    ops.extend([
        op(
            "get",
            "/history/process-instance",
            "History",
            "Lists historic process instances.",
        )
        .params(with(
            historic_instance_filters(),
            with(sorting(HISTORIC_INSTANCE_SORT), paging()),
        ))
        .ok(list("HistoricProcessInstanceDto"))
        .errors(&[400, 500]),
        op(
            "get",
            "/history/process-instance/count",
            "History",
            "Counts historic process instances.",
        )
        .params(historic_instance_filters())
        .ok(count.clone())
        .errors(&[400, 500]),
        op(
            "get",
            "/history/process-instance/{id}",
            "History",
            "One historic process instance.",
        )
        .ok(r("HistoricProcessInstanceDto"))
        .errors(&[404, 500]),
        op(
            "get",
            "/history/activity-instance",
            "History",
            "Lists historic activity instances.",
        )
        .params(with(
            historic_activity_filters(),
            with(sorting(HISTORIC_ACTIVITY_SORT), paging()),
        ))
        .ok(list("HistoricActivityInstanceDto"))
        .errors(&[400, 500]),
        op(
            "get",
            "/history/activity-instance/count",
            "History",
            "Counts historic activity instances.",
        )
        .params(historic_activity_filters())
        .ok(count.clone())
        .errors(&[400, 500]),
        op(
            "get",
            "/history/variable-instance",
            "History",
            "Lists historic variables.",
        )
        .params(with(
            historic_variable_filters(),
            with(
                with(sorting(HISTORIC_VARIABLE_SORT), paging()),
                vec![("deserializeValues", q_bool())],
            ),
        ))
        .ok(list("HistoricVariableInstanceDto"))
        .errors(&[400, 500]),
        op(
            "get",
            "/history/variable-instance/count",
            "History",
            "Counts historic variables.",
        )
        .params(historic_variable_filters())
        .ok(count.clone())
        .errors(&[400, 500]),
        op(
            "post",
            "/history/cleanup",
            "History",
            "Removes, at once, the history of finished instances whose historyTimeToLive has passed.",
        )
        .ok(r("JobDto"))
        .errors(&[500]),
    ]);

    // Jobs, incidents, subscriptions, runtime variables.
    let job_sort = names(super::job::SORT);
    let incident_sort = names(super::incident::SORT);
    let subscription_sort = names(super::event_subscription::SORT);
    let variable_sort = names(super::variable_instance::SORT);
    ops.extend([
        op(
            "get",
            "/job",
            "Job",
            "Lists jobs (timers and asynchronous continuations).",
        )
        .params(with(job_filters(), with(sorting(&job_sort), paging())))
        .ok(list("JobDto"))
        .errors(&[400, 500]),
        op("get", "/job/count", "Job", "Counts jobs.")
            .params(job_filters())
            .ok(count.clone())
            .errors(&[400, 500]),
        op("get", "/job/{id}", "Job", "One job.")
            .ok(r("JobDto"))
            .errors(&[404, 500]),
        op(
            "put",
            "/job/{id}/retries",
            "Job",
            "Sets a job's retries (an unknown job is a 500, as in Camunda).",
        )
        .body(input(vec![("retries", opt(int())), ("dueDate", opt(s()))]))
        .no_content()
        .errors(&[400, 413, 500]),
        op(
            "post",
            "/job/{id}/execute",
            "Job",
            "Runs a job now (unknown or failing: 404, as in Camunda).",
        )
        .no_content()
        .errors(&[404, 500]),
        op(
            "put",
            "/job/{id}/duedate",
            "Job",
            "Moves a job's due date (an unknown job is a 500, as in Camunda).",
        )
        .body(input(vec![
            ("duedate", opt(s())),
            ("cascade", opt(boolean())),
        ]))
        .no_content()
        .errors(&[400, 413, 500]),
        op("get", "/incident", "Incident", "Lists incidents.")
            .params(with(
                incident_filters(),
                with(sorting(&incident_sort), paging()),
            ))
            .ok(list("IncidentDto"))
            .errors(&[400, 500]),
        op("get", "/incident/count", "Incident", "Counts incidents.")
            .params(incident_filters())
            .ok(count.clone())
            .errors(&[400, 500]),
        op(
            "get",
            "/event-subscription",
            "Event subscription",
            "Lists message and signal subscriptions.",
        )
        .params(with(
            subscription_filters(),
            with(sorting(&subscription_sort), paging()),
        ))
        .ok(list("EventSubscriptionDto"))
        .errors(&[400, 500]),
        op(
            "get",
            "/event-subscription/count",
            "Event subscription",
            "Counts subscriptions.",
        )
        .params(subscription_filters())
        .ok(count.clone())
        .errors(&[400, 500]),
        op(
            "get",
            "/variable-instance",
            "Variable instance",
            "Lists runtime variables.",
        )
        .params(with(
            variable_instance_filters(),
            with(
                with(sorting(&variable_sort), paging()),
                vec![("deserializeValues", q_bool())],
            ),
        ))
        .ok(list("VariableInstanceDto"))
        .errors(&[400, 500]),
        op(
            "get",
            "/variable-instance/count",
            "Variable instance",
            "Counts runtime variables.",
        )
        .params(variable_instance_filters())
        .ok(count.clone())
        .errors(&[400, 500]),
        op(
            "get",
            "/variable-instance/{id}",
            "Variable instance",
            "One runtime variable.",
        )
        .params(vec![("deserializeValue", q_bool())])
        .ok(r("VariableInstanceDto"))
        .errors(&[400, 404, 500]),
        op(
            "get",
            "/variable-instance/{id}/data",
            "Variable instance",
            "The binary content of a variable.",
        )
        .ok_as("*/*", json!({"type": "string", "format": "binary"}))
        .errors(&[400, 404, 500]),
    ]);

    // User tasks.
    let task_list_params = with(task_filters(), with(sorting(TASK_SORT), paging()));
    let complete_body = input(vec![
        ("variables", variables_input()),
        ("withVariablesInReturn", opt(boolean())),
    ]);
    let user_body = input(vec![("userId", opt(s()))]);
    ops.extend([
        op("get", "/task", "Task", "Lists user tasks.")
            .params(task_list_params)
            .ok(list("TaskDto"))
            .errors(&[400, 500]),
        op(
            "post",
            "/task",
            "Task",
            "Lists user tasks (query in the body).",
        )
        .params(paging())
        .body(task_query_body())
        .ok(list("TaskDto"))
        .errors(&[400, 413, 500]),
        op("get", "/task/count", "Task", "Counts user tasks.")
            .params(task_filters())
            .ok(count.clone())
            .errors(&[400, 500]),
        op(
            "post",
            "/task/count",
            "Task",
            "Counts user tasks (query in the body).",
        )
        .body(task_query_body())
        .ok(count.clone())
        .errors(&[400, 413, 500]),
        op("get", "/task/{id}", "Task", "One user task.")
            .ok(r("TaskDto"))
            .errors(&[404, 500]),
        op(
            "post",
            "/task/{id}/claim",
            "Task",
            "Claims a task (a conflict or an unknown task is a 500, as in Camunda).",
        )
        .body(user_body.clone())
        .no_content()
        .errors(&[400, 413, 500]),
        op("post", "/task/{id}/unclaim", "Task", "Unclaims a task.")
            .no_content()
            .errors(&[400, 500]),
        op("post", "/task/{id}/assignee", "Task", "Sets the assignee.")
            .body(user_body)
            .no_content()
            .errors(&[400, 413, 500]),
        op(
            "post",
            "/task/{id}/complete",
            "Task",
            "Completes a task (200 with the variables when asked).",
        )
        .body(complete_body.clone())
        .ok(r("VariableMap"))
        .no_content()
        .errors(&[400, 413, 500]),
        op(
            "post",
            "/task/{id}/submit-form",
            "Task",
            "Completes a task with form variables.",
        )
        .body(complete_body)
        .ok(r("VariableMap"))
        .no_content()
        .errors(&[400, 413, 500]),
        op(
            "get",
            "/task/{id}/form-variables",
            "Task",
            "Form field defaults and visible variables.",
        )
        .params(vec![
            ("variableNames", q_list()),
            ("deserializeValues", q_bool()),
        ])
        .ok(r("VariableMap"))
        .errors(&[400, 500]),
    ]);

    // Messages, signals, executions.
    ops.extend([
        op(
            "post",
            "/message",
            "Message",
            "Correlates a message (200 with results when resultEnabled, else 204).",
        )
        .body(input(vec![
            ("messageName", opt(s())),
            ("businessKey", opt(s())),
            ("tenantId", opt(s())),
            ("withoutTenantId", opt(boolean())),
            ("processInstanceId", opt(s())),
            ("correlationKeys", variables_input()),
            ("localCorrelationKeys", variables_input()),
            ("processVariables", variables_input()),
            ("processVariablesLocal", variables_input()),
            ("all", opt(boolean())),
            ("resultEnabled", opt(boolean())),
            ("variablesInResultEnabled", opt(boolean())),
        ]))
        .ok(list("MessageCorrelationResultWithVariableDto"))
        .no_content()
        .errors(&[400, 413, 500]),
        op(
            "post",
            "/signal",
            "Signal",
            "Broadcasts a signal or delivers it to one execution.",
        )
        .body(input(vec![
            ("name", opt(s())),
            ("executionId", opt(s())),
            ("variables", variables_input()),
            ("tenantId", opt(s())),
            ("withoutTenantId", opt(boolean())),
        ]))
        .no_content()
        .errors(&[400, 413, 500]),
        op(
            "post",
            "/condition",
            "Condition",
            "Evaluates the conditional start events and starts an instance at each one whose condition holds.",
        )
        .body(input(vec![
            ("variables", variables_input()),
            ("businessKey", opt(s())),
            ("processDefinitionId", opt(s())),
            ("tenantId", opt(s())),
            ("withoutTenantId", opt(boolean())),
        ]))
        .ok(list("ProcessInstanceDto"))
        .errors(&[400, 413, 500]),
    ]);
    let execution_filters = vec![
        ("processInstanceId", q_str()),
        ("businessKey", q_str()),
        ("processDefinitionId", q_str()),
        ("processDefinitionKey", q_str()),
        ("activityId", q_str()),
        ("executionId", q_str()),
        ("messageEventSubscriptionName", q_str()),
        ("signalEventSubscriptionName", q_str()),
        ("tenantIdIn", q_list()),
        ("active", q_bool()),
        ("suspended", q_bool()),
    ];
    ops.extend([
        op("get", "/execution", "Execution", "Lists executions.")
            .params(with(execution_filters.clone(), paging()))
            .ok(list("ExecutionDto"))
            .errors(&[400, 500]),
        op("get", "/execution/count", "Execution", "Counts executions.")
            .params(execution_filters)
            .ok(count)
            .errors(&[400, 500]),
        op("get", "/execution/{id}", "Execution", "One execution.")
            .ok(r("ExecutionDto"))
            .errors(&[404, 500]),
        op(
            "post",
            "/execution/{id}/signal",
            "Execution",
            "Continues a waiting receive task.",
        )
        .body(input(vec![("variables", variables_input())]))
        .no_content()
        .errors(&[400, 413, 500]),
    ]);
    ops
}

/// The whole document; `auth` adds the basic security scheme and the 401 responses.
pub fn document(auth: bool) -> Json {
    let mut paths: Map<String, Json> = Map::new();
    for o in operations() {
        let entry = paths.entry(o.path.to_string()).or_insert_with(|| json!({}));
        entry[o.method] = o.to_json(auth);
    }
    let mut doc = json!({
        "openapi": "3.0.3",
        "info": {
            "title": "procos engine-rest",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "The Camunda 7 engine-rest API as procos serves it. Status codes follow Camunda 7.23's code rather than its OpenAPI document (see COMPAT.md).",
        },
        "servers": [{"url": "/engine-rest"}, {"url": "/engine-rest/engine/default"}],
        "paths": paths,
        "components": {"schemas": schemas()},
    });
    if auth {
        doc["components"]["securitySchemes"] =
            json!({"basicAuth": {"type": "http", "scheme": "basic"}});
        doc["security"] = json!([{"basicAuth": []}]);
    }
    doc
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    /// The `(method, path)` pairs that `.route(path, get(…).post(…))` calls in `source`
    /// register: the path literal, then every method-router function called at the
    /// call's own nesting level (handler arguments sit one level deeper).
    fn registered(source: &str) -> Vec<(String, String)> {
        const METHODS: &[&str] = &["get", "post", "put", "delete", "patch", "head", "options"];
        let mut found = Vec::new();
        let mut rest = source;
        while let Some(at) = rest.find(".route(") {
            rest = &rest[at + ".route(".len()..];
            let Some(open) = rest.find('"') else { break };
            let Some(len) = rest[open + 1..].find('"') else {
                break;
            };
            let path = rest[open + 1..open + 1 + len].to_owned();
            let mut depth = 0usize;
            let mut word = String::new();
            for c in rest[open + len + 2..].chars() {
                match c {
                    '(' => {
                        if depth == 0 && METHODS.contains(&word.as_str()) {
                            found.push((word.clone(), path.clone()));
                        }
                        depth += 1;
                        word.clear();
                    }
                    ')' if depth == 0 => break,
                    ')' => {
                        depth -= 1;
                        word.clear();
                    }
                    c if c.is_ascii_alphanumeric() || c == '_' => word.push(c),
                    _ => word.clear(),
                }
            }
        }
        found
    }

    /// Every route registered in `src/routes/*.rs` under `/engine-rest`.
    fn registered_routes() -> BTreeSet<(String, String)> {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/routes");
        let mut all = BTreeSet::new();
        let mut files: Vec<_> = std::fs::read_dir(&dir)
            .expect("src/routes")
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "rs"))
            .collect();
        files.sort();
        for file in files {
            let source = std::fs::read_to_string(&file).expect("a route file");
            // Only the registrations, not this test's own text.
            let source = source.split("#[cfg(test)]").next().unwrap_or("");
            all.extend(registered(source));
        }
        // `/health` lives outside `/engine-rest` and is not part of the API.
        all.remove(&("get".to_owned(), "/health".to_owned()));
        all
    }

    fn documented() -> BTreeSet<(String, String)> {
        operations()
            .into_iter()
            .map(|o| (o.method.to_owned(), o.path.to_string()))
            .collect()
    }

    #[test]
    fn the_scanner_reads_chained_and_multi_line_registrations() {
        let source = r#"
            Router::new()
                .route("/a", get(list).post(list_post))
                .route(
                    "/a/{id}",
                    get(one).put(put_one).delete(remove),
                )
                .route("/b", post(handler_named_get))
        "#;
        assert_eq!(
            registered(source),
            [
                ("get", "/a"),
                ("post", "/a"),
                ("get", "/a/{id}"),
                ("put", "/a/{id}"),
                ("delete", "/a/{id}"),
                ("post", "/b"),
            ]
            .map(|(m, p)| (m.to_owned(), p.to_owned()))
        );
    }

    #[test]
    fn every_registered_route_is_documented() {
        let registered = registered_routes();
        assert!(
            registered.len() > 50,
            "the scan found too little: {registered:?}"
        );
        let documented = documented();
        let missing: Vec<_> = registered.difference(&documented).collect();
        assert!(
            missing.is_empty(),
            "routes registered but missing from the OpenAPI document (add them to operations()): {missing:?}"
        );
        let stale: Vec<_> = documented.difference(&registered).collect();
        assert!(
            stale.is_empty(),
            "routes documented but not registered: {stale:?}"
        );
    }

    #[test]
    fn operation_ids_are_unique_and_refs_resolve() {
        let doc = document(true);
        let schemas = doc["components"]["schemas"].as_object().expect("schemas");
        let mut ids = BTreeSet::new();
        for (path, item) in doc["paths"].as_object().expect("paths") {
            for (method, operation) in item.as_object().expect("path item") {
                let id = operation["operationId"].as_str().expect("an id").to_owned();
                assert!(ids.insert(id.clone()), "duplicate operationId {id}");
                let responses = operation["responses"].as_object().expect("responses");
                assert!(!responses.is_empty(), "{method} {path} has no responses");
                assert_eq!(
                    responses.contains_key("401"),
                    path != "/engine",
                    "{method} {path}"
                );
                for name in path_params(path) {
                    assert!(
                        operation["parameters"]
                            .as_array()
                            .expect("parameters")
                            .iter()
                            .any(|p| p["name"] == name && p["in"] == "path"),
                        "{method} {path} lacks path parameter {name}"
                    );
                }
            }
        }
        fn refs(v: &Json, out: &mut Vec<String>) {
            match v {
                Json::Object(m) => {
                    if let Some(Json::String(r)) = m.get("$ref") {
                        out.push(r.clone());
                    }
                    m.values().for_each(|x| refs(x, out));
                }
                Json::Array(a) => a.iter().for_each(|x| refs(x, out)),
                _ => {}
            }
        }
        let mut all = Vec::new();
        refs(&doc, &mut all);
        for r in all {
            let name = r.trim_start_matches("#/components/schemas/");
            assert!(schemas.contains_key(name), "unresolved {r}");
        }
        assert!(document(false).get("security").is_none());
        assert!(!document(false)["paths"]["/job"]["get"]["responses"]
            .as_object()
            .expect("responses")
            .contains_key("401"));
    }
}
