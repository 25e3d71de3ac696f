//! The PostgreSQL store: production and clusters.
//!
//! Commands lock their instance row (`SELECT ... FOR UPDATE`), fetch-and-lock and job
//! acquisition skip rows other transactions are locking (`FOR UPDATE SKIP LOCKED`), and
//! new work is announced to other nodes with `NOTIFY`.

use std::time::Duration;

use sqlx::postgres::{PgListener, PgPoolOptions};

use super::StoreResult;

type DB = sqlx::Postgres;

const KIND: super::StoreKind = super::StoreKind::Postgres;
const BEGIN: &str = "BEGIN";
const FOR_UPDATE: &str = " FOR UPDATE";
const SKIP_LOCKED: &str = " FOR UPDATE SKIP LOCKED";
const NOTIFY: bool = true;
/// Serializes deployments across nodes until commit; the key is "procos" in ASCII, so it
/// does not collide with advisory locks an application sharing the database might take.
const DEPLOYMENT_LOCK: Option<&str> = Some("SELECT pg_advisory_xact_lock(123636797370227)");
static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../migrations/postgres");

include!("backend.rs");

/// The PostgreSQL store.
pub type PgStore = Backend;

impl Backend {
    /// Connects a pool of `max_connections`.
    pub async fn connect(url: &str, max_connections: u32) -> StoreResult<Backend> {
        let pool = PgPoolOptions::new()
            .max_connections(max_connections)
            .min_connections(1)
            .acquire_timeout(Duration::from_secs(10))
            .connect(url)
            .await?;
        Ok(Backend { pool })
    }
}

/// Receives `NOTIFY` messages that other nodes send when they create work.
pub struct Listener {
    inner: PgListener,
}

impl Listener {
    /// Connects and listens on `channels`.
    pub async fn connect(url: &str, channels: &[&str]) -> StoreResult<Listener> {
        let mut inner = PgListener::connect(url).await?;
        inner.listen_all(channels.iter().copied()).await?;
        Ok(Listener { inner })
    }

    /// Waits for the next notification: (channel, payload). The connection is
    /// re-established transparently when it drops.
    pub async fn recv(&mut self) -> StoreResult<(String, String)> {
        let n = self.inner.recv().await?;
        Ok((n.channel().to_owned(), n.payload().to_owned()))
    }
}
