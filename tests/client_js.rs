//! `camunda-external-task-client-js` 3.x, the real npm package, against a real
//! `procos serve` on each store. The scenarios are the scripts in `tests/clients/js/`
//! (installed by `scripts/setup-clients`); each test deploys what its script needs, runs
//! it, and checks that it passed and what it observed.

mod support;
mod support_clients;

use support::{Server, Store};
use support_clients::{deploy, run_script, Runtime};

on_both_stores!(
    js_client_long_polls_and_round_trips_every_variable_type,
    js_client_fails_with_retries_and_a_retry_timeout,
    js_client_bpmn_error_is_caught_by_the_boundary_event,
    js_client_extends_unlocks_and_locks,
);

async fn js_client_long_polls_and_round_trips_every_variable_type(store: Store) {
    let server = Server::start(&store).await;
    deploy(&server, &["client_variables.bpmn"]).await;
    run_script(&server, Runtime::Node, "variables.mjs")
        .await
        .saw(&[
            "ok: task fields",
            "ok: read json",
            "ok: read date",
            "ok: read file",
            "ok: read bytes",
            "ok: long poll answered when the task was created",
            "ok: round trip long",
            "ok: file round trip",
            "ok: transient and local variables are not visible outside",
            "PASS js variables",
        ]);
}

async fn js_client_fails_with_retries_and_a_retry_timeout(store: Store) {
    let server = Server::start(&store).await;
    deploy(&server, &["client_retries.bpmn"]).await;
    run_script(&server, Runtime::Node, "failures.mjs")
        .await
        .saw(&[
            "ok: refetched after the retry timeout",
            "ok: not fetched with 0 retries",
            "ok: completed after the retries were raised",
            "ok: EngineError",
            "PASS js failures",
        ]);
}

async fn js_client_bpmn_error_is_caught_by_the_boundary_event(store: Store) {
    let server = Server::start(&store).await;
    deploy(&server, &["client_bpmn_error.bpmn"]).await;
    run_script(&server, Runtime::Node, "bpmn_error.mjs")
        .await
        .saw(&[
            "ok: caught by the boundary event",
            "ok: error variables set",
            "PASS js bpmn error",
        ]);
}

async fn js_client_extends_unlocks_and_locks(store: Store) {
    let server = Server::start(&store).await;
    deploy(&server, &["client_retries.bpmn"]).await;
    run_script(&server, Runtime::Node, "locks.mjs").await.saw(&[
        "ok: extendLock moved the lock expiration",
        "ok: unlock woke worker b's long poll",
        "ok: extendLock by the former holder refused",
        "PASS js locks",
    ]);
}

/// Camunda sets a completion's `localVariables` on the external task's execution, which
/// for a task that is not a scope is the enclosing scope's (here an embedded subprocess):
/// the next task in the subprocess sees them.
mod js_client_local_variables_land_in_the_enclosing_scope {
    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn sqlite() {
        super::local_variables(crate::support::Store::Sqlite).await
    }
}

async fn local_variables(store: Store) {
    let server = Server::start(&store).await;
    deploy(&server, &["client_variables.bpmn"]).await;
    run_script(&server, Runtime::Node, "local_variables.mjs")
        .await
        .saw(&["PASS js local variables"]);
}
