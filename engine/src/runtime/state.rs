//! The state of one process instance between commands.
//!
//! An instance is a tree of tokens. A token is what Camunda calls an activity instance
//! (and, for procos, also its execution): the process instance itself is the root
//! token, a subprocess is a token whose children are the tokens inside it, and every
//! task, catch event or join waiting for something is a leaf token. Tokens of
//! pass-through nodes (gateways, none events) live only during a command.
//!
//! The whole state serializes to a compact document that the store keeps in one row,
//! so loading an instance is one read.

use serde::{Deserialize, Serialize};

use crate::bpmn::NodeIdx;
use crate::ids::Id;
use crate::time::Timestamp;
use crate::value::Variables;

/// A process instance.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Instance {
    /// The process instance id; also the id of the root token.
    pub id: Id,
    /// The business key given at start.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub business_key: Option<String>,
    /// Live tokens, parents before children, in creation order. The root is first.
    pub tokens: Vec<Token>,
    /// Set once the instance has ended.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ended: Option<EndState>,
    /// The call activity that started this instance: (calling instance, its token).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub caller: Option<(Id, Id)>,
}

/// How an instance ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum EndState {
    /// Every token reached an end (also a terminate end event at process level).
    Completed,
    /// Cancelled from outside (deleted through the API).
    ExternallyTerminated,
    /// Ended by the process itself in a way other than completion.
    InternallyTerminated,
}

/// A token: an activity instance.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Token {
    /// Its id; the REST API shows `<activityId>:<id>` as activity instance id and `id`
    /// as execution id.
    pub id: Id,
    /// The flow node it is at; None for the process instance itself.
    #[serde(default, skip_serializing_if = "Option::is_none", with = "opt_node")]
    pub node: Option<NodeIdx>,
    /// The enclosing token (the scope it runs in); None for the root.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<Id>,
    /// What it is waiting for.
    pub wait: Wait,
    /// Local variables (input mappings, subprocess-local variables, process variables
    /// on the root).
    #[serde(default, skip_serializing_if = "Variables::is_empty")]
    pub vars: Variables,
    /// Message, signal and timer subscriptions this token owns: its own catch events,
    /// its boundary events, the targets of its event-based gateway, and the starts of
    /// the event subprocesses of its scope.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub subs: Vec<Subscription>,
    /// When it started.
    pub started: Timestamp,
    /// The body of a multi-instance activity (its children are the inner instances).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub body: bool,
    /// Activities completed in this scope that compensation can still undo, in
    /// completion order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub compensable: Vec<Compensable>,
    /// Set on a token that runs compensation: whom it reports to when done.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compensating: Option<Compensating>,
}

/// A completed activity that compensation can undo.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Compensable {
    /// The completed activity.
    #[serde(with = "node")]
    pub node: NodeIdx,
    /// For a subprocess without a handler of its own: what completed inside it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub inner: Vec<Compensable>,
    /// For a subprocess: its local variables when it completed, which its inner
    /// handlers see.
    #[serde(default, skip_serializing_if = "Variables::is_empty")]
    pub vars: Variables,
}

/// The part a token plays in running compensation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Compensating {
    /// A compensation handler; when it completes it reports to the token that asked.
    Handler(Id),
    /// A completed subprocess brought back to compensate what ran inside it, or the
    /// compensation event subprocess running inside it; it ends, instead of leaving,
    /// when the work inside is done.
    Scope(Id),
}

/// What a token is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Wait {
    /// Moving: created and about to leave within the current command.
    Active,
    /// A scope: the process instance, a subprocess or an event subprocess, whose
    /// children do the work.
    Scope,
    /// An external task is open for workers.
    ExternalTask(Id),
    /// A user task is open.
    UserTask(Id),
    /// A catch event, receive task or event-based gateway waiting on its subscriptions.
    Event,
    /// A receive task without a message, continued through `/execution/{id}/signal`.
    Signal,
    /// Arrived at a parallel or inclusive join, waiting for the other tokens.
    Join,
    /// Waiting for its asynchronous continuation job before running the node
    /// (`camunda:asyncBefore`); the activity has not started yet.
    AsyncBefore,
    /// Waiting for its asynchronous continuation job after the node completed
    /// (`camunda:asyncAfter`); the outgoing flows are taken when the job runs.
    AsyncAfter,
    /// A call activity waiting for the process instance it started.
    Called(Id),
    /// A BPMN error that nothing here catches was passed to the calling process; the
    /// token waits to learn whether the caller catches it.
    ErrorPassedUp,
    /// A compensation throw or cancel end event waiting for the handlers it started.
    Compensating,
}

/// A subscription a token owns.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Subscription {
    /// The subscription id (the job id for timers).
    pub id: Id,
    /// The catching node: a catch event, receive task, boundary event or event
    /// subprocess start event.
    #[serde(with = "node")]
    pub node: NodeIdx,
    /// What it waits for.
    pub kind: SubscriptionKind,
}

/// What a subscription waits for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum SubscriptionKind {
    /// A message by (evaluated) name.
    Message(String),
    /// A signal by (evaluated) name.
    Signal(String),
    /// An asynchronous continuation job (`after` = `camunda:asyncAfter`).
    Async {
        /// After the node rather than before it.
        after: bool,
    },
    /// A condition on variables, re-evaluated when they change.
    Conditional,
    /// A timer job.
    Timer {
        /// When it fires.
        due: Timestamp,
        /// What remains of a repeating timer after this firing.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        repeat: Option<String>,
    },
}

impl Instance {
    /// The token with `id`.
    pub fn token(&self, id: Id) -> Option<&Token> {
        self.tokens.iter().find(|t| t.id == id)
    }

    /// The token with `id`, mutably.
    pub fn token_mut(&mut self, id: Id) -> Option<&mut Token> {
        self.tokens.iter_mut().find(|t| t.id == id)
    }

    /// Position of the token with `id` in [`Instance::tokens`].
    pub fn position(&self, id: Id) -> Option<usize> {
        self.tokens.iter().position(|t| t.id == id)
    }

    /// The direct children of `scope`.
    pub fn children(&self, scope: Id) -> impl Iterator<Item = &Token> + '_ {
        self.tokens.iter().filter(move |t| t.parent == Some(scope))
    }

    /// The token that owns the subscription `sub`.
    pub fn subscription_owner(&self, sub: Id) -> Option<(&Token, &Subscription)> {
        self.tokens
            .iter()
            .find_map(|t| t.subs.iter().find(|s| s.id == sub).map(|s| (t, s)))
    }

    /// The token waiting on the external task `task`.
    pub fn external_task_token(&self, task: Id) -> Option<&Token> {
        self.tokens
            .iter()
            .find(|t| t.wait == Wait::ExternalTask(task))
    }

    /// The token waiting on the user task `task`.
    pub fn user_task_token(&self, task: Id) -> Option<&Token> {
        self.tokens.iter().find(|t| t.wait == Wait::UserTask(task))
    }

    /// True for an inner instance of a multi-instance activity (its parent is the body).
    pub fn is_inner(&self, token: &Token) -> bool {
        token
            .parent
            .and_then(|p| self.token(p))
            .is_some_and(|p| p.body && p.node == token.node)
    }

    /// True once the instance has ended.
    pub fn is_ended(&self) -> bool {
        self.ended.is_some()
    }
}

/// `NodeIdx` as a plain number in serialized state.
mod node {
    use super::NodeIdx;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(n: &NodeIdx, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u32(n.0)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<NodeIdx, D::Error> {
        u32::deserialize(d).map(NodeIdx)
    }
}

mod opt_node {
    use super::NodeIdx;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(n: &Option<NodeIdx>, s: S) -> Result<S::Ok, S::Error> {
        match n {
            Some(n) => s.serialize_some(&n.0),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<NodeIdx>, D::Error> {
        Option::<u32>::deserialize(d).map(|n| n.map(NodeIdx))
    }
}
