// page.js: the stand-alone dashboard (index.html). It decides the API base and the token,
// then mounts the dashboard with its settings panel.
//
// API base: ?apiBase=... in the page URL, else apiBase from config.json next to the page
// (written by ./build.sh serve), else this origin + "/v1".
// Token: kept in sessionStorage only (this tab); prefilled with config.json's devToken when the
// page is served against the emulator.
import { load } from "./fabric-lro.js";

const TOKEN_KEY = "fabric-lro.token";

async function readConfig() {
  try {
    const res = await fetch(new URL("config.json", location.href), { cache: "no-store" });
    if (res.ok) return await res.json();
  } catch {
    // no config.json: fine, use the defaults
  }
  return {};
}

function showFatal(root, err) {
  const p = document.createElement("p");
  p.className = "flro-load-error";
  p.setAttribute("role", "alert");
  p.textContent = "The dashboard could not start: " + (err?.message ?? err) +
    ". Run ./build.sh build (it makes web/app.wasm), then reload.";
  root.replaceChildren(p);
}

async function main() {
  const root = document.getElementById("app");
  const config = await readConfig();
  const params = new URLSearchParams(location.search);
  const apiBase = params.get("apiBase") || config.apiBase || location.origin + "/v1";
  if (!sessionStorage.getItem(TOKEN_KEY) && config.devToken) {
    sessionStorage.setItem(TOKEN_KEY, config.devToken);
  }
  document.getElementById("api-base-label").textContent = apiBase;

  let lro;
  try {
    lro = await load({
      apiBase,
      getToken: async () => sessionStorage.getItem(TOKEN_KEY) ?? "",
    });
  } catch (err) {
    showFatal(root, err);
    return;
  }
  root.replaceChildren();
  lro.mount(root, {
    settings: true,
    apiBase,
    token: sessionStorage.getItem(TOKEN_KEY) ?? "",
    onSettings(newBase, token) {
      sessionStorage.setItem(TOKEN_KEY, token.trim());
      newBase = newBase.trim();
      if (newBase && newBase !== apiBase) {
        const url = new URL(location.href);
        url.searchParams.set("apiBase", newBase);
        location.assign(url.href); // each API base keeps its own list of operations
      }
    },
  });
  globalThis.fabricLRO = lro; // for the console, and for end-to-end tests
}

main();
