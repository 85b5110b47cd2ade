//go:build !js

package proxy

import "net/http"

// defaultTransport is the Transport a zero Config uses.
func defaultTransport() http.RoundTripper { return http.DefaultTransport }
