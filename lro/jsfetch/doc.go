// Package jsfetch adapts the browser's (or Node's, or a Worker's) fetch to lro.Transport.
//
// It exists only in js/wasm builds (GOOS=js GOARCH=wasm) and does not use net/http, to keep
// the WebAssembly module small. Use it as the Transport of lro.Options:
//
//	client := lro.NewClient(lro.Options{Transport: jsfetch.New(), BaseURL: proxyURL, Token: tok})
//
// Redirects are not followed (redirect: "manual"): a redirected request is an error, never a
// silently rewritten URL. In a browser only the response headers the server lists in
// Access-Control-Expose-Headers are visible: Location, Retry-After and x-ms-operation-id must
// be exposed for the engine to follow an operation.
package jsfetch
