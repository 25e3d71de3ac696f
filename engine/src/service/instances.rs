//! Starting, deleting and reading process instances and their variables.

use std::sync::Arc;

use crate::ids::Id;
use crate::runtime::{Command, Instance, Start};
use crate::store::{DefinitionRow, InstanceRow, Query};
use crate::value::{Value, Variables};

use super::definitions::Deployed;
use super::error::{ServiceError, ServiceResult};
use super::work::Started;
use super::Engine;

/// How to start an instance.
#[derive(Debug, Clone, Default)]
pub struct StartRequest {
    /// Business key.
    pub business_key: Option<String>,
    /// Process variables.
    pub variables: Variables,
    /// Start at this activity (a start event) instead of the none start event.
    pub start_at: Option<String>,
}

fn instance_missing(id: &str) -> ServiceError {
    ServiceError::NotFound(format!("Process instance with id {id} does not exist"))
}

impl Engine {
    /// Starts an instance of the definition `definition_id`.
    pub async fn start_instance(
        &self,
        definition_id: &str,
        req: StartRequest,
    ) -> ServiceResult<(Arc<Deployed>, Started)> {
        // The cached row may not know about a later suspension.
        let suspended = self
            .store
            .definitions(&Query::all().eq("id", definition_id))
            .await?
            .first()
            .is_some_and(|d| d.suspended);
        self.start_checked(definition_id, suspended, req).await
    }

    /// Starts an instance of the definition `row`, which the caller has just read from
    /// the store (by key, say): its suspension flag is as current as the one
    /// [`Engine::start_instance`] would read again.
    pub async fn start_instance_of(
        &self,
        row: &DefinitionRow,
        req: StartRequest,
    ) -> ServiceResult<(Arc<Deployed>, Started)> {
        self.start_checked(&row.id, row.suspended, req).await
    }

    async fn start_checked(
        &self,
        definition_id: &str,
        suspended: bool,
        req: StartRequest,
    ) -> ServiceResult<(Arc<Deployed>, Started)> {
        let deployed = self.definitions.get(definition_id).await?;
        let at = match &req.start_at {
            Some(activity) => Some(deployed.graph.node_by_id(activity).ok_or_else(|| {
                ServiceError::BadRequest(format!(
                    "no activity '{activity}' in process definition {definition_id}"
                ))
            })?),
            None => None,
        };
        let started = transact!(self, work, {
            if suspended {
                return Err(ServiceError::Engine(format!(
                    "Cannot start process instance. Process definition {} (id = {}) is suspended",
                    deployed.row.name.as_deref().unwrap_or(&deployed.row.key),
                    deployed.row.id
                )));
            }
            let req = req.clone();
            work.start(
                deployed.clone(),
                Start {
                    at,
                    business_key: req.business_key,
                    variables: req.variables,
                    ..Start::default()
                },
                None,
            )
            .await
        })?;
        Ok((deployed, started))
    }

    /// Deletes (cancels) a running instance; end listeners run unless
    /// `skip_custom_listeners`.
    pub async fn delete_instance(
        &self,
        id: &str,
        skip_custom_listeners: bool,
    ) -> ServiceResult<()> {
        transact!(self, work, {
            work.load(id).await?;
            work.apply(
                id,
                Command::Cancel {
                    skip_listeners: skip_custom_listeners,
                },
            )
            .await
        })
    }

    /// A running instance's row and state.
    pub async fn instance(&self, id: &str) -> ServiceResult<(InstanceRow, Instance)> {
        let row = self
            .store
            .instances(&Query::all().eq("id", id))
            .await?
            .into_iter()
            .next()
            .ok_or_else(|| instance_missing(id))?;
        let state = serde_json::from_str(&row.state).map_err(|e| {
            ServiceError::Engine(format!(
                "the stored state of process instance {id} cannot be read: {e}"
            ))
        })?;
        Ok((row, state))
    }

    /// The running instance that holds execution (token) `execution_id`, if any.
    pub async fn instance_of_execution(
        &self,
        execution_id: &str,
    ) -> ServiceResult<Option<(InstanceRow, Instance)>> {
        if let Ok(found) = self.instance(execution_id).await {
            return Ok(Some(found));
        }
        let holders = self
            .store
            .external_tasks(&Query::all().eq("execution_id", execution_id))
            .await?
            .into_iter()
            .map(|t| t.instance_id)
            .chain(
                self.store
                    .user_tasks(&Query::all().eq("execution_id", execution_id))
                    .await?
                    .into_iter()
                    .map(|t| t.instance_id),
            )
            .chain(
                self.store
                    .variables(&Query::all().eq("scope_id", execution_id))
                    .await?
                    .into_iter()
                    .map(|v| v.instance_id),
            )
            .chain(
                self.store
                    .subscriptions(&Query::all().eq("execution_id", execution_id))
                    .await?
                    .into_iter()
                    .filter_map(|s| s.instance_id),
            )
            .next();
        if let Some(instance) = holders {
            return self.instance(&instance).await.map(Some);
        }
        // A scope with nothing attached to it (a subprocess waiting on its children):
        // execution ids are unique UUIDs, so the serialized states name it only once.
        let Ok(token) = execution_id.parse::<Id>() else {
            return Ok(None);
        };
        let rows = self
            .store
            .instances(&Query::all().filter(crate::store::Filter::Cmp(
                "state",
                crate::store::Op::Like,
                format!("%{token}%").into(),
            )))
            .await?;
        for row in rows {
            let found = self.instance(&row.id).await?;
            if found.1.token(token).is_some() {
                return Ok(Some(found));
            }
        }
        Ok(None)
    }

    /// Continues a waiting receive task (`POST /execution/{id}/signal`).
    pub async fn signal_execution(
        &self,
        execution_id: &str,
        variables: Variables,
    ) -> ServiceResult<()> {
        let (row, _) = self
            .instance_of_execution(execution_id)
            .await?
            .ok_or_else(|| {
                ServiceError::NotFound(format!(
                    "Cannot find execution with id '{execution_id}': execution is null"
                ))
            })?;
        let token: Id = execution_id.parse().map_err(|_| {
            ServiceError::NotFound(format!(
                "Cannot find execution with id '{execution_id}': execution is null"
            ))
        })?;
        transact!(self, work, {
            work.apply(
                &row.id,
                Command::SignalExecution {
                    token,
                    variables: variables.clone(),
                },
            )
            .await
        })
    }

    /// Variables of a scope (an instance or an execution): visible ones, or only its
    /// own when `local`.
    pub async fn scope_variables(
        &self,
        scope: &str,
        local: bool,
    ) -> ServiceResult<Option<Vec<(String, Value)>>> {
        let Some((row, state)) = self.instance_of_execution(scope).await? else {
            return Ok(None);
        };
        let mut scope = scope.to_owned();
        if local {
            if let Ok(token) = scope.parse::<Id>() {
                let deployed = self.definitions.get(&row.definition_id).await?;
                scope = crate::runtime::scope::variable_scope(&deployed.graph, &state, token)
                    .to_string();
            }
        }
        Ok(Some(super::fetch::visible_variables(
            &state, &scope, local, None,
        )))
    }

    /// Sets and removes variables of a scope (instance or execution) as one command.
    pub async fn modify_variables(
        &self,
        scope: &str,
        set: Variables,
        removals: Vec<String>,
        local: bool,
    ) -> ServiceResult<()> {
        let (row, _) = self
            .instance_of_execution(scope)
            .await?
            .ok_or_else(|| instance_missing(scope))?;
        let token: Id = scope.parse().map_err(|_| instance_missing(scope))?;
        transact!(self, work, {
            let (set, removals) = (set.clone(), removals.clone());
            let instance = row.id.clone();

            work.load(&instance).await?;
            // Camunda's modify sets on the scope itself: process variables when the
            // scope is the instance.
            work.apply(
                &instance,
                Command::SetVariables {
                    scope: token,
                    variables: set,
                    local,
                    removals,
                },
            )
            .await
        })
    }
}

/// What [`Engine::ensure_running`] found or did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RootProcess {
    /// An instance of the process was already running.
    AlreadyRunning(String),
    /// This call started one.
    Started(String),
}

impl Engine {
    /// Starts the latest version of the process `key` (without tenant) unless an
    /// instance of it is already running. Nodes sharing a database serialize on the
    /// deployment lock, so only one of them starts it.
    pub async fn ensure_running(
        &self,
        key: &str,
        variables: Variables,
    ) -> ServiceResult<RootProcess> {
        transact!(self, work, {
            work.tx().lock_deployments().await?;
            let running = self
                .store
                .instances(&Query::all().eq("definition_key", key))
                .await?;
            if let Some(instance) = running.first() {
                return Ok(RootProcess::AlreadyRunning(instance.id.clone()));
            }
            let Some(row) = work.tx().latest_definition(key, None).await? else {
                return Err(ServiceError::NotFound(format!(
                    "no deployed process definition with key '{key}'"
                )));
            };
            let deployed = work.definition(&row.id).await?;
            let started = work
                .start(
                    deployed,
                    Start {
                        variables: variables.clone(),
                        ..Start::default()
                    },
                    None,
                )
                .await?;
            Ok(RootProcess::Started(started.id))
        })
    }
}
