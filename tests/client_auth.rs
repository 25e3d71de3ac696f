//! HTTP basic authentication from the real clients, against `procos serve --auth-users`:
//! `camunda-external-task-client-js`'s `BasicAuthInterceptor` and the Modeler's
//! `authorization: Basic` header (`tests/clients/js/auth.mjs`), the python3 client's
//! `auth_basic` and pycamunda's requests auth (`tests/clients/python/auth.py`).

mod support;
mod support_clients;

use support::{Server, Store};
use support_clients::{clients_dir, run_script_with, Runtime};

const USER: &str = "demo";
const PASSWORD: &str = "s3cret:with-colon";

on_both_stores!(
    js_client_authenticates_with_basic_auth,
    python_clients_authenticate_with_basic_auth,
);

/// A server with one user, and `client_retries.bpmn` deployed from its processes folder
/// (the REST deploy of the other tests would need credentials).
async fn server_with_auth(store: &Store) -> Server {
    let xml = std::fs::read_to_string(clients_dir().join("processes").join("client_retries.bpmn"))
        .expect("read client_retries.bpmn");
    let users = format!("{USER}:{PASSWORD}");
    Server::start_with_processes(
        store,
        &["--auth-users", &users],
        &[("client_retries.bpmn", &xml)],
    )
    .await
}

const CREDENTIALS: &[(&str, &str)] = &[
    ("PROCOS_AUTH_USER", USER),
    ("PROCOS_AUTH_PASSWORD", PASSWORD),
];

async fn js_client_authenticates_with_basic_auth(store: Store) {
    let server = server_with_auth(&store).await;
    run_script_with(&server, Runtime::Node, "auth.mjs", CREDENTIALS)
        .await
        .saw(&[
            "ok: 401 without credentials, /engine open",
            "ok: BasicAuthInterceptor with a wrong password: 401",
            "ok: Modeler connection check",
            "ok: BasicAuthInterceptor with the right password: fetched and completed",
            "PASS js basic auth",
        ]);
}

async fn python_clients_authenticate_with_basic_auth(store: Store) {
    let server = server_with_auth(&store).await;
    run_script_with(&server, Runtime::Python, "auth.py", CREDENTIALS)
        .await
        .saw(&[
            "ok: pycamunda without credentials: Unauthorized",
            "ok: pycamunda with credentials",
            "ok: EngineClient with a wrong password: 401",
            "ok: worker with auth_basic: fetched and completed",
            "PASS python basic auth",
        ]);
}
