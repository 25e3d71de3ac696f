//! Rows as the store reads and writes them. Times are milliseconds since the epoch,
//! ids are strings, as in the schema.

use sqlx::FromRow;

/// A deployment.
#[derive(Debug, Clone, PartialEq, FromRow)]
pub struct DeploymentRow {
    /// Deployment id.
    pub id: String,
    /// `deployment-name`.
    pub name: Option<String>,
    /// `deployment-source`.
    pub source: Option<String>,
    /// `tenant-id`.
    pub tenant_id: Option<String>,
    /// When it was deployed.
    pub deploy_time: i64,
}

/// One resource (file) of a deployment.
#[derive(Debug, Clone, PartialEq, FromRow)]
pub struct ResourceRow {
    /// The deployment.
    pub deployment_id: String,
    /// The resource (file) name.
    pub name: String,
    /// The bytes as uploaded.
    pub content: Vec<u8>,
}

/// A process definition.
#[derive(Debug, Clone, PartialEq, FromRow)]
pub struct DefinitionRow {
    /// `key:version:uuid`.
    pub id: String,
    /// The process id in the BPMN file.
    pub key: String,
    /// 1, 2, 3, ... per key and tenant.
    pub version: i32,
    /// `camunda:versionTag`.
    pub version_tag: Option<String>,
    /// Process name.
    pub name: Option<String>,
    /// The file's targetNamespace.
    pub category: Option<String>,
    /// Process documentation.
    pub description: Option<String>,
    /// Tenant.
    pub tenant_id: Option<String>,
    /// The deployment it came with.
    pub deployment_id: String,
    /// The resource it was read from.
    pub resource_name: String,
    /// `camunda:historyTimeToLive` in days.
    pub history_ttl: Option<i32>,
    /// `camunda:isStartableInTasklist`.
    pub startable: bool,
    /// Suspended definitions cannot be started.
    pub suspended: bool,
}

/// A running process instance.
#[derive(Debug, Clone, PartialEq, FromRow)]
pub struct InstanceRow {
    /// Instance id.
    pub id: String,
    /// Its definition.
    pub definition_id: String,
    /// Its definition key.
    pub definition_key: String,
    /// Business key.
    pub business_key: Option<String>,
    /// Tenant.
    pub tenant_id: Option<String>,
    /// The calling instance, for call activities.
    pub super_instance_id: Option<String>,
    /// Suspended instances' tasks are not fetched.
    pub suspended: bool,
    /// Incremented by every command.
    pub revision: i32,
    /// When it started.
    pub started: i64,
    /// The serialized [`crate::runtime::Instance`].
    pub state: String,
}

/// A variable (runtime or history), flattened as Camunda stores values.
#[derive(Debug, Clone, PartialEq, FromRow)]
pub struct VariableRow {
    /// Variable instance id.
    pub id: String,
    /// The process instance.
    pub instance_id: String,
    /// The scope (execution) it belongs to.
    pub scope_id: String,
    /// Name.
    pub name: String,
    /// Camunda type name (`String`, `Long`, ...).
    #[sqlx(rename = "type")]
    pub type_name: String,
    /// Text content (String, Json, Xml, Object, Date as text, ...).
    pub text_value: Option<String>,
    /// Integer content (Boolean, Integer, Short, Long, Date millis).
    pub long_value: Option<i64>,
    /// Double content.
    pub double_value: Option<f64>,
    /// Binary content (Bytes, File).
    pub bytes_value: Option<Vec<u8>>,
    /// JSON of extra value info (object type, file name, ...).
    pub info: Option<String>,
}

/// An external task.
#[derive(Debug, Clone, PartialEq, FromRow)]
pub struct ExternalTaskRow {
    /// Task id.
    pub id: String,
    /// Process instance.
    pub instance_id: String,
    /// Execution (token) id.
    pub execution_id: String,
    /// BPMN activity id.
    pub activity_id: String,
    /// `<activityId>:<token>`.
    pub activity_instance_id: String,
    /// Definition.
    pub definition_id: String,
    /// Definition key.
    pub definition_key: String,
    /// Definition version tag.
    pub version_tag: Option<String>,
    /// Tenant.
    pub tenant_id: Option<String>,
    /// The instance's business key.
    pub business_key: Option<String>,
    /// Topic.
    pub topic: String,
    /// Priority.
    pub priority: i64,
    /// The worker holding the lock.
    pub worker_id: Option<String>,
    /// When the lock expires.
    pub lock_expiration: Option<i64>,
    /// Retries left; None until the first failure.
    pub retries: Option<i32>,
    /// Last failure message.
    pub error_message: Option<String>,
    /// Last failure details.
    pub error_details: Option<String>,
    /// Suspended tasks are not fetched.
    pub suspended: bool,
    /// Creation time.
    pub create_time: i64,
}

/// A user task.
#[derive(Debug, Clone, PartialEq, FromRow)]
pub struct UserTaskRow {
    /// Task id.
    pub id: String,
    /// Process instance.
    pub instance_id: String,
    /// Execution (token) id.
    pub execution_id: String,
    /// Task definition key (BPMN activity id).
    pub activity_id: String,
    /// `<activityId>:<token>`.
    pub activity_instance_id: String,
    /// Definition.
    pub definition_id: String,
    /// Definition key.
    pub definition_key: String,
    /// Tenant.
    pub tenant_id: Option<String>,
    /// The instance's business key.
    pub business_key: Option<String>,
    /// Name.
    pub name: Option<String>,
    /// Description.
    pub description: Option<String>,
    /// Assignee.
    pub assignee: Option<String>,
    /// Owner.
    pub owner: Option<String>,
    /// Priority.
    pub priority: i64,
    /// Due date.
    pub due: Option<i64>,
    /// Follow-up date.
    pub follow_up: Option<i64>,
    /// Form key.
    pub form_key: Option<String>,
    /// Suspended with its instance.
    pub suspended: bool,
    /// Creation time.
    pub created: i64,
    /// Last change.
    pub last_updated: Option<i64>,
}

/// A message or signal subscription.
#[derive(Debug, Clone, PartialEq, FromRow)]
pub struct SubscriptionRow {
    /// Subscription id.
    pub id: String,
    /// `message` or `signal`.
    pub event_type: String,
    /// The message or signal name.
    pub event_name: String,
    /// The instance; None for a start event.
    pub instance_id: Option<String>,
    /// The owning execution; None for a start event.
    pub execution_id: Option<String>,
    /// The catching activity.
    pub activity_id: String,
    /// The definition.
    pub definition_id: String,
    /// Tenant.
    pub tenant_id: Option<String>,
    /// Creation time.
    pub created: i64,
}

/// A job: a timer (of an instance, or a timer start event).
#[derive(Debug, Clone, PartialEq, FromRow)]
pub struct JobRow {
    /// Job id.
    pub id: String,
    /// `timer` (in an instance) or `timer-start` (starts instances).
    pub job_type: String,
    /// When it is due.
    pub due: i64,
    /// The instance; None for timer start events.
    pub instance_id: Option<String>,
    /// The owning execution.
    pub execution_id: Option<String>,
    /// Definition.
    pub definition_id: String,
    /// Definition key.
    pub definition_key: String,
    /// The timer activity.
    pub activity_id: String,
    /// Tenant.
    pub tenant_id: Option<String>,
    /// The remaining schedule of a repeating timer.
    pub repeat: Option<String>,
    /// Retries left (3 by default).
    pub retries: i32,
    /// Last failure.
    pub exception_message: Option<String>,
    /// Last failure details.
    pub exception_details: Option<String>,
    /// Node that is executing it.
    pub lock_owner: Option<String>,
    /// Until when.
    pub lock_expiration: Option<i64>,
    /// Suspended jobs do not run.
    pub suspended: bool,
    /// Priority.
    pub priority: i64,
    /// Creation time.
    pub created: i64,
}

/// An incident.
#[derive(Debug, Clone, PartialEq, FromRow)]
pub struct IncidentRow {
    /// Incident id.
    pub id: String,
    /// `failedExternalTask` or `failedJob`.
    pub incident_type: String,
    /// When it was raised.
    pub created: i64,
    /// Instance.
    pub instance_id: Option<String>,
    /// Execution.
    pub execution_id: Option<String>,
    /// Activity.
    pub activity_id: Option<String>,
    /// Activity that failed.
    pub failed_activity_id: Option<String>,
    /// Definition.
    pub definition_id: Option<String>,
    /// The external task or job id.
    pub configuration: Option<String>,
    /// The failure message.
    pub message: Option<String>,
    /// Tenant.
    pub tenant_id: Option<String>,
}

/// A historic process instance.
#[derive(Debug, Clone, PartialEq, FromRow)]
pub struct HistoricInstanceRow {
    /// Instance id.
    pub id: String,
    /// Definition.
    pub definition_id: String,
    /// Definition key.
    pub definition_key: String,
    /// Definition name.
    pub definition_name: Option<String>,
    /// Definition version.
    pub definition_version: i32,
    /// Business key.
    pub business_key: Option<String>,
    /// Tenant.
    pub tenant_id: Option<String>,
    /// Calling instance.
    pub super_instance_id: Option<String>,
    /// Root of the call hierarchy.
    pub root_instance_id: String,
    /// Start.
    pub start_time: i64,
    /// End, once ended.
    pub end_time: Option<i64>,
    /// Where it started.
    pub start_activity_id: Option<String>,
    /// Where it ended.
    pub end_activity_id: Option<String>,
    /// `ACTIVE`, `SUSPENDED`, `COMPLETED`, `EXTERNALLY_TERMINATED`, `INTERNALLY_TERMINATED`.
    pub state: String,
    /// Why it was deleted.
    pub delete_reason: Option<String>,
    /// When history clean-up removes it.
    pub removal_time: Option<i64>,
}

/// A historic activity instance.
#[derive(Debug, Clone, PartialEq, FromRow)]
pub struct HistoricActivityRow {
    /// `<activityId>:<token>`.
    pub id: String,
    /// Instance.
    pub instance_id: String,
    /// Parent activity instance id (the instance id at top level).
    pub parent_id: String,
    /// Execution (token) id.
    pub execution_id: String,
    /// BPMN id.
    pub activity_id: String,
    /// BPMN name.
    pub activity_name: Option<String>,
    /// Camunda activity type (`serviceTask`, `noneEndEvent`, ...).
    pub activity_type: String,
    /// Definition.
    pub definition_id: String,
    /// Definition key.
    pub definition_key: String,
    /// Tenant.
    pub tenant_id: Option<String>,
    /// User task id.
    pub task_id: Option<String>,
    /// User task assignee.
    pub assignee: Option<String>,
    /// Called instance (call activities).
    pub called_instance_id: Option<String>,
    /// Start.
    pub start_time: i64,
    /// End.
    pub end_time: Option<i64>,
    /// Cancelled instead of completed.
    pub canceled: bool,
    /// Order of occurrence within the instance.
    pub seq: i64,
}

/// A historic variable instance.
#[derive(Debug, Clone, PartialEq, FromRow)]
pub struct HistoricVariableRow {
    /// The variable.
    #[sqlx(flatten)]
    pub var: VariableRow,
    /// `CREATED` or `DELETED`.
    pub state: String,
    /// Definition.
    pub definition_id: String,
    /// Definition key.
    pub definition_key: String,
    /// Tenant.
    pub tenant_id: Option<String>,
    /// Creation time.
    pub created: i64,
    /// Number of updates.
    pub revision: i32,
}
