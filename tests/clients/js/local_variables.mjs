// Where local variables of a completion land, through process `clientVariables`:
//   start → sub[ readVars (client-vars) → insideSub (client-inside) ]
//         → verifyVars (client-verify) → end
//
// Camunda sets them with execution.setVariablesLocal on the external task's execution.
// A service task without boundary events or I/O mappings is not a scope, so that
// execution is the enclosing scope's: here the subprocess. `insideSub` must see the
// variable, `verifyVars` (after the subprocess ended) must not.

import { Client, Variables } from "camunda-external-task-client-js";

import { assert, deferred, ENGINE, failOnClientErrors, ok, run, start } from "./lib.mjs";

run("js local variables", async () => {
  const client = new Client({
    baseUrl: ENGINE,
    workerId: "js-local",
    interval: 100,
    asyncResponseTimeout: 5000,
    autoPoll: false,
  });
  failOnClientErrors(client, "client");
  const done = deferred();
  const guard = (f) => async (args) => {
    try {
      await f(args);
    } catch (e) {
      done.reject(e);
    }
  };

  client.subscribe(
    "client-vars",
    guard(async ({ task, taskService }) => {
      await taskService.complete(
        task,
        new Variables().set("global", "g"),
        new Variables().set("localOnly", "inside the subprocess")
      );
      ok("completed readVars with a local variable");
    })
  );
  client.subscribe(
    "client-inside",
    guard(async ({ task, taskService }) => {
      assert.equal(task.variables.get("global"), "g");
      assert.equal(
        task.variables.get("localOnly"),
        "inside the subprocess",
        "the local variable must be visible in the enclosing subprocess"
      );
      ok("local variable visible inside the subprocess");
      await taskService.complete(task);
    })
  );
  client.subscribe(
    "client-verify",
    guard(async ({ task, taskService }) => {
      assert.equal(task.variables.get("global"), "g");
      assert.equal(task.variables.get("localOnly"), undefined);
      ok("local variable gone with the subprocess");
      await taskService.complete(task);
      done.resolve();
    })
  );

  await start("clientVariables");
  client.start();
  await done.promise;
  client.stop();
});
