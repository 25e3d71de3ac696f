//! The SQLite store: the embedded default, one file, one node.
//!
//! WAL mode lets reads run beside the single writer; every write transaction is
//! `BEGIN IMMEDIATE`, so commands are serialized by the database itself and never fail
//! half-way on a lock upgrade. `synchronous = FULL` makes a commit durable before procos
//! acknowledges it.

use std::str::FromStr;
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

use super::StoreResult;

type DB = sqlx::Sqlite;

const KIND: super::StoreKind = super::StoreKind::Sqlite;
const BEGIN: &str = "BEGIN IMMEDIATE";
const FOR_UPDATE: &str = "";
const SKIP_LOCKED: &str = "";
/// How a batch of statements is sent as one (see `Batch` in backend.rs).
const BATCH_AS_WITH: bool = false;
/// `BEGIN IMMEDIATE` already makes every write transaction exclusive.
const DEPLOYMENT_LOCK: Option<&str> = None;
static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../migrations/sqlite");

include!("backend.rs");

/// The SQLite store.
pub type SqliteStore = Backend;

impl Backend {
    /// Opens (creating if needed) the database file named by `url`.
    pub async fn connect(url: &str) -> StoreResult<Backend> {
        let options = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .busy_timeout(Duration::from_secs(30))
            .foreign_keys(true)
            // PostgreSQL's LIKE is case-sensitive; make SQLite's behave the same.
            .pragma("case_sensitive_like", "ON");
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .min_connections(1)
            .acquire_timeout(Duration::from_secs(30))
            .connect_with(options)
            .await?;
        Ok(Backend {
            pool,
            writer: Some(std::sync::Arc::new(tokio::sync::Mutex::new(()))),
        })
    }
}
