# workerd config for tests/workerd.test.ts. The test copies this file and
# worker.js next to the bundled core (workerkit.js) in a temporary folder,
# and picks the port with `--socket-addr http=127.0.0.1:<port>`.
using Workerd = import "/workerd/workerd.capnp";

const config :Workerd.Config = (
  services = [(name = "main", worker = .edge)],
  sockets = [(name = "http", address = "127.0.0.1:8787", http = (), service = "main")],
);

# No compatibility flags, no nodejs_compat: the core must load on plain workerd.
const edge :Workerd.Worker = (
  modules = [
    (name = "worker.js", esModule = embed "worker.js"),
    (name = "workerkit.js", esModule = embed "workerkit.js"),
  ],
  compatibilityDate = "2025-09-01",
);
