# The plain JavaScript baseline Worker for bench/ (see worker.mjs), run like worker/workerd.capnp.
using Workerd = import "/workerd/workerd.capnp";

const config :Workerd.Config = (
  services = [
    (name = "baseline", worker = .baselineWorker),
    (name = "internet", network = (allow = ["public", "private", "local"])),
  ],
  sockets = [(name = "http", address = "127.0.0.1:8788", http = (), service = "baseline")],
);

const baselineWorker :Workerd.Worker = (
  modules = [(name = "worker.mjs", esModule = embed "worker.mjs")],
  compatibilityDate = "2025-06-01",
  bindings = [(name = "FABRIC_API_BASE", fromEnvironment = "FABRIC_API_BASE")],
  globalOutbound = "internet",
);
