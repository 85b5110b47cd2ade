//go:build js

package proxy

import (
	"errors"
	"net/http"
)

// defaultTransport is the Transport a zero Config uses. Under js/wasm it is a
// RoundTripper that refuses, so that net/http's Transport (and its TLS stack,
// megabytes of WebAssembly) stays out of the Worker: the Worker always passes
// its fetch-based RoundTripper.
func defaultTransport() http.RoundTripper { return noTransport{} }

type noTransport struct{}

// errNoTransport is what noTransport answers: Config.Transport is required under js/wasm.
var errNoTransport = errors.New("no upstream transport configured (Config.Transport is required under js/wasm)")

// RoundTrip fails with errNoTransport: Config.Transport is required under js/wasm.
func (noTransport) RoundTrip(*http.Request) (*http.Response, error) {
	return nil, errNoTransport
}
