// signin-page.js: the stand-alone page's "Sign in with Microsoft" bar (index.html), above the
// dashboard. It shows Sign in, who is signed in and Sign out, says clearly what to do when
// sign-in fails, and keeps its settings (client id, tenant, popup or redirect; never a token)
// in localStorage. The settings come from config.json's signIn (./build.sh serve --sign-in
// writes it) or from what the user saved here; without a client id the page works as before,
// with a pasted token.
import { createSignIn, explain } from "./signin.js";

const SETTINGS_KEY = "fabric-lro.signIn"; // {clientId, tenantId, interaction}: no secret

function saved() {
  try {
    const v = JSON.parse(localStorage.getItem(SETTINGS_KEY) ?? "null");
    return v && typeof v === "object" ? v : null;
  } catch {
    return null;
  }
}

function el(tag, props = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (k === "role") e.dataset.role = v;
    else if (k in e) e[k] = v;
    else e.setAttribute(k, v);
  }
  e.append(...children);
  return e;
}

/**
 * startSignIn renders the bar before `before` and, when a client id is configured, makes the
 * sign-in. It resolves to null without a client id, else to
 * {active(), getToken(how), connect(lro)}.
 */
export async function startSignIn(config, before) {
  const fromConfig = config.signIn && typeof config.signIn === "object" ? config.signIn : {};
  const mine = saved();
  const settings = { ...fromConfig, ...(mine ?? {}) };
  const bar = el("section", { className: "flro-signin", role: "signin", "aria-label": "Sign in with Microsoft" });
  const status = el("span", { role: "signin-status" });
  const signInButton = el("button", { type: "button", role: "sign-in", textContent: "Sign in", hidden: true }); // until MSAL is ready
  const signOutButton = el("button", { type: "button", role: "sign-out", textContent: "Sign out", hidden: true });
  const message = el("p", { className: "flro-signin-error", role: "signin-error", hidden: true });
  message.setAttribute("role", "alert");
  const form = settingsForm(settings);
  bar.append(el("div", { className: "flro-signin-row" }, status, signInButton, signOutButton), message, form);
  before.before(bar);

  const say = (text) => {
    message.textContent = text;
    message.hidden = !text;
  };
  if (!String(settings.clientId ?? "").trim()) {
    // No sign-in configured: only a folded "Sign in with Microsoft" in the page's header, so
    // the page looks as before for those who paste a token.
    bar.replaceChildren(form);
    bar.className = "flro-signin-setup";
    form.querySelector("summary").textContent = "Sign in with Microsoft…";
    form.querySelector("form").prepend(el("span", { textContent: "Your Entra app registration's client id (then no token to paste):" }));
    (document.querySelector(".flro-top") ?? before.parentNode).append(bar);
    return null;
  }
  let signIn;
  try {
    signIn = await createSignIn(settings);
  } catch (err) {
    status.textContent = "Sign-in is not available.";
    signInButton.hidden = true;
    say(err?.errorCode ? explain(err, settings) : String(err?.message ?? err));
    form.open = true;
    return null;
  }
  let lro = null;
  const show = (s) => {
    if (s.account) {
      status.textContent = (s.needsSignIn ? "Your sign-in expired, " : "Signed in as ") + s.account.name +
        (s.account.username ? " (" + s.account.username + ")" : "") + (s.needsSignIn ? ": sign in again to go on." : "");
    } else {
      status.textContent = s.needsSignIn ? "Not signed in: sign in to watch operations." : "Not signed in.";
    }
    signInButton.hidden = !!s.account && !s.needsSignIn;
    signInButton.textContent = s.account && s.needsSignIn ? "Sign in again" : "Sign in";
    signOutButton.hidden = !s.account;
    bar.dataset.state = s.needsSignIn ? "needs-sign-in" : s.account ? "signed-in" : "signed-out";
    say(s.error);
  };
  signIn.onChange(show);
  show(signIn.state());
  signInButton.onclick = () => {
    say("");
    // No await before signIn(): the popup needs this click's gesture.
    signIn.signIn().then(() => lro?.tokenChanged(), () => {});
  };
  signOutButton.onclick = () => signIn.signOut();
  return {
    active: () => !!signIn.state().account,
    getToken: signIn.getToken,
    connect(api) {
      lro = api;
    },
  };
}

// settingsForm is the sign-in settings: client id, tenant and method, saved in localStorage;
// Save reloads the page, which then signs in with them.
function settingsForm(s) {
  const clientId = el("input", { name: "clientId", role: "signin-client-id", value: s.clientId ?? "", spellcheck: false, autocomplete: "off",
    placeholder: "Application (client) ID, a GUID" });
  const tenant = el("input", { name: "tenantId", role: "signin-tenant", value: s.tenantId ?? "organizations", spellcheck: false, autocomplete: "off" });
  const method = el("select", { name: "interaction", role: "signin-method" },
    el("option", { value: "popup", textContent: "Popup" }), el("option", { value: "redirect", textContent: "Redirect (when pop-ups are blocked)" }));
  method.value = s.interaction === "redirect" ? "redirect" : "popup";
  const save = el("button", { type: "submit", role: "signin-save", textContent: "Save and reload" });
  const form = el("form", { className: "flro-signin-settings" },
    el("label", {}, "Client id ", clientId), el("label", {}, "Tenant ", tenant), el("label", {}, "Sign in with ", method), save);
  const details = el("details", { role: "signin-settings" }, el("summary", { textContent: "Sign-in settings" }), form);
  form.onsubmit = (ev) => {
    ev.preventDefault();
    const next = { ...saved(), clientId: clientId.value.trim(), tenantId: tenant.value.trim() || "organizations", interaction: method.value };
    if (!next.clientId) localStorage.removeItem(SETTINGS_KEY);
    else localStorage.setItem(SETTINGS_KEY, JSON.stringify(next));
    location.reload();
  };
  return details;
}
