// Shared helpers of the JavaScript client scenarios. Each scenario is a script that takes
// the engine URL from PROCOS_ENGINE_URL, drives `camunda-external-task-client-js` against
// it, prints what it observed ("ok: …" per check) and exits non-zero on the first failed
// expectation. The processes are deployed by the Rust test that runs the script.

import assert from "node:assert/strict";

export { assert };

export const ENGINE = (() => {
  const url = process.env.PROCOS_ENGINE_URL;
  if (!url) {
    console.error("PROCOS_ENGINE_URL is not set (e.g. http://127.0.0.1:8080/engine-rest)");
    process.exit(2);
  }
  return url.replace(/\/$/, "");
})();

/** Prints one observation. */
export function ok(what, value) {
  if (value === undefined) {
    console.log(`ok: ${what}`);
  } else {
    console.log(`ok: ${what}: ${JSON.stringify(value)}`);
  }
}

/** A plain REST call to the engine (not through the client under test). */
export async function rest(method, path, body, headers = {}) {
  const init = { method, headers: { ...headers } };
  if (body !== undefined) {
    init.headers["content-type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const r = await fetch(`${ENGINE}${path}`, init);
  const text = await r.text();
  let json = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = null;
  }
  return { status: r.status, contentType: r.headers.get("content-type"), text, json };
}

/** Like `rest`, but asserts the status and returns the JSON body. */
export async function restOk(method, path, body, status = 200) {
  const r = await rest(method, path, body);
  assert.equal(r.status, status, `${method} ${path} answered ${r.status}: ${r.text}`);
  return r.json;
}

/** Starts the latest version of `key` with Camunda-typed `variables`. */
export async function start(key, variables = {}, businessKey = undefined) {
  const body = { variables };
  if (businessKey !== undefined) body.businessKey = businessKey;
  return restOk("POST", `/process-definition/key/${key}/start`, body);
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Polls `check` until it returns a truthy value; fails after `ms`. */
export async function waitFor(what, check, ms = 20000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

/** A promise with its resolve and reject functions. */
export function deferred() {
  let resolve, reject;
  const promise = new Promise((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Fails the scenario on every error event the client reports. */
export function failOnClientErrors(client, name) {
  for (const event of [
    "poll:error",
    "handler:error",
    "complete:error",
    "handleFailure:error",
    "handleBpmnError:error",
    "extendLock:error",
    "unlock:error",
    "lock:error",
  ]) {
    client.on(event, (...args) => {
      const e = args[args.length - 1];
      fail(new Error(`${name}: ${event}: ${describe(e)}`));
    });
  }
}

export function describe(e) {
  if (e && e.httpStatusCode !== undefined) {
    return `EngineError ${e.httpStatusCode} ${e.type}: ${e.engineMsg ?? e.message}`;
  }
  return e && e.stack ? e.stack : String(e);
}

let failed = false;

/** Ends the scenario with a failure. */
export function fail(e) {
  if (failed) return;
  failed = true;
  console.error(`FAIL: ${describe(e)}`);
  process.exit(1);
}

/** Runs a scenario: prints PASS and exits 0, or FAIL and exits 1; at most `ms` long. */
export function run(name, main, ms = 60000) {
  const timer = setTimeout(() => fail(new Error(`${name} took longer than ${ms} ms`)), ms);
  process.on("unhandledRejection", fail);
  process.on("uncaughtException", fail);
  main()
    .then(() => {
      clearTimeout(timer);
      console.log(`PASS ${name}`);
      process.exit(0);
    })
    .catch(fail);
}
