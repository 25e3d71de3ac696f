// Basic authentication through the client's BasicAuthInterceptor, against a server
// started with users (PROCOS_AUTH_USER and PROCOS_AUTH_PASSWORD name one of them), through
// process `clientRetries`: start → flaky (client-flaky) → end.
//
// Wrong or missing credentials get Camunda's 401 (no body, a Basic challenge), which the
// client reports as an EngineError on poll:error; the right ones work end to end.

import { BasicAuthInterceptor, Client } from "camunda-external-task-client-js";

import { assert, deferred, ENGINE, ok, run } from "./lib.mjs";

const USER = process.env.PROCOS_AUTH_USER;
const PASSWORD = process.env.PROCOS_AUTH_PASSWORD;

async function call(method, path, body, auth) {
  const headers = { accept: "application/json" };
  if (auth) headers.authorization = `Basic ${Buffer.from(auth).toString("base64")}`;
  if (body !== undefined) headers["content-type"] = "application/json";
  const r = await fetch(`${ENGINE}${path}`, { method, headers, body: body && JSON.stringify(body) });
  const text = await r.text();
  return { status: r.status, headers: r.headers, json: text ? JSON.parse(text) : null, text };
}

run("js basic auth", async () => {
  assert.ok(USER && PASSWORD, "PROCOS_AUTH_USER and PROCOS_AUTH_PASSWORD must be set");
  const good = `${USER}:${PASSWORD}`;

  // Without credentials: 401 with Camunda's challenge and no body; /engine stays open.
  const anonymous = await call("GET", "/process-definition");
  assert.equal(anonymous.status, 401);
  assert.equal(anonymous.headers.get("www-authenticate"), 'Basic realm="default"');
  assert.equal(anonymous.text, "");
  assert.equal((await call("GET", "/engine")).status, 200);
  ok("401 without credentials, /engine open");

  // The Modeler's connection check: 401 means "Credentials do not match with the server".
  assert.equal((await call("GET", "/deployment?maxResults=0", undefined, `${USER}:nope`)).status, 401);
  const check = await call("GET", "/deployment?maxResults=0", undefined, good);
  assert.equal(check.status, 200);
  assert.equal((await call("GET", "/version", undefined, good)).json.version, "7.23.0");
  ok("Modeler connection check: 401 with a wrong password, 200 with the right one");

  // A client with a wrong password: every poll fails with 401.
  const rejected = deferred();
  const intruder = new Client({
    baseUrl: ENGINE,
    workerId: "js-intruder",
    interval: 100,
    autoPoll: false,
    interceptors: new BasicAuthInterceptor({ username: USER, password: `${PASSWORD}-wrong` }),
  });
  intruder.on("poll:error", (e) => rejected.resolve(e));
  intruder.subscribe("client-flaky", async () => rejected.reject(new Error("fetched without access")));
  intruder.start();
  const e = await rejected.promise;
  intruder.stop();
  assert.equal(e.httpStatusCode, 401, String(e));
  ok("BasicAuthInterceptor with a wrong password: 401", e.httpStatusCode);

  // The right credentials: start, fetch, complete.
  const started = await call(
    "POST",
    "/process-definition/key/clientRetries/start",
    { variables: { who: { value: USER } } },
    good
  );
  assert.equal(started.status, 200, started.text);
  const done = deferred();
  const worker = new Client({
    baseUrl: ENGINE,
    workerId: "js-authorized",
    interval: 100,
    asyncResponseTimeout: 5000,
    autoPoll: false,
    interceptors: new BasicAuthInterceptor({ username: USER, password: PASSWORD }),
  });
  for (const ev of ["poll:error", "complete:error", "handler:error"]) {
    worker.on(ev, (err) => done.reject(new Error(`${ev}: ${err}`)));
  }
  worker.subscribe("client-flaky", async ({ task, taskService }) => {
    try {
      assert.equal(task.variables.get("who"), USER);
      await taskService.complete(task);
      done.resolve(task);
    } catch (err) {
      done.reject(err);
    }
  });
  worker.start();
  const task = await done.promise;
  worker.stop();
  assert.equal(task.processInstanceId, started.json.id);
  const hist = await call("GET", `/history/process-instance/${started.json.id}`, undefined, good);
  assert.equal(hist.json.state, "COMPLETED");
  ok("BasicAuthInterceptor with the right password: fetched and completed");
});
