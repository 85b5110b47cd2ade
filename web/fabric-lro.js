// fabric-lro.js: watch Microsoft Fabric long running operations from a web page.
//
//   import { load } from "./web/fabric-lro.js";
//   const lro = await load({ apiBase: "https://proxy.example/v1", getToken: async () => token });
//   const op = await lro.createItem(workspaceId, { type: "Notebook", displayName: "Sales" });
//   lro.subscribe((snapshot) => console.log(snapshot.id, snapshot.status));
//   const final = await lro.wait(op.id);
//
// The polling engine is Go compiled to WebAssembly (app.wasm, next to this file). It honours
// Retry-After, waits out 429s, refreshes the token once on TokenExpired (getToken({refresh:
// true})) and, if that does not help, keeps the operation waiting for a token: call
// lro.retry() once getToken can return a new one. It keeps operations (never the token) in
// localStorage so they resume after a reload; a failed save is reported on the console.
// A subscribe() callback that throws is reported (console.error) and the others go on.
// Every tab of this origin (and every load()) on the same apiBase shares one engine: one of
// them polls (Web Locks), the others show what it broadcasts (BroadcastChannel) and forward
// their calls to it; wait() resolves for an operation started in any of them.
//
// mount(element, {forms, portalUrl}) renders the dashboard in a shadow root of element, so the
// page's CSS cannot reach it; the page styles it only through CSS custom properties
// (--flro-accent, --flro-font, --flro-row-height, ...; see fabric-lro.css). forms: ["create",
// "track"] by default, [] for the list alone. It returns a promise that rejects with a
// TypeError when element is not an Element that can hold a shadow root.
//
// A snapshot is plain JSON: {id, kind, label, status, percentComplete, createdTimeUtc,
// lastUpdatedTimeUtc, nextPollAt, waiting, attempts, result, error}. waiting (null once
// nothing more will be sent) says why the next check is when it is: {reason, until, seconds?,
// since?, error?, attempt?, of?} with reason "retryAfter" (the wait Fabric asked for),
// "throttled" (a 429 paused requests to Fabric until `until`; seconds: the Retry-After of this
// operation's own 429), "retrying" (after error.errorCode, retry `attempt` of `of`), "token"
// (a 401 getToken could not fix; call retry() with a new token) or "stalled" (no progress
// since `since`, still polled). until equals nextPollAt; seconds is the wait as decided.

const here = new URL(".", import.meta.url);

let runtime = null; // Promise of the Go side's registry (globalThis.__fabricLRO)

function startRuntime(wasmUrl) {
  if (runtime) return runtime;
  runtime = (async () => {
    if (!globalThis.Go) {
      await import(new URL("wasm_exec.js", here).href); // defines globalThis.Go
    }
    const go = new globalThis.Go();
    const ready = new Promise((resolve) => {
      globalThis.__fabricLROReady = resolve;
    });
    const response = fetch(wasmUrl);
    let instance;
    try {
      ({ instance } = await WebAssembly.instantiateStreaming(response, go.importObject));
    } catch (err) {
      // A server that does not send application/wasm: compile from the bytes instead.
      const bytes = await (await fetch(wasmUrl)).arrayBuffer();
      ({ instance } = await WebAssembly.instantiate(bytes, go.importObject));
    }
    go.run(instance); // runs until the page goes away
    return ready;
  })();
  runtime.catch(() => {
    runtime = null; // let a later load() try again
  });
  return runtime;
}

let sheet = null; // Promise of fabric-lro.css as a constructed stylesheet, shared by every mount

// styles loads fabric-lro.css (next to this module, or cssUrl) once, for the shadow roots.
function styles(cssUrl) {
  if (!sheet) {
    sheet = (async () => {
      const res = await fetch(cssUrl);
      if (!res.ok) throw new Error("fabric-lro: " + cssUrl + " answered " + res.status);
      const s = new CSSStyleSheet();
      s.replaceSync(await res.text());
      return s;
    })();
    sheet.catch(() => {
      sheet = null;
    });
  }
  return sheet;
}

// shadowMount wraps the engine's mount: the dashboard goes into a shadow root of element, with
// the stylesheet adopted there, so that no rule of the page applies inside it.
function shadowMount(goMount, cssUrl) {
  return async (element, options) => {
    if (!(globalThis.Element && element instanceof Element)) {
      return goMount(element, options); // rejects with a TypeError that names what it got
    }
    let shadow = element.shadowRoot;
    if (!shadow) {
      try {
        shadow = element.attachShadow({ mode: "open" });
      } catch (err) {
        throw new TypeError("fabric-lro: mount(element) needs an element that can hold a shadow root, " +
          "such as a <div> or <section>; got <" + element.localName + ">");
      }
    }
    shadow.adoptedStyleSheets = [await styles(cssUrl)];
    const root = document.createElement("div");
    root.className = "flro-root";
    shadow.replaceChildren(root);
    return goMount(root, options);
  };
}

/**
 * Load the engine and connect it to a Fabric API (through the fabric-lro proxy).
 *
 * @param {object} options
 * @param {string} options.apiBase  the proxy's /v1 URL, e.g. "https://fabric-lro.example.workers.dev/v1"
 * @param {() => Promise<string>} [options.getToken]  returns a bearer token for api.fabric.microsoft.com
 * @param {object} [options.msal]  instead of getToken: a portal's MSAL.js PublicClientApplication, or
 *   {clientId, tenantId, scopes} (sign-in with popup; then api.signIn(), api.signOut(), api.account())
 * @param {string|URL} [options.wasmUrl]  where app.wasm is (default: next to this module)
 * @param {boolean} [options.persist=true]  keep operations in localStorage and resume them on load
 * @param {number} [options.requestsPerSecond=5]  the request budget shared by every call (starts, polls, results)
 * @param {boolean} [options.notify=false]  when an operation or job ends while the page is hidden, count it in the
 *   tab's title until the user looks, and show a browser notification (the dashboard offers a button that asks
 *   for permission; it is never asked on load); clicking the notification shows the operation's row
 * @param {number} [options.keepFinishedDays=7]  finished operations older than this are dropped from localStorage on load
 * @param {string|URL} [options.cssUrl]  the dashboard's stylesheet (default: fabric-lro.css next to this module)
 * @returns {Promise<FabricLRO>}
 */
export async function load(options = {}) {
  const { apiBase } = options;
  let { getToken } = options;
  if (typeof apiBase !== "string" || apiBase === "") {
    throw new TypeError("fabric-lro: load({ apiBase }) needs the proxy's /v1 URL, e.g. \"http://127.0.0.1:8787/v1\"");
  }
  let signIn = null;
  if (typeof getToken !== "function" && options.msal) {
    // A portal's own PublicClientApplication, or {clientId, tenantId, scopes}: see signin.js.
    const { createSignIn } = await import("./signin.js");
    signIn = await createSignIn(options.msal);
    getToken = signIn.getToken;
  }
  if (typeof getToken !== "function") {
    throw new TypeError("fabric-lro: load() needs getToken (an async function that returns a bearer token) " +
      "or msal (a PublicClientApplication, or {clientId, tenantId, scopes})");
  }
  const wasmUrl = new URL(options.wasmUrl ?? "app.wasm", here).href;
  const cssUrl = new URL(options.cssUrl ?? "fabric-lro.css", here).href;
  if (globalThis.document) styles(cssUrl).catch(() => {}); // start loading it now
  const registry = await startRuntime(wasmUrl);
  const api = await registry.open({
    apiBase: new URL(apiBase, globalThis.location?.href).href.replace(/\/+$/, ""),
    getToken: async (how) => String((await getToken(how)) ?? ""),
    persist: options.persist !== false,
    requestsPerSecond: options.requestsPerSecond,
    notify: options.notify === true,
    keepFinishedDays: options.keepFinishedDays,
    onSettings: options.onSettings,
  });
  api.mount = shadowMount(api.mount, cssUrl);
  if (signIn) {
    // Call signIn() from a click: the popup needs the user's gesture.
    api.signIn = () => signIn.signIn().then((state) => {
      api.tokenChanged(); // operations waiting for a token go on
      return state;
    });
    api.signOut = () => signIn.signOut();
    api.account = () => signIn.state().account;
    api.onSignInChange = (fn) => signIn.onChange(fn);
  }
  return api;
}

/**
 * <fabric-lro-dashboard api-base="https://proxy.example/v1"></fabric-lro-dashboard>
 *
 * The dashboard as an element. Give it a token source before it is connected:
 * `el.getToken = async () => token`, or (for the emulator only) a `token` attribute.
 * `el.ready` is a promise of the loaded API (the object load() resolves to).
 */
export class FabricLroDashboard extends (globalThis.HTMLElement ?? class {}) {
  constructor() {
    super();
    let resolve, reject;
    this.ready = new Promise((res, rej) => {
      resolve = res;
      reject = rej;
    });
    this._settle = { resolve, reject };
    this._started = false;
  }

  connectedCallback() {
    if (this._started) return;
    this._started = true;
    // Let the page set el.getToken in the same task that connected the element.
    queueMicrotask(() => this._start());
  }

  async _start() {
    try {
      const getToken = typeof this.getToken === "function"
        ? this.getToken
        : async () => this.getAttribute("token") ?? "";
      const api = await load({
        apiBase: this.getAttribute("api-base") ?? "",
        getToken,
        wasmUrl: this.getAttribute("wasm-url") ?? undefined,
        persist: this.getAttribute("persist") !== "false",
      });
      await api.mount(this);
      this._settle.resolve(api);
    } catch (err) {
      const p = document.createElement("p");
      p.className = "flro-load-error";
      p.setAttribute("role", "alert");
      p.textContent = "fabric-lro could not start: " + (err?.message ?? err);
      this.replaceChildren(p);
      this._settle.reject(err);
    }
  }
}

if (globalThis.customElements && !customElements.get("fabric-lro-dashboard")) {
  customElements.define("fabric-lro-dashboard", FabricLroDashboard);
}
