//! What a command produces besides the new state: effects the store must persist in the
//! same transaction (tasks, subscriptions, timers), history, and variable changes.

use crate::bpmn::NodeIdx;
use crate::ids::Id;
use crate::time::Timestamp;
use crate::value::Variables;

use super::state::EndState;

/// Everything a command produced.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Outcome {
    /// Rows to create or delete, in the order they happened.
    pub effects: Vec<Effect>,
    /// History, in the order it happened.
    pub history: Vec<HistoryEvent>,
    /// Variables written or removed, per scope token; the store mirrors them from the
    /// new state.
    pub variables: Vec<VariableChange>,
    /// The last local variables of scopes that ended, which history keeps.
    pub ended_scopes: Vec<(Id, Variables)>,
}

/// A change the store must make outside the instance row.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    /// Open an external task for workers.
    ExternalTaskCreated(ExternalTaskSpec),
    /// The external task is gone (completed, failed into a BPMN error, or cancelled).
    ExternalTaskRemoved {
        /// The task.
        task: Id,
    },
    /// Open a user task.
    UserTaskCreated(Box<UserTaskSpec>),
    /// The user task is gone (completed or cancelled).
    UserTaskRemoved {
        /// The task.
        task: Id,
        /// True when it was cancelled rather than completed.
        canceled: bool,
    },
    /// Open a message or signal subscription.
    SubscriptionOpened {
        /// The subscription.
        id: Id,
        /// The token that owns it (its execution).
        token: Id,
        /// The catching node.
        node: NodeIdx,
        /// Message or signal, with its name.
        kind: EventKind,
        /// The evaluated name.
        name: String,
    },
    /// Schedule a timer job.
    TimerScheduled {
        /// The job.
        job: Id,
        /// The token that owns it.
        token: Id,
        /// The timer event.
        node: NodeIdx,
        /// When it fires.
        due: Timestamp,
        /// The remaining schedule of a repeating timer.
        repeat: Option<String>,
    },
    /// Schedule an asynchronous continuation job, due at once.
    ContinuationScheduled {
        /// The job.
        job: Id,
        /// The token that waits for it.
        token: Id,
        /// The node.
        node: NodeIdx,
        /// After the node (`asyncAfter`) rather than before it.
        after: bool,
    },
    /// A call activity starts a process instance.
    CallStarted(Box<CallSpec>),
    /// A called instance must be cancelled (its call activity was interrupted).
    CallCanceled {
        /// The called instance.
        child: Id,
    },
    /// A BPMN error nothing in this instance catches goes to the calling process.
    ErrorToCaller {
        /// The error code.
        code: Option<String>,
        /// The message.
        message: Option<String>,
    },
    /// An escalation nothing in this instance catches goes to the calling process.
    EscalationToCaller {
        /// The escalation code.
        code: Option<String>,
    },
    /// A subscription or timer job is gone.
    SubscriptionClosed {
        /// The subscription or job.
        id: Id,
    },
    /// A signal was thrown; the server delivers it to every subscription.
    SignalThrown {
        /// The signal name.
        name: String,
        /// Variables passed along.
        variables: Variables,
    },
    /// The instance ended.
    InstanceEnded {
        /// How.
        state: EndState,
    },
}

/// What a call activity starts.
#[derive(Debug, Clone, PartialEq)]
pub struct CallSpec {
    /// The call activity's token.
    pub token: Id,
    /// The call activity.
    pub node: NodeIdx,
    /// The id the new instance must get.
    pub child: Id,
    /// The process key to start.
    pub key: String,
    /// Which version.
    pub binding: crate::bpmn::CallBinding,
    /// The version, for the `version` binding.
    pub version: Option<i32>,
    /// The version tag, for the `versionTag` binding.
    pub version_tag: Option<String>,
    /// The tenant, when set.
    pub tenant_id: Option<String>,
    /// The business key passed on.
    pub business_key: Option<String>,
    /// The variables passed in.
    pub variables: Variables,
}

/// Message or signal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventKind {
    /// A message subscription.
    Message,
    /// A signal subscription.
    Signal,
    /// A conditional event subscription.
    Conditional,
}

/// An external task to create.
#[derive(Debug, Clone, PartialEq)]
pub struct ExternalTaskSpec {
    /// The task id.
    pub id: Id,
    /// The token (execution) waiting for it.
    pub token: Id,
    /// The activity.
    pub node: NodeIdx,
    /// The evaluated topic.
    pub topic: String,
    /// The evaluated priority.
    pub priority: i64,
}

/// A user task to create.
#[derive(Debug, Clone, PartialEq)]
pub struct UserTaskSpec {
    /// The task id.
    pub id: Id,
    /// The token (execution) waiting for it.
    pub token: Id,
    /// The activity.
    pub node: Option<NodeIdx>,
    /// The evaluated name.
    pub name: Option<String>,
    /// The evaluated description.
    pub description: Option<String>,
    /// The evaluated assignee.
    pub assignee: Option<String>,
    /// Candidate users.
    pub candidate_users: Vec<String>,
    /// Candidate groups.
    pub candidate_groups: Vec<String>,
    /// Due date.
    pub due: Option<Timestamp>,
    /// Follow-up date.
    pub follow_up: Option<Timestamp>,
    /// Priority (Camunda's default is 50).
    pub priority: i64,
    /// Form key.
    pub form_key: Option<String>,
    /// Creation time.
    pub created: Timestamp,
}

/// One history entry.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum HistoryEvent {
    /// An activity instance started.
    ActivityStarted {
        /// The token.
        token: Id,
        /// True for the body of a multi-instance activity.
        body: bool,
        /// Its node (None for the process instance).
        node: NodeIdx,
        /// The enclosing token.
        parent: Id,
        /// When.
        at: Timestamp,
    },
    /// An activity instance ended.
    ActivityEnded {
        /// The token.
        token: Id,
        /// True for the body of a multi-instance activity.
        body: bool,
        /// Its node.
        node: NodeIdx,
        /// True when cancelled (interrupted, terminated, deleted).
        canceled: bool,
        /// When.
        at: Timestamp,
    },
    /// The process instance ended.
    InstanceEnded {
        /// How.
        state: EndState,
        /// At which node (the end event), when known.
        node: Option<NodeIdx>,
        /// When.
        at: Timestamp,
    },
}

/// A variable written or removed in a scope.
#[derive(Debug, Clone, PartialEq)]
pub struct VariableChange {
    /// The token whose scope holds the variable.
    pub scope: Id,
    /// The variable name.
    pub name: String,
    /// True when removed (explicitly, or because its scope ended).
    pub removed: bool,
    /// True when the variable did not exist in that scope before.
    pub created: bool,
}
