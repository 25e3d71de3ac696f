//! Suspending and activating process instances and process definitions.
//!
//! A suspended instance keeps its state but does no work: its external tasks are not
//! fetched, its user tasks show as suspended and its timers do not fire (the store
//! filters on the `suspended` columns). A suspended definition cannot be started.
//!
//! Camunda runs these commands as plain updates: an id that names nothing changes
//! nothing and is not an error (`AbstractSetProcessInstanceStateCmd`,
//! `AbstractSetProcessDefinitionStateCmd`), and procos does the same. Each call returns
//! whether the instance or definition existed, for callers that want to say more.

use std::collections::BTreeSet;

use crate::store::Query;

use super::error::ServiceResult;
use super::Engine;

impl Engine {
    /// Suspends (`true`) or activates (`false`) a running instance with its external
    /// tasks, user tasks and timers, in one transaction. Returns false, having changed
    /// nothing, when no running instance has that id.
    pub async fn set_instance_suspended(&self, id: &str, suspended: bool) -> ServiceResult<bool> {
        // Workers waiting on these topics must look again once the tasks can be fetched.
        let topics = if suspended {
            BTreeSet::new()
        } else {
            self.topics_of(Query::all().eq("instance_id", id)).await?
        };
        transact!(self, work, {
            // Locking the row orders this command after any other on the same instance.
            if work.tx().lock_instance(id).await?.is_none() {
                return Ok(false);
            }
            work.tx().set_instance_suspended(id, suspended).await?;
            if !suspended {
                for topic in &topics {
                    work.wake_topic(topic);
                }
                work.wake_jobs();
            }
            Ok(true)
        })
    }

    /// Suspends (`true`) or activates (`false`) a process definition, and with
    /// `include_instances` all its running instances too, in one transaction. Returns
    /// false, having changed nothing, when no definition has that id.
    pub async fn set_definition_suspended(
        &self,
        id: &str,
        suspended: bool,
        include_instances: bool,
    ) -> ServiceResult<bool> {
        let topics = if suspended || !include_instances {
            BTreeSet::new()
        } else {
            self.topics_of(Query::all().eq("definition_id", id)).await?
        };
        let deployment = transact!(self, work, {
            let Some(definition) = work.tx().definition(id).await? else {
                return Ok(None);
            };
            work.tx()
                .set_definition_suspended(id, suspended, include_instances)
                .await?;
            if !suspended {
                for topic in &topics {
                    work.wake_topic(topic);
                }
                // Timer start events of the definition may fire again.
                work.wake_jobs();
            }
            Ok(Some(definition.deployment_id))
        })?;
        match deployment {
            Some(deployment_id) => {
                // The cached definition row carries the suspension flag that starting an
                // instance checks; drop it so the next use reads the new state.
                self.definitions.forget_deployment(&deployment_id);
                Ok(true)
            }
            None => Ok(false),
        }
    }

    /// The topics of the external tasks matching `q`.
    async fn topics_of(&self, q: Query) -> ServiceResult<BTreeSet<String>> {
        Ok(self
            .store
            .external_tasks(&q)
            .await?
            .into_iter()
            .map(|t| t.topic)
            .collect())
    }
}
