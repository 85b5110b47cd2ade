// signin-redirect.js: the script of signin-redirect.html (no inline script, for strict CSPs).
globalThis.msalRedirectBridge.broadcastResponseToMainFrame().catch((err) => {
  document.getElementById("status").textContent = "Sign-in could not finish (" + (err?.errorCode || err?.name || "error") +
    "). Close this window and click Sign in again.";
});
