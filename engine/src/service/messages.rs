//! Message correlation and signals, with Camunda's rules: a message goes to a waiting
//! execution first, otherwise to a message start event; exactly one target unless `all`.

use crate::ids::Id;
use crate::runtime::{Command, Start};
use crate::store::{CorrelationQuery, SqlValue, SubscriptionRow};
use crate::value::{Value, Variables};

use super::error::{ServiceError, ServiceResult};
use super::work::Work;
use super::Engine;

/// A message to correlate.
#[derive(Debug, Clone, Default)]
pub struct Correlate {
    /// The message name.
    pub message: String,
    /// Business key of the target instance (also the business key of a started one).
    pub business_key: Option<String>,
    /// A specific target instance.
    pub instance_id: Option<String>,
    /// Tenant: Some(Some(t)) that tenant, Some(None) without tenant, None any.
    pub tenant: Option<Option<String>>,
    /// Process variables the target instance must have.
    pub correlation_keys: Vec<(String, Value)>,
    /// Local variables the receiving execution must have.
    pub local_correlation_keys: Vec<(String, Value)>,
    /// Variables set on the receiving instance (propagating up the scopes).
    pub variables: Variables,
    /// Variables set locally on the receiving execution.
    pub local_variables: Variables,
    /// Correlate to every match instead of exactly one.
    pub all: bool,
}

/// Where a message went.
#[derive(Debug, Clone)]
pub enum Correlated {
    /// To a waiting execution of a running instance.
    Execution {
        /// The execution.
        execution_id: String,
        /// Its instance.
        instance_id: String,
        /// Whether the instance ended as a result.
        ended: bool,
        /// The instance's variables afterwards.
        variables: Variables,
    },
    /// It started a new instance.
    Started {
        /// The definition.
        definition_id: String,
        /// The new instance.
        started: super::work::Started,
        /// Its business key.
        business_key: Option<String>,
    },
}

/// A filter operand for a variable comparison in SQL.
pub fn sql_operand(v: &Value) -> SqlValue {
    match v {
        Value::String(s) | Value::Json(s) | Value::Xml(s) => SqlValue::Text(s.clone()),
        Value::Boolean(b) => SqlValue::Bool(*b),
        Value::Integer(n) => SqlValue::Int(i64::from(*n)),
        Value::Short(n) => SqlValue::Int(i64::from(*n)),
        Value::Long(n) => SqlValue::Int(*n),
        Value::Double(d) => SqlValue::Float(*d),
        Value::Date(t) => SqlValue::Int(t.0),
        _ => SqlValue::Text(String::new()),
    }
}

fn describe(c: &Correlate) -> String {
    let keys = |ks: &[(String, Value)]| {
        let inner: Vec<String> = ks.iter().map(|(k, v)| format!("{k}={v:?}")).collect();
        format!("{{{}}}", inner.join(", "))
    };
    format!(
        "CorrelationSet [businessKey={}, processInstanceId={}, processDefinitionId=null, correlationKeys={}, localCorrelationKeys={}, tenantId={}, isTenantIdSet={}]",
        c.business_key.as_deref().unwrap_or("null"),
        c.instance_id.as_deref().unwrap_or("null"),
        keys(&c.correlation_keys),
        keys(&c.local_correlation_keys),
        c.tenant.clone().flatten().as_deref().unwrap_or("null"),
        c.tenant.is_some(),
    )
}

impl Engine {
    /// Correlates a message.
    pub async fn correlate(&self, c: &Correlate) -> ServiceResult<Vec<Correlated>> {
        transact!(self, work, correlate_in(work, c).await)
    }

    /// Broadcasts a signal to every catching event and signal start event, or delivers it
    /// to one execution.
    pub async fn signal(
        &self,
        name: &str,
        variables: Variables,
        execution_id: Option<&str>,
        tenant: Option<Option<String>>,
    ) -> ServiceResult<()> {
        transact!(self, work, {
            let variables = variables.clone();
            let tenant = tenant.clone();

            match execution_id {
                None => {
                    work.broadcast_signal(name, variables, tenant.as_ref().map(|t| t.as_deref()))
                        .await?;
                }
                Some(execution) => {
                    let subs: Vec<SubscriptionRow> = work
                        .tx()
                        .signal_subscriptions(name, None)
                        .await?
                        .into_iter()
                        .filter(|s| s.execution_id.as_deref() == Some(execution))
                        .collect();
                    if subs.is_empty() {
                        return Err(ServiceError::BadRequest(format!(
                                "Execution '{execution}' has not subscribed to a signal event with name '{name}'."
                            )));
                    }
                    for sub in subs {
                        let (Some(instance), Ok(id)) =
                            (sub.instance_id.clone(), sub.id.parse::<Id>())
                        else {
                            continue;
                        };
                        work.apply(
                            &instance,
                            Command::Trigger {
                                subscription: id,
                                variables: variables.clone(),
                                local_variables: Variables::new(),
                            },
                        )
                        .await?;
                    }
                }
            }
            Ok(())
        })
    }
}

async fn correlate_in(work: &mut Work<'_>, c: &Correlate) -> ServiceResult<Vec<Correlated>> {
    let query = CorrelationQuery {
        message: c.message.clone(),
        business_key: c.business_key.clone(),
        instance_id: c.instance_id.clone(),
        tenant: c.tenant.clone(),
        correlation_keys: c
            .correlation_keys
            .iter()
            .map(|(k, v)| (k.clone(), sql_operand(v)))
            .collect(),
        local_correlation_keys: c
            .local_correlation_keys
            .iter()
            .map(|(k, v)| (k.clone(), sql_operand(v)))
            .collect(),
        starts: false,
        executions: true,
    };
    let executions = work.tx().correlation_candidates(&query).await?;
    let starts = if c.instance_id.is_none()
        && c.local_correlation_keys.is_empty()
        && (c.all || executions.is_empty())
    {
        work.tx()
            .correlation_candidates(&CorrelationQuery {
                starts: true,
                executions: false,
                business_key: None,
                correlation_keys: Vec::new(),
                ..query.clone()
            })
            .await?
    } else {
        Vec::new()
    };
    if !c.all {
        if executions.len() > 1 {
            return Err(ServiceError::Correlation(format!(
                "ENGINE-13031 Cannot correlate a message with name '{}' to a single execution. {} executions match the correlation keys: {}",
                c.message,
                executions.len(),
                describe(c)
            )));
        }
        if executions.is_empty() && starts.len() > 1 {
            return Err(ServiceError::Correlation(format!(
                "ENGINE-13030 Cannot correlate a message with name '{}' to a single process definition. {} process definitions match the correlations keys: {}",
                c.message,
                starts.len(),
                describe(c)
            )));
        }
        if executions.is_empty() && starts.is_empty() {
            return Err(ServiceError::Correlation(format!(
                "Cannot correlate message '{}': No process definition or execution matches the parameters",
                c.message
            )));
        }
    }
    let mut results = Vec::new();
    let targets: Vec<&SubscriptionRow> = if c.all {
        executions.iter().chain(starts.iter()).collect()
    } else if let Some(e) = executions.first() {
        vec![e]
    } else {
        starts.iter().take(1).collect()
    };
    for sub in targets {
        match &sub.instance_id {
            Some(instance) => {
                let Ok(id) = sub.id.parse::<Id>() else {
                    continue;
                };
                work.load(instance).await?;
                // With `all`, an earlier delivery may have removed this subscription.
                if work
                    .state(instance)
                    .is_none_or(|s| s.subscription_owner(id).is_none())
                {
                    continue;
                }
                work.apply(
                    instance,
                    Command::Trigger {
                        subscription: id,
                        variables: c.variables.clone(),
                        local_variables: c.local_variables.clone(),
                    },
                )
                .await?;
                let state = work.state(instance);
                results.push(Correlated::Execution {
                    execution_id: sub.execution_id.clone().unwrap_or_else(|| instance.clone()),
                    instance_id: instance.clone(),
                    ended: state.is_none_or(|s| s.is_ended()),
                    variables: state
                        .and_then(|s| s.tokens.first())
                        .map(|t| t.vars.clone())
                        .unwrap_or_default(),
                });
            }
            None => {
                let deployed = work_definition(work, &sub.definition_id).await?;
                let Some(at) = deployed.graph.node_by_id(&sub.activity_id) else {
                    continue;
                };
                let started = work
                    .start(
                        deployed.clone(),
                        Start {
                            at: Some(at),
                            business_key: c.business_key.clone(),
                            variables: c.variables.clone(),
                            ..Start::default()
                        },
                        None,
                    )
                    .await?;
                results.push(Correlated::Started {
                    definition_id: sub.definition_id.clone(),
                    started,
                    business_key: c.business_key.clone(),
                });
            }
        }
    }
    Ok(results)
}

async fn work_definition(
    work: &mut Work<'_>,
    definition_id: &str,
) -> ServiceResult<std::sync::Arc<super::definitions::Deployed>> {
    work.definition(definition_id).await
}
