// Command worker runs the Fabric CORS proxy (package proxy) in two places
// from the same code: natively with net/http (go run ./worker, for
// ./build.sh serve) and as a Cloudflare Worker compiled to WebAssembly
// (GOOS=js GOARCH=wasm, run by workerd or deployed with wrangler).
//
// Both read the same configuration names (see proxy.ConfigFromEnv):
// environment variables natively, Worker variables on Cloudflare.
// Natively, LISTEN (default 127.0.0.1:8787) is the address to listen on.
package main

import (
	"log/slog"
	"net/http"

	"github.com/fabric-lro/fabric-lro/proxy"
)

// newHandler builds the proxy from configuration variables read by getenv,
// reaching the upstream through transport (nil: net/http's default).
func newHandler(getenv func(string) string, transport http.RoundTripper, logger *slog.Logger) (*proxy.Proxy, proxy.Config, error) {
	cfg, err := proxy.ConfigFromEnv(getenv)
	if err != nil {
		return nil, cfg, err
	}
	cfg.Transport = transport
	cfg.Logger = logger
	p, err := proxy.New(cfg)
	return p, cfg, err
}
