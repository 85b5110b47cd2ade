// worker.mjs: the Worker's JavaScript entry. JavaScript moves the bytes, Go
// decides: for each request it calls the Go proxy (worker/main_js.go) to
// begin (answer now, or forward where, with which headers), fetches, and
// calls it to finish (status and headers to send with the upstream's body)
// or to fail (no answer came). Only strings cross (see worker/wire.go), and
// Go keeps nothing between the calls of one request.
//
// The calls are WebAssembly exports of the Go module (//go:wasmexport): the
// argument is written into Go's memory and the result read from it, with no
// syscall/js on the way. One Go instance serves every request of the
// isolate, concurrently (each call is synchronous and short; requests
// interleave while they wait for fetch). It starts with the isolate's first
// request (Go's runtime draws random numbers as it starts, which workerd
// does not allow at global scope). If a call finds it exited or trapped,
// that request is answered 500 in Fabric's error shape and the next call
// starts a fresh instance; a Go panic is answered 500 by Go itself and the
// instance goes on. Go's own wasm_exec.js is used unmodified (copied from
// $(go env GOROOT)/lib/wasm by ./build.sh build).
import "./build/wasm_exec.js";
import mod from "./build/app.wasm";

// Headers cross as one string: name "\n" value "\n" ...
function flat(headers) {
  let s = "";
  for (const [name, value] of headers) s += name + "\n" + value + "\n";
  return s;
}

function unflat(s) {
  const parts = s.split("\n");
  const pairs = [];
  for (let i = 0; i + 1 < parts.length; i += 2) pairs.push([parts[i], parts[i + 1]]);
  return new Headers(pairs);
}

// answer builds the Response of an "A" (answer) result: A, status, headers, body.
function answer(f) {
  const status = +f[1];
  const nullBody = status === 204 || status === 205 || status === 304;
  return new Response(nullBody ? null : f[3], { status, headers: unflat(f[2]) });
}

// failure answers a request whose Go instance stopped, in Fabric's error shape.
function failure(why) {
  const requestId = crypto.randomUUID();
  console.error(`fabric-lro worker: the Go instance stopped (${why}); requestId ${requestId}; the next request starts a fresh one`);
  const errorCode = "ProxyInternalError";
  const message =
    "The proxy failed while serving this request, which may or may not have reached Fabric; check before repeating a create, and report the request id if it persists.";
  return new Response(JSON.stringify({ errorCode, message, requestId }), {
    status: 500,
    headers: {
      "Content-Type": "application/json; charset=utf-8",
      "Cache-Control": "no-store",
      "x-ms-public-api-error-code": errorCode,
      requestId,
    },
  });
}

class Stopped extends Error {}

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const ops = { begin: 0, finish: 1, fail: 2 };

let current = null; // the isolate's Go instance: { go, x (its exports), dead }

function boot(env) {
  const go = new Go();
  const inst = { go, x: null, dead: null };
  let exitCode = "?";
  const wasmExit = go.importObject.gojs["runtime.wasmExit"];
  go.importObject.gojs["runtime.wasmExit"] = (sp) => {
    exitCode = go.mem.getInt32((sp >>> 0) + 8, true);
    wasmExit(sp);
  };
  const wasm = new WebAssembly.Instance(mod, go.importObject);
  inst.x = wasm.exports;
  const previous = globalThis.context;
  globalThis.context = { env, binding: {} }; // read by Go's init (syumai/workers' cloudflare package)
  try {
    // Runs Go's init and main synchronously, until main waits.
    go.run(wasm).then(
      () => (inst.dead ??= `the Go program exited with code ${exitCode}`),
      (e) => (inst.dead ??= String(e)),
    );
  } finally {
    globalThis.context = previous;
  }
  if (go.exited) inst.dead ??= `the Go program exited with code ${exitCode} while starting`;
  if (inst.dead) throw new Stopped(inst.dead);
  return inst;
}

// call runs one Go call on the isolate's instance (starting one if needed):
// the argument goes into Go's memory, the result and log lines come out of
// it. A call that traps or finds the program gone stops the instance.
function call(env, name, arg) {
  const inst = current ?? (current = boot(env));
  let result, log;
  try {
    const x = inst.x;
    const bytes = encoder.encode(arg);
    const ptr = x.fabric_input(bytes.length);
    new Uint8Array(x.mem.buffer, ptr, bytes.length).set(bytes);
    const n = x.fabric_call(ops[name]);
    if (!inst.go.exited) {
      result = decoder.decode(new Uint8Array(x.mem.buffer, x.fabric_output(), n));
      const ln = x.fabric_log_length();
      if (ln > 0) log = decoder.decode(new Uint8Array(x.mem.buffer, x.fabric_log(), ln));
    }
  } catch (e) {
    inst.dead ??= String(e);
  }
  if (log) console.log(log.trimEnd());
  if (inst.go.exited) inst.dead ??= `${name}: the Go program exited`;
  if (inst.dead || result === undefined) {
    inst.dead ??= `${name} returned no answer`;
    if (current === inst) current = null;
    throw new Stopped(inst.dead);
  }
  return result.split("\0");
}

// readLimited reads a body of unknown length, failing past max bytes.
async function readLimited(body, max, over) {
  const chunks = [];
  let n = 0;
  for await (const chunk of body) {
    n += chunk.byteLength;
    if (n > max) {
      over.hit = true;
      throw new Error("request body over the limit");
    }
    chunks.push(chunk);
  }
  if (n === 0) return null;
  const all = new Uint8Array(n);
  let at = 0;
  for (const c of chunks) {
    all.set(c, at);
    at += c.byteLength;
  }
  return all;
}

async function serve(req, env) {
  const f = call(env, "begin", req.method + "\0" + req.url + "\0" + flat(req.headers));
  if (f[0] === "A") return answer(f);
  const [, method, url, headers, sendBody, maxBody, timeoutMs] = f;
  const state = f.slice(7).join("\0"); // the last field, NULs and all
  const over = { hit: false };
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(), +timeoutMs); // bounds the wait for headers only
  let res;
  try {
    let body = null;
    if (sendBody && req.body) {
      // A declared length was checked by begin and is enforced by the runtime.
      body = req.headers.has("content-length") ? req.body : await readLimited(req.body, +maxBody, over);
    }
    res = await fetch(url, { method, headers: unflat(headers), body, redirect: "manual", signal: ac.signal });
  } catch (e) {
    const why = over.hit ? "tooLarge" : ac.signal.aborted ? "timeout" : "unreachable";
    return answer(call(env, "fail", why + "\0" + String(e).replaceAll("\0", " ") + "\0" + state));
  } finally {
    clearTimeout(timer);
  }
  const g = call(env, "finish", res.status + "\0" + flat(res.headers) + "\0" + state);
  if (g[0] !== "P") {
    res.body?.cancel().catch(() => {});
    return answer(g);
  }
  return new Response(res.body, { status: +g[1], headers: unflat(g[2]) });
}

export default {
  async fetch(req, env) {
    try {
      return await serve(req, env);
    } catch (e) {
      if (e instanceof Stopped) return failure(e.message);
      throw e;
    }
  },
};
