//! `POST /condition`: starting process instances through their conditional start
//! events, as Camunda's `RuntimeService.createConditionEvaluation()` does.

use std::sync::Arc;

use crate::bpmn::{EventTrigger, NodeKind};
use crate::runtime::scope::VariablesContext;
use crate::runtime::Start;
use crate::store::{Filter, Query};
use crate::value::Variables;

use super::definitions::Deployed;
use super::error::{ServiceError, ServiceResult};
use super::work::Started;
use super::Engine;

/// What to evaluate the conditional start events with.
#[derive(Debug, Clone, Default)]
pub struct ConditionEvaluation {
    /// Variables the conditions see, and the started instances get.
    pub variables: Variables,
    /// The business key of the started instances.
    pub business_key: Option<String>,
    /// Only this process definition.
    pub definition_id: Option<String>,
    /// Only definitions of this tenant (`Some(None)`: without a tenant).
    pub tenant: Option<Option<String>>,
}

impl Engine {
    /// Evaluates the conditional start events of the latest process definitions and
    /// starts an instance at every one whose condition holds, all in one transaction.
    pub async fn evaluate_start_conditions(
        &self,
        req: &ConditionEvaluation,
    ) -> ServiceResult<Vec<(Arc<Deployed>, Started)>> {
        let mut q = Query::all()
            .eq("event_type", "conditional")
            .filter(Filter::IsNull("instance_id"));
        if let Some(id) = &req.definition_id {
            q = q.eq("definition_id", id.as_str());
        }
        match &req.tenant {
            Some(Some(t)) => q = q.eq("tenant_id", t.as_str()),
            Some(None) => q = q.filter(Filter::IsNull("tenant_id")),
            None => {}
        }
        let subs = self.store.subscriptions(&q).await?;
        if subs.is_empty() {
            return Err(ServiceError::BadRequest(match &req.definition_id {
                Some(id) => format!(
                    "Process definition with id '{id}' does not declare conditional start event."
                ),
                None => {
                    "No subscriptions were found during evaluation of the conditional start events."
                        .to_owned()
                }
            }));
        }
        let now = self.now();
        let mut matching = Vec::new();
        for sub in subs {
            let deployed = self.definitions.get(&sub.definition_id).await?;
            let Some(node) = deployed.graph.node_by_id(&sub.activity_id) else {
                continue;
            };
            let NodeKind::StartEvent {
                trigger: EventTrigger::Conditional { condition, .. },
                ..
            } = &deployed.graph.node(node).kind
            else {
                continue;
            };
            let mut vars = req.variables.clone();
            let mut cx = VariablesContext {
                vars: &mut vars,
                now,
            };
            let holds = match condition.evaluate_condition(&mut cx) {
                Ok(holds) => holds,
                Err(crate::expr::EvalError::UnknownProperty { .. }) => false,
                Err(e) => return Err(ServiceError::BadRequest(e.to_string())),
            };
            if holds {
                matching.push((deployed, node));
            }
        }
        let started = transact!(self, work, {
            let mut started = Vec::with_capacity(matching.len());
            for (deployed, node) in &matching {
                let s = work
                    .start(
                        deployed.clone(),
                        Start {
                            at: Some(*node),
                            business_key: req.business_key.clone(),
                            variables: req.variables.clone(),
                            ..Start::default()
                        },
                        None,
                    )
                    .await?;
                started.push((deployed.clone(), s));
            }
            Ok(started)
        })?;
        Ok(started)
    }
}
