//! Persistence: one interface, two implementations on sqlx (PostgreSQL for production and
//! clusters, SQLite as the embedded default).
//!
//! The service works through [`Store`] for reads and through [`Tx`] for everything that
//! changes state: one [`Tx`] per engine command, so a command is applied completely or not
//! at all. Both backends share their code (see `backend.rs`); where SQL differs (row
//! locks, `SKIP LOCKED`, `LISTEN/NOTIFY`) the backend module says so.

mod postgres;
pub mod query;
pub mod rows;
mod sqlite;

use std::sync::Arc;

use async_trait::async_trait;

pub use query::{Filter, Op, Order, Query, SqlValue, SubSelect};
pub use rows::*;

/// Why a store operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database refused or failed.
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    /// Applying the schema failed.
    #[error("schema migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// The URL names no supported database.
    #[error("unsupported database URL '{0}': use postgres://... or sqlite://...")]
    Url(String),
}

impl StoreError {
    /// True when the database reports a conflict that retrying the whole command can
    /// resolve (serialization failure, deadlock, SQLite busy).
    pub fn is_retryable(&self) -> bool {
        match self {
            StoreError::Database(sqlx::Error::Database(db)) => {
                let code = db.code();
                matches!(code.as_deref(), Some("40001" | "40P01" | "5" | "6" | "517"))
            }
            StoreError::Database(sqlx::Error::PoolTimedOut) => true,
            _ => false,
        }
    }
}

/// Result of a store operation.
pub type StoreResult<T> = Result<T, StoreError>;

/// Which database a store runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreKind {
    /// PostgreSQL.
    Postgres,
    /// SQLite.
    Sqlite,
}

/// How the instance row changes in a command.
#[derive(Debug, Clone, PartialEq)]
pub enum InstanceChange {
    /// A new instance.
    Insert(InstanceRow),
    /// The state after a command.
    Update {
        /// Instance id.
        id: String,
        /// The new revision.
        revision: i32,
        /// The new state.
        state: String,
    },
    /// The instance ended: its runtime rows go, its history stays.
    Delete(String),
}

/// A historic activity instance that ended.
#[derive(Debug, Clone, PartialEq)]
pub struct ActivityEnd {
    /// Activity instance id.
    pub id: String,
    /// When.
    pub end_time: i64,
    /// Cancelled rather than completed.
    pub canceled: bool,
}

/// The end of a historic process instance.
#[derive(Debug, Clone, PartialEq)]
pub struct InstanceEnd {
    /// Instance id.
    pub id: String,
    /// When.
    pub end_time: i64,
    /// `COMPLETED`, `EXTERNALLY_TERMINATED`, `INTERNALLY_TERMINATED`.
    pub state: String,
    /// The end event, when known.
    pub end_activity_id: Option<String>,
    /// Why it was deleted, for deletions.
    pub delete_reason: Option<String>,
    /// When history clean-up may remove it (end plus the definition's history time to
    /// live).
    pub removal_time: Option<i64>,
}

/// Everything one command writes, applied in one transaction by [`Tx::persist`].
#[derive(Debug, Clone, Default, PartialEq)]
pub struct InstanceWrite {
    /// The instance row.
    pub instance: Option<InstanceChange>,
    /// External tasks to create.
    pub external_tasks: Vec<ExternalTaskRow>,
    /// External tasks to delete.
    pub removed_external_tasks: Vec<String>,
    /// User tasks to create, with their candidates (`user` or `group`, name).
    pub user_tasks: Vec<(UserTaskRow, Vec<(&'static str, String)>)>,
    /// User tasks to delete.
    pub removed_user_tasks: Vec<String>,
    /// Message and signal subscriptions to open.
    pub subscriptions: Vec<SubscriptionRow>,
    /// Timer jobs to schedule.
    pub jobs: Vec<JobRow>,
    /// Subscriptions or jobs to delete, by id.
    pub removed_subscriptions: Vec<String>,
    /// Variables written (matched by scope and name; a new row keeps its id).
    pub variables: Vec<VariableRow>,
    /// Record `variables` in history only: the instance ran to its end within the
    /// command that started it, so it never had runtime rows.
    pub history_only_variables: bool,
    /// Variables removed: (scope, name).
    pub removed_variables: Vec<(String, String)>,
    /// Variables whose scope ended: gone from the runtime, kept in history with these
    /// last values (Camunda does not mark them deleted).
    pub ended_variables: Vec<VariableRow>,
    /// A process instance started.
    pub history_instance: Option<HistoricInstanceRow>,
    /// A process instance ended.
    pub history_instance_end: Option<InstanceEnd>,
    /// Activity instances started (with their end when they also ended).
    pub history_activities: Vec<HistoricActivityRow>,
    /// Activity instances started earlier that ended now.
    pub history_activity_ends: Vec<ActivityEnd>,
    /// Variable definitions for the history (definition key, id, tenant).
    pub history_context: Option<HistoryContext>,
    /// Incidents of these external tasks or jobs are resolved (the task or job is gone).
    pub resolved_incidents: Vec<String>,
}

/// The definition fields every historic variable row repeats.
#[derive(Debug, Clone, PartialEq)]
pub struct HistoryContext {
    /// Definition id.
    pub definition_id: String,
    /// Definition key.
    pub definition_key: String,
    /// Tenant.
    pub tenant_id: Option<String>,
    /// Command time.
    pub now: i64,
}

impl InstanceWrite {
    /// True when nothing would be written.
    pub fn is_empty(&self) -> bool {
        *self == InstanceWrite::default()
    }
}

/// A fetch-and-lock request, already validated.
#[derive(Debug, Clone, PartialEq)]
pub struct FetchRequest {
    /// The worker.
    pub worker_id: String,
    /// Most tasks to lock.
    pub max_tasks: i64,
    /// Order by priority first.
    pub use_priority: bool,
    /// Then by creation time: Some(true) ascending, Some(false) descending.
    pub create_time_asc: Option<bool>,
    /// One entry per topic.
    pub topics: Vec<TopicRequest>,
}

/// One topic of a fetch-and-lock request.
#[derive(Debug, Clone, PartialEq)]
pub struct TopicRequest {
    /// Topic name.
    pub topic: String,
    /// Lock duration in ms.
    pub lock_duration: i64,
    /// Extra conditions on the task (business key, definition, tenants, variables).
    pub filters: Vec<Filter>,
}

/// Conditions a message correlation looks for.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct CorrelationQuery {
    /// The message name.
    pub message: String,
    /// Business key of the instance.
    pub business_key: Option<String>,
    /// A specific instance.
    pub instance_id: Option<String>,
    /// Tenant: Some(Some(t)) one tenant, Some(None) without tenant, None any.
    pub tenant: Option<Option<String>>,
    /// Process variables the instance must have (name = value).
    pub correlation_keys: Vec<(String, SqlValue)>,
    /// Local variables the receiving execution must have.
    pub local_correlation_keys: Vec<(String, SqlValue)>,
    /// Look at start events (new instances).
    pub starts: bool,
    /// Look at running instances.
    pub executions: bool,
}

/// Read access and transactions.
#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// Which database.
    fn kind(&self) -> StoreKind;
    /// Applies the schema migrations.
    async fn migrate(&self) -> StoreResult<()>;
    /// Checks that the database answers.
    async fn ping(&self) -> StoreResult<()>;
    /// Starts a write transaction (on SQLite `BEGIN IMMEDIATE`).
    async fn begin(&self) -> StoreResult<Box<dyn Tx>>;
    /// Closes the pool.
    async fn close(&self);

    /// Deployments.
    async fn deployments(&self, q: &Query) -> StoreResult<Vec<DeploymentRow>>;
    /// Resources of a deployment.
    async fn resources(&self, deployment_id: &str) -> StoreResult<Vec<ResourceRow>>;
    /// One resource.
    async fn resource(&self, deployment_id: &str, name: &str) -> StoreResult<Option<ResourceRow>>;
    /// Process definitions.
    async fn definitions(&self, q: &Query) -> StoreResult<Vec<DefinitionRow>>;
    /// Running process instances.
    async fn instances(&self, q: &Query) -> StoreResult<Vec<InstanceRow>>;
    /// Runtime variables.
    async fn variables(&self, q: &Query) -> StoreResult<Vec<VariableRow>>;
    /// External tasks.
    async fn external_tasks(&self, q: &Query) -> StoreResult<Vec<ExternalTaskRow>>;
    /// User tasks.
    async fn user_tasks(&self, q: &Query) -> StoreResult<Vec<UserTaskRow>>;
    /// Candidates of user tasks: (task id, kind, value).
    async fn task_candidates(
        &self,
        task_ids: &[String],
    ) -> StoreResult<Vec<(String, String, String)>>;
    /// Event subscriptions.
    async fn subscriptions(&self, q: &Query) -> StoreResult<Vec<SubscriptionRow>>;
    /// Jobs.
    async fn jobs(&self, q: &Query) -> StoreResult<Vec<JobRow>>;
    /// Incidents.
    async fn incidents(&self, q: &Query) -> StoreResult<Vec<IncidentRow>>;
    /// Historic process instances.
    async fn historic_instances(&self, q: &Query) -> StoreResult<Vec<HistoricInstanceRow>>;
    /// Historic activity instances.
    async fn historic_activities(&self, q: &Query) -> StoreResult<Vec<HistoricActivityRow>>;
    /// Historic variables.
    async fn historic_variables(&self, q: &Query) -> StoreResult<Vec<HistoricVariableRow>>;
    /// Counts the rows of `table` matching `q` (the table is one of the schema's).
    async fn count(&self, table: Table, q: &Query) -> StoreResult<i64>;
    /// Counts the rows of `table` matching `q` per distinct combination of `columns`
    /// (text columns, read as `Option<String>`): `SELECT columns, COUNT(*) ... GROUP BY
    /// columns`, ordered by the columns. For statistics, e.g. running activity instances
    /// per activity (`hi_activity_instance` with `end_time IS NULL`, by `activity_id`).
    /// With no columns, one group holds the total.
    async fn count_grouped(
        &self,
        table: Table,
        columns: &[&'static str],
        q: &Query,
    ) -> StoreResult<Vec<(Vec<Option<String>>, i64)>>;

    /// Locks up to `max_tasks` fetchable tasks for the worker in one statement, so two
    /// workers or nodes never get the same task while its lock holds.
    async fn fetch_and_lock(
        &self,
        req: &FetchRequest,
        now: i64,
    ) -> StoreResult<Vec<ExternalTaskRow>> {
        Ok(self
            .fetch_and_lock_with_states(req, now)
            .await?
            .into_iter()
            .map(|(row, _)| row)
            .collect())
    }
    /// [`Store::fetch_and_lock`], returning with each task the state of its instance
    /// (for the variables), read by the same statement.
    async fn fetch_and_lock_with_states(
        &self,
        req: &FetchRequest,
        now: i64,
    ) -> StoreResult<Vec<(ExternalTaskRow, Option<String>)>>;
    /// When the next lock on one of `topics` expires (or a retry timeout elapses).
    async fn next_unlock(&self, topics: &[String], now: i64) -> StoreResult<Option<i64>>;
    /// Locks due jobs for `owner` until `lock_until`.
    async fn acquire_jobs(
        &self,
        owner: &str,
        now: i64,
        lock_until: i64,
        limit: i64,
    ) -> StoreResult<Vec<JobRow>>;
    /// The earliest due time of a job that is not locked.
    async fn next_job_due(&self) -> StoreResult<Option<i64>>;
    /// Deletes the history of instances that ended before `before` (history clean-up).
    async fn delete_history_before(&self, before: i64, limit: i64) -> StoreResult<u64>;
}

/// The tables [`Store::count`] can count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Table {
    /// deployment
    Deployment,
    /// process_definition
    Definition,
    /// process_instance
    Instance,
    /// variable
    Variable,
    /// external_task
    ExternalTask,
    /// user_task
    UserTask,
    /// event_subscription
    Subscription,
    /// job
    Job,
    /// incident
    Incident,
    /// hi_process_instance
    HistoricInstance,
    /// hi_activity_instance
    HistoricActivity,
    /// hi_variable
    HistoricVariable,
}

impl Table {
    /// The table's name in the schema.
    pub fn name(self) -> &'static str {
        match self {
            Table::Deployment => "deployment",
            Table::Definition => "process_definition",
            Table::Instance => "process_instance",
            Table::Variable => "variable",
            Table::ExternalTask => "external_task",
            Table::UserTask => "user_task",
            Table::Subscription => "event_subscription",
            Table::Job => "job",
            Table::Incident => "incident",
            Table::HistoricInstance => "hi_process_instance",
            Table::HistoricActivity => "hi_activity_instance",
            Table::HistoricVariable => "hi_variable",
        }
    }
}

/// One write transaction.
#[async_trait]
pub trait Tx: Send {
    /// Commits.
    async fn commit(self: Box<Self>) -> StoreResult<()>;

    /// Loads an instance and locks its row until commit (PostgreSQL `FOR UPDATE`; SQLite
    /// transactions are exclusive anyway).
    async fn lock_instance(&mut self, id: &str) -> StoreResult<Option<InstanceRow>>;
    /// Loads and locks the instance of external task `task_id` in one statement (None when
    /// the task does not exist). The task itself is not locked: read it again afterwards,
    /// under the instance's lock.
    async fn lock_instance_of_task(&mut self, task_id: &str) -> StoreResult<Option<InstanceRow>>;
    /// An external task.
    async fn external_task(&mut self, id: &str) -> StoreResult<Option<ExternalTaskRow>>;
    /// A user task.
    async fn user_task(&mut self, id: &str) -> StoreResult<Option<UserTaskRow>>;
    /// A subscription.
    async fn subscription(&mut self, id: &str) -> StoreResult<Option<SubscriptionRow>>;
    /// A job.
    async fn job(&mut self, id: &str) -> StoreResult<Option<JobRow>>;
    /// A definition.
    async fn definition(&mut self, id: &str) -> StoreResult<Option<DefinitionRow>>;
    /// Definitions matching `q`, read inside the transaction (a command must not take a
    /// second connection from the pool while it holds one).
    async fn definitions(&mut self, q: &Query) -> StoreResult<Vec<DefinitionRow>>;

    /// Writes what a command produced.
    async fn persist(&mut self, write: &InstanceWrite) -> StoreResult<()>;

    /// Sets or clears an external task's lock.
    async fn set_external_task_lock(
        &mut self,
        id: &str,
        worker: Option<&str>,
        expiration: Option<i64>,
    ) -> StoreResult<()>;
    /// Records a failure: message, details, retries, and the lock kept until the retry
    /// timeout.
    async fn set_external_task_failure(
        &mut self,
        id: &str,
        message: Option<&str>,
        details: Option<&str>,
        retries: i32,
        lock_expiration: i64,
    ) -> StoreResult<()>;
    /// Sets an external task's retries.
    async fn set_external_task_retries(&mut self, id: &str, retries: i32) -> StoreResult<()>;
    /// Sets an external task's priority.
    async fn set_external_task_priority(&mut self, id: &str, priority: i64) -> StoreResult<()>;
    /// Updates a job after a failed run or a retries change.
    async fn update_job(
        &mut self,
        id: &str,
        retries: i32,
        due: i64,
        message: Option<&str>,
        details: Option<&str>,
    ) -> StoreResult<()>;
    /// Releases a job's lock without running it.
    async fn unlock_job(&mut self, id: &str) -> StoreResult<()>;
    /// Raises an incident.
    async fn insert_incident(&mut self, incident: &IncidentRow) -> StoreResult<()>;
    /// Resolves the incidents whose configuration is `configuration`; returns how many.
    async fn delete_incidents(&mut self, configuration: &str) -> StoreResult<u64>;
    /// Sets a user task's assignee or owner.
    async fn set_user_task_field(
        &mut self,
        id: &str,
        field: UserTaskField,
        value: Option<&str>,
        now: i64,
    ) -> StoreResult<()>;
    /// Suspends or activates an instance and everything it runs.
    async fn set_instance_suspended(&mut self, id: &str, suspended: bool) -> StoreResult<()>;
    /// Suspends or activates a definition (and optionally its instances).
    async fn set_definition_suspended(
        &mut self,
        id: &str,
        suspended: bool,
        instances: bool,
    ) -> StoreResult<()>;

    /// The latest deployment named `name` for `tenant`, with its resources.
    async fn latest_deployment(
        &mut self,
        name: &str,
        tenant: Option<&str>,
    ) -> StoreResult<Option<(DeploymentRow, Vec<ResourceRow>)>>;
    /// The latest definition of `key` for `tenant`.
    async fn latest_definition(
        &mut self,
        key: &str,
        tenant: Option<&str>,
    ) -> StoreResult<Option<DefinitionRow>>;
    /// The resource a definition was read from.
    async fn definition_resource(
        &mut self,
        definition: &DefinitionRow,
    ) -> StoreResult<Option<ResourceRow>>;
    /// Inserts a deployment and its resources.
    async fn insert_deployment(
        &mut self,
        deployment: &DeploymentRow,
        resources: &[ResourceRow],
    ) -> StoreResult<()>;
    /// Inserts a definition.
    async fn insert_definition(&mut self, definition: &DefinitionRow) -> StoreResult<()>;
    /// Deletes the start-event subscriptions and timer-start jobs of every version of
    /// `key` (a new version replaces them).
    async fn delete_start_triggers(&mut self, key: &str, tenant: Option<&str>) -> StoreResult<()>;
    /// Ids of running instances of the definitions of a deployment.
    async fn instances_of_deployment(&mut self, deployment_id: &str) -> StoreResult<Vec<String>>;
    /// Deletes a deployment with its definitions and start triggers.
    async fn delete_deployment(&mut self, deployment_id: &str) -> StoreResult<()>;

    /// Subscriptions a message can be correlated to.
    async fn correlation_candidates(
        &mut self,
        q: &CorrelationQuery,
    ) -> StoreResult<Vec<SubscriptionRow>>;
    /// Signal subscriptions with `name`.
    async fn signal_subscriptions(
        &mut self,
        name: &str,
        tenant: Option<Option<&str>>,
    ) -> StoreResult<Vec<SubscriptionRow>>;
    /// Waits until no other transaction is deploying, and keeps others waiting until this
    /// one ends (Camunda's deployment lock). Without it, two nodes deploying the same file
    /// at once both miss each other's deployment (duplicate filtering) and both claim the
    /// next version of a key (a unique violation). PostgreSQL: a transaction-level
    /// advisory lock; SQLite: nothing to do, write transactions are exclusive.
    async fn lock_deployments(&mut self) -> StoreResult<()>;
}

/// User task fields that the API changes directly.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserTaskField {
    /// The assignee.
    Assignee,
    /// The owner.
    Owner,
}

/// Opens the store named by `url` (`postgres://...` or `sqlite://path`).
pub async fn connect(url: &str, max_connections: u32) -> StoreResult<Arc<dyn Store>> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(Arc::new(
            postgres::PgStore::connect(url, max_connections).await?,
        ))
    } else if url.starts_with("sqlite:") {
        Ok(Arc::new(sqlite::SqliteStore::connect(url).await?))
    } else {
        Err(StoreError::Url(url.to_owned()))
    }
}

/// Listens for notifications from other nodes, and sends this node's (PostgreSQL only).
pub use postgres::{Announcer, Listener};
