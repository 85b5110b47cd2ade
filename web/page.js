// page.js: the stand-alone dashboard (index.html). It decides the API base and the token,
// then mounts the dashboard with its settings panel.
//
// API base: apiBase from config.json next to the page (written by ./build.sh serve), else this
// origin + "/v1". A ?apiBase=... in the page URL is only a proposal: anyone can send a link,
// so a different API base from the URL is shown in Settings and used only once the user
// clicks Apply (this tab then remembers the choice).
//
// Token: kept in sessionStorage only (this tab), one per API base origin, so that a token
// given for one API base is never sent to another. With the emulator, config.json's devToken
// is filled in for config.json's apiBase, and only for it.
import { load } from "./fabric-lro.js";
import { startSignIn } from "./signin-page.js";

const TOKEN_PREFIX = "fabric-lro.token "; // + the API base's origin
const APPLIED_KEY = "fabric-lro.apiBase"; // the API base this tab's user applied in Settings
const LEGACY_TOKEN_KEY = "fabric-lro.token"; // before tokens were kept per origin
const PREVIOUS_KEY = "fabric-lro.previousApiBase"; // the API base this tab used before the last Apply
const OPERATIONS_PREFIX = "fabric-lro/operations "; // + API base: the operations saved for it (dashboard.StorageKey)

async function readConfig() {
  try {
    const res = await fetch(new URL("config.json", location.href), { cache: "no-store" });
    if (res.ok) return await res.json();
  } catch {
    // no config.json: fine, use the defaults
  }
  return {};
}

// normalize returns an absolute http(s) URL without trailing slashes, or "" if s is not one.
function normalize(s) {
  s = String(s ?? "").trim();
  if (!s) return "";
  try {
    const u = new URL(s, location.href);
    if (u.protocol !== "http:" && u.protocol !== "https:") return "";
    return u.href.replace(/\/+$/, "");
  } catch {
    return "";
  }
}

function originOf(apiBase) {
  try {
    return new URL(apiBase).origin;
  } catch {
    return "";
  }
}

const tokenKey = (apiBase) => TOKEN_PREFIX + originOf(apiBase);
const tokenFor = (apiBase) => sessionStorage.getItem(tokenKey(apiBase)) ?? "";

function showFatal(root, err) {
  const p = document.createElement("p");
  p.className = "flro-load-error";
  p.setAttribute("role", "alert");
  p.textContent = "The dashboard could not start: " + (err?.message ?? err) +
    ". Run ./build.sh build (it makes web/app.wasm), then reload.";
  root.replaceChildren(p);
}

// savedCount is how many operations are saved in this browser for apiBase.
function savedCount(apiBase) {
  try {
    const list = JSON.parse(localStorage.getItem(OPERATIONS_PREFIX + apiBase) ?? "[]");
    return Array.isArray(list) ? list.length : 0;
  } catch {
    return 0;
  }
}

// switchTo makes base this tab's API base and loads the page with it.
function switchTo(base, configured, from) {
  sessionStorage.setItem(APPLIED_KEY, base);
  if (from) sessionStorage.setItem(PREVIOUS_KEY, from);
  const url = new URL(location.href);
  if (base === configured) url.searchParams.delete("apiBase");
  else url.searchParams.set("apiBase", base);
  location.assign(url.href); // each API base keeps its own list of operations
}

// notice shows a message above the dashboard ("" removes it), with an optional button
// {label, role, onClick}.
function notice(root, text, button) {
  let p = document.getElementById("flro-page-notice");
  if (!text) {
    p?.remove();
    return;
  }
  if (!p) {
    p = document.createElement("p");
    p.id = "flro-page-notice";
    p.className = "flro-notice";
    p.dataset.role = "page-notice";
    p.setAttribute("role", "alert");
    root.before(p);
  }
  p.textContent = text;
  if (button) {
    const b = document.createElement("button");
    b.type = "button";
    b.textContent = button.label;
    b.dataset.role = button.role;
    b.onclick = button.onClick;
    p.append(" ", b);
  }
}

// chooseApiBase decides which API base this page load uses, and which one it only proposes.
function chooseApiBase(config) {
  const configured = normalize(config.apiBase) || normalize(location.origin + "/v1");
  const requested = normalize(new URLSearchParams(location.search).get("apiBase"));
  const applied = normalize(sessionStorage.getItem(APPLIED_KEY));
  if (!requested || requested === configured) return { configured, apiBase: configured, proposed: "" };
  if (requested === applied) return { configured, apiBase: requested, proposed: "" };
  return { configured, apiBase: configured, proposed: requested };
}

async function main() {
  const root = document.getElementById("app");
  const config = await readConfig();
  sessionStorage.removeItem(LEGACY_TOKEN_KEY);
  const { configured, apiBase, proposed } = chooseApiBase(config);
  if (config.devToken && normalize(config.apiBase) && !tokenFor(configured)) {
    sessionStorage.setItem(tokenKey(configured), config.devToken);
  }
  document.getElementById("api-base-label").textContent = apiBase;

  // Sign in with Microsoft when a client id is configured; a pasted token stays the fallback.
  const signIn = await startSignIn(config, root);
  let lro;
  try {
    lro = await load({
      apiBase,
      // The signed-in user's token; else only ever the token given for this API base's origin.
      getToken: async (how) => signIn && (signIn.active() || !tokenFor(apiBase)) ? signIn.getToken(how) : tokenFor(apiBase),
      notify: true, // the title counts what ended while the tab is hidden; notifications once allowed
    });
  } catch (err) {
    showFatal(root, err);
    return;
  }
  root.replaceChildren();
  const previous = normalize(sessionStorage.getItem(PREVIOUS_KEY));
  if (proposed) {
    notice(root, "This link asks to use the API base " + proposed + ". It is not used (and no token " +
      "is sent to it) until you check it and click Apply in Settings; until then the dashboard uses " + apiBase + ".");
  } else if (previous && previous !== apiBase && savedCount(previous) > 0) {
    // Each API base keeps its own list: say where the others went, and offer the way back.
    const n = savedCount(previous);
    notice(root, "The API base changed to " + apiBase + ". " + n + (n === 1 ? " operation belongs" : " operations belong") +
      " to the previous one, " + previous + ": they are kept, and show again when you switch back.",
      { label: "Switch back", role: "switch-back", onClick: () => switchTo(previous, configured, apiBase) });
  }
  let shownToken = tokenFor(apiBase);
  signIn?.connect(lro);
  lro.mount(root, {
    settings: true,
    hasToken: () => !!signIn?.active(),
    tokenAdvice: signIn ? "sign in again (Sign in, above)" : "",
    apiBase: proposed || apiBase,
    token: shownToken,
    onSettings(newBase, token) {
      const base = normalize(newBase);
      if (!base) {
        notice(root, "The API base " + JSON.stringify(String(newBase)) + " is not an http(s) URL: " +
          "give the proxy's /v1 URL, such as http://127.0.0.1:8787/v1.");
        return;
      }
      token = String(token ?? "").trim();
      // A token shown for one origin is not carried over to another: the user must type it.
      if (originOf(base) === originOf(apiBase) || token !== shownToken) {
        if (token) sessionStorage.setItem(tokenKey(base), token);
        else sessionStorage.removeItem(tokenKey(base));
      }
      shownToken = token;
      if (base === apiBase) {
        notice(root, "");
        return;
      }
      switchTo(base, configured, apiBase);
    },
  });
  globalThis.fabricLRO = lro; // for the console, and for end-to-end tests
}

main();
