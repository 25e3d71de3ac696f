//! Compiled definitions, cached: a definition never changes once deployed (only its
//! suspension flag, which commands read from the database), so it is compiled once per
//! node.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use crate::bpmn::{self, ProcessGraph};
use crate::store::{DefinitionRow, Query, Store, Tx};

use super::error::{ServiceError, ServiceResult};

/// A deployed definition: its row and its compiled graph.
#[derive(Debug)]
pub struct Deployed {
    /// The definition row.
    pub row: DefinitionRow,
    /// The compiled process.
    pub graph: ProcessGraph,
}

/// The cache.
pub struct Definitions {
    store: Arc<dyn Store>,
    cache: RwLock<HashMap<String, Arc<Deployed>>>,
}

impl Definitions {
    /// An empty cache over `store`.
    pub fn new(store: Arc<dyn Store>) -> Self {
        Definitions {
            store,
            cache: RwLock::new(HashMap::new()),
        }
    }

    /// The definition with `id`, compiled. Outside commands only: see
    /// [`Definitions::get_in`].
    pub async fn get(&self, id: &str) -> ServiceResult<Arc<Deployed>> {
        if let Some(d) = self.cached(id) {
            return Ok(d);
        }
        let row = self
            .store
            .definitions(&Query::all().eq("id", id))
            .await?
            .into_iter()
            .next()
            .ok_or_else(|| not_deployed(id))?;
        let resource = self
            .store
            .resource(&row.deployment_id, &row.resource_name)
            .await?
            .ok_or_else(|| resource_missing(&row))?;
        self.compile_and_keep(row, &resource.content)
    }

    /// The definition with `id`, compiled, reading a cache miss through `tx`.
    ///
    /// Commands must use this one. A command holds its transaction's connection while it
    /// runs; reading through the pool would need a second one, and when every connection
    /// is held by a command waiting for one more (a cold cache under load, as on a node
    /// that just started), the pool deadlocks until its acquire timeout.
    pub async fn get_in(&self, tx: &mut dyn Tx, id: &str) -> ServiceResult<Arc<Deployed>> {
        if let Some(d) = self.cached(id) {
            return Ok(d);
        }
        let row = tx.definition(id).await?.ok_or_else(|| not_deployed(id))?;
        let resource = tx
            .definition_resource(&row)
            .await?
            .ok_or_else(|| resource_missing(&row))?;
        self.compile_and_keep(row, &resource.content)
    }

    fn cached(&self, id: &str) -> Option<Arc<Deployed>> {
        self.cache.read().ok().and_then(|c| c.get(id).cloned())
    }

    fn compile_and_keep(&self, row: DefinitionRow, content: &[u8]) -> ServiceResult<Arc<Deployed>> {
        let deployed = Arc::new(compile_definition(row, content)?);
        self.insert(deployed.clone());
        Ok(deployed)
    }

    /// Adds a freshly deployed definition.
    pub fn insert(&self, deployed: Arc<Deployed>) {
        if let Ok(mut cache) = self.cache.write() {
            cache.insert(deployed.row.id.clone(), deployed);
        }
    }

    /// Forgets the definitions of a deleted deployment.
    pub fn forget_deployment(&self, deployment_id: &str) {
        if let Ok(mut cache) = self.cache.write() {
            cache.retain(|_, d| d.row.deployment_id != deployment_id);
        }
    }
}

fn not_deployed(id: &str) -> ServiceError {
    ServiceError::NotFound(format!(
        "no deployed process definition found with id '{id}'"
    ))
}

fn resource_missing(row: &DefinitionRow) -> ServiceError {
    ServiceError::Engine(format!(
        "the resource '{}' of process definition '{}' is missing",
        row.resource_name, row.id
    ))
}

/// Compiles the process `row.key` out of the resource it was deployed with.
pub fn compile_definition(row: DefinitionRow, content: &[u8]) -> ServiceResult<Deployed> {
    let text = std::str::from_utf8(content).map_err(|e| {
        ServiceError::Engine(format!(
            "resource '{}' is not UTF-8: {e}",
            row.resource_name
        ))
    })?;
    let defs = bpmn::compile(text).map_err(|rejected| ServiceError::Parse {
        resource: row.resource_name.clone(),
        rejected,
    })?;
    let graph = defs
        .processes
        .into_iter()
        .find(|p| p.key == row.key)
        .ok_or_else(|| {
            ServiceError::Engine(format!(
                "resource '{}' no longer defines process '{}'",
                row.resource_name, row.key
            ))
        })?;
    Ok(Deployed { row, graph })
}
