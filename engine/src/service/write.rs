//! From what the pure runtime returned to the rows the store writes.

use std::collections::HashMap;

use crate::bpmn::{NodeIdx, ProcessGraph};
use crate::ids::Id;
use crate::runtime::{Effect, EndState, EventKind, HistoryEvent, Instance, Outcome};
use crate::store::{
    ActivityEnd, DefinitionRow, ExternalTaskRow, HistoricActivityRow, HistoryContext, InstanceEnd,
    InstanceWrite, JobRow, SubscriptionRow, UserTaskRow,
};
use crate::value::Variables;

use super::ids::new_id;
use super::variables;

/// What the caller must do after persisting, besides committing.
#[derive(Debug, Default)]
pub struct Followups {
    /// Signals thrown by the instance, to broadcast in the same transaction.
    pub signals: Vec<(String, Variables)>,
    /// Topics that got new external tasks (to wake long-polling workers).
    pub topics: Vec<String>,
    /// Whether timer jobs were scheduled (to wake the job executor).
    pub jobs: bool,
    /// Whether the instance ended.
    pub ended: bool,
    /// Instances to start for call activities.
    pub calls: Vec<crate::runtime::CallSpec>,
    /// Called instances to cancel.
    pub canceled_calls: Vec<Id>,
    /// A BPMN error to pass to the calling process.
    pub error_to_caller: Option<(Option<String>, Option<String>)>,
    /// Escalations to pass to the calling process.
    pub escalations_to_caller: Vec<Option<String>>,
}

/// The context of one command on one instance.
pub struct WriteContext<'a> {
    /// The instance's definition.
    pub definition: &'a DefinitionRow,
    /// Its compiled graph.
    pub graph: &'a ProcessGraph,
    /// The state after the command.
    pub instance: &'a Instance,
    /// The instance's revision after the command.
    pub revision: i32,
    /// Command time.
    pub now: i64,
}

/// The `<activityId>:<token>` id Camunda shows for an activity instance; the process
/// instance's own id at the root.
pub fn activity_instance_id(graph: &ProcessGraph, node: Option<NodeIdx>, token: Id) -> String {
    match node {
        Some(n) => format!("{}:{}", graph.node(n).id, token),
        None => token.to_string(),
    }
}

/// The id of a multi-instance body: `<activityId>#multiInstanceBody:<token>`.
pub fn body_instance_id(graph: &ProcessGraph, node: NodeIdx, token: Id) -> String {
    format!("{}#multiInstanceBody:{}", graph.node(node).id, token)
}

/// Builds the rows of `outcome` into `w`.
pub fn outcome_rows(cx: &WriteContext<'_>, outcome: &Outcome, w: &mut InstanceWrite) -> Followups {
    let g = cx.graph;
    let inst = cx.instance;
    let instance_id = inst.id.to_string();
    let def = cx.definition;
    let mut follow = Followups::default();

    // Which node each token sits at, for parent activity instance ids: tokens alive now,
    // and tokens that started or ended during the command.
    let mut token_nodes: HashMap<Id, (Option<NodeIdx>, bool)> = inst
        .tokens
        .iter()
        .map(|t| (t.id, (t.node, t.body)))
        .collect();
    token_nodes.insert(inst.id, (None, false));
    for h in &outcome.history {
        match h {
            HistoryEvent::ActivityStarted {
                token, node, body, ..
            }
            | HistoryEvent::ActivityEnded {
                token, node, body, ..
            } => {
                token_nodes.insert(*token, (Some(*node), *body));
            }
            HistoryEvent::InstanceEnded { .. } => {}
        }
    }
    let ai_of = |token: Id, node: Option<NodeIdx>, body: bool| -> String {
        match (node, body) {
            (Some(n), true) => body_instance_id(g, n, token),
            _ => activity_instance_id(g, node, token),
        }
    };
    let ai_id = |token: Id| -> String {
        let (node, body) = token_nodes.get(&token).copied().unwrap_or((None, false));
        ai_of(token, node, body)
    };
    let mut called: HashMap<Id, String> = HashMap::new();

    let mut user_task_of: HashMap<Id, (String, Option<String>)> = HashMap::new();
    for e in &outcome.effects {
        match e {
            Effect::ExternalTaskCreated(spec) => {
                follow.topics.push(spec.topic.clone());
                w.external_tasks.push(ExternalTaskRow {
                    id: spec.id.to_string(),
                    instance_id: instance_id.clone(),
                    execution_id: spec.token.to_string(),
                    activity_id: g.node(spec.node).id.to_string(),
                    activity_instance_id: activity_instance_id(g, Some(spec.node), spec.token),
                    definition_id: def.id.clone(),
                    definition_key: def.key.clone(),
                    version_tag: def.version_tag.clone(),
                    tenant_id: def.tenant_id.clone(),
                    business_key: inst.business_key.clone(),
                    topic: spec.topic.clone(),
                    priority: spec.priority,
                    worker_id: None,
                    lock_expiration: None,
                    retries: None,
                    error_message: None,
                    error_details: None,
                    suspended: false,
                    create_time: cx.now,
                });
            }
            Effect::ExternalTaskRemoved { task } => {
                let id = task.to_string();
                w.resolved_incidents.push(id.clone());
                w.removed_external_tasks.push(id);
            }
            Effect::UserTaskCreated(spec) => {
                let node = spec.node.map(|n| g.node(n));
                user_task_of.insert(spec.token, (spec.id.to_string(), spec.assignee.clone()));
                let mut candidates: Vec<(&'static str, String)> = Vec::new();
                candidates.extend(spec.candidate_users.iter().map(|u| ("user", u.clone())));
                candidates.extend(spec.candidate_groups.iter().map(|g| ("group", g.clone())));
                w.user_tasks.push((
                    UserTaskRow {
                        id: spec.id.to_string(),
                        instance_id: instance_id.clone(),
                        execution_id: spec.token.to_string(),
                        activity_id: node.map(|n| n.id.to_string()).unwrap_or_default(),
                        activity_instance_id: activity_instance_id(g, spec.node, spec.token),
                        definition_id: def.id.clone(),
                        definition_key: def.key.clone(),
                        tenant_id: def.tenant_id.clone(),
                        business_key: inst.business_key.clone(),
                        name: spec.name.clone(),
                        description: spec.description.clone(),
                        assignee: spec.assignee.clone(),
                        owner: None,
                        priority: spec.priority,
                        due: spec.due.map(|t| t.0),
                        follow_up: spec.follow_up.map(|t| t.0),
                        form_key: spec.form_key.clone(),
                        suspended: false,
                        created: cx.now,
                        last_updated: None,
                    },
                    candidates,
                ));
            }
            Effect::UserTaskRemoved { task, .. } => w.removed_user_tasks.push(task.to_string()),
            Effect::SubscriptionOpened {
                id,
                token,
                node,
                kind,
                name,
            } => w.subscriptions.push(SubscriptionRow {
                id: id.to_string(),
                event_type: match kind {
                    EventKind::Message => "message",
                    EventKind::Signal => "signal",
                    EventKind::Conditional => "conditional",
                }
                .to_owned(),
                event_name: name.clone(),
                instance_id: Some(instance_id.clone()),
                execution_id: Some(token.to_string()),
                activity_id: g.node(*node).id.to_string(),
                definition_id: def.id.clone(),
                tenant_id: def.tenant_id.clone(),
                created: cx.now,
            }),
            Effect::TimerScheduled {
                job,
                token,
                node,
                due,
                repeat,
            } => {
                follow.jobs = true;
                w.jobs.push(timer_job(
                    job.to_string(),
                    "timer",
                    due.0,
                    Some(instance_id.clone()),
                    Some(token.to_string()),
                    def,
                    g.node(*node).id.to_string(),
                    repeat.clone(),
                    cx.now,
                ));
                if let Some(row) = w.jobs.last_mut() {
                    row.retries = retry_policy(g.node(*node).retry_cycle.as_deref()).0;
                }
            }
            Effect::SubscriptionClosed { id } => {
                let id = id.to_string();
                w.resolved_incidents.push(id.clone());
                w.removed_subscriptions.push(id);
            }
            Effect::SignalThrown { name, variables } => {
                follow.signals.push((name.clone(), variables.clone()));
            }
            Effect::ContinuationScheduled {
                job,
                token,
                node,
                after,
            } => {
                follow.jobs = true;
                let mut row = timer_job(
                    job.to_string(),
                    if *after {
                        "async-after"
                    } else {
                        "async-before"
                    },
                    cx.now,
                    Some(instance_id.clone()),
                    Some(token.to_string()),
                    def,
                    g.node(*node).id.to_string(),
                    None,
                    cx.now,
                );
                row.retries = retry_policy(g.node(*node).retry_cycle.as_deref()).0;
                w.jobs.push(row);
            }
            Effect::CallStarted(spec) => {
                called.insert(spec.token, spec.child.to_string());
                follow.calls.push((**spec).clone());
            }
            Effect::CallCanceled { child } => follow.canceled_calls.push(*child),
            Effect::ErrorToCaller { code, message } => {
                follow.error_to_caller = Some((code.clone(), message.clone()));
            }
            Effect::EscalationToCaller { code } => follow.escalations_to_caller.push(code.clone()),
            Effect::InstanceEnded { .. } => {}
        }
    }

    // History: an activity that starts and ends in the same command is one insert.
    let mut started_here: HashMap<Id, usize> = HashMap::new();
    let base_seq = i64::from(cx.revision) * 1_000_000;
    for (i, h) in outcome.history.iter().enumerate() {
        match h {
            HistoryEvent::ActivityStarted {
                token,
                body,
                node,
                parent,
                at,
            } => {
                let n = g.node(*node);
                let (task_id, assignee) = user_task_of
                    .get(token)
                    .map_or((None, None), |(t, a)| (Some(t.clone()), a.clone()));
                started_here.insert(*token, w.history_activities.len());
                w.history_activities.push(HistoricActivityRow {
                    id: ai_of(*token, Some(*node), *body),
                    instance_id: instance_id.clone(),
                    parent_id: ai_id(*parent),
                    execution_id: token.to_string(),
                    activity_id: n.id.to_string(),
                    activity_name: n.name.as_deref().map(str::to_owned),
                    activity_type: if *body {
                        "multiInstanceBody"
                    } else {
                        n.activity_type
                    }
                    .to_owned(),
                    definition_id: def.id.clone(),
                    definition_key: def.key.clone(),
                    tenant_id: def.tenant_id.clone(),
                    task_id,
                    assignee,
                    called_instance_id: called.get(token).cloned(),
                    start_time: at.0,
                    end_time: None,
                    canceled: false,
                    seq: base_seq + i as i64,
                });
            }
            HistoryEvent::ActivityEnded {
                token,
                body,
                node,
                canceled,
                at,
            } => match started_here.get(token) {
                Some(&pos) => {
                    let row = &mut w.history_activities[pos];
                    row.end_time = Some(at.0);
                    row.canceled = *canceled;
                }
                None => w.history_activity_ends.push(ActivityEnd {
                    id: ai_of(*token, Some(*node), *body),
                    end_time: at.0,
                    canceled: *canceled,
                }),
            },
            HistoryEvent::InstanceEnded { state, node, at } => {
                follow.ended = true;
                let removal_time = def
                    .history_ttl
                    .map(|days| at.0.saturating_add(i64::from(days) * 86_400_000));
                w.history_instance_end = Some(InstanceEnd {
                    id: instance_id.clone(),
                    end_time: at.0,
                    state: end_state_name(*state).to_owned(),
                    end_activity_id: node.map(|n| g.node(n).id.to_string()),
                    delete_reason: None,
                    removal_time,
                });
            }
        }
    }

    // Variables: the last change per (scope, name) wins; values come from the new state.
    let mut seen: HashMap<(Id, &str), bool> = HashMap::new();
    for change in outcome.variables.iter().rev() {
        if seen
            .insert((change.scope, change.name.as_str()), true)
            .is_some()
        {
            continue;
        }
        let scope = change.scope.to_string();
        if inst.token(change.scope).is_none() {
            let last = outcome
                .ended_scopes
                .iter()
                .rev()
                .find(|(id, _)| *id == change.scope)
                .and_then(|(_, vars)| vars.iter().find(|v| v.name == change.name));
            if let Some(v) = last.filter(|v| !v.transient) {
                w.ended_variables.push(variables::row(
                    new_id(),
                    &instance_id,
                    &scope,
                    &change.name,
                    &v.value,
                ));
                continue;
            }
        }
        let value = inst
            .token(change.scope)
            .and_then(|t| t.vars.iter().find(|v| v.name == change.name));
        match value {
            Some(v) if !change.removed && !v.transient => w.variables.push(variables::row(
                new_id(),
                &instance_id,
                &scope,
                &change.name,
                &v.value,
            )),
            _ => w.removed_variables.push((scope, change.name.clone())),
        }
    }
    w.variables.reverse();
    net_out(w);
    if w.history_context.is_none() {
        w.history_context = Some(HistoryContext {
            definition_id: def.id.clone(),
            definition_key: def.key.clone(),
            tenant_id: def.tenant_id.clone(),
            now: cx.now,
        });
    }
    follow
}

/// Drops rows created and removed within the same write: deletes run before inserts,
/// so such a row would otherwise outlive the thing it belongs to.
fn net_out(w: &mut InstanceWrite) {
    if !w.removed_subscriptions.is_empty() {
        let gone: std::collections::HashSet<&str> =
            w.removed_subscriptions.iter().map(String::as_str).collect();
        w.subscriptions.retain(|s| !gone.contains(s.id.as_str()));
        w.jobs.retain(|j| !gone.contains(j.id.as_str()));
    }
    if !w.removed_external_tasks.is_empty() {
        let gone: std::collections::HashSet<&str> = w
            .removed_external_tasks
            .iter()
            .map(String::as_str)
            .collect();
        w.external_tasks.retain(|t| !gone.contains(t.id.as_str()));
    }
    if !w.removed_user_tasks.is_empty() {
        let gone: std::collections::HashSet<&str> =
            w.removed_user_tasks.iter().map(String::as_str).collect();
        w.user_tasks.retain(|(t, _)| !gone.contains(t.id.as_str()));
    }
}

/// Camunda's name for how an instance ended.
pub fn end_state_name(state: EndState) -> &'static str {
    match state {
        EndState::Completed => "COMPLETED",
        EndState::ExternallyTerminated => "EXTERNALLY_TERMINATED",
        EndState::InternallyTerminated => "INTERNALLY_TERMINATED",
    }
}

/// A timer job row.
#[allow(clippy::too_many_arguments)]
pub fn timer_job(
    id: String,
    job_type: &str,
    due: i64,
    instance_id: Option<String>,
    execution_id: Option<String>,
    def: &DefinitionRow,
    activity_id: String,
    repeat: Option<String>,
    now: i64,
) -> JobRow {
    JobRow {
        id,
        job_type: job_type.to_owned(),
        due,
        instance_id,
        execution_id,
        definition_id: def.id.clone(),
        definition_key: def.key.clone(),
        activity_id,
        tenant_id: def.tenant_id.clone(),
        repeat,
        retries: 3,
        exception_message: None,
        exception_details: None,
        lock_owner: None,
        lock_expiration: None,
        suspended: false,
        priority: 0,
        created: now,
    }
}

/// How a failing job of a node is retried: (retries, wait before each retry in ms).
/// Camunda's default is 3 retries at once; `camunda:failedJobRetryTimeCycle` gives
/// `R<n>/<duration>` or a comma list of durations.
pub fn retry_policy(cycle: Option<&str>) -> (i32, Vec<i64>) {
    let Some(cycle) = cycle.map(str::trim).filter(|c| !c.is_empty()) else {
        return (3, Vec::new());
    };
    let millis = |d: &str| {
        crate::time::IsoDuration::parse(d.trim())
            .ok()
            .and_then(|d| d.add_to(crate::time::Timestamp(0)).ok())
            .map_or(0, |t| t.0)
    };
    if let Some(rest) = cycle.strip_prefix('R') {
        if let Some((count, period)) = rest.split_once('/') {
            let n = count.parse::<i32>().unwrap_or(3).max(0);
            let wait = millis(period.rsplit('/').next().unwrap_or(period));
            return (n, vec![wait; usize::try_from(n).unwrap_or(0)]);
        }
    }
    let waits: Vec<i64> = cycle.split(',').map(millis).collect();
    (i32::try_from(waits.len()).unwrap_or(3), waits)
}
