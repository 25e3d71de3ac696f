// Long polling, every variable type the JS client reads, and completion with typed,
// transient and local variables, through process `clientVariables`:
//   start → sub[ readVars (client-vars) → insideSub (client-inside) ]
//         → verifyVars (client-verify) → end

import fs from "node:fs";
import os from "node:os";
import path from "node:path";

import { Client, Variables, File } from "camunda-external-task-client-js";

import {
  assert,
  deferred,
  failOnClientErrors,
  ENGINE,
  ok,
  restOk,
  run,
  sleep,
  start,
  waitFor,
} from "./lib.mjs";

const b64 = (s) => Buffer.from(s, "utf-8").toString("base64");

// What the instance starts with: one of each type Camunda's REST API knows.
const START_VARIABLES = {
  str: { value: "grüße, world", type: "String" },
  int: { value: 42, type: "Integer" },
  long: { value: 2 ** 40, type: "Long" },
  dbl: { value: 3.25, type: "Double" },
  bool: { value: true, type: "Boolean" },
  short: { value: 7, type: "Short" },
  date: { value: "2024-03-15T10:30:00.000+0000", type: "Date" },
  json: { value: '{"a":1,"b":[true,null,"x"]}', type: "Json" },
  obj: {
    value: '{"k":"v"}',
    type: "Object",
    valueInfo: { objectTypeName: "java.util.HashMap", serializationDataFormat: "application/json" },
  },
  xml: { value: "<order><id>1</id></order>", type: "Xml" },
  nul: { value: null, type: "Null" },
  bytes: { value: b64("raw bytes"), type: "Bytes" },
  file: {
    value: b64("file content\n"),
    type: "File",
    valueInfo: { filename: "note.txt", mimeType: "text/plain", encoding: "UTF-8" },
  },
  untypedInt: { value: 5 },
};

run("js variables", async () => {
  const client = new Client({
    baseUrl: ENGINE,
    workerId: "js-variables",
    maxTasks: 5,
    interval: 300,
    lockDuration: 30000,
    asyncResponseTimeout: 20000,
    usePriority: true,
    sorting: [{ sortBy: Client.SortBy.CreateTime, sortOrder: Client.SortOrder.ASC }],
    autoPoll: false,
  });
  failOnClientErrors(client, "client");

  const polls = [];
  client.on("poll:start", () => polls.push({ start: Date.now() }));
  client.on("poll:success", (tasks) => {
    const p = polls[polls.length - 1];
    p.end = Date.now();
    p.tasks = tasks.length;
  });

  const read = deferred();
  const verified = deferred();
  let readAt = 0;
  let fileFromTask = null;

  client.subscribe(
    "client-vars",
    { businessKey: "js-vars-1", includeExtensionProperties: true },
    async ({ task, taskService }) => {
      try {
        readAt = Date.now();
        const v = task.variables;
        assert.equal(task.topicName, "client-vars");
        assert.equal(task.activityId, "readVars");
        assert.equal(task.businessKey, "js-vars-1");
        assert.equal(task.priority, 7);
        assert.equal(task.workerId, "js-variables");
        assert.equal(task.retries, null);
        assert.deepEqual(task.extensionProperties, { owner: "billing", sla: "PT5M" });
        ok("task fields", { priority: task.priority, businessKey: task.businessKey });

        const typed = (name) => v.getTyped(name);
        const expectTyped = (name, type, value) => {
          const t = typed(name);
          assert.ok(t, `variable ${name} is missing`);
          assert.equal(t.type, type, `type of ${name}`);
          assert.deepEqual(t.value, value, `value of ${name}`);
          ok(`read ${type}`, name);
        };
        expectTyped("str", "string", "grüße, world");
        expectTyped("int", "integer", 42);
        expectTyped("long", "long", 2 ** 40);
        expectTyped("dbl", "double", 3.25);
        expectTyped("bool", "boolean", true);
        expectTyped("short", "short", 7);
        expectTyped("nul", "null", null);
        expectTyped("untypedInt", "integer", 5);
        // json is JSON.parse-d by the client: the engine must send the serialized string.
        expectTyped("json", "json", { a: 1, b: [true, null, "x"] });
        // Object and Xml stay serialized (fetchAndLock's deserializeValues is false).
        expectTyped("obj", "object", '{"k":"v"}');
        assert.deepEqual(typed("obj").valueInfo, {
          objectTypeName: "java.util.HashMap",
          serializationDataFormat: "application/json",
        });
        expectTyped("xml", "xml", "<order><id>1</id></order>");
        expectTyped("bytes", "bytes", b64("raw bytes"));

        const date = typed("date");
        assert.equal(date.type, "date");
        assert.ok(date.value instanceof Date, "a Date");
        assert.equal(date.value.toISOString(), "2024-03-15T10:30:00.000Z");
        ok("read date", date.value.toISOString());

        // A File is loaded lazily from /execution/{processInstanceId}/localVariables/file/data.
        const file = v.get("file");
        assert.ok(file instanceof File, "a File");
        assert.equal(file.filename, "note.txt");
        assert.equal(file.mimeType, "text/plain");
        await file.load();
        assert.equal(Buffer.from(file.content).toString("utf-8"), "file content\n");
        fileFromTask = file;
        // The same content over REST, with Camunda's headers for a File.
        const raw = await fetch(`${ENGINE}/process-instance/${task.processInstanceId}/variables/file/data`);
        assert.equal(raw.status, 200);
        assert.equal(raw.headers.get("content-type"), "text/plain; charset=UTF-8");
        assert.equal(
          raw.headers.get("content-disposition"),
          `attachment; filename="note.txt"; filename*=UTF-8''note.txt`
        );
        assert.equal(await raw.text(), "file content\n");
        ok("read file", { filename: file.filename, bytes: file.content.length });

        // getAll gives plain values.
        const all = v.getAll();
        assert.equal(all.str, "grüße, world");
        assert.equal(Object.keys(all).length, Object.keys(START_VARIABLES).length);
        ok("getAll", Object.keys(all).sort());

        // Complete with typed global variables, a transient one, and a local one.
        const tmp = path.join(os.tmpdir(), `procos-js-${process.pid}.csv`);
        fs.writeFileSync(tmp, "a,b\n1,2\n");
        const upload = await new File({ localPath: tmp, mimetype: "text/csv", encoding: "UTF-8" }).load();
        fs.unlinkSync(tmp);

        const globals = new Variables()
          .set("jsString", "written by js")
          .set("jsInteger", 17)
          .set("jsLong", 2 ** 41)
          .set("jsDouble", 0.125)
          .set("jsBoolean", false)
          .set("jsDate", new Date("2025-01-02T03:04:05.678Z"))
          .set("jsJson", { nested: { list: [1, 2] } })
          .set("jsNull", null)
          .set("jsFile", upload)
          .setTyped("jsShort", { type: "Short", value: 5 })
          .setTyped("jsObject", {
            type: "Object",
            value: '{"x":1}',
            valueInfo: {
              objectTypeName: "java.util.HashMap",
              serializationDataFormat: "application/json",
            },
          })
          .setTransient("jsTransient", "never stored");
        const locals = new Variables().set("localOnly", "inside the subprocess");
        await taskService.complete(task, globals, locals);
        ok("completed readVars");
        read.resolve();
      } catch (e) {
        read.reject(e);
      }
    }
  );

  // Inside the subprocess the global variables are visible. (Where the local ones land
  // is local_variables.mjs's subject.)
  client.subscribe("client-inside", async ({ task, taskService }) => {
    try {
      assert.equal(task.variables.get("jsString"), "written by js");
      const instanceVars = await restOk("GET", `/process-instance/${task.processInstanceId}/variables`);
      assert.ok(instanceVars.jsString, "jsString is a process variable");
      assert.equal(instanceVars.localOnly, undefined, "localOnly is not a process variable");
      ok("local variable is not a process variable");
      await taskService.complete(task);
    } catch (e) {
      verified.reject(e);
    }
  });

  client.subscribe(
    "client-verify",
    {
      variables: [
        "jsString", "jsInteger", "jsLong", "jsDouble", "jsBoolean", "jsDate", "jsJson",
        "jsNull", "jsFile", "jsShort", "jsObject", "jsTransient", "localOnly",
      ],
    },
    async ({ task, taskService }) => {
      try {
        const v = task.variables;
        const expect = (name, type, value) => {
          const t = v.getTyped(name);
          assert.ok(t, `variable ${name} is missing`);
          assert.equal(t.type, type, `type of ${name}`);
          if (value !== undefined) assert.deepEqual(t.value, value, `value of ${name}`);
          ok(`round trip ${type}`, name);
        };
        expect("jsString", "string", "written by js");
        expect("jsInteger", "integer", 17);
        expect("jsLong", "long", 2 ** 41);
        expect("jsDouble", "double", 0.125);
        expect("jsBoolean", "boolean", false);
        expect("jsJson", "json", { nested: { list: [1, 2] } });
        expect("jsNull", "null", null);
        expect("jsShort", "short", 5);
        expect("jsObject", "object", '{"x":1}');
        expect("jsDate", "date");
        assert.equal(v.get("jsDate").toISOString(), "2025-01-02T03:04:05.678Z");
        expect("jsFile", "file");
        const f = v.get("jsFile");
        assert.equal(f.filename, `procos-js-${process.pid}.csv`);
        // The JS client sends `mimetype` (lower case); Camunda reads `mimeType`.
        assert.equal(f.mimeType, "text/csv");
        await f.load();
        assert.equal(Buffer.from(f.content).toString("utf-8"), "a,b\n1,2\n");
        ok("file round trip", f.filename);
        // Only the listed variables are fetched.
        assert.equal(v.getTyped("str"), null, "str was not asked for");
        // Transient variables are never stored; local ones died with the subprocess.
        assert.equal(v.getTyped("jsTransient"), null, "jsTransient must not be stored");
        assert.equal(v.getTyped("localOnly"), null, "localOnly must stay in the subprocess");
        ok("transient and local variables are not visible outside");
        await taskService.complete(task);
        verified.resolve(task.processInstanceId);
      } catch (e) {
        verified.reject(e);
      }
    }
  );

  // Subscribe first, then start the instance while the long poll waits: the poll must be
  // answered as soon as the task exists, not after asyncResponseTimeout.
  client.start();
  await waitFor("the first poll", () => polls.length > 0);
  await sleep(1000);
  const instance = await start("clientVariables", START_VARIABLES, "js-vars-1");
  const startedAt = Date.now();
  ok("started", instance.definitionId);
  await read.promise;
  const first = polls[0];
  assert.ok(first.end, "the first poll has been answered");
  assert.equal(first.tasks, 1);
  // It waited for the task (about a second), and got it long before its 20 s timeout.
  const waited = first.end - first.start;
  const latency = readAt - startedAt;
  assert.ok(waited >= 900, `the first poll waited ${waited} ms: no long polling`);
  assert.ok(latency < 5000, `the task reached the handler ${latency} ms after the start`);
  ok("long poll answered when the task was created", { waitedOver900ms: true, latencyUnder5s: true });

  const instanceId = await verified.promise;
  assert.equal(instanceId, instance.id);
  client.stop();

  const hist = await waitFor("the instance to complete", async () => {
    const h = await restOk("GET", `/history/process-instance/${instance.id}`);
    return h.state === "COMPLETED" ? h : null;
  });
  ok("instance completed", hist.state);

  // The transient variable never reached the store.
  const transient = await restOk(
    "GET",
    `/history/variable-instance?processInstanceId=${instance.id}&variableName=jsTransient`
  );
  assert.equal(transient.length, 0, "jsTransient is not in history");
  ok("the transient variable is not in history");
  assert.ok(fileFromTask);
});
