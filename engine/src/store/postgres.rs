//! The PostgreSQL store: production and clusters.
//!
//! Commands lock their instance row (`SELECT ... FOR UPDATE`), fetch-and-lock and job
//! acquisition skip rows other transactions are locking (`FOR UPDATE SKIP LOCKED`), and
//! new work is announced to other nodes with `NOTIFY` (after the command's commit, see
//! `service::notify`).

use std::time::Duration;

use std::str::FromStr;

use sqlx::postgres::{PgConnectOptions, PgConnection, PgListener, PgPoolOptions};
use sqlx::Connection;

use super::StoreResult;

type DB = sqlx::Postgres;

const KIND: super::StoreKind = super::StoreKind::Postgres;
const BEGIN: &str = "BEGIN";
const FOR_UPDATE: &str = " FOR UPDATE";
const SKIP_LOCKED: &str = " FOR UPDATE SKIP LOCKED";
/// How a batch of statements is sent as one (see `Batch` in backend.rs).
const BATCH_AS_WITH: bool = true;
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
        Ok(Backend { pool, writer: None })
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

/// Sends this node's notifications to the others, on a connection of its own whose
/// transactions commit without waiting for the WAL flush: a notification carries no
/// data, and what it announces was committed durably before it is sent.
pub struct Announcer {
    conn: PgConnection,
}

impl Announcer {
    /// Connects.
    pub async fn connect(url: &str) -> StoreResult<Announcer> {
        let options = PgConnectOptions::from_str(url)?.options([("synchronous_commit", "off")]);
        Ok(Announcer {
            conn: PgConnection::connect_with(&options).await?,
        })
    }

    /// `NOTIFY` each of `channels` with `payload`, in one transaction.
    pub async fn send(&mut self, channels: &[&str], payload: &str) -> StoreResult<()> {
        match channels {
            [] => {}
            [one] => {
                sqlx::query("SELECT pg_notify($1, $2)")
                    .bind(*one)
                    .bind(payload)
                    .execute(&mut self.conn)
                    .await?;
            }
            _ => {
                sqlx::query("SELECT pg_notify(c, $2) FROM unnest($1::text[]) AS c")
                    .bind(channels)
                    .bind(payload)
                    .execute(&mut self.conn)
                    .await?;
            }
        }
        Ok(())
    }
}
