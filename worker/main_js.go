//go:build js && wasm

package main

import (
	"log/slog"
	"os"
	"syscall/js"

	"github.com/fabric-lro/fabric-lro/proxy"
	"github.com/syumai/workers"
	"github.com/syumai/workers/cloudflare"
	"github.com/syumai/workers/cloudflare/fetch"
)

// main is the thin Worker bridge: Worker variables in, the fetch-based
// transport for the upstream, the proxy handed to workers.Serve.
func main() {
	// fetch must be called on the real globalThis, not the runtime's proxy
	// of it, or workerd throws "Illegal invocation". Manual mode hands
	// redirects back instead of following them.
	client := fetch.NewClient(fetch.WithBinding(js.Global().Get("globalThis"))).HTTPClient(fetch.RedirectModeManual)
	logger := slog.New(slog.NewTextHandler(os.Stderr, nil))
	h, _, err := newHandler(workerVar, client.Transport, logger)
	if err != nil {
		workers.Serve(proxy.ConfigErrorHandler(err))
		return
	}
	workers.Serve(h)
}

// workerVar reads a text Worker variable; unset (undefined or, for workerd's
// fromEnvironment bindings, null) reads as "".
func workerVar(name string) string {
	v := cloudflare.GetBinding(name)
	if v.Type() != js.TypeString {
		return ""
	}
	return v.String()
}
