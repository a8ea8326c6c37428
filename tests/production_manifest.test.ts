// examples/production/k8s.yaml against the library's own shutdown defaults:
// the grace period must hold the whole budget with a margin, the readiness
// probe must see the pod unready before its server closes, and the probes
// must point where docs/production.md says. The defaults are read from the
// library itself (a real serve() under KUBERNETES_SERVICE_HOST and a
// runService() report), not copied here, and the YAML is parsed with `yaml`.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import process from "node:process";
import { parseAllDocuments } from "yaml";
import { runService, Runtime } from "../mod.ts";
import type { RuntimeEvent, ShutdownBudget, ShutdownEvent } from "../mod.ts";
import { serve } from "../adapters/serve.ts";
import { ManualClock } from "./_support/manual_clock.ts";
import { assertNoUnhandled } from "./_support/unhandled.ts";

/** What a clean shutdown needs after the budget: exit, the last log lines. */
const MIN_MARGIN_MS = 2_000;

interface Probe {
  httpGet: { path: string; port: string | number };
  periodSeconds?: number;
  timeoutSeconds?: number;
  failureThreshold?: number;
}

interface Container {
  name: string;
  ports?: Array<{ name?: string; containerPort: number }>;
  env?: Array<{ name: string; value?: string }>;
  startupProbe?: Probe;
  livenessProbe?: Probe;
  readinessProbe?: Probe;
  lifecycle?: { preStop?: { sleep?: { seconds: number } } };
}

interface Deployment {
  kind: "Deployment";
  spec: {
    template: {
      spec: {
        terminationGracePeriodSeconds?: number;
        containers: Container[];
      };
    };
  };
}

function loadDeployment(): Deployment {
  const text = readFileSync(
    new URL("../examples/production/k8s.yaml", import.meta.url),
    "utf8",
  );
  const documents = parseAllDocuments(text);
  for (const document of documents) {
    assert.deepEqual(document.errors, [], "the manifest is valid YAML");
  }
  const deployment = documents.map((d) => d.toJS()).find((d) =>
    d?.kind === "Deployment"
  );
  assert.ok(deployment, "the manifest has a Deployment");
  return deployment as Deployment;
}

/** The budget runService uses in a pod, with the manifest's env unset. */
async function libraryDefaults(): Promise<ShutdownBudget> {
  const saved = process.env.KUBERNETES_SERVICE_HOST;
  process.env.KUBERNETES_SERVICE_HOST = "10.96.0.1";
  let server;
  try {
    server = await serve(() => new Response(""), {
      port: 0,
      hostname: "127.0.0.1",
    });
  } finally {
    if (saved === undefined) delete process.env.KUBERNETES_SERVICE_HOST;
    else process.env.KUBERNETES_SERVICE_HOST = saved;
  }
  const clock = new ManualClock(0);
  const runtime = new Runtime({ name: "defaults", clock });
  let budget: ShutdownBudget | undefined;
  runtime.addEventListener("shutdown", (event) => {
    budget = (event as RuntimeEvent<ShutdownEvent>).detail.budget;
  });
  const service = runService({
    runtime,
    server,
    signal: AbortSignal.abort(),
    flush: () => Promise.resolve(), // the example flushes its telemetry
  });
  await clock.advance(server.shutdownDelay ?? 0);
  await service;
  assert.ok(budget, "runService reported its budget");
  return budget;
}

/** The manifest's env overrides, read as the example reads them. */
function budgetOf(container: Container, defaults: ShutdownBudget) {
  const env = new Map(
    (container.env ?? []).map(({ name, value }) => [name, value]),
  );
  const ms = (name: string, fallback: number) =>
    env.has(name) ? Number(env.get(name)) : fallback;
  return {
    env,
    gracePeriod: ms("GRACE_PERIOD_MS", defaults.gracePeriod),
    shutdownDelay: ms("SHUTDOWN_DELAY_MS", defaults.shutdownDelay),
    shutdownTimeout: ms("SHUTDOWN_TIMEOUT_MS", defaults.shutdownTimeout),
  };
}

test("the library's defaults in a pod: a 5 s delay and a 20 s budget inside a 30 s grace period", async () => {
  const defaults = await libraryDefaults();
  assert.equal(defaults.shutdownDelay, 5_000);
  assert.equal(defaults.shutdownTimeout, 20_000);
  assert.equal(defaults.gracePeriod, 30_000);
  assert.ok(
    defaults.shutdownDelay + defaults.shutdownTimeout + MIN_MARGIN_MS <=
      defaults.gracePeriod,
  );
});

test("k8s.yaml: terminationGracePeriodSeconds holds the delay and the budget with a margin, and matches runService's gracePeriod", async () => {
  const deployment = loadDeployment();
  const pod = deployment.spec.template.spec;
  const [container] = pod.containers;
  assert.ok(container);
  // Kubernetes' own default when the field is absent.
  const graceMs = (pod.terminationGracePeriodSeconds ?? 30) * 1_000;
  const budget = budgetOf(container, await libraryDefaults());
  assert.equal(
    budget.gracePeriod,
    graceMs,
    "runService's gracePeriod is the pod's terminationGracePeriodSeconds",
  );
  const preStopMs = (container.lifecycle?.preStop?.sleep?.seconds ?? 0) *
    1_000;
  const used = preStopMs + budget.shutdownDelay + budget.shutdownTimeout;
  assert.ok(
    used + MIN_MARGIN_MS <= graceMs,
    `preStop ${preStopMs} + delay ${budget.shutdownDelay} + budget ${budget.shutdownTimeout} ms leave less than ${MIN_MARGIN_MS} ms of the ${graceMs} ms grace period`,
  );
});

test("k8s.yaml: readiness on /readyz sees the pod unready within the shutdown delay; liveness and startup on /livez", async () => {
  const [container] = loadDeployment().spec.template.spec.containers;
  assert.ok(container);
  const { readinessProbe, livenessProbe, startupProbe } = container;
  assert.ok(readinessProbe && livenessProbe && startupProbe, "three probes");
  assert.equal(readinessProbe.httpGet.path, "/readyz");
  assert.equal(livenessProbe.httpGet.path, "/livez", "never /readyz");
  assert.equal(startupProbe.httpGet.path, "/livez");
  const { shutdownDelay } = budgetOf(container, await libraryDefaults());
  // Kubernetes' defaults: periodSeconds 10, failureThreshold 3, timeout 1.
  const period = readinessProbe.periodSeconds ?? 10;
  const threshold = readinessProbe.failureThreshold ?? 3;
  assert.ok(
    period * threshold * 1_000 <= shutdownDelay,
    `readiness needs ${
      period * threshold
    } s to see the pod unready, longer than the ${shutdownDelay} ms delay`,
  );
  for (const probe of [readinessProbe, livenessProbe, startupProbe]) {
    assert.ok(
      (probe.timeoutSeconds ?? 1) < (probe.periodSeconds ?? 10),
      "a probe's timeout is shorter than its period",
    );
  }
});

test("k8s.yaml: the probes reach the port the service listens on, on every interface", () => {
  const [container] = loadDeployment().spec.template.spec.containers;
  assert.ok(container);
  const env = new Map(
    (container.env ?? []).map(({ name, value }) => [name, value]),
  );
  const port = container.ports?.find((p) =>
    p.name === container.readinessProbe?.httpGet.port
  );
  assert.ok(port, "the probes name a container port");
  assert.equal(Number(env.get("PORT")), port.containerPort);
  const host = env.get("HOST");
  assert.ok(
    host === undefined || host === "0.0.0.0" || host === "::",
    "the kubelet probes the pod IP: the service must not bind loopback only",
  );
});

test("no unhandled rejections", assertNoUnhandled);
