// bpmn-engine's driver for benches/compare/ (protocol: common.py).
//
// One Engine per instance, as bpmn-engine is used: the fixture is parsed once with
// bpmn-moddle (with camunda-bpmn-moddle, so that camunda: attributes are read) and
// serialized with moddle-context-serializer; every Engine gets that `sourceContext`
// (the documented way to skip re-parsing). Adaptations, each keeping the BPMN
// semantics of the fixture:
// - Conditions: bpmn-engine's expressions only resolve `${path.to.value}`; Camunda
//   evaluates `${...}` as JUEL. The fixtures' only expression is `${amount > 100}`,
//   whose body is the same expression in JavaScript, so the `expressions` option below
//   evaluates the body of `${...}` with the instance's variables in scope (compiled
//   once per expression text).
// - The external task (`serviceTask camunda:type="external"`): bpmn-engine runs a
//   service task through `behaviour.Service`, which extensions provide. The extension
//   below gives external service tasks a Service that keeps the completion callback
//   and returns: the instance waits at the task until the driver calls it, as a worker
//   completes an external task.
// - Logger: bpmn-engine's default logger creates `debug` loggers per element even when
//   DEBUG is off; a no-op Logger is passed, as procos logs nothing in this loop either.
// The driver runs from benches/compare/.cache/node/ (copied there by `run`) so that it
// resolves the packages installed in that folder's node_modules.

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { Engine } from 'bpmn-engine';
import * as Elements from 'bpmn-elements';
import BpmnModdle from 'bpmn-moddle';
import serializer, { TypeResolver } from 'moddle-context-serializer';

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
const camundaSchema = require('camunda-bpmn-moddle/resources/camunda.json');
// bpmn-engine's `exports` hide its package.json from resolution: read the file.
const engineVersion = JSON.parse(readFileSync(join(here, 'node_modules', 'bpmn-engine', 'package.json'), 'utf8')).version;

const WORKLOADS = ['straight', 'xor', 'parallel10', 'wait'];
const fixtures = process.env.BPMN_FIXTURES ?? join(here, '..', '..', '..', 'fixtures');

const compiled = new Map();
const expressions = {
  isExpression: (text) => typeof text === 'string' && /^\$\{.+\}$/s.test(text),
  hasExpression: (text) => typeof text === 'string' && /\$\{.+?\}/s.test(text),
  resolveExpression(text, context) {
    const match = /^\$\{(.+)\}$/s.exec(text);
    if (!match) return text;
    let fn = compiled.get(text);
    if (!fn) {
      // Sloppy-mode function so that `with` puts the variables in scope.
      fn = new Function('variables', `with (variables) { return (${match[1]}); }`);
      compiled.set(text, fn);
    }
    return fn(context.environment.variables);
  },
};

const pendingCompletions = [];
function ExternalTaskService() {}
ExternalTaskService.prototype.execute = function execute(_message, callback) {
  pendingCompletions.push(callback);
};
const extensions = {
  camundaExternalTask(activity) {
    if (activity.type === 'bpmn:ServiceTask' && activity.behaviour.type === 'external') {
      activity.behaviour.Service = ExternalTaskService;
    }
  },
};

const noop = () => {};
const Logger = () => ({ debug: noop, error: noop, warn: noop });

function procStatusKb(field) {
  const line = readFileSync('/proc/self/status', 'ascii')
    .split('\n')
    .find((l) => l.startsWith(field + ':'));
  return line ? Number(line.split(/\s+/)[1]) : 0;
}

async function main() {
  const [workload, countArg, minArg] = process.argv.slice(2);
  if (!WORKLOADS.includes(workload)) throw new Error(`unknown workload ${workload}; one of ${WORKLOADS}`);
  const count = Number(countArg);
  const minSeconds = Number(minArg);

  const source = readFileSync(join(fixtures, `${workload}.bpmn`), 'utf8');
  const moddleContext = await new BpmnModdle({ camunda: camundaSchema }).fromXML(source);
  const sourceContext = serializer(moddleContext, TypeResolver(Elements));

  let started = 0;
  let ended = 0;
  const onEnd = () => ended++;
  async function start() {
    const variables = workload === 'xor' ? { amount: started % 200 } : {};
    started++;
    const engine = new Engine({ name: workload, sourceContext, expressions, extensions, Logger });
    engine.once('end', onEnd);
    await engine.execute({ variables });
    return engine;
  }

  async function run(n) {
    const endedBefore = ended;
    if (workload === 'wait') {
      for (let i = 0; i < n; i++) await start();
      if (pendingCompletions.length !== n || ended !== endedBefore) {
        throw new Error(`wait: ${pendingCompletions.length} waiting of ${n}, ${ended - endedBefore} ended`);
      }
      for (const complete of pendingCompletions.splice(0)) complete();
    } else {
      for (let i = 0; i < n; i++) await start();
    }
    await new Promise(setImmediate);
    if (ended - endedBefore !== n) throw new Error(`${workload}: ${ended - endedBefore} of ${n} instances ended`);
  }

  await run(Math.max(Math.floor(count / 10), 1));
  let seconds = 0;
  let instances = 0;
  for (;;) {
    const t0 = process.hrtime.bigint();
    await run(count);
    seconds += Number(process.hrtime.bigint() - t0) / 1e9;
    instances += count;
    if (seconds >= minSeconds) break;
  }
  console.log(
    JSON.stringify({
      engine: 'bpmn-engine',
      version: engineVersion,
      workload,
      count,
      instances,
      seconds: Number(seconds.toFixed(6)),
      rate: Number((instances / seconds).toFixed(1)),
      peak_rss_kb: procStatusKb('VmHWM'),
    })
  );
}

await main();
