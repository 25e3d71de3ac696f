//! Ids for a running server: time-ordered UUIDs (version 7), so rows inserted together
//! sit together in indexes and ids sort by creation.

use crate::ids::{Id, IdSource};

/// Draws UUIDv7 ids.
#[derive(Debug, Default, Clone, Copy)]
pub struct UuidIds;

impl IdSource for UuidIds {
    fn next_id(&mut self) -> Id {
        Id(uuid::Uuid::now_v7().as_u128())
    }
}

/// A fresh id as text.
pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}
