// worker.mjs: the Worker's JavaScript entry, a thin bridge to the Go proxy.
//
// Adapted from github.com/syumai/workers v0.32.0 (cmd/workers-assets-gen
// assets common/worker.mjs and runtime/cloudflare.mjs, MIT). Two differences:
// it uses Go's own wasm_exec.js (copied from $(go env GOROOT)/lib/wasm by
// ./build.sh build, so it always matches the compiler), and it hands the
// request's runtime context to Go as globalThis.context while the Go program
// starts, which is what syumai's patched wasm_exec.js does with a Proxy.
// syumai/workers reads the context (env, ctx, binding) once, during package
// initialisation, which runs synchronously inside go.run.
//
// As in syumai/workers, every request starts a new Go instance (several ms of
// CPU). A later issue makes one instance serve many requests per isolate.
import "./build/wasm_exec.js";
import mod from "./build/app.wasm";

globalThis.tryCatch = (fn) => {
  try {
    return { result: fn() };
  } catch (e) {
    return { error: e };
  }
};

async function start(env, ctx) {
  const binding = {};
  const go = new Go();
  let ready;
  const readyPromise = new Promise((resolve) => {
    ready = resolve;
  });
  const instance = new WebAssembly.Instance(mod, {
    ...go.importObject,
    workers: { ready: () => ready() },
  });
  const previous = globalThis.context;
  globalThis.context = { env, ctx, binding };
  try {
    go.run(instance); // runs Go's init and main up to their first wait, synchronously
  } finally {
    globalThis.context = previous;
  }
  await readyPromise;
  return binding;
}

export default {
  async fetch(req, env, ctx) {
    const binding = await start(env, ctx);
    return binding.handleRequest(req);
  },
};
