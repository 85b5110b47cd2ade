// signin.js: Sign in with Microsoft (Entra ID) for fabric-lro, through MSAL.js
// (@azure/msal-browser, pinned in package.json; ./build.sh build copies its browser bundle next
// to this file as msal-browser.min.js, and the redirect page's bridge as
// msal-redirect-bridge.min.js: no CDN at run time, and nothing added to app.wasm).
//
//   const signIn = await createSignIn({ clientId, tenantId: "organizations" });
//   const lro = await load({ apiBase, getToken: signIn.getToken });
//   button.onclick = () => signIn.signIn().then(() => lro.tokenChanged());
//
// getToken({refresh}) asks MSAL for a token silently (acquireTokenSilent, forceRefresh when the
// engine says Fabric answered 401 TokenExpired). When that needs the user (refresh token revoked
// or expired, no one signed in), it rejects with an error whose code is "SignInRequired" and the
// state changes to needsSignIn; the operations that wanted a token wait until signIn() succeeds
// and the page calls lro.tokenChanged() (or lro.retry()). MSAL keeps its cache in sessionStorage
// (this tab only) unless a portal's own PublicClientApplication says otherwise; no token is ever
// put in localStorage, a URL, a log or an error message by this file.

const FABRIC_SCOPE = "https://api.fabric.microsoft.com/.default";
const here = new URL(".", import.meta.url);

let library = null; // Promise of globalThis.msal

// loadMsal loads MSAL.js's browser bundle (msal-browser.min.js next to this module) once.
export function loadMsal(url = new URL("msal-browser.min.js", here).href) {
  if (globalThis.msal?.PublicClientApplication) return Promise.resolve(globalThis.msal);
  if (!library) {
    library = new Promise((resolve, reject) => {
      const s = document.createElement("script");
      s.src = url;
      s.onload = () => globalThis.msal?.PublicClientApplication ? resolve(globalThis.msal)
        : reject(new Error("fabric-lro: " + url + " did not define MSAL.js (globalThis.msal)"));
      s.onerror = () => reject(new Error("fabric-lro: could not load MSAL.js from " + url +
        ": run ./build.sh build (it copies @azure/msal-browser from node_modules into web/)"));
      document.head.append(s);
    });
    library.catch(() => {
      library = null;
    });
  }
  return library;
}

/**
 * msalConfiguration turns fabric-lro's sign-in settings into MSAL's configuration.
 *
 * @param {object} c
 * @param {string} c.clientId  the app registration's Application (client) ID
 * @param {string} [c.tenantId="organizations"]  a tenant id, a domain, organizations or common
 * @param {string} [c.authorityHost="https://login.microsoftonline.com"]  another authority host
 *   (the emulator's identity provider); it is then listed in knownAuthorities
 * @param {string} [c.redirectUri]  default: signin-redirect.html next to this module (needed on another origin)
 * @param {string} [c.cacheLocation="sessionStorage"]
 * @param {number} [c.renewalOffsetSeconds]  renew a token this long before it expires (MSAL: 300)
 */
export function msalConfiguration(c) {
  const host = String(c.authorityHost || "https://login.microsoftonline.com").replace(/\/+$/, "");
  const tenant = String(c.tenantId || "organizations").trim();
  const known = host === "https://login.microsoftonline.com" ? [] : [new URL(host).host];
  // The redirect page hands Entra's answer to the page over a BroadcastChannel, which works
  // within one origin only: a portal on another origin than this module gives its own page
  // (a copy of signin-redirect.html, with MSAL's redirect bridge).
  if (!c.redirectUri && globalThis.location && here.origin !== location.origin) {
    throw new TypeError("fabric-lro: msal {redirectUri} is needed on a page of another origin than fabric-lro.js: " +
      "serve a copy of signin-redirect.html (and msal-redirect-bridge.min.js) on " + location.origin +
      ", register its URL as a Single-page application redirect URI, and pass it as redirectUri");
  }
  const redirectUri = c.redirectUri || new URL("signin-redirect.html", here).href;
  const system = {};
  if (Number.isFinite(c.renewalOffsetSeconds)) system.tokenRenewalOffsetSeconds = c.renewalOffsetSeconds;
  return {
    auth: { clientId: String(c.clientId).trim(), authority: host + "/" + encodeURIComponent(tenant), knownAuthorities: known,
      redirectUri, postLogoutRedirectUri: redirectUri },
    cache: { cacheLocation: c.cacheLocation || "sessionStorage" },
    system,
  };
}

// SignInRequired is the error getToken rejects with when the user must sign in again.
export class SignInRequiredError extends Error {
  constructor(message, cause) {
    super(message);
    this.name = "SignInRequiredError";
    this.errorCode = "SignInRequired";
    this.cause = cause;
  }
}

/**
 * createSignIn makes a sign-in for the engine from a portal's own PublicClientApplication or
 * from a configuration ({clientId, tenantId, scopes, authorityHost, interaction, ...}; see
 * msalConfiguration). interaction: "popup" (default) or "redirect".
 */
export async function createSignIn(option) {
  if (!option || typeof option !== "object") {
    throw new TypeError("fabric-lro: msal must be a PublicClientApplication or {clientId, tenantId, scopes}");
  }
  const own = typeof option.acquireTokenSilent === "function";
  if (!own && !String(option.clientId ?? "").trim()) {
    throw new TypeError("fabric-lro: msal {clientId} needs the Application (client) ID of an app registration");
  }
  const scopes = Array.isArray(option.scopes) && option.scopes.length ? option.scopes.map(String) : [FABRIC_SCOPE];
  const interaction = option.interaction === "redirect" ? "redirect" : "popup";
  const settings = own ? {} : { tenantId: option.tenantId || "organizations", clientId: String(option.clientId).trim() };
  let pca = own ? option : null;
  let startError = null;
  if (!pca) {
    const msal = await loadMsal(option.msalUrl);
    pca = await msal.createStandardPublicClientApplication(msalConfiguration(option)); // constructed and initialized
  }
  let account = null;
  let needsSignIn = false;
  let lastError = "";
  const listeners = new Set();
  const changed = () => {
    for (const fn of listeners) {
      try {
        fn(state());
      } catch (err) {
        console.error("fabric-lro: a sign-in listener threw:", err);
      }
    }
  };
  const state = () => ({
    account: account ? { name: account.name ?? "", username: account.username ?? "" } : null,
    needsSignIn,
    error: lastError,
  });
  const use = (a) => {
    account = a ?? null;
    if (account) pca.setActiveAccount?.(account);
  };
  if (!own) {
    try {
      const back = await pca.handleRedirectPromise(); // the answer of a redirect sign-in, if any
      use(back?.account ?? pca.getActiveAccount?.() ?? pca.getAllAccounts()[0]);
    } catch (err) {
      startError = err;
      lastError = explain(err, settings);
    }
  } else {
    use(pca.getActiveAccount?.() ?? pca.getAllAccounts?.()[0]);
  }

  const interactionRequired = (err) => {
    const ir = globalThis.msal?.InteractionRequiredAuthError;
    return (ir && err instanceof ir) || err?.name === "InteractionRequiredAuthError" ||
      ["interaction_required", "login_required", "consent_required", "no_account_error", "no_tokens_found"].includes(err?.errorCode);
  };

  let waiting = null; // the one silent acquisition in flight, shared by concurrent callers
  async function getToken(how) {
    if (!account) {
      needsSignIn = true;
      changed();
      throw new SignInRequiredError("Not signed in: click Sign in (Microsoft Entra ID) to get a token for Fabric.");
    }
    const refresh = !!how?.refresh;
    if (!refresh && waiting) return waiting;
    const p = (async () => {
      try {
        const r = await pca.acquireTokenSilent({ scopes, account, forceRefresh: refresh });
        if (needsSignIn || lastError) {
          needsSignIn = false;
          lastError = "";
          changed();
        }
        return r.accessToken;
      } catch (err) {
        if (interactionRequired(err)) {
          needsSignIn = true;
          lastError = "";
          changed();
          throw new SignInRequiredError("Your sign-in has expired: click Sign in again; the operations waiting for a token resume after.", err);
        }
        throw new Error(explain(err, settings));
      }
    })();
    if (!refresh) {
      waiting = p;
      p.finally(() => {
        if (waiting === p) waiting = null;
      }).catch(() => {});
    }
    return p;
  }

  // signIn must be called from a click (a popup needs the user's gesture): nothing is awaited
  // before MSAL opens its window.
  function signIn() {
    lastError = "";
    const request = { scopes, prompt: "select_account" };
    if (account && needsSignIn) request.loginHint = account.username;
    if (interaction === "redirect") {
      return pca.loginRedirect(request).then(() => state());
    }
    return pca.loginPopup(request).then((r) => {
      use(r.account);
      needsSignIn = false;
      changed();
      return state();
    }, (err) => {
      lastError = explain(err, settings);
      changed();
      throw new Error(lastError);
    });
  }

  async function signOut() {
    const a = account;
    use(null);
    needsSignIn = false;
    changed();
    if (!a) return;
    if (interaction === "redirect") {
      await pca.logoutRedirect({ account: a });
    } else {
      await pca.logoutPopup({ account: a }).catch((err) => {
        // Signed out of this page anyway (MSAL cleared its cache); say why the provider was not told.
        lastError = "Signed out here, but the identity provider's sign-out window did not finish: " + explain(err, settings);
        changed();
      });
    }
  }

  return {
    getToken,
    signIn,
    signOut,
    state,
    interaction,
    onChange(fn) {
      listeners.add(fn);
      return () => listeners.delete(fn);
    },
    startError,
  };
}

// explain says, for a person, what went wrong in a sign-in and what to do. It uses only MSAL's
// error code and Entra's AADSTS code and text, which never carry a token.
export function explain(err, settings = {}) {
  const code = err?.errorCode ?? "";
  const text = String(err?.errorMessage ?? err?.message ?? err ?? "");
  const aadsts = /AADSTS(\d+)/.exec(text)?.[1] ?? "";
  const client = settings.clientId ? " " + settings.clientId : "";
  const tenant = settings.tenantId ? " " + settings.tenantId : "";
  switch (true) {
    case code === "popup_window_error" || code === "empty_window_error":
      return "The browser blocked the sign-in window. Allow pop-ups for this site (the icon at the end of the address bar), " +
        "or choose Redirect as the sign-in method, then click Sign in again.";
    case code === "user_cancelled":
      return "Sign-in was cancelled: the sign-in window was closed before it finished. Click Sign in to try again.";
    case aadsts === "700016" || code === "unauthorized_client":
      return "Microsoft Entra ID does not know the client id" + client + " in the tenant" + tenant +
        ": check the client id (the Application (client) ID of your app registration) and the tenant in the sign-in settings.";
    case aadsts === "90002" || code === "openid_config_error" || code === "endpoints_resolution_error" || code === "untrusted_authority":
      return "The tenant" + tenant + " was not found: check the tenant in the sign-in settings " +
        "(a tenant id, a domain such as contoso.onmicrosoft.com, or organizations).";
    case aadsts === "50011":
      return "The app registration" + client + " does not list this page's redirect URI: add " +
        new URL("signin-redirect.html", here).href + " as a Single-page application redirect URI (Authentication page of the app registration).";
    case aadsts === "65001" || code === "consent_required":
      return "The app registration needs consent for the Fabric API permissions: ask an administrator to grant consent, then sign in again.";
    case code === "authority_uri_insecure":
      return "The sign-in authority must be an https URL.";
    case code === "interaction_in_progress":
      return "A sign-in is already in progress in this tab: finish or close it, then try again.";
    case code === "no_network_connectivity" || code === "network_error" || code === "post_request_failed":
      return "Could not reach the sign-in service: check the network, then click Sign in again.";
  }
  return "Sign-in failed (" + (code || "error") + "): " + text.split("\n")[0].slice(0, 300);
}
