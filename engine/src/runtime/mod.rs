//! The interpreter: `start` and `apply` take a compiled graph, the instance state and one
//! command, and return the new state plus what the caller must persist.
//!
//! Pure: no clock, no random ids, no IO. On error the instance may be partly changed and
//! must be discarded (the store rolls back its transaction; [`apply_atomic`] clones for
//! in-memory callers), so a failed command changes nothing.

mod effects;
mod machine;
pub mod scope;
mod state;

use crate::bpmn::{NodeIdx, ProcessGraph};
use crate::expr::EvalError;
use crate::ids::{Id, IdSource};
use crate::time::Timestamp;
use crate::value::Variables;

pub use effects::{
    CallSpec, Effect, EventKind, ExternalTaskSpec, HistoryEvent, Outcome, UserTaskSpec,
    VariableChange,
};
pub use state::{
    Compensable, Compensating, EndState, Instance, Subscription, SubscriptionKind, Token, Wait,
};

/// What a command needs from outside: time, ids, and who asks.
pub struct Env<'a> {
    /// Current time.
    pub now: Timestamp,
    /// Where new ids come from.
    pub ids: &'a mut dyn IdSource,
    /// The process definition id (for `execution.processDefinitionId`).
    pub definition_id: &'a str,
    /// The tenant of the definition.
    pub tenant_id: Option<&'a str>,
    /// The authenticated user, if any.
    pub user: Option<&'a str>,
}

/// How to start an instance.
#[derive(Debug, Default, Clone)]
pub struct Start {
    /// The start event to start at: None for the none start event; a message, signal or
    /// timer start event otherwise.
    pub at: Option<NodeIdx>,
    /// The business key.
    pub business_key: Option<String>,
    /// Process variables.
    pub variables: Variables,
    /// The id the instance must get (a called instance's id is chosen by its caller);
    /// None draws one from the id source.
    pub instance_id: Option<Id>,
    /// The calling instance and call activity token, for a called instance.
    pub caller: Option<(Id, Id)>,
}

/// One command on a running instance.
#[derive(Debug, Clone)]
pub enum Command {
    /// A worker completed an external task.
    CompleteExternalTask {
        /// The task.
        task: Id,
        /// Variables set as `execution.setVariables` does.
        variables: Variables,
        /// Variables set locally on the task's execution.
        local_variables: Variables,
    },
    /// A worker reported a BPMN error for an external task.
    ExternalTaskBpmnError {
        /// The task.
        task: Id,
        /// The error code.
        code: String,
        /// The error message.
        message: Option<String>,
        /// Variables set before the error propagates.
        variables: Variables,
    },
    /// A user completed a user task.
    CompleteUserTask {
        /// The task.
        task: Id,
        /// Variables set as `execution.setVariables` does.
        variables: Variables,
    },
    /// A message, signal or timer subscription fired.
    Trigger {
        /// The subscription (or timer job) id.
        subscription: Id,
        /// Variables set on the receiving execution, propagating upward.
        variables: Variables,
        /// Variables set locally on the receiving execution.
        local_variables: Variables,
    },
    /// `POST /execution/{id}/signal`: continue a waiting receive task.
    SignalExecution {
        /// The waiting token.
        token: Id,
        /// Variables to set.
        variables: Variables,
    },
    /// Set or remove variables of a scope.
    SetVariables {
        /// The token whose scope is addressed (the instance id for process variables).
        scope: Id,
        /// Variables to set.
        variables: Variables,
        /// Set them locally instead of propagating upward.
        local: bool,
        /// Variables to remove.
        removals: Vec<String>,
    },
    /// A worker failed an external task: its `camunda:errorEventDefinition`s may turn the
    /// failure into a BPMN error; otherwise nothing changes.
    ExternalTaskFailure {
        /// The task.
        task: Id,
        /// The failure message.
        message: Option<String>,
        /// The failure details.
        details: Option<String>,
    },
    /// The instance started by a call activity completed.
    CalledCompleted {
        /// The call activity's token.
        token: Id,
        /// The called instance's final variables.
        variables: Variables,
    },
    /// The instance started by a call activity threw a BPMN error it does not catch.
    CalledError {
        /// The call activity's token.
        token: Id,
        /// The error code.
        code: Option<String>,
        /// The message.
        message: Option<String>,
    },
    /// The instance started by a call activity threw an escalation it does not catch.
    CalledEscalation {
        /// The call activity's token.
        token: Id,
        /// The escalation code.
        code: Option<String>,
    },
    /// The calling process did not catch the error this instance passed up: the path that
    /// threw it ends here, as at a none end event.
    ErrorNotCaught,
    /// Delete the instance. End listeners of what was running and of the process run
    /// unless `skip_listeners` (Camunda's `skipCustomListeners`).
    Cancel {
        /// Do not run execution listeners.
        skip_listeners: bool,
    },
}

/// Why a command was refused. The instance must be discarded.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RuntimeError {
    /// The process has no none start event, no timer start event and several other
    /// start events, and no start event was named.
    #[error("process '{key}' has no none start event; start it through one of its message, signal or conditional start events")]
    NoNoneStartEvent {
        /// The process key.
        key: String,
    },
    /// The named start node is not a start event of the process.
    #[error("'{id}' is not a start event of process '{key}'")]
    NotAStartEvent {
        /// The node id.
        id: String,
        /// The process key.
        key: String,
    },
    /// The instance has already ended.
    #[error("process instance {0} has already ended")]
    InstanceEnded(Id),
    /// No token waits for the external task.
    #[error("External task with id {0} does not exist")]
    UnknownExternalTask(Id),
    /// No token waits for the user task.
    #[error("Cannot find task with id {0}: task is null")]
    UnknownUserTask(Id),
    /// No token owns the subscription.
    #[error("no event subscription with id {0} exists in this process instance")]
    UnknownSubscription(Id),
    /// No such token (execution).
    #[error("Cannot find execution with id '{0}': execution is null")]
    UnknownExecution(Id),
    /// The execution is not waiting for a signal.
    #[error("ENGINE-02010 The activity with id '{0}' doesn't accept signals.")]
    NotSignalable(String),
    /// An exclusive or inclusive gateway found no flow to take.
    #[error("ENGINE-02004 No outgoing sequence flow for the element with id '{0}' could be selected for continuing the process.")]
    Stuck(String),
    /// An activity's conditional flows were all false and it has no default flow.
    #[error("ENGINE-02006 No conditional sequence flow leaving the Flow Node '{0}' could be selected for continuing the process.")]
    NoConditionalFlow(String),
    /// An expression failed.
    #[error("{source}")]
    Expression {
        /// The element whose expression failed.
        element: String,
        /// What failed.
        source: EvalError,
    },
    /// A timer's definition did not evaluate to a valid date, duration or cycle.
    #[error("ENGINE-09026 Exception while resolving the timer of '{element}': {message}")]
    Timer {
        /// The timer element.
        element: String,
        /// What was wrong.
        message: String,
    },
    /// A value had the wrong type (a due date that is not a date, ...).
    #[error("{0}")]
    InvalidValue(String),
    /// The command ran into an endless loop.
    #[error("the process ran {0} steps in one command without reaching a wait state; it probably loops forever")]
    Runaway(usize),
}

/// Starts an instance. The instance id is the first id drawn from `env.ids`.
pub fn start(
    graph: &ProcessGraph,
    start: Start,
    env: &mut Env<'_>,
) -> Result<(Instance, Outcome), RuntimeError> {
    machine::start(graph, start, env)
}

/// True if a BPMN error with `code` thrown at `token` would be caught in this instance
/// (by a boundary event or an error event subprocess), without changing anything.
pub fn catches_error(
    graph: &ProcessGraph,
    instance: &Instance,
    token: Id,
    code: Option<&str>,
) -> bool {
    machine::catches_error(graph, instance, token, code)
}

/// Applies a command to an instance.
pub fn apply(
    graph: &ProcessGraph,
    instance: &mut Instance,
    command: Command,
    env: &mut Env<'_>,
) -> Result<Outcome, RuntimeError> {
    machine::apply(graph, instance, command, env)
}

/// [`apply`], leaving `instance` untouched when the command fails.
pub fn apply_atomic(
    graph: &ProcessGraph,
    instance: &mut Instance,
    command: Command,
    env: &mut Env<'_>,
) -> Result<Outcome, RuntimeError> {
    let mut copy = instance.clone();
    let outcome = apply(graph, &mut copy, command, env)?;
    *instance = copy;
    Ok(outcome)
}
