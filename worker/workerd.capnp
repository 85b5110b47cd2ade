# workerd.capnp: run the Go Worker locally in workerd, as Cloudflare would.
#
#   ./build.sh build
#   FABRIC_API_BASE=http://127.0.0.1:8790 ALLOWED_ORIGINS=http://127.0.0.1:8080 \
#     node_modules/.bin/workerd serve worker/workerd.capnp --socket-addr http=127.0.0.1:8787
#
# The Worker variables come from the environment (fromEnvironment), under the
# same names as for the native proxy. The outbound network allows "local" and
# "private" addresses too, so the Worker can reach an emulator on 127.0.0.1;
# on Cloudflare only public hosts are reachable.
using Workerd = import "/workerd/workerd.capnp";

const config :Workerd.Config = (
  services = [
    (name = "proxy", worker = .proxyWorker),
    (name = "internet", network = (allow = ["public", "private", "local"], tlsOptions = (trustBrowserCas = true))),
  ],
  sockets = [(name = "http", address = "127.0.0.1:8787", http = (), service = "proxy")],
);

const proxyWorker :Workerd.Worker = (
  modules = [
    (name = "worker.mjs", esModule = embed "worker.mjs"),
    (name = "build/wasm_exec.js", esModule = embed "build/wasm_exec.js"),
    (name = "build/app.wasm", wasm = embed "build/app.wasm"),
  ],
  compatibilityDate = "2025-06-01",
  bindings = [
    (name = "FABRIC_API_BASE", fromEnvironment = "FABRIC_API_BASE"),
    (name = "ALLOWED_ORIGINS", fromEnvironment = "ALLOWED_ORIGINS"),
    (name = "FABRIC_REDIRECT_HOSTS", fromEnvironment = "FABRIC_REDIRECT_HOSTS"),
    (name = "MAX_BODY_BYTES", fromEnvironment = "MAX_BODY_BYTES"),
    (name = "UPSTREAM_TIMEOUT", fromEnvironment = "UPSTREAM_TIMEOUT"),
    (name = "CORS_MAX_AGE", fromEnvironment = "CORS_MAX_AGE"),
    (name = "PROXY_PUBLIC_URL", fromEnvironment = "PROXY_PUBLIC_URL"),
  ],
  globalOutbound = "internet",
);
