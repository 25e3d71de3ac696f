//! The compiled, validated form of one executable BPMN process.
//!
//! Everything the interpreter needs is resolved at deploy time: element references are
//! indices into flat arrays, expressions are parsed, timers are classified, and the
//! reachability the inclusive join needs is precomputed. The interpreter never looks
//! anything up by string id while a process runs.

use crate::expr::Expression;
use crate::time::TimerKind;

/// Index of a flow node in [`ProcessGraph::nodes`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NodeIdx(pub u32);

/// Index of a sequence flow in [`ProcessGraph::flows`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FlowIdx(pub u32);

impl NodeIdx {
    /// As a vector index.
    pub fn ix(self) -> usize {
        self.0 as usize
    }
}

impl FlowIdx {
    /// As a vector index.
    pub fn ix(self) -> usize {
        self.0 as usize
    }
}

/// One executable process, compiled.
#[derive(Debug)]
pub struct ProcessGraph {
    /// The process id, which becomes the process definition key.
    pub key: String,
    /// The process name.
    pub name: Option<String>,
    /// `camunda:versionTag`.
    pub version_tag: Option<String>,
    /// `camunda:historyTimeToLive`, in days.
    pub history_time_to_live: Option<u32>,
    /// `camunda:isStartableInTasklist` (default true).
    pub startable_in_tasklist: bool,
    /// Process-level `camunda:taskPriority`, the default for external tasks.
    pub task_priority: Option<Expression>,
    /// The documentation of the process, if any.
    pub documentation: Option<String>,
    /// Every flow node, at every nesting level.
    pub nodes: Vec<Node>,
    /// Every sequence flow.
    pub flows: Vec<Flow>,
    /// The process-level scope.
    pub scope: Scope,
    /// For each node, the nodes it can reach through sequence flows in its own scope.
    pub reach: Reachability,
    /// True when some event waits for a condition: only then do variable changes need
    /// re-evaluating.
    pub has_conditional_events: bool,
    /// Execution listeners on the `<process>` element: start when an instance starts, end
    /// when it ends.
    pub listeners: Vec<Listener>,
}

impl ProcessGraph {
    /// The node at `idx`.
    pub fn node(&self, idx: NodeIdx) -> &Node {
        &self.nodes[idx.ix()]
    }

    /// The flow at `idx`.
    pub fn flow(&self, idx: FlowIdx) -> &Flow {
        &self.flows[idx.ix()]
    }

    /// Finds a node by its BPMN id (for the REST layer and tests, not the hot path).
    pub fn node_by_id(&self, id: &str) -> Option<NodeIdx> {
        self.nodes
            .iter()
            .position(|n| &*n.id == id)
            .map(|i| NodeIdx(i as u32))
    }

    /// The scope data of the scope `scope` (None = the process itself).
    pub fn scope(&self, scope: Option<NodeIdx>) -> &Scope {
        match scope {
            None => &self.scope,
            Some(idx) => match &self.node(idx).kind {
                NodeKind::SubProcess(sub) => &sub.scope,
                // Only subprocesses own scopes; validation guarantees `scope` points at one.
                _ => &self.scope,
            },
        }
    }

    /// Where a plain start (by key or id, or from a call activity) enters the process:
    /// Camunda's initial activity, which is the none start event, else the timer start
    /// event, else the only start event whatever its trigger (a process whose single
    /// start event waits for a message can still be started by key). None when the
    /// process has several triggered start events and no none or timer start event.
    pub fn initial_start(&self) -> Option<NodeIdx> {
        if let Some(none) = self.scope.none_start {
            return Some(none);
        }
        let timer = self.scope.starts.iter().copied().find(|&idx| {
            matches!(
                self.node(idx).kind,
                NodeKind::StartEvent {
                    trigger: EventTrigger::Timer(_),
                    ..
                }
            )
        });
        match (timer, self.scope.starts.as_slice()) {
            (Some(timer), _) => Some(timer),
            (None, [only]) => Some(*only),
            _ => None,
        }
    }

    /// The message start events of the process level, with their message names.
    pub fn message_starts(&self) -> impl Iterator<Item = (NodeIdx, &str)> + '_ {
        self.scope
            .starts
            .iter()
            .filter_map(|&idx| match &self.node(idx).kind {
                NodeKind::StartEvent {
                    trigger: EventTrigger::Message { name, .. },
                    ..
                } => name.literal_text().map(|n| (idx, n)),
                _ => None,
            })
    }

    /// The conditional start events of the process level.
    pub fn conditional_starts(&self) -> impl Iterator<Item = NodeIdx> + '_ {
        self.scope.starts.iter().copied().filter(|&idx| {
            matches!(
                self.node(idx).kind,
                NodeKind::StartEvent {
                    trigger: EventTrigger::Conditional { .. },
                    ..
                }
            )
        })
    }

    /// The signal start events of the process level, with their signal names.
    pub fn signal_starts(&self) -> impl Iterator<Item = (NodeIdx, &str)> + '_ {
        self.scope
            .starts
            .iter()
            .filter_map(|&idx| match &self.node(idx).kind {
                NodeKind::StartEvent {
                    trigger: EventTrigger::Signal { name },
                    ..
                } => name.literal_text().map(|n| (idx, n)),
                _ => None,
            })
    }

    /// The timer start events of the process level.
    pub fn timer_starts(&self) -> impl Iterator<Item = (NodeIdx, &TimerDef)> + '_ {
        self.scope
            .starts
            .iter()
            .filter_map(|&idx| match &self.node(idx).kind {
                NodeKind::StartEvent {
                    trigger: EventTrigger::Timer(timer),
                    ..
                } => Some((idx, timer)),
                _ => None,
            })
    }
}

/// What a scope (the process, a subprocess, an event subprocess) contains.
#[derive(Debug, Default)]
pub struct Scope {
    /// The none start event where a plain start enters the scope.
    pub none_start: Option<NodeIdx>,
    /// Start events with a trigger (message, timer, signal, conditional), at process
    /// level only.
    pub starts: Vec<NodeIdx>,
    /// Event subprocesses directly inside this scope.
    pub event_subprocesses: Vec<NodeIdx>,
    /// Every flow node directly inside this scope.
    pub children: Vec<NodeIdx>,
}

/// A flow node.
#[derive(Debug)]
pub struct Node {
    /// The BPMN id.
    pub id: Box<str>,
    /// The BPMN name.
    pub name: Option<Box<str>>,
    /// What the node does.
    pub kind: NodeKind,
    /// The subprocess this node sits in; None at process level.
    pub parent: Option<NodeIdx>,
    /// Incoming sequence flows.
    pub incoming: Vec<FlowIdx>,
    /// Outgoing sequence flows, in document order (which decides the exclusive gateway).
    pub outgoing: Vec<FlowIdx>,
    /// The `default` flow of a gateway or activity.
    pub default_flow: Option<FlowIdx>,
    /// Boundary events attached to this activity.
    pub boundary_events: Vec<NodeIdx>,
    /// `camunda:inputOutput`.
    pub io: Option<Box<IoMapping>>,
    /// `camunda:properties`, handed to external-task workers as extension properties.
    pub properties: Vec<(String, String)>,
    /// `camunda:asyncBefore` / `camunda:asyncAfter` / `camunda:exclusive`.
    pub asynchrony: Asynchrony,
    /// `multiInstanceLoopCharacteristics`.
    pub multi: Option<Box<MultiInstance>>,
    /// `camunda:executionListener`s and (on user tasks) `camunda:taskListener`s.
    pub listeners: Vec<Listener>,
    /// `camunda:failedJobRetryTimeCycle`: retries and waits of failing jobs of this node.
    pub retry_cycle: Option<String>,
    /// `isForCompensation`: a compensation handler, run only by compensation.
    pub for_compensation: bool,
    /// The handler associated with this activity's compensation boundary event.
    pub compensation_handler: Option<NodeIdx>,
    /// The activity type Camunda reports in history and activity-instance trees.
    pub activity_type: &'static str,
    /// Where the element starts in the source file.
    pub line: u32,
    /// Where the element starts in the source file.
    pub column: u32,
}

/// Transaction boundaries around an activity.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Asynchrony {
    /// `camunda:asyncBefore` (or the deprecated `camunda:async`).
    pub before: bool,
    /// `camunda:asyncAfter`.
    pub after: bool,
    /// `camunda:exclusive` (default true).
    pub exclusive: bool,
}

/// A sequence flow.
#[derive(Debug)]
pub struct Flow {
    /// The BPMN id.
    pub id: Box<str>,
    /// The BPMN name.
    pub name: Option<Box<str>>,
    /// Where it leaves.
    pub source: NodeIdx,
    /// Where it arrives.
    pub target: NodeIdx,
    /// `conditionExpression`, if any (an expression or a script).
    pub condition: Option<Script>,
    /// `camunda:executionListener event="take"` expressions.
    pub take_listeners: Vec<Script>,
}

/// A multi-instance activity: the activity runs once per element or count.
#[derive(Debug)]
pub struct MultiInstance {
    /// `isSequential`.
    pub sequential: bool,
    /// `loopCardinality`.
    pub cardinality: Option<Expression>,
    /// `camunda:collection` or `loopDataInputRef`: a variable name, or an expression.
    pub collection: Option<Expression>,
    /// `camunda:elementVariable` or `inputDataItem`.
    pub element_variable: Option<String>,
    /// `completionCondition`.
    pub completion_condition: Option<Expression>,
    /// `camunda:asyncBefore`/`asyncAfter` on the loop characteristics: continuations
    /// around each inner instance.
    pub inner_asynchrony: Asynchrony,
}

/// When a listener runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListenerEvent {
    /// The activity starts.
    Start,
    /// The activity ends.
    End,
    /// A user task is created.
    Create,
    /// A user task is completed.
    Complete,
    /// A user task is deleted (cancelled).
    Delete,
}

/// A listener: something to evaluate at a lifecycle event.
#[derive(Debug)]
pub struct Listener {
    /// When.
    pub event: ListenerEvent,
    /// What.
    pub action: Script,
    /// True for a `camunda:taskListener` (it sees the `task` bean).
    pub task: bool,
}

/// Code to run: a JUEL expression or a script.
#[derive(Debug)]
pub enum Script {
    /// A `${...}` expression (also `scriptFormat="juel"`).
    Expression(Expression),
    /// JavaScript source.
    JavaScript(std::sync::Arc<str>),
}

/// The behaviour of a flow node.
#[derive(Debug)]
pub enum NodeKind {
    /// A start event; `interrupting` matters only for event-subprocess starts.
    StartEvent {
        /// What starts it.
        trigger: EventTrigger,
        /// `isInterrupting` (default true).
        interrupting: bool,
    },
    /// An end event.
    EndEvent {
        /// What it throws.
        result: ThrowResult,
    },
    /// An intermediate catch event.
    IntermediateCatch {
        /// What it waits for.
        trigger: EventTrigger,
    },
    /// An intermediate throw event.
    IntermediateThrow {
        /// What it throws.
        result: ThrowResult,
    },
    /// A boundary event.
    Boundary {
        /// The activity it is attached to.
        attached_to: NodeIdx,
        /// `cancelActivity` (default true).
        interrupting: bool,
        /// What it catches.
        trigger: EventTrigger,
    },
    /// A task.
    Task(TaskKind),
    /// A gateway.
    Gateway(GatewayKind),
    /// An embedded subprocess, event subprocess or transaction.
    SubProcess(Box<SubProcess>),
}

/// An embedded subprocess.
#[derive(Debug)]
pub struct SubProcess {
    /// `triggeredByEvent="true"`: an event subprocess.
    pub event_subprocess: bool,
    /// A `transaction` element.
    pub transaction: bool,
    /// What the subprocess contains.
    pub scope: Scope,
}

/// Gateways.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GatewayKind {
    /// XOR: the first true flow in document order, else the default flow.
    Exclusive,
    /// AND: fork to all, join waits for all.
    Parallel,
    /// OR: fork to every true flow, join waits until no other token can arrive.
    Inclusive,
    /// Waits for the first of the events that follow it.
    EventBased,
}

/// Tasks.
#[derive(Debug)]
pub enum TaskKind {
    /// A plain `task`: passes through.
    Undefined,
    /// A `manualTask`: passes through.
    Manual,
    /// A service, send or business rule task (or a message throw event) with
    /// `camunda:type="external"`.
    External(ExternalTaskDef),
    /// `camunda:expression` on a service, send or business rule task.
    Expression {
        /// The expression to evaluate.
        expression: Expression,
        /// `camunda:resultVariable`.
        result_variable: Option<String>,
    },
    /// A user task.
    User(Box<UserTaskDef>),
    /// A call activity.
    Call(Box<CallActivityDef>),
    /// A script task.
    Script {
        /// The script.
        script: Script,
        /// `camunda:resultVariable`.
        result_variable: Option<String>,
    },
    /// A receive task, optionally waiting for a message.
    Receive {
        /// The message name, when `messageRef` is set.
        message: Option<Expression>,
    },
}

/// An external task definition.
#[derive(Debug)]
pub struct ExternalTaskDef {
    /// `camunda:topic`, possibly an expression.
    pub topic: Expression,
    /// `camunda:taskPriority`.
    pub priority: Option<Expression>,
    /// `camunda:errorEventDefinition`s: evaluated when a worker completes or fails the
    /// task; the first true one turns the result into a BPMN error.
    pub error_events: Vec<ErrorEventDef>,
}

/// One `camunda:errorEventDefinition`.
#[derive(Debug)]
pub struct ErrorEventDef {
    /// The error code thrown.
    pub code: Option<String>,
    /// The error message, when the referenced error has `camunda:errorMessage`.
    pub message: Option<Expression>,
    /// The condition.
    pub expression: Expression,
}

/// Which version of the called process a call activity starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallBinding {
    /// The latest version (the default).
    Latest,
    /// The version deployed with the calling process.
    Deployment,
    /// A fixed version (`camunda:calledElementVersion`).
    Version,
    /// The latest version with a tag (`camunda:calledElementVersionTag`).
    VersionTag,
}

/// A call activity.
#[derive(Debug)]
pub struct CallActivityDef {
    /// `calledElement`, possibly an expression.
    pub called_element: Expression,
    /// `camunda:calledElementBinding`.
    pub binding: CallBinding,
    /// `camunda:calledElementVersion`.
    pub version: Option<Expression>,
    /// `camunda:calledElementVersionTag`.
    pub version_tag: Option<Expression>,
    /// `camunda:calledElementTenantId`.
    pub tenant_id: Option<Expression>,
    /// `camunda:in businessKey="..."`.
    pub business_key: Option<Expression>,
    /// `camunda:in` mappings.
    pub ins: Vec<VarMapping>,
    /// `camunda:out` mappings.
    pub outs: Vec<VarMapping>,
}

/// One `camunda:in` or `camunda:out`.
#[derive(Debug)]
pub enum VarMapping {
    /// `variables="all"`: every variable.
    All {
        /// `local="true"`: local variables only (in) / set locally (out).
        local: bool,
    },
    /// One variable.
    One {
        /// `source` (a variable name) or `sourceExpression`.
        source: MappingSource,
        /// `target`.
        target: String,
        /// `local="true"`.
        local: bool,
    },
}

/// Where a mapped value comes from.
#[derive(Debug)]
pub enum MappingSource {
    /// A variable; a missing one maps to null, as in Camunda.
    Variable(String),
    /// An expression.
    Expression(Expression),
}

/// A user task's assignment and metadata.
#[derive(Debug, Default)]
pub struct UserTaskDef {
    /// The task name, when it contains an expression (otherwise the node name is used).
    pub name: Option<Expression>,
    /// `camunda:assignee`.
    pub assignee: Option<Expression>,
    /// `camunda:candidateUsers` (comma-separated).
    pub candidate_users: Option<Expression>,
    /// `camunda:candidateGroups` (comma-separated).
    pub candidate_groups: Option<Expression>,
    /// `camunda:dueDate`.
    pub due_date: Option<Expression>,
    /// `camunda:followUpDate`.
    pub follow_up_date: Option<Expression>,
    /// `camunda:priority` (default 50).
    pub priority: Option<Expression>,
    /// `camunda:formKey`.
    pub form_key: Option<Expression>,
    /// The task's documentation, shown as its description.
    pub documentation: Option<String>,
    /// `camunda:formData` fields with their defaults, for `form-variables`.
    pub form_fields: Vec<FormField>,
}

/// One `camunda:formField`.
#[derive(Debug)]
pub struct FormField {
    /// Field id, which is also the variable name.
    pub id: String,
    /// Field type (`string`, `long`, `boolean`, `date`, `enum`).
    pub field_type: Option<String>,
    /// `defaultValue`, possibly an expression.
    pub default_value: Option<Expression>,
}

/// What a catching event waits for.
#[derive(Debug)]
pub enum EventTrigger {
    /// Nothing: a none start event.
    None,
    /// A message, by name.
    Message {
        /// The message name (may be an expression, except on start events).
        name: Expression,
    },
    /// A timer.
    Timer(TimerDef),
    /// A signal, by name.
    Signal {
        /// The signal name (may be an expression, except on start events).
        name: Expression,
    },
    /// A BPMN error.
    Error {
        /// The error code to match; None catches every error.
        code: Option<String>,
        /// `camunda:errorCodeVariable`.
        code_variable: Option<String>,
        /// `camunda:errorMessageVariable`.
        message_variable: Option<String>,
    },
    /// An escalation.
    Escalation {
        /// The escalation code to match; None catches every escalation.
        code: Option<String>,
        /// `camunda:escalationCodeVariable`.
        code_variable: Option<String>,
    },
    /// A condition on variables.
    Conditional {
        /// The condition.
        condition: Expression,
        /// `camunda:variableName`: only changes of this variable re-evaluate it.
        variable_name: Option<String>,
        /// `camunda:variableEvents`: only these change kinds re-evaluate it.
        variable_events: Vec<String>,
    },
    /// Compensation.
    Compensation,
    /// Cancellation of a transaction.
    Cancel,
    /// A link, by name.
    Link {
        /// The link name.
        name: String,
    },
}

/// A timer definition, its text kept as an expression for `${...}` timers.
#[derive(Debug)]
pub struct TimerDef {
    /// Date, duration or cycle.
    pub kind: TimerKind,
    /// The definition text.
    pub text: Expression,
}

/// What a throwing event throws.
#[derive(Debug)]
pub enum ThrowResult {
    /// Nothing.
    None,
    /// Ends every token in the scope.
    Terminate,
    /// A BPMN error.
    Error {
        /// The error code; None when the error has no code.
        code: Option<String>,
        /// `camunda:errorMessage` of the error, possibly an expression.
        message: Option<Expression>,
    },
    /// An escalation.
    Escalation {
        /// The escalation code.
        code: Option<String>,
    },
    /// A signal, broadcast to every subscription.
    Signal {
        /// The signal name.
        name: Expression,
    },
    /// A message throw: without an implementation it behaves like a none event (as in
    /// Camunda); with `camunda:type="external"` it waits for a worker.
    Message {
        /// The external implementation, if any.
        external: Option<ExternalTaskDef>,
    },
    /// Cancels the enclosing transaction.
    Cancel,
    /// Triggers compensation.
    Compensate {
        /// The activity to compensate; None compensates the whole scope.
        activity: Option<NodeIdx>,
    },
    /// Jumps to the catching link event with the same name.
    Link {
        /// The catching link event.
        target: NodeIdx,
    },
}

/// `camunda:inputOutput`.
#[derive(Debug, Default)]
pub struct IoMapping {
    /// `camunda:inputParameter`s: local variables of the activity.
    pub inputs: Vec<Parameter>,
    /// `camunda:outputParameter`s: copied to the enclosing scope when the activity ends.
    pub outputs: Vec<Parameter>,
}

/// One input or output parameter.
#[derive(Debug)]
pub struct Parameter {
    /// The variable to set.
    pub name: String,
    /// Its value.
    pub value: ParamValue,
}

/// The value of a parameter.
#[derive(Debug)]
pub enum ParamValue {
    /// An empty parameter: null.
    Null,
    /// Text, possibly with `${...}`.
    Text(Expression),
    /// `camunda:list`.
    List(Vec<ParamValue>),
    /// `camunda:map`, its keys possibly expressions; Camunda sorts the result by key.
    Map(Vec<(Expression, ParamValue)>),
    /// `camunda:script`: the script's result.
    Script(Script),
}

/// For each node, the set of nodes reachable from it through sequence flows in its own
/// scope; what the inclusive join asks ("can another token still arrive here?").
#[derive(Debug, Default)]
pub struct Reachability {
    words: usize,
    bits: Vec<u64>,
}

impl Reachability {
    /// Computes reachability over `nodes` connected by `flows`.
    pub fn compute(nodes: &[Node], flows: &[Flow]) -> Reachability {
        let n = nodes.len();
        let words = n.div_ceil(64);
        let mut bits = vec![0u64; n * words];
        let mut stack = Vec::new();
        for start in 0..n {
            let row = start * words;
            stack.clear();
            stack.extend(nodes[start].outgoing.iter().map(|f| flows[f.ix()].target));
            // An event-based gateway reaches what its events reach; the flows already
            // model that. Links jump across the diagram without a flow.
            if let NodeKind::IntermediateThrow {
                result: ThrowResult::Link { target },
            } = nodes[start].kind
            {
                stack.push(target);
            }
            while let Some(next) = stack.pop() {
                let (w, b) = (next.ix() / 64, next.ix() % 64);
                if bits[row + w] & (1 << b) != 0 {
                    continue;
                }
                bits[row + w] |= 1 << b;
                stack.extend(
                    nodes[next.ix()]
                        .outgoing
                        .iter()
                        .map(|f| flows[f.ix()].target),
                );
                if let NodeKind::IntermediateThrow {
                    result: ThrowResult::Link { target },
                } = nodes[next.ix()].kind
                {
                    stack.push(target);
                }
            }
        }
        Reachability { words, bits }
    }

    /// True if a token at `from` can still arrive at `to`.
    pub fn can_reach(&self, from: NodeIdx, to: NodeIdx) -> bool {
        let (w, b) = (to.ix() / 64, to.ix() % 64);
        self.bits
            .get(from.ix() * self.words + w)
            .is_some_and(|word| word & (1 << b) != 0)
    }
}
