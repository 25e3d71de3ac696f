//! `camunda-external-task-client-python3` 4.x, the real PyPI package, against a real
//! `procos serve` on each store: `tests/clients/python/external_task_client.py`
//! (installed by `scripts/setup-clients`).

mod support;
mod support_clients;

use support::{Server, Store};
use support_clients::{deploy, run_script, Runtime};

on_both_stores!(python_client_worker_and_engine_client);

async fn python_client_worker_and_engine_client(store: Store) {
    let server = Server::start(&store).await;
    deploy(
        &server,
        &[
            "client_retries.bpmn",
            "client_bpmn_error.bpmn",
            "client_order.bpmn",
            "client_timer.bpmn",
        ],
    )
    .await;
    run_script(&server, Runtime::Python, "external_task_client.py")
        .await
        .saw(&[
            "ok: inferred types",
            "ok: get_process_instance region_eq_eu",
            "ok: get_process_instance_variable payload",
            "ok: library defaults",
            "ok: refetched after the retry timeout and completed",
            "ok: processVariables filter left the us task alone",
            "ok: async client fetched and completed",
            "ok: bpmn_error caught by the boundary event",
            "ok: correlate_message",
            "ok: uncorrelated message",
            "ok: get_jobs and set_job_retry",
            "PASS python external task client",
        ]);
}
