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

/// Message or signal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventKind {
    /// A message subscription.
    Message,
    /// A signal subscription.
    Signal,
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
}
