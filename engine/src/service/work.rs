//! One engine command as one database transaction.
//!
//! A [`Work`] wraps a [`Tx`]: it loads and locks instances, applies runtime commands to
//! them, persists each outcome at once (so later queries in the same transaction see
//! it), and delivers the signals the instances throw, to other instances and to signal
//! start events, before the single commit.

use std::collections::{BTreeSet, HashMap};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use crate::bpmn::NodeIdx;
use crate::ids::{Id, IdSource};
use crate::runtime::{self, Command, Env, Instance, Start};
use crate::store::{HistoricInstanceRow, InstanceChange, InstanceRow, InstanceWrite, Tx};
use crate::value::Variables;

use super::definitions::Deployed;
use super::error::{ServiceError, ServiceResult};
use super::ids::UuidIds;
use super::write::{outcome_rows, WriteContext};
use super::Engine;

/// An instance loaded (and locked) in this transaction.
struct Loaded {
    row: InstanceRow,
    deployed: Arc<Deployed>,
    state: Instance,
}

/// What a committed unit of work asks the engine to wake.
#[derive(Debug, Default)]
pub struct Wake {
    /// Topics with new or released external tasks.
    pub topics: BTreeSet<String>,
    /// New timer jobs.
    pub jobs: bool,
}

/// One transaction's worth of engine commands.
pub struct Work<'e> {
    engine: &'e Engine,
    tx: Box<dyn Tx>,
    loaded: HashMap<String, Loaded>,
    wake: Wake,
    now: i64,
    user: Option<String>,
}

/// The result of starting an instance.
#[derive(Debug, Clone)]
pub struct Started {
    /// The new instance id.
    pub id: String,
    /// Whether it already ended (ran straight through).
    pub ended: bool,
    /// The final or current process variables.
    pub variables: Variables,
}

impl<'e> Work<'e> {
    /// Begins a transaction.
    pub async fn begin(engine: &'e Engine) -> ServiceResult<Work<'e>> {
        let tx = engine.store.begin().await?;
        Ok(Work {
            engine,
            tx,
            loaded: HashMap::new(),
            wake: Wake::default(),
            now: engine.clock.now().0,
            user: None,
        })
    }

    /// The engine this work belongs to.
    pub fn engine(&self) -> &'e Engine {
        self.engine
    }

    /// The transaction, for direct reads and writes.
    pub fn tx(&mut self) -> &mut dyn Tx {
        self.tx.as_mut()
    }

    /// The command time.
    pub fn now(&self) -> i64 {
        self.now
    }

    /// Wakes workers polling `topic` after commit.
    pub fn wake_topic(&mut self, topic: &str) {
        self.wake.topics.insert(topic.to_owned());
    }

    /// Wakes the job executor after commit.
    pub fn wake_jobs(&mut self) {
        self.wake.jobs = true;
    }

    /// Loads and locks an instance.
    pub async fn load(&mut self, instance_id: &str) -> ServiceResult<()> {
        if self.loaded.contains_key(instance_id) {
            return Ok(());
        }
        let row = self.tx.lock_instance(instance_id).await?.ok_or_else(|| {
            ServiceError::NotFound(format!(
                "Process instance with id {instance_id} does not exist"
            ))
        })?;
        self.adopt(row).await
    }

    /// Takes an instance row this transaction has locked (see [`Work::load`]); a row of
    /// an instance already loaded is ignored.
    pub async fn adopt(&mut self, row: InstanceRow) -> ServiceResult<()> {
        if self.loaded.contains_key(&row.id) {
            return Ok(());
        }
        let deployed = self.definition(&row.definition_id).await?;
        let state: Instance = serde_json::from_str(&row.state).map_err(|e| {
            ServiceError::Engine(format!(
                "the stored state of process instance {} cannot be read: {e}",
                row.id
            ))
        })?;
        self.loaded.insert(
            row.id.clone(),
            Loaded {
                row,
                deployed,
                state,
            },
        );
        Ok(())
    }

    /// A definition, compiled; a cache miss is read through this transaction (see
    /// [`Definitions::get_in`](super::Definitions::get_in)).
    pub async fn definition(&mut self, id: &str) -> ServiceResult<Arc<Deployed>> {
        self.engine.definitions.get_in(self.tx.as_mut(), id).await
    }

    /// The state of a loaded instance.
    pub fn state(&self, instance_id: &str) -> Option<&Instance> {
        self.loaded.get(instance_id).map(|l| &l.state)
    }

    /// The row of a loaded instance.
    pub fn row(&self, instance_id: &str) -> Option<&InstanceRow> {
        self.loaded.get(instance_id).map(|l| &l.row)
    }

    /// The definition of a loaded instance.
    pub fn deployed(&self, instance_id: &str) -> Option<Arc<Deployed>> {
        self.loaded.get(instance_id).map(|l| l.deployed.clone())
    }

    /// Applies a command to a loaded (or loadable) instance and persists the outcome.
    pub async fn apply(&mut self, instance_id: &str, command: Command) -> ServiceResult<()> {
        self.load(instance_id).await?;
        let now = self.now;
        let user = self.user.clone();
        let loaded = self.loaded.get_mut(instance_id).ok_or_else(|| {
            ServiceError::NotFound(format!(
                "Process instance with id {instance_id} does not exist"
            ))
        })?;
        let mut ids = UuidIds;
        let outcome = runtime::apply(
            &loaded.deployed.graph,
            &mut loaded.state,
            command,
            &mut env(now, &mut ids, &loaded.deployed, user.as_deref()),
        )?;
        loaded.row.revision += 1;
        let ended = loaded.state.is_ended();
        let mut write = InstanceWrite::default();
        let state_text = serialize(&loaded.state)?;
        write.instance = Some(if ended {
            InstanceChange::Delete(instance_id.to_owned())
        } else {
            InstanceChange::Update {
                id: instance_id.to_owned(),
                revision: loaded.row.revision,
                state: state_text,
            }
        });
        let follow = outcome_rows(
            &WriteContext {
                definition: &loaded.deployed.row,
                graph: &loaded.deployed.graph,
                instance: &loaded.state,
                revision: loaded.row.revision,
                now,
            },
            &outcome,
            &mut write,
        );
        self.tx.persist(&write).await?;
        self.absorb(instance_id, follow).await
    }

    /// Starts an instance of `deployed` and persists it.
    pub async fn start(
        &mut self,
        deployed: Arc<Deployed>,
        start: Start,
        super_instance: Option<String>,
    ) -> ServiceResult<Started> {
        if deployed.row.suspended {
            return Err(ServiceError::Engine(format!(
                "Cannot start process instance. Process definition {} (id = {}) is suspended",
                deployed.row.name.as_deref().unwrap_or(&deployed.row.key),
                deployed.row.id
            )));
        }
        let now = self.now;
        let mut ids = UuidIds;
        let start_node: Option<NodeIdx> = start.at.or(deployed.graph.initial_start());
        let business_key = start.business_key.clone();
        let (state, outcome) = runtime::start(
            &deployed.graph,
            start,
            &mut env(now, &mut ids, &deployed, self.user.as_deref()),
        )?;
        let id = state.id.to_string();
        let ended = state.is_ended();
        let mut write = InstanceWrite {
            history_instance: Some(HistoricInstanceRow {
                id: id.clone(),
                definition_id: deployed.row.id.clone(),
                definition_key: deployed.row.key.clone(),
                definition_name: deployed.row.name.clone(),
                definition_version: deployed.row.version,
                business_key: business_key.clone(),
                tenant_id: deployed.row.tenant_id.clone(),
                super_instance_id: super_instance.clone(),
                root_instance_id: id.clone(),
                start_time: now,
                end_time: None,
                start_activity_id: start_node.map(|n| deployed.graph.node(n).id.to_string()),
                end_activity_id: None,
                state: "ACTIVE".to_owned(),
                delete_reason: None,
                removal_time: None,
            }),
            ..InstanceWrite::default()
        };
        let row = InstanceRow {
            id: id.clone(),
            definition_id: deployed.row.id.clone(),
            definition_key: deployed.row.key.clone(),
            business_key,
            tenant_id: deployed.row.tenant_id.clone(),
            super_instance_id: super_instance,
            suspended: false,
            revision: 1,
            started: now,
            state: serialize(&state)?,
        };
        // A straight-through instance never gets a runtime row.
        if !ended {
            write.instance = Some(InstanceChange::Insert(row.clone()));
        }
        let follow = outcome_rows(
            &WriteContext {
                definition: &deployed.row,
                graph: &deployed.graph,
                instance: &state,
                revision: 1,
                now,
            },
            &outcome,
            &mut write,
        );
        if ended {
            // No runtime rows were ever written: history is all there is to record.
            write.history_only_variables = true;
            write.removed_variables.clear();
        }
        self.tx.persist(&write).await?;
        let variables = state
            .tokens
            .first()
            .map(|t| t.vars.clone())
            .unwrap_or_default();
        if !ended {
            self.loaded.insert(
                id.clone(),
                Loaded {
                    row,
                    deployed,
                    state,
                },
            );
        }
        self.absorb(&id, follow).await?;
        Ok(Started {
            id,
            ended,
            variables,
        })
    }

    /// Carries out what an instance's command asked of other instances, in this same
    /// transaction: called instances to start or cancel, a completed called instance to
    /// report to its caller, errors and escalations passed up, signals to broadcast.
    fn absorb<'s>(
        &'s mut self,
        instance_id: &'s str,
        follow: super::write::Followups,
    ) -> Pin<Box<dyn Future<Output = ServiceResult<()>> + Send + 's>> {
        // Boxed with an explicit `Send`: absorbing may apply commands that absorb again
        // (a called instance completing, a signal starting an instance), and the
        // compiler cannot see through that recursion on its own.
        Box::pin(async move {
            self.wake.topics.extend(follow.topics);
            self.wake.jobs |= follow.jobs;
            for call in follow.calls {
                self.start_called(instance_id, call).await?;
            }
            for child in follow.canceled_calls {
                self.cancel_called(&child.to_string()).await?;
            }
            let caller = self.state(instance_id).and_then(|s| s.caller);
            if let Some((code, message)) = follow.error_to_caller {
                self.pass_error_up(instance_id, code, message).await?;
            }
            if let Some((parent, token)) = caller {
                for code in follow.escalations_to_caller {
                    Box::pin(self.apply(
                        &parent.to_string(),
                        Command::CalledEscalation { token, code },
                    ))
                    .await?;
                }
            }
            if follow.ended {
                let completed = self
                    .state(instance_id)
                    .is_some_and(|s| s.ended == Some(crate::runtime::EndState::Completed));
                if let (true, Some((parent, token))) = (completed, caller) {
                    let variables = self
                        .state(instance_id)
                        .and_then(|s| s.tokens.first())
                        .map(|t| t.vars.clone())
                        .unwrap_or_default();
                    Box::pin(self.apply(
                        &parent.to_string(),
                        Command::CalledCompleted { token, variables },
                    ))
                    .await?;
                }
            }
            for (name, variables) in follow.signals {
                self.broadcast_signal(&name, variables, None).await?;
            }
            Ok(())
        })
    }

    /// Starts the instance a call activity asked for, linked to its caller.
    async fn start_called(
        &mut self,
        parent: &str,
        call: crate::runtime::CallSpec,
    ) -> ServiceResult<()> {
        let parent_def = self.deployed(parent).ok_or_else(|| {
            ServiceError::NotFound(format!("Process instance with id {parent} does not exist"))
        })?;
        let deployed = self.resolve_called(&parent_def, &call).await?;
        let parent_id: Id = parent.parse().map_err(|_| {
            ServiceError::NotFound(format!("Process instance with id {parent} does not exist"))
        })?;
        self.start(
            deployed,
            Start {
                at: None,
                business_key: call.business_key,
                variables: call.variables,
                instance_id: Some(call.child),
                caller: Some((parent_id, call.token)),
            },
            Some(parent.to_owned()),
        )
        .await?;
        Ok(())
    }

    /// The definition a call activity starts, by its binding; read through this
    /// transaction, like every read of a command (see
    /// [`Definitions::get_in`](super::Definitions::get_in)).
    async fn resolve_called(
        &mut self,
        parent: &Deployed,
        call: &crate::runtime::CallSpec,
    ) -> ServiceResult<Arc<Deployed>> {
        use crate::bpmn::CallBinding;
        use crate::store::{Order, Query};
        let tenant = call
            .tenant_id
            .clone()
            .or_else(|| parent.row.tenant_id.clone());
        let mut q = Query::all().eq("key", call.key.as_str());
        q.order = vec![("version", Order::Desc)];
        let rows = self.tx.definitions(&q).await?;
        let same_tenant = |d: &&crate::store::DefinitionRow| d.tenant_id == tenant;
        let found = match call.binding {
            CallBinding::Latest => rows.iter().find(same_tenant),
            CallBinding::Deployment => rows
                .iter()
                .find(|d| d.deployment_id == parent.row.deployment_id),
            CallBinding::Version => rows
                .iter()
                .filter(same_tenant)
                .find(|d| Some(d.version) == call.version),
            CallBinding::VersionTag => rows
                .iter()
                .filter(same_tenant)
                .find(|d| d.version_tag.is_some() && d.version_tag == call.version_tag),
        };
        let row = found.ok_or_else(|| {
            ServiceError::Engine(format!(
                "no processes deployed with key '{}'{}",
                call.key,
                match call.binding {
                    CallBinding::Latest => String::new(),
                    CallBinding::Deployment =>
                        format!(" in deployment {}", parent.row.deployment_id),
                    CallBinding::Version =>
                        format!(" and version {}", call.version.unwrap_or_default()),
                    CallBinding::VersionTag => format!(
                        " and version tag '{}'",
                        call.version_tag.clone().unwrap_or_default()
                    ),
                }
            ))
        })?;
        let id = row.id.clone();
        self.definition(&id).await
    }

    /// Cancels a called instance whose call activity was interrupted.
    async fn cancel_called(&mut self, child: &str) -> ServiceResult<()> {
        match self.load(child).await {
            Ok(()) => {}
            // Already ended: nothing to cancel.
            Err(ServiceError::NotFound(_)) => return Ok(()),
            Err(e) => return Err(e),
        }
        if self.state(child).is_some_and(Instance::is_ended) {
            return Ok(());
        }
        self.apply(
            child,
            Command::Cancel {
                skip_listeners: false,
            },
        )
        .await
    }

    /// A called instance threw a BPMN error it does not catch: the innermost calling
    /// instance that catches it gets it (cancelling the calls in between); when none
    /// does, the throwing path ends as at a none end event, as in Camunda.
    async fn pass_error_up(
        &mut self,
        child: &str,
        code: Option<String>,
        message: Option<String>,
    ) -> ServiceResult<()> {
        let mut caller = self.state(child).and_then(|s| s.caller);
        while let Some((parent, token)) = caller {
            let parent_id = parent.to_string();
            self.load(&parent_id).await?;
            let catches = match (self.deployed(&parent_id), self.state(&parent_id)) {
                (Some(d), Some(state)) => {
                    runtime::catches_error(&d.graph, state, token, code.as_deref())
                }
                _ => false,
            };
            if catches {
                return self
                    .apply(
                        &parent_id,
                        Command::CalledError {
                            token,
                            code,
                            message,
                        },
                    )
                    .await;
            }
            caller = self.state(&parent_id).and_then(|s| s.caller);
        }
        self.apply(child, Command::ErrorNotCaught).await
    }

    /// Delivers a signal to every subscription with its name: catching events of
    /// running instances and signal start events (which start new instances).
    pub async fn broadcast_signal(
        &mut self,
        name: &str,
        variables: Variables,
        tenant: Option<Option<&str>>,
    ) -> ServiceResult<usize> {
        let subs = self.tx.signal_subscriptions(name, tenant).await?;
        let mut delivered = 0;
        for sub in subs {
            match &sub.instance_id {
                Some(instance) => {
                    let Ok(id) = sub.id.parse::<Id>() else {
                        continue;
                    };
                    // A subscription removed earlier in this transaction is skipped.
                    self.load(instance).await?;
                    let owned = self
                        .state(instance)
                        .is_some_and(|s| s.subscription_owner(id).is_some());
                    if !owned {
                        continue;
                    }
                    self.apply(
                        instance,
                        Command::Trigger {
                            subscription: id,
                            variables: variables.clone(),
                            local_variables: Variables::new(),
                        },
                    )
                    .await?;
                }
                None => {
                    let deployed = self.definition(&sub.definition_id).await?;
                    let Some(at) = deployed.graph.node_by_id(&sub.activity_id) else {
                        continue;
                    };
                    self.start(
                        deployed,
                        Start {
                            at: Some(at),
                            business_key: None,
                            variables: variables.clone(),
                            ..Start::default()
                        },
                        None,
                    )
                    .await?;
                }
            }
            delivered += 1;
        }
        Ok(delivered)
    }

    /// Commits, then wakes whoever waits for what the transaction created.
    /// Other nodes hear of it after the commit (see [`super::notify`]).
    pub async fn commit(self) -> ServiceResult<()> {
        self.tx.commit().await?;
        self.engine.wakeups.wake(&self.wake);
        Ok(())
    }
}

fn serialize(state: &Instance) -> ServiceResult<String> {
    serde_json::to_string(state)
        .map_err(|e| ServiceError::Engine(format!("cannot serialize instance state: {e}")))
}

fn env<'a>(
    now: i64,
    ids: &'a mut dyn IdSource,
    deployed: &'a Deployed,
    user: Option<&'a str>,
) -> Env<'a> {
    Env {
        now: crate::time::Timestamp(now),
        ids,
        definition_id: &deployed.row.id,
        tenant_id: deployed.row.tenant_id.as_deref(),
        user,
    }
}
