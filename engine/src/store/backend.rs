// The store implementation shared by both databases.
//
// This file is not a module: `postgres.rs` and `sqlite.rs` each `include!` it after
// defining `DB` (the sqlx database type) and the few SQL fragments that differ. Writing
// it once against concrete types avoids both a second copy and the long generic bounds
// that sqlx code over an arbitrary `Database` needs.

use async_trait::async_trait;
use sqlx::{FromRow, Pool, QueryBuilder, Row, Transaction};

use crate::store::query::{Filter, Op, Order, Query, SqlValue, SubSelect};
use crate::store::rows::*;
use crate::store::{
    CorrelationQuery, FetchRequest, InstanceChange, InstanceWrite, Store, StoreKind, Table, Tx,
    UserTaskField,
};

type DbRow = <DB as sqlx::Database>::Row;

/// Every statement binds at most this many values, well under both databases' limits.
const MAX_IN_LIST: usize = 500;

/// A store on one database.
pub struct Backend {
    pool: Pool<DB>,
    /// Whose turn it is to write, where the database lets one writer in at a time
    /// (SQLite): writers queue here, in order, instead of in SQLite's busy handler, which
    /// sleeps in growing steps (up to 100 ms) and let a few commands wait tens of
    /// milliseconds while the database was idle. None on PostgreSQL, whose row locks
    /// let writers run side by side.
    writer: Option<std::sync::Arc<tokio::sync::Mutex<()>>>,
}

/// One write transaction.
pub struct BackendTx {
    tx: Transaction<'static, DB>,
    /// Held until the transaction ends (see [`Backend::writer`]); dropped after the
    /// commit or the rollback, since fields drop after the transaction's own work.
    _turn: Option<tokio::sync::OwnedMutexGuard<()>>,
}

fn bind_value(qb: &mut QueryBuilder<DB>, v: &SqlValue) {
    match v {
        SqlValue::Text(s) => qb.push_bind(s.clone()),
        SqlValue::Int(n) => qb.push_bind(*n),
        SqlValue::Float(f) => qb.push_bind(*f),
        SqlValue::Bool(b) => qb.push_bind(*b),
    };
}

fn push_list(qb: &mut QueryBuilder<DB>, values: &[SqlValue]) {
    qb.push("(");
    for (i, v) in values.iter().enumerate() {
        if i > 0 {
            qb.push(", ");
        }
        bind_value(qb, v);
    }
    qb.push(")");
}

fn push_filter(qb: &mut QueryBuilder<DB>, f: &Filter) {
    match f {
        Filter::Cmp(col, op, v) => {
            qb.push(*col).push(" ").push(op.sql()).push(" ");
            bind_value(qb, v);
        }
        Filter::In(_, values) | Filter::NotIn(_, values) if values.is_empty() => {
            qb.push(if matches!(f, Filter::In(..)) { "1 = 0" } else { "1 = 1" });
        }
        Filter::In(col, values) => {
            qb.push(*col).push(" IN ");
            push_list(qb, values);
        }
        Filter::NotIn(col, values) => {
            qb.push(*col).push(" NOT IN ");
            push_list(qb, values);
        }
        Filter::IsNull(col) => {
            qb.push(*col).push(" IS NULL");
        }
        Filter::NotNull(col) => {
            qb.push(*col).push(" IS NOT NULL");
        }
        Filter::Variable {
            instance_column,
            by_scope,
            name,
            op,
            value,
            ignore_case,
        } => {
            qb.push("EXISTS (SELECT 1 FROM variable v WHERE v.")
                .push(if *by_scope { "scope_id" } else { "instance_id" })
                .push(" = ")
                .push(*instance_column);
            if *ignore_case {
                qb.push(" AND LOWER(v.name) = LOWER(");
                qb.push_bind(name.clone());
                qb.push(")");
            } else {
                qb.push(" AND v.name = ");
                qb.push_bind(name.clone());
            }
            if *by_scope {
                // Camunda's process-variable filters look at the instance's own scope.
            } else {
                qb.push(" AND v.scope_id = v.instance_id");
            }
            match value {
                SqlValue::Text(s) => {
                    qb.push(" AND v.type IN ('String', 'Json', 'Xml')");
                    if *ignore_case {
                        qb.push(" AND LOWER(v.text_value) ")
                            .push(op.sql())
                            .push(" LOWER(");
                        qb.push_bind(s.clone());
                        qb.push(")");
                    } else {
                        qb.push(" AND v.text_value ").push(op.sql()).push(" ");
                        qb.push_bind(s.clone());
                    }
                }
                SqlValue::Int(n) => {
                    qb.push(" AND v.double_value ").push(op.sql()).push(" ");
                    qb.push_bind(*n as f64);
                }
                SqlValue::Float(x) => {
                    qb.push(" AND v.double_value ").push(op.sql()).push(" ");
                    qb.push_bind(*x);
                }
                SqlValue::Bool(b) => {
                    qb.push(" AND v.type = 'Boolean' AND v.long_value ")
                        .push(op.sql())
                        .push(" ");
                    qb.push_bind(i64::from(*b));
                }
            }
            qb.push(")");
        }
        Filter::InSubSelect(col, sub, params) => {
            qb.push(*col).push(" IN (");
            match sub {
                SubSelect::TaskCandidates => {
                    qb.push("SELECT task_id FROM task_candidate WHERE 1 = 0");
                    for pair in params.chunks(2) {
                        if let [kind, value] = pair {
                            qb.push(" OR (kind = ");
                            bind_value(qb, kind);
                            qb.push(" AND value = ");
                            bind_value(qb, value);
                            qb.push(")");
                        }
                    }
                }
                SubSelect::InstancesWithIncident => {
                    qb.push("SELECT instance_id FROM incident WHERE instance_id IS NOT NULL");
                }
                SubSelect::InstancesAtActivity => {
                    qb.push(
                        "SELECT instance_id FROM hi_activity_instance WHERE end_time IS NULL AND activity_id IN ",
                    );
                    if params.is_empty() {
                        qb.push("(NULL)");
                    } else {
                        push_list(qb, params);
                    }
                }
                SubSelect::SuperInstancesOf => {
                    qb.push("SELECT super_instance_id FROM process_instance WHERE id IN ");
                    if params.is_empty() {
                        qb.push("(NULL)");
                    } else {
                        push_list(qb, params);
                    }
                }
                SubSelect::InstancesOfTenants => {
                    qb.push("SELECT id FROM process_instance WHERE tenant_id IN ");
                    if params.is_empty() {
                        qb.push("(NULL)");
                    } else {
                        push_list(qb, params);
                    }
                }
                SubSelect::LatestDefinitions => {
                    qb.push(
                        "SELECT d.id FROM process_definition d WHERE d.version = (SELECT MAX(d2.version) FROM process_definition d2 WHERE d2.key = d.key AND COALESCE(d2.tenant_id, '') = COALESCE(d.tenant_id, ''))",
                    );
                }
            }
            qb.push(")");
        }
        Filter::Any(filters) => {
            if filters.is_empty() {
                qb.push("1 = 0");
            } else {
                qb.push("(");
                for (i, f) in filters.iter().enumerate() {
                    if i > 0 {
                        qb.push(" OR ");
                    }
                    push_filter(qb, f);
                }
                qb.push(")");
            }
        }
        Filter::Nothing => {
            qb.push("1 = 0");
        }
    }
}

fn push_where(qb: &mut QueryBuilder<DB>, filters: &[Filter]) {
    qb.push(" WHERE 1 = 1");
    for f in filters {
        qb.push(" AND ");
        push_filter(qb, f);
    }
}

fn select_query(table: &str, q: &Query) -> QueryBuilder<DB> {
    let mut qb = QueryBuilder::<DB>::new(format!("SELECT * FROM {table}"));
    push_where(&mut qb, &q.filters);
    qb.push(" ORDER BY ");
    for (col, order) in &q.order {
        qb.push(*col)
            .push(if *order == Order::Asc { " ASC, " } else { " DESC, " });
    }
    qb.push(pk_column(table)).push(" ASC");
    qb.push(" LIMIT ");
    qb.push_bind(q.max.unwrap_or(i64::MAX));
    qb.push(" OFFSET ");
    qb.push_bind(q.first.max(0));
    qb
}

fn pk_column(table: &str) -> &'static str {
    match table {
        "deployment_resource" => "name",
        _ => "id",
    }
}

impl Backend {
    /// Waits for this node's turn to write (see [`Backend::writer`]).
    async fn write_turn(&self) -> Option<tokio::sync::OwnedMutexGuard<()>> {
        match &self.writer {
            Some(writer) => Some(writer.clone().lock_owned().await),
            None => None,
        }
    }

    async fn select<T>(&self, table: &str, q: &Query) -> StoreResult<Vec<T>>
    where
        T: for<'r> FromRow<'r, DbRow> + Send + Unpin,
    {
        let mut qb = select_query(table, q);
        Ok(qb.build_query_as::<T>().fetch_all(&self.pool).await?)
    }
}

#[async_trait]
impl Store for Backend {
    fn kind(&self) -> StoreKind {
        KIND
    }

    async fn migrate(&self) -> StoreResult<()> {
        MIGRATOR.run(&self.pool).await?;
        Ok(())
    }

    async fn ping(&self) -> StoreResult<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    async fn begin(&self) -> StoreResult<Box<dyn Tx>> {
        let turn = self.write_turn().await;
        let tx = self.pool.begin_with(BEGIN).await?;
        Ok(Box::new(BackendTx { tx, _turn: turn }))
    }

    async fn close(&self) {
        self.pool.close().await;
    }

    async fn deployments(&self, q: &Query) -> StoreResult<Vec<DeploymentRow>> {
        self.select("deployment", q).await
    }

    async fn resources(&self, deployment_id: &str) -> StoreResult<Vec<ResourceRow>> {
        Ok(sqlx::query_as::<DB, ResourceRow>(
            "SELECT * FROM deployment_resource WHERE deployment_id = $1 ORDER BY name",
        )
        .bind(deployment_id)
        .fetch_all(&self.pool)
        .await?)
    }

    async fn resource(&self, deployment_id: &str, name: &str) -> StoreResult<Option<ResourceRow>> {
        Ok(sqlx::query_as::<DB, ResourceRow>(
            "SELECT * FROM deployment_resource WHERE deployment_id = $1 AND name = $2",
        )
        .bind(deployment_id)
        .bind(name)
        .fetch_optional(&self.pool)
        .await?)
    }

    async fn definitions(&self, q: &Query) -> StoreResult<Vec<DefinitionRow>> {
        self.select("process_definition", q).await
    }

    async fn instances(&self, q: &Query) -> StoreResult<Vec<InstanceRow>> {
        self.select("process_instance", q).await
    }

    async fn variables(&self, q: &Query) -> StoreResult<Vec<VariableRow>> {
        self.select("variable", q).await
    }

    async fn external_tasks(&self, q: &Query) -> StoreResult<Vec<ExternalTaskRow>> {
        self.select("external_task", q).await
    }

    async fn user_tasks(&self, q: &Query) -> StoreResult<Vec<UserTaskRow>> {
        self.select("user_task", q).await
    }

    async fn task_candidates(&self, task_ids: &[String]) -> StoreResult<Vec<(String, String, String)>> {
        let mut out = Vec::new();
        for chunk in task_ids.chunks(MAX_IN_LIST) {
            let mut qb = QueryBuilder::<DB>::new(
                "SELECT task_id, kind, value FROM task_candidate WHERE task_id IN ",
            );
            let values: Vec<SqlValue> = chunk.iter().map(|s| SqlValue::Text(s.clone())).collect();
            push_list(&mut qb, &values);
            qb.push(" ORDER BY task_id, kind, value");
            for row in qb.build().fetch_all(&self.pool).await? {
                out.push((row.try_get(0)?, row.try_get(1)?, row.try_get(2)?));
            }
        }
        Ok(out)
    }

    async fn subscriptions(&self, q: &Query) -> StoreResult<Vec<SubscriptionRow>> {
        self.select("event_subscription", q).await
    }

    async fn jobs(&self, q: &Query) -> StoreResult<Vec<JobRow>> {
        self.select("job", q).await
    }

    async fn incidents(&self, q: &Query) -> StoreResult<Vec<IncidentRow>> {
        self.select("incident", q).await
    }

    async fn historic_instances(&self, q: &Query) -> StoreResult<Vec<HistoricInstanceRow>> {
        self.select("hi_process_instance", q).await
    }

    async fn historic_activities(&self, q: &Query) -> StoreResult<Vec<HistoricActivityRow>> {
        self.select("hi_activity_instance", q).await
    }

    async fn historic_variables(&self, q: &Query) -> StoreResult<Vec<HistoricVariableRow>> {
        self.select("hi_variable", q).await
    }

    async fn count(&self, table: Table, q: &Query) -> StoreResult<i64> {
        let mut qb = QueryBuilder::<DB>::new(format!("SELECT COUNT(*) FROM {}", table.name()));
        push_where(&mut qb, &q.filters);
        let row = qb.build().fetch_one(&self.pool).await?;
        Ok(row.try_get::<i64, _>(0)?)
    }

    async fn count_grouped(&self, table: Table, columns: &[&'static str], q: &Query) -> StoreResult<Vec<(Vec<Option<String>>, i64)>> {
        if columns.is_empty() {
            return Ok(vec![(Vec::new(), self.count(table, q).await?)]);
        }
        // Column names come from the caller's code (`&'static str`), never from a request.
        let list = columns.join(", ");
        let mut qb = QueryBuilder::<DB>::new(format!("SELECT {list}, COUNT(*) FROM {}", table.name()));
        push_where(&mut qb, &q.filters);
        qb.push(format!(" GROUP BY {list} ORDER BY {list}"));
        let rows = qb.build().fetch_all(&self.pool).await?;
        let mut groups = Vec::with_capacity(rows.len());
        for row in &rows {
            let mut keys = Vec::with_capacity(columns.len());
            for i in 0..columns.len() {
                keys.push(row.try_get::<Option<String>, _>(i)?);
            }
            groups.push((keys, row.try_get::<i64, _>(columns.len())?));
        }
        Ok(groups)
    }

    async fn fetch_and_lock_with_states(&self, req: &FetchRequest, now: i64) -> StoreResult<Vec<(ExternalTaskRow, Option<String>)>> {
        if req.topics.is_empty() || req.max_tasks <= 0 {
            return Ok(Vec::new());
        }
        let _turn = self.write_turn().await;
        // One statement: pick, lock and return. On PostgreSQL the pick skips rows another
        // fetch is locking right now, so concurrent workers never get the same task.
        let mut qb = QueryBuilder::<DB>::new(
            "WITH picked AS (SELECT id FROM external_task WHERE (lock_expiration IS NULL OR lock_expiration <= ",
        );
        qb.push_bind(now);
        qb.push(") AND suspended = ");
        qb.push_bind(false);
        qb.push(" AND (retries IS NULL OR retries > 0) AND (");
        for (i, topic) in req.topics.iter().enumerate() {
            if i > 0 {
                qb.push(" OR ");
            }
            qb.push("(topic = ");
            qb.push_bind(topic.topic.clone());
            for f in &topic.filters {
                qb.push(" AND ");
                push_filter(&mut qb, f);
            }
            qb.push(")");
        }
        qb.push(") ORDER BY ");
        if req.use_priority {
            qb.push("priority DESC, ");
        }
        match req.create_time_asc {
            Some(false) => qb.push("create_time DESC, "),
            _ => qb.push("create_time ASC, "),
        };
        qb.push("id LIMIT ");
        qb.push_bind(req.max_tasks);
        qb.push(SKIP_LOCKED);
        qb.push(") UPDATE external_task SET worker_id = ");
        qb.push_bind(req.worker_id.clone());
        qb.push(", lock_expiration = CASE topic");
        for topic in &req.topics {
            qb.push(" WHEN ");
            qb.push_bind(topic.topic.clone());
            qb.push(" THEN ");
            qb.push_bind(now.saturating_add(topic.lock_duration));
        }
        qb.push(" END WHERE id IN (SELECT id FROM picked) RETURNING *, (SELECT i.state FROM process_instance i WHERE i.id = external_task.instance_id) AS instance_state");
        let mut rows = Vec::new();
        for row in qb.build().fetch_all(&self.pool).await? {
            let state: Option<String> = row.try_get("instance_state")?;
            rows.push((ExternalTaskRow::from_row(&row)?, state));
        }
        rows.sort_by(|(a, _), (b, _)| {
            let by_priority = if req.use_priority {
                b.priority.cmp(&a.priority)
            } else {
                std::cmp::Ordering::Equal
            };
            let by_time = match req.create_time_asc {
                Some(false) => b.create_time.cmp(&a.create_time),
                _ => a.create_time.cmp(&b.create_time),
            };
            by_priority.then(by_time).then_with(|| a.id.cmp(&b.id))
        });
        Ok(rows)
    }

    async fn next_unlock(&self, topics: &[String], now: i64) -> StoreResult<Option<i64>> {
        if topics.is_empty() {
            return Ok(None);
        }
        let mut qb = QueryBuilder::<DB>::new(
            "SELECT MIN(lock_expiration) FROM external_task WHERE (retries IS NULL OR retries > 0) AND lock_expiration > ",
        );
        qb.push_bind(now);
        qb.push(" AND topic IN ");
        let values: Vec<SqlValue> = topics.iter().map(|s| SqlValue::Text(s.clone())).collect();
        push_list(&mut qb, &values);
        let row = qb.build().fetch_one(&self.pool).await?;
        Ok(row.try_get::<Option<i64>, _>(0)?)
    }

    async fn acquire_jobs(&self, owner: &str, now: i64, lock_until: i64, limit: i64) -> StoreResult<Vec<JobRow>> {
        let _turn = self.write_turn().await;
        let sql = format!(
            "WITH picked AS (SELECT id FROM job WHERE due <= $1 AND suspended = $2 AND retries > 0 AND (lock_expiration IS NULL OR lock_expiration <= $1) ORDER BY due, id LIMIT $3{SKIP_LOCKED}) UPDATE job SET lock_owner = $4, lock_expiration = $5 WHERE id IN (SELECT id FROM picked) RETURNING *"
        );
        let mut rows = sqlx::query_as::<DB, JobRow>(sqlx::AssertSqlSafe(sql))
            .bind(now)
            .bind(false)
            .bind(limit)
            .bind(owner)
            .bind(lock_until)
            .fetch_all(&self.pool)
            .await?;
        rows.sort_by(|a, b| a.due.cmp(&b.due).then_with(|| a.id.cmp(&b.id)));
        Ok(rows)
    }

    async fn next_job_due(&self) -> StoreResult<Option<i64>> {
        let row = sqlx::query(
            "SELECT MIN(CASE WHEN lock_expiration IS NULL OR lock_expiration < due THEN due ELSE lock_expiration END) FROM job WHERE suspended = $1 AND retries > 0",
        )
        .bind(false)
        .fetch_one(&self.pool)
        .await?;
        Ok(row.try_get::<Option<i64>, _>(0)?)
    }

    async fn delete_history_before(&self, before: i64, limit: i64) -> StoreResult<u64> {
        let _turn = self.write_turn().await;
        let mut tx = self.pool.begin_with(BEGIN).await?;
        let ids: Vec<String> = sqlx::query_scalar::<DB, String>(
            "SELECT id FROM hi_process_instance WHERE removal_time IS NOT NULL AND removal_time <= $1 ORDER BY removal_time LIMIT $2",
        )
        .bind(before)
        .bind(limit)
        .fetch_all(&mut *tx)
        .await?;
        for id in &ids {
            for sql in [
                "DELETE FROM hi_activity_instance WHERE instance_id = $1",
                "DELETE FROM hi_variable WHERE instance_id = $1",
                "DELETE FROM hi_process_instance WHERE id = $1",
            ] {
                sqlx::query(sql).bind(id).execute(&mut *tx).await?;
            }
        }
        tx.commit().await?;
        Ok(ids.len() as u64)
    }
}

/// Inserts or updates the history row `id` of variable `v`; its state stays `CREATED`.
async fn record_variable_history(
    tx: &mut Transaction<'static, DB>,
    id: &str,
    v: &VariableRow,
    ctx: &crate::store::HistoryContext,
) -> StoreResult<()> {
    sqlx::query("INSERT INTO hi_variable (id, instance_id, scope_id, name, type, text_value, long_value, double_value, bytes_value, info, state, definition_id, definition_key, tenant_id, created, revision) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'CREATED', $11, $12, $13, $14, 0) ON CONFLICT (id) DO UPDATE SET type = excluded.type, text_value = excluded.text_value, long_value = excluded.long_value, double_value = excluded.double_value, bytes_value = excluded.bytes_value, info = excluded.info, revision = hi_variable.revision + 1")
        .bind(id)
        .bind(&v.instance_id)
        .bind(&v.scope_id)
        .bind(&v.name)
        .bind(&v.type_name)
        .bind(&v.text_value)
        .bind(v.long_value)
        .bind(v.double_value)
        .bind(&v.bytes_value)
        .bind(&v.info)
        .bind(&ctx.definition_id)
        .bind(&ctx.definition_key)
        .bind(&ctx.tenant_id)
        .bind(ctx.now)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Most bind values in one batch, well under both databases' limits (PostgreSQL 65,535,
/// SQLite 32,766); a larger write is sent in several batches.
const MAX_BATCH_BINDS: usize = 20_000;
/// Most rows in one multi-row insert.
const ROWS_PER_INSERT: usize = 200;

/// Statements sent to the database as one: on PostgreSQL a `WITH` of data-modifying
/// statements (executed exactly once each, whether or not the outer query reads them,
/// all seeing the database as it was before the statement), on SQLite several
/// statements in one query, run in order in one call to the connection's thread.
#[derive(Default)]
struct Batch {
    qb: Option<QueryBuilder<DB>>,
    statements: usize,
    binds: usize,
}

impl Batch {
    /// Starts the next statement, of about `binds` bind values; the caller writes it
    /// into the builder returned.
    async fn statement(
        &mut self,
        tx: &mut Transaction<'static, DB>,
        binds: usize,
    ) -> StoreResult<&mut QueryBuilder<DB>> {
        if self.statements > 0 && self.binds + binds > MAX_BATCH_BINDS {
            self.execute(tx).await?;
        }
        self.binds += binds;
        let n = self.statements;
        self.statements += 1;
        let qb = self.qb.get_or_insert_with(|| QueryBuilder::new(""));
        if BATCH_AS_WITH {
            if n == 0 {
                qb.push("WITH s0 AS (");
            } else {
                qb.push(format_args!("), s{n} AS ("));
            }
        } else if n > 0 {
            qb.push("; ");
        }
        Ok(qb)
    }

    /// `DELETE ... WHERE column IN (ids)`, in chunks.
    async fn delete_in(
        &mut self,
        tx: &mut Transaction<'static, DB>,
        sql_prefix: &str,
        ids: &[String],
    ) -> StoreResult<()> {
        for chunk in ids.chunks(MAX_IN_LIST) {
            let qb = self.statement(tx, chunk.len()).await?;
            qb.push(sql_prefix);
            qb.push("(");
            let mut list = qb.separated(", ");
            for id in chunk {
                list.push_bind(id);
            }
            qb.push(")");
        }
        Ok(())
    }

    /// Sends what was written so far.
    async fn execute(&mut self, tx: &mut Transaction<'static, DB>) -> StoreResult<()> {
        let Some(mut qb) = self.qb.take() else {
            return Ok(());
        };
        if BATCH_AS_WITH {
            qb.push(") SELECT 1");
        }
        qb.build().execute(&mut **tx).await?;
        self.statements = 0;
        self.binds = 0;
        Ok(())
    }
}

#[async_trait]
impl Tx for BackendTx {
    async fn commit(self: Box<Self>) -> StoreResult<()> {
        self.tx.commit().await?;
        Ok(())
    }

    async fn lock_instance(&mut self, id: &str) -> StoreResult<Option<InstanceRow>> {
        let sql = format!("SELECT * FROM process_instance WHERE id = $1{FOR_UPDATE}");
        Ok(sqlx::query_as::<DB, InstanceRow>(sqlx::AssertSqlSafe(sql))
            .bind(id)
            .fetch_optional(&mut *self.tx)
            .await?)
    }

    async fn lock_instance_of_task(&mut self, task_id: &str) -> StoreResult<Option<InstanceRow>> {
        let sql = format!(
            "SELECT * FROM process_instance WHERE id = (SELECT instance_id FROM external_task WHERE id = $1){FOR_UPDATE}"
        );
        Ok(sqlx::query_as::<DB, InstanceRow>(sqlx::AssertSqlSafe(sql))
            .bind(task_id)
            .fetch_optional(&mut *self.tx)
            .await?)
    }

    async fn external_task(&mut self, id: &str) -> StoreResult<Option<ExternalTaskRow>> {
        Ok(sqlx::query_as::<DB, ExternalTaskRow>("SELECT * FROM external_task WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut *self.tx)
            .await?)
    }

    async fn user_task(&mut self, id: &str) -> StoreResult<Option<UserTaskRow>> {
        Ok(sqlx::query_as::<DB, UserTaskRow>("SELECT * FROM user_task WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut *self.tx)
            .await?)
    }

    async fn subscription(&mut self, id: &str) -> StoreResult<Option<SubscriptionRow>> {
        Ok(sqlx::query_as::<DB, SubscriptionRow>("SELECT * FROM event_subscription WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut *self.tx)
            .await?)
    }

    async fn job(&mut self, id: &str) -> StoreResult<Option<JobRow>> {
        Ok(sqlx::query_as::<DB, JobRow>("SELECT * FROM job WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut *self.tx)
            .await?)
    }

    async fn definition(&mut self, id: &str) -> StoreResult<Option<DefinitionRow>> {
        Ok(sqlx::query_as::<DB, DefinitionRow>("SELECT * FROM process_definition WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut *self.tx)
            .await?)
    }

    async fn definitions(&mut self, q: &Query) -> StoreResult<Vec<DefinitionRow>> {
        let mut qb = select_query(Table::Definition.name(), q);
        Ok(qb.build_query_as::<DefinitionRow>().fetch_all(&mut *self.tx).await?)
    }

    async fn persist(&mut self, w: &InstanceWrite) -> StoreResult<()> {
        let tx = &mut self.tx;
        // Variables first: their history rows need the ids the upserts and deletes return,
        // so each is a statement of its own (none when no variable changed).
        let ctx = w.history_context.as_ref();
        for v in &w.variables {
            let id: String = if w.history_only_variables {
                v.id.clone()
            } else {
                sqlx::query_scalar::<DB, String>("INSERT INTO variable (id, instance_id, scope_id, name, type, text_value, long_value, double_value, bytes_value, info) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (scope_id, name) DO UPDATE SET type = excluded.type, text_value = excluded.text_value, long_value = excluded.long_value, double_value = excluded.double_value, bytes_value = excluded.bytes_value, info = excluded.info RETURNING id")
                .bind(&v.id)
                .bind(&v.instance_id)
                .bind(&v.scope_id)
                .bind(&v.name)
                .bind(&v.type_name)
                .bind(&v.text_value)
                .bind(v.long_value)
                .bind(v.double_value)
                .bind(&v.bytes_value)
                .bind(&v.info)
                .fetch_one(&mut **tx)
                .await?
            };
            if let Some(ctx) = ctx {
                record_variable_history(tx, &id, v, ctx).await?;
            }
        }
        for v in &w.ended_variables {
            let existing: Option<String> = sqlx::query_scalar::<DB, String>(
                "DELETE FROM variable WHERE scope_id = $1 AND name = $2 RETURNING id",
            )
            .bind(&v.scope_id)
            .bind(&v.name)
            .fetch_optional(&mut **tx)
            .await?;
            if let Some(ctx) = ctx {
                let id = existing.unwrap_or_else(|| v.id.clone());
                record_variable_history(tx, &id, v, ctx).await?;
            }
        }
        for (scope, name) in &w.removed_variables {
            let id: Option<String> = sqlx::query_scalar::<DB, String>(
                "DELETE FROM variable WHERE scope_id = $1 AND name = $2 RETURNING id",
            )
            .bind(scope)
            .bind(name)
            .fetch_optional(&mut **tx)
            .await?;
            if let Some(id) = id {
                sqlx::query("UPDATE hi_variable SET state = 'DELETED' WHERE id = $1")
                    .bind(&id)
                    .execute(&mut **tx)
                    .await?;
            }
        }

        // Everything else is independent rows: one batch, one round trip. No two of its
        // statements touch the same row (net_out in the service drops rows created and
        // removed in the same write), which a PostgreSQL `WITH` of data-modifying
        // statements requires, since they all see the database as it was before it.
        let mut b = Batch::default();
        // When the instance ends, deleting its runtime rows (last) also deletes the tasks,
        // subscriptions, jobs and incidents this write removes one by one.
        let ending = matches!(w.instance, Some(InstanceChange::Delete(_)));
        match &w.instance {
            Some(InstanceChange::Insert(row)) => {
                let qb = b.statement(tx, 10).await?;
                qb.push("INSERT INTO process_instance (id, definition_id, definition_key, business_key, tenant_id, super_instance_id, suspended, revision, started, state) ");
                qb.push_values([row], |mut r, row| {
                    r.push_bind(&row.id)
                        .push_bind(&row.definition_id)
                        .push_bind(&row.definition_key)
                        .push_bind(&row.business_key)
                        .push_bind(&row.tenant_id)
                        .push_bind(&row.super_instance_id)
                        .push_bind(row.suspended)
                        .push_bind(row.revision)
                        .push_bind(row.started)
                        .push_bind(&row.state);
                });
            }
            Some(InstanceChange::Update { id, revision, state }) => {
                let qb = b.statement(tx, 3).await?;
                qb.push("UPDATE process_instance SET revision = ");
                qb.push_bind(*revision);
                qb.push(", state = ");
                qb.push_bind(state);
                qb.push(" WHERE id = ");
                qb.push_bind(id);
            }
            Some(InstanceChange::Delete(_)) | None => {}
        }
        if !ending {
            b.delete_in(tx, "DELETE FROM external_task WHERE id IN ", &w.removed_external_tasks).await?;
            b.delete_in(tx, "DELETE FROM user_task WHERE id IN ", &w.removed_user_tasks).await?;
            b.delete_in(tx, "DELETE FROM event_subscription WHERE id IN ", &w.removed_subscriptions).await?;
            b.delete_in(tx, "DELETE FROM job WHERE id IN ", &w.removed_subscriptions).await?;
            b.delete_in(tx, "DELETE FROM incident WHERE configuration IN ", &w.resolved_incidents).await?;
        }
        for chunk in w.external_tasks.chunks(ROWS_PER_INSERT) {
            let qb = b.statement(tx, 19 * chunk.len()).await?;
            qb.push("INSERT INTO external_task (id, instance_id, execution_id, activity_id, activity_instance_id, definition_id, definition_key, version_tag, tenant_id, business_key, topic, priority, worker_id, lock_expiration, retries, error_message, error_details, suspended, create_time) ");
            qb.push_values(chunk, |mut r, t| {
                r.push_bind(&t.id)
                    .push_bind(&t.instance_id)
                    .push_bind(&t.execution_id)
                    .push_bind(&t.activity_id)
                    .push_bind(&t.activity_instance_id)
                    .push_bind(&t.definition_id)
                    .push_bind(&t.definition_key)
                    .push_bind(&t.version_tag)
                    .push_bind(&t.tenant_id)
                    .push_bind(&t.business_key)
                    .push_bind(&t.topic)
                    .push_bind(t.priority)
                    .push_bind(&t.worker_id)
                    .push_bind(t.lock_expiration)
                    .push_bind(t.retries)
                    .push_bind(&t.error_message)
                    .push_bind(&t.error_details)
                    .push_bind(t.suspended)
                    .push_bind(t.create_time);
            });
        }
        for chunk in w.user_tasks.chunks(ROWS_PER_INSERT) {
            let qb = b.statement(tx, 20 * chunk.len()).await?;
            qb.push("INSERT INTO user_task (id, instance_id, execution_id, activity_id, activity_instance_id, definition_id, definition_key, tenant_id, business_key, name, description, assignee, owner, priority, due, follow_up, form_key, suspended, created, last_updated) ");
            qb.push_values(chunk, |mut r, (t, _)| {
                r.push_bind(&t.id)
                    .push_bind(&t.instance_id)
                    .push_bind(&t.execution_id)
                    .push_bind(&t.activity_id)
                    .push_bind(&t.activity_instance_id)
                    .push_bind(&t.definition_id)
                    .push_bind(&t.definition_key)
                    .push_bind(&t.tenant_id)
                    .push_bind(&t.business_key)
                    .push_bind(&t.name)
                    .push_bind(&t.description)
                    .push_bind(&t.assignee)
                    .push_bind(&t.owner)
                    .push_bind(t.priority)
                    .push_bind(t.due)
                    .push_bind(t.follow_up)
                    .push_bind(&t.form_key)
                    .push_bind(t.suspended)
                    .push_bind(t.created)
                    .push_bind(t.last_updated);
            });
        }
        // Candidates, without duplicates (one statement must not insert a row twice).
        let mut candidates: Vec<(&str, &str, &str)> = w
            .user_tasks
            .iter()
            .flat_map(|(t, cs)| cs.iter().map(move |(kind, value)| (t.id.as_str(), *kind, value.as_str())))
            .collect();
        candidates.sort_unstable();
        candidates.dedup();
        for chunk in candidates.chunks(ROWS_PER_INSERT) {
            let qb = b.statement(tx, 3 * chunk.len()).await?;
            qb.push("INSERT INTO task_candidate (task_id, kind, value) ");
            qb.push_values(chunk, |mut r, (task, kind, value)| {
                r.push_bind(*task).push_bind(*kind).push_bind(*value);
            });
            qb.push(" ON CONFLICT DO NOTHING");
        }
        for chunk in w.subscriptions.chunks(ROWS_PER_INSERT) {
            let qb = b.statement(tx, 9 * chunk.len()).await?;
            qb.push("INSERT INTO event_subscription (id, event_type, event_name, instance_id, execution_id, activity_id, definition_id, tenant_id, created) ");
            qb.push_values(chunk, |mut r, s| {
                r.push_bind(&s.id)
                    .push_bind(&s.event_type)
                    .push_bind(&s.event_name)
                    .push_bind(&s.instance_id)
                    .push_bind(&s.execution_id)
                    .push_bind(&s.activity_id)
                    .push_bind(&s.definition_id)
                    .push_bind(&s.tenant_id)
                    .push_bind(s.created);
            });
        }
        for chunk in w.jobs.chunks(ROWS_PER_INSERT) {
            let qb = b.statement(tx, 18 * chunk.len()).await?;
            qb.push(JOB_INSERT);
            qb.push_values(chunk, push_job);
        }
        // A historic instance that starts and ends in this write is one insert.
        let mut ended_here = false;
        if let Some(h) = &w.history_instance {
            let end = w.history_instance_end.as_ref().filter(|e| e.id == h.id);
            ended_here = end.is_some();
            let qb = b.statement(tx, 16).await?;
            qb.push("INSERT INTO hi_process_instance (id, definition_id, definition_key, definition_name, definition_version, business_key, tenant_id, super_instance_id, root_instance_id, start_time, end_time, start_activity_id, end_activity_id, state, delete_reason, removal_time) ");
            qb.push_values([h], |mut r, h| {
                r.push_bind(&h.id)
                    .push_bind(&h.definition_id)
                    .push_bind(&h.definition_key)
                    .push_bind(&h.definition_name)
                    .push_bind(h.definition_version)
                    .push_bind(&h.business_key)
                    .push_bind(&h.tenant_id)
                    .push_bind(&h.super_instance_id)
                    .push_bind(&h.root_instance_id)
                    .push_bind(h.start_time)
                    .push_bind(end.map_or(h.end_time, |e| Some(e.end_time)))
                    .push_bind(&h.start_activity_id)
                    .push_bind(end.map_or(&h.end_activity_id, |e| &e.end_activity_id))
                    .push_bind(end.map_or(&h.state, |e| &e.state))
                    .push_bind(end.map_or(&h.delete_reason, |e| &e.delete_reason))
                    .push_bind(end.map_or(h.removal_time, |e| e.removal_time));
            });
        }
        for chunk in w.history_activities.chunks(ROWS_PER_INSERT) {
            let qb = b.statement(tx, 17 * chunk.len()).await?;
            qb.push("INSERT INTO hi_activity_instance (id, instance_id, parent_id, execution_id, activity_id, activity_name, activity_type, definition_id, definition_key, tenant_id, task_id, assignee, called_instance_id, start_time, end_time, canceled, seq) ");
            qb.push_values(chunk, |mut r, a| {
                r.push_bind(&a.id)
                    .push_bind(&a.instance_id)
                    .push_bind(&a.parent_id)
                    .push_bind(&a.execution_id)
                    .push_bind(&a.activity_id)
                    .push_bind(&a.activity_name)
                    .push_bind(&a.activity_type)
                    .push_bind(&a.definition_id)
                    .push_bind(&a.definition_key)
                    .push_bind(&a.tenant_id)
                    .push_bind(&a.task_id)
                    .push_bind(&a.assignee)
                    .push_bind(&a.called_instance_id)
                    .push_bind(a.start_time)
                    .push_bind(a.end_time)
                    .push_bind(a.canceled)
                    .push_bind(a.seq);
            });
        }
        // One update per ended activity; the last end of an id wins, as it did when each
        // was a statement of its own.
        for (i, e) in w.history_activity_ends.iter().enumerate() {
            if w.history_activity_ends[i + 1..].iter().any(|later| later.id == e.id) {
                continue;
            }
            let qb = b.statement(tx, 3).await?;
            qb.push("UPDATE hi_activity_instance SET end_time = ");
            qb.push_bind(e.end_time);
            qb.push(", canceled = ");
            qb.push_bind(e.canceled);
            qb.push(" WHERE id = ");
            qb.push_bind(&e.id);
        }
        if let Some(end) = w.history_instance_end.as_ref().filter(|_| !ended_here) {
            let qb = b.statement(tx, 6).await?;
            qb.push("UPDATE hi_process_instance SET end_time = ");
            qb.push_bind(end.end_time);
            qb.push(", state = ");
            qb.push_bind(&end.state);
            qb.push(", end_activity_id = ");
            qb.push_bind(&end.end_activity_id);
            qb.push(", delete_reason = ");
            qb.push_bind(&end.delete_reason);
            qb.push(", removal_time = ");
            qb.push_bind(end.removal_time);
            qb.push(" WHERE id = ");
            qb.push_bind(&end.id);
        }
        if let Some(InstanceChange::Delete(id)) = &w.instance {
            // Runtime rows created in this same write would be invisible to the deletes
            // of the same batch: then the deletes run after it.
            let creates = !(w.external_tasks.is_empty()
                && w.user_tasks.is_empty()
                && w.subscriptions.is_empty()
                && w.jobs.is_empty());
            if creates {
                b.execute(tx).await?;
            }
            // The instance and everything that belongs to it (candidates cascade).
            for table in [
                "variable",
                "external_task",
                "user_task",
                "event_subscription",
                "job",
                "incident",
            ] {
                let qb = b.statement(tx, 1).await?;
                qb.push(format_args!("DELETE FROM {table} WHERE instance_id = "));
                qb.push_bind(id);
            }
            let qb = b.statement(tx, 1).await?;
            qb.push("DELETE FROM process_instance WHERE id = ");
            qb.push_bind(id);
        }
        b.execute(tx).await
    }

    async fn set_external_task_lock(&mut self, id: &str, worker: Option<&str>, expiration: Option<i64>) -> StoreResult<()> {
        sqlx::query("UPDATE external_task SET worker_id = $2, lock_expiration = $3 WHERE id = $1")
            .bind(id)
            .bind(worker)
            .bind(expiration)
            .execute(&mut *self.tx)
            .await?;
        Ok(())
    }

    async fn set_external_task_failure(
        &mut self,
        id: &str,
        message: Option<&str>,
        details: Option<&str>,
        retries: i32,
        lock_expiration: i64,
    ) -> StoreResult<()> {
        sqlx::query("UPDATE external_task SET error_message = $2, error_details = $3, retries = $4, lock_expiration = $5 WHERE id = $1")
            .bind(id)
            .bind(message)
            .bind(details)
            .bind(retries)
            .bind(lock_expiration)
            .execute(&mut *self.tx)
            .await?;
        Ok(())
    }

    async fn set_external_task_retries(&mut self, id: &str, retries: i32) -> StoreResult<()> {
        sqlx::query("UPDATE external_task SET retries = $2 WHERE id = $1")
            .bind(id)
            .bind(retries)
            .execute(&mut *self.tx)
            .await?;
        Ok(())
    }

    async fn set_external_task_priority(&mut self, id: &str, priority: i64) -> StoreResult<()> {
        sqlx::query("UPDATE external_task SET priority = $2 WHERE id = $1")
            .bind(id)
            .bind(priority)
            .execute(&mut *self.tx)
            .await?;
        Ok(())
    }

    async fn update_job(
        &mut self,
        id: &str,
        retries: i32,
        due: i64,
        message: Option<&str>,
        details: Option<&str>,
    ) -> StoreResult<()> {
        sqlx::query("UPDATE job SET retries = $2, due = $3, exception_message = $4, exception_details = $5, lock_owner = NULL, lock_expiration = NULL WHERE id = $1")
            .bind(id)
            .bind(retries)
            .bind(due)
            .bind(message)
            .bind(details)
            .execute(&mut *self.tx)
            .await?;
        Ok(())
    }

    async fn unlock_job(&mut self, id: &str) -> StoreResult<()> {
        sqlx::query("UPDATE job SET lock_owner = NULL, lock_expiration = NULL WHERE id = $1")
            .bind(id)
            .execute(&mut *self.tx)
            .await?;
        Ok(())
    }

    async fn insert_incident(&mut self, i: &IncidentRow) -> StoreResult<()> {
        sqlx::query("INSERT INTO incident (id, incident_type, created, instance_id, execution_id, activity_id, failed_activity_id, definition_id, configuration, message, tenant_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)")
            .bind(&i.id)
            .bind(&i.incident_type)
            .bind(i.created)
            .bind(&i.instance_id)
            .bind(&i.execution_id)
            .bind(&i.activity_id)
            .bind(&i.failed_activity_id)
            .bind(&i.definition_id)
            .bind(&i.configuration)
            .bind(&i.message)
            .bind(&i.tenant_id)
            .execute(&mut *self.tx)
            .await?;
        Ok(())
    }

    async fn delete_incidents(&mut self, configuration: &str) -> StoreResult<u64> {
        Ok(sqlx::query("DELETE FROM incident WHERE configuration = $1")
            .bind(configuration)
            .execute(&mut *self.tx)
            .await?
            .rows_affected())
    }

    async fn set_user_task_field(&mut self, id: &str, field: UserTaskField, value: Option<&str>, now: i64) -> StoreResult<()> {
        let sql = match field {
            UserTaskField::Assignee => "UPDATE user_task SET assignee = $2, last_updated = $3 WHERE id = $1",
            UserTaskField::Owner => "UPDATE user_task SET owner = $2, last_updated = $3 WHERE id = $1",
        };
        sqlx::query(sql)
            .bind(id)
            .bind(value)
            .bind(now)
            .execute(&mut *self.tx)
            .await?;
        if field == UserTaskField::Assignee {
            sqlx::query("UPDATE hi_activity_instance SET assignee = $2 WHERE task_id = $1")
                .bind(id)
                .bind(value)
                .execute(&mut *self.tx)
                .await?;
        }
        Ok(())
    }

    async fn set_instance_suspended(&mut self, id: &str, suspended: bool) -> StoreResult<()> {
        for sql in [
            "UPDATE process_instance SET suspended = $2 WHERE id = $1",
            "UPDATE external_task SET suspended = $2 WHERE instance_id = $1",
            "UPDATE user_task SET suspended = $2 WHERE instance_id = $1",
            "UPDATE job SET suspended = $2 WHERE instance_id = $1",
        ] {
            sqlx::query(sql).bind(id).bind(suspended).execute(&mut *self.tx).await?;
        }
        sqlx::query("UPDATE hi_process_instance SET state = $2 WHERE id = $1 AND end_time IS NULL")
            .bind(id)
            .bind(if suspended { "SUSPENDED" } else { "ACTIVE" })
            .execute(&mut *self.tx)
            .await?;
        Ok(())
    }

    async fn set_definition_suspended(&mut self, id: &str, suspended: bool, instances: bool) -> StoreResult<()> {
        sqlx::query("UPDATE process_definition SET suspended = $2 WHERE id = $1")
            .bind(id)
            .bind(suspended)
            .execute(&mut *self.tx)
            .await?;
        sqlx::query("UPDATE job SET suspended = $2 WHERE definition_id = $1 AND instance_id IS NULL")
            .bind(id)
            .bind(suspended)
            .execute(&mut *self.tx)
            .await?;
        if instances {
            let ids: Vec<String> = sqlx::query_scalar::<DB, String>(
                "SELECT id FROM process_instance WHERE definition_id = $1",
            )
            .bind(id)
            .fetch_all(&mut *self.tx)
            .await?;
            for instance in ids {
                self.set_instance_suspended(&instance, suspended).await?;
            }
        }
        Ok(())
    }

    async fn latest_deployment(&mut self, name: &str, tenant: Option<&str>) -> StoreResult<Option<(DeploymentRow, Vec<ResourceRow>)>> {
        let deployment = sqlx::query_as::<DB, DeploymentRow>(
            "SELECT * FROM deployment WHERE name = $1 AND COALESCE(tenant_id, '') = COALESCE($2, '') ORDER BY deploy_time DESC, id DESC LIMIT 1",
        )
        .bind(name)
        .bind(tenant)
        .fetch_optional(&mut *self.tx)
        .await?;
        let Some(deployment) = deployment else {
            return Ok(None);
        };
        let resources = sqlx::query_as::<DB, ResourceRow>(
            "SELECT * FROM deployment_resource WHERE deployment_id = $1 ORDER BY name",
        )
        .bind(&deployment.id)
        .fetch_all(&mut *self.tx)
        .await?;
        Ok(Some((deployment, resources)))
    }

    async fn latest_definition(&mut self, key: &str, tenant: Option<&str>) -> StoreResult<Option<DefinitionRow>> {
        Ok(sqlx::query_as::<DB, DefinitionRow>(
            "SELECT * FROM process_definition WHERE key = $1 AND COALESCE(tenant_id, '') = COALESCE($2, '') ORDER BY version DESC LIMIT 1",
        )
        .bind(key)
        .bind(tenant)
        .fetch_optional(&mut *self.tx)
        .await?)
    }

    async fn definition_resource(&mut self, d: &DefinitionRow) -> StoreResult<Option<ResourceRow>> {
        Ok(sqlx::query_as::<DB, ResourceRow>(
            "SELECT * FROM deployment_resource WHERE deployment_id = $1 AND name = $2",
        )
        .bind(&d.deployment_id)
        .bind(&d.resource_name)
        .fetch_optional(&mut *self.tx)
        .await?)
    }

    async fn insert_deployment(&mut self, d: &DeploymentRow, resources: &[ResourceRow]) -> StoreResult<()> {
        sqlx::query("INSERT INTO deployment (id, name, source, tenant_id, deploy_time) VALUES ($1, $2, $3, $4, $5)")
            .bind(&d.id)
            .bind(&d.name)
            .bind(&d.source)
            .bind(&d.tenant_id)
            .bind(d.deploy_time)
            .execute(&mut *self.tx)
            .await?;
        for r in resources {
            sqlx::query("INSERT INTO deployment_resource (deployment_id, name, content) VALUES ($1, $2, $3)")
                .bind(&r.deployment_id)
                .bind(&r.name)
                .bind(&r.content)
                .execute(&mut *self.tx)
                .await?;
        }
        Ok(())
    }

    async fn insert_definition(&mut self, d: &DefinitionRow) -> StoreResult<()> {
        sqlx::query("INSERT INTO process_definition (id, key, version, version_tag, name, category, description, tenant_id, deployment_id, resource_name, history_ttl, startable, suspended) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)")
            .bind(&d.id)
            .bind(&d.key)
            .bind(d.version)
            .bind(&d.version_tag)
            .bind(&d.name)
            .bind(&d.category)
            .bind(&d.description)
            .bind(&d.tenant_id)
            .bind(&d.deployment_id)
            .bind(&d.resource_name)
            .bind(d.history_ttl)
            .bind(d.startable)
            .bind(d.suspended)
            .execute(&mut *self.tx)
            .await?;
        Ok(())
    }

    async fn delete_start_triggers(&mut self, key: &str, tenant: Option<&str>) -> StoreResult<()> {
        let defs = "SELECT id FROM process_definition WHERE key = $1 AND COALESCE(tenant_id, '') = COALESCE($2, '')";
        let sub = format!("DELETE FROM event_subscription WHERE instance_id IS NULL AND definition_id IN ({defs})");
        sqlx::query(sqlx::AssertSqlSafe(sub))
            .bind(key)
            .bind(tenant)
            .execute(&mut *self.tx)
            .await?;
        let jobs = format!("DELETE FROM job WHERE instance_id IS NULL AND definition_id IN ({defs})");
        sqlx::query(sqlx::AssertSqlSafe(jobs))
            .bind(key)
            .bind(tenant)
            .execute(&mut *self.tx)
            .await?;
        Ok(())
    }

    async fn instances_of_deployment(&mut self, deployment_id: &str) -> StoreResult<Vec<String>> {
        Ok(sqlx::query_scalar::<DB, String>(
            "SELECT i.id FROM process_instance i JOIN process_definition d ON d.id = i.definition_id WHERE d.deployment_id = $1 ORDER BY i.id",
        )
        .bind(deployment_id)
        .fetch_all(&mut *self.tx)
        .await?)
    }

    async fn delete_deployment(&mut self, deployment_id: &str) -> StoreResult<()> {
        for sql in [
            "DELETE FROM event_subscription WHERE definition_id IN (SELECT id FROM process_definition WHERE deployment_id = $1)",
            "DELETE FROM job WHERE definition_id IN (SELECT id FROM process_definition WHERE deployment_id = $1)",
            "DELETE FROM process_definition WHERE deployment_id = $1",
            "DELETE FROM deployment_resource WHERE deployment_id = $1",
            "DELETE FROM deployment WHERE id = $1",
        ] {
            sqlx::query(sql).bind(deployment_id).execute(&mut *self.tx).await?;
        }
        Ok(())
    }

    async fn correlation_candidates(&mut self, q: &CorrelationQuery) -> StoreResult<Vec<SubscriptionRow>> {
        let mut qb = QueryBuilder::<DB>::new(
            "SELECT s.* FROM event_subscription s LEFT JOIN process_instance i ON i.id = s.instance_id WHERE s.event_type = 'message' AND s.event_name = ",
        );
        qb.push_bind(q.message.clone());
        match (q.starts, q.executions) {
            (true, false) => {
                qb.push(" AND s.instance_id IS NULL");
            }
            (false, true) => {
                qb.push(" AND s.instance_id IS NOT NULL");
            }
            (false, false) => {
                qb.push(" AND 1 = 0");
            }
            (true, true) => {}
        }
        if q.executions {
            qb.push(" AND (s.instance_id IS NULL OR i.suspended = ");
            qb.push_bind(false);
            qb.push(")");
        }
        if let Some(bk) = &q.business_key {
            qb.push(" AND (s.instance_id IS NULL OR i.business_key = ");
            qb.push_bind(bk.clone());
            qb.push(")");
        }
        if let Some(id) = &q.instance_id {
            qb.push(" AND s.instance_id = ");
            qb.push_bind(id.clone());
        }
        match &q.tenant {
            Some(Some(t)) => {
                qb.push(" AND s.tenant_id = ");
                qb.push_bind(t.clone());
            }
            Some(None) => {
                qb.push(" AND s.tenant_id IS NULL");
            }
            None => {}
        }
        for (name, value) in &q.correlation_keys {
            qb.push(" AND (s.instance_id IS NULL OR ");
            push_filter(
                &mut qb,
                &Filter::Variable {
                    instance_column: "s.instance_id",
                    by_scope: false,
                    name: name.clone(),
                    op: Op::Eq,
                    value: value.clone(),
                    ignore_case: false,
                },
            );
            qb.push(")");
        }
        for (name, value) in &q.local_correlation_keys {
            qb.push(" AND ");
            push_filter(
                &mut qb,
                &Filter::Variable {
                    instance_column: "s.execution_id",
                    by_scope: true,
                    name: name.clone(),
                    op: Op::Eq,
                    value: value.clone(),
                    ignore_case: false,
                },
            );
        }
        qb.push(" ORDER BY s.created, s.id");
        Ok(qb.build_query_as::<SubscriptionRow>().fetch_all(&mut *self.tx).await?)
    }

    async fn signal_subscriptions(&mut self, name: &str, tenant: Option<Option<&str>>) -> StoreResult<Vec<SubscriptionRow>> {
        let mut qb = QueryBuilder::<DB>::new(
            "SELECT s.* FROM event_subscription s LEFT JOIN process_instance i ON i.id = s.instance_id WHERE s.event_type = 'signal' AND s.event_name = ",
        );
        qb.push_bind(name.to_owned());
        qb.push(" AND (s.instance_id IS NULL OR i.suspended = ");
        qb.push_bind(false);
        qb.push(")");
        match tenant {
            Some(Some(t)) => {
                qb.push(" AND s.tenant_id = ");
                qb.push_bind(t.to_owned());
            }
            Some(None) => {
                qb.push(" AND s.tenant_id IS NULL");
            }
            None => {}
        }
        qb.push(" ORDER BY s.created, s.id");
        Ok(qb.build_query_as::<SubscriptionRow>().fetch_all(&mut *self.tx).await?)
    }

    async fn lock_deployments(&mut self) -> StoreResult<()> {
        if let Some(sql) = DEPLOYMENT_LOCK {
            sqlx::query(sql).execute(&mut *self.tx).await?;
        }
        Ok(())
    }
}

const JOB_INSERT: &str = "INSERT INTO job (id, job_type, due, instance_id, execution_id, definition_id, definition_key, activity_id, tenant_id, repeat, retries, exception_message, exception_details, lock_owner, lock_expiration, suspended, priority, created) ";

fn push_job(mut r: sqlx::query_builder::Separated<'_, DB, &'static str>, j: &JobRow) {
    r.push_bind(&j.id)
        .push_bind(&j.job_type)
        .push_bind(j.due)
        .push_bind(&j.instance_id)
        .push_bind(&j.execution_id)
        .push_bind(&j.definition_id)
        .push_bind(&j.definition_key)
        .push_bind(&j.activity_id)
        .push_bind(&j.tenant_id)
        .push_bind(&j.repeat)
        .push_bind(j.retries)
        .push_bind(&j.exception_message)
        .push_bind(&j.exception_details)
        .push_bind(&j.lock_owner)
        .push_bind(j.lock_expiration)
        .push_bind(j.suspended)
        .push_bind(j.priority)
        .push_bind(j.created);
}
