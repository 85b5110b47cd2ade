package proxy_test

// The table of TestProxy, first half: requests.

import (
	"strings"
	"testing"

	"github.com/fabric-lro/fabric-lro/proxy"
)

// requestCases check what the proxy does with a request: where it goes, and what it refuses.
var requestCases = []proxyCase{
	// Forwarding: /v1 only, to the one upstream, byte for byte.
	{
		name:         "forwards /v1 to the upstream",
		req:          request{Method: "GET", Target: "/v1/workspaces", Header: auth},
		wantStatus:   200,
		wantUpstream: "/v1/workspaces",
		wantHeader:   allowedCORS(pageOrigin),
		check: func(t *testing.T, e *env, resp response, calls []recorded) {
			if resp.Body != `{"value":[]}` {
				t.Errorf("body %q, want the upstream's", resp.Body)
			}
			if calls[0].Host != e.main.host() {
				t.Errorf("upstream saw Host %q, want %q", calls[0].Host, e.main.host())
			}
		},
	},
	{
		name:         "path and query byte for byte, continuation token untouched",
		req:          request{Method: "GET", Target: "/v1/workspaces/My%20WS/items;v=1/a+b~c?continuationToken=LDEsMTAwMDAwLDA%3D%2B%2f&type=Notebook&x=%7e&&y", Header: auth},
		wantStatus:   200,
		wantUpstream: "/v1/workspaces/My%20WS/items;v=1/a+b~c?continuationToken=LDEsMTAwMDAwLDA%3D%2B%2f&type=Notebook&x=%7e&&y",
	},
	{
		name:         "lower-case percent-encoding and an empty query kept",
		req:          request{Method: "GET", Target: "/v1/workspaces/%c3%a9t%C3%A9?", Header: auth},
		entries:      []string{"server", "handler"},
		wantStatus:   200,
		wantUpstream: "/v1/workspaces/%c3%a9t%C3%A9?",
	},
	{
		name:       "root is not forwarded",
		req:        request{Method: "GET", Target: "/", Header: auth},
		wantStatus: 404, wantCode: proxy.CodeNotFound,
		wantHeader: allowedCORS(pageOrigin),
	},
	{
		name:       "another API version is not forwarded",
		req:        request{Method: "GET", Target: "/v2/workspaces", Header: auth},
		wantStatus: 404, wantCode: proxy.CodeNotFound,
	},
	{
		name:       "a look-alike prefix is not forwarded",
		req:        request{Method: "GET", Target: "/v1x/workspaces", Header: auth},
		wantStatus: 404, wantCode: proxy.CodeNotFound,
	},

	// Hostile paths: 400, nothing forwarded.
	{name: "dot-dot segment", req: request{Method: "GET", Target: "/v1/../admin", Header: auth}, entries: []string{"server", "handler"}, wantStatus: 400, wantCode: proxy.CodeInvalidPath},
	{name: "trailing dot-dot", req: request{Method: "GET", Target: "/v1/workspaces/..", Header: auth}, entries: []string{"server", "handler"}, wantStatus: 400, wantCode: proxy.CodeInvalidPath},
	{name: "dot segment", req: request{Method: "GET", Target: "/v1/./workspaces", Header: auth}, entries: []string{"server", "handler"}, wantStatus: 400, wantCode: proxy.CodeInvalidPath},
	{name: "dot-dot with parameter", req: request{Method: "GET", Target: "/v1/..;x=1/admin", Header: auth}, wantStatus: 400, wantCode: proxy.CodeInvalidPath},
	{name: "encoded dot-dot", req: request{Method: "GET", Target: "/v1/%2e%2e/admin", Header: auth}, wantStatus: 400, wantCode: proxy.CodeInvalidPath},
	{name: "mixed-case encoded dot-dot", req: request{Method: "GET", Target: "/v1/%2E%2e/admin", Header: auth}, wantStatus: 400, wantCode: proxy.CodeInvalidPath},
	{name: "half-encoded dot-dot", req: request{Method: "GET", Target: "/v1/.%2e/admin", Header: auth}, wantStatus: 400, wantCode: proxy.CodeInvalidPath},
	{name: "double-encoded dot-dot", req: request{Method: "GET", Target: "/v1/%252e%252e/admin", Header: auth}, wantStatus: 400, wantCode: proxy.CodeInvalidPath},
	{name: "encoded slash", req: request{Method: "GET", Target: "/v1/workspaces%2f..%2fadmin", Header: auth}, wantStatus: 400, wantCode: proxy.CodeInvalidPath},
	{name: "upper-case encoded slash", req: request{Method: "GET", Target: "/v1/a%2Fb", Header: auth}, wantStatus: 400, wantCode: proxy.CodeInvalidPath},
	{name: "encoded backslash", req: request{Method: "GET", Target: "/v1/a%5c..%5cb", Header: auth}, wantStatus: 400, wantCode: proxy.CodeInvalidPath},
	{name: "backslash", req: request{Method: "GET", Target: `/v1/a\..\b`, Header: auth}, entries: []string{"server", "handler"}, wantStatus: 400, wantCode: proxy.CodeInvalidPath},
	{name: "encoded NUL", req: request{Method: "GET", Target: "/v1/a%00b", Header: auth}, wantStatus: 400, wantCode: proxy.CodeInvalidPath},
	{name: "unencoded quote", req: request{Method: "GET", Target: `/v1/a"b`, Header: auth}, entries: []string{"server", "handler"}, wantStatus: 400, wantCode: proxy.CodeInvalidPath},
	{name: "absolute URL as target", req: request{Method: "GET", Target: "http://evil.example/v1/workspaces", Header: auth}, entries: []string{"server", "handler"}, wantStatus: 400, wantCode: proxy.CodeInvalidPath},
	{name: "protocol-relative //host", req: request{Method: "GET", Target: "//evil.example/v1/workspaces", Header: auth}, entries: []string{"server", "handler"}, wantStatus: 400, wantCode: proxy.CodeInvalidPath},
	{name: "empty segment //host inside", req: request{Method: "GET", Target: "/v1//evil.example/x", Header: auth}, wantStatus: 400, wantCode: proxy.CodeInvalidPath},
	{name: "user@host after the prefix", req: request{Method: "GET", Target: "/v1@evil.example/workspaces", Header: auth}, wantStatus: 400, wantCode: proxy.CodeInvalidPath},
	{name: "user@host as regional host", req: request{Method: "GET", Target: "/_fabric/http/user@{regional}/v1/operations/x", Header: auth}, wantStatus: 400, wantCode: proxy.CodeInvalidPath},
	{name: "encoded host in regional path", req: request{Method: "GET", Target: "/_fabric/https/evil%2eexample/v1/x", Header: auth}, wantStatus: 400, wantCode: proxy.CodeInvalidPath},
	{name: "regional path with another scheme", req: request{Method: "GET", Target: "/_fabric/file/{regional}/v1/x", Header: auth}, wantStatus: 400, wantCode: proxy.CodeInvalidPath},

	// Regional hosts.
	{
		name:         "regional path forwarded to an allowed host only",
		req:          request{Method: "GET", Target: "/_fabric/http/{regional}/v1/operations/abc?x=%2F", Header: auth},
		wantStatus:   200,
		wantRegional: "/v1/operations/abc?x=%2F",
	},
	{
		name:       "regional host not in the allow-list",
		req:        request{Method: "GET", Target: "/_fabric/https/evil.example/v1/operations/abc", Header: auth},
		wantStatus: 403, wantCode: proxy.CodeHostNotAllowed,
	},
	{
		name:       "regional host allowed for https only, not http",
		req:        request{Method: "GET", Target: "/_fabric/http/wabi-west-europe-d-primary-redirect.analysis.windows.net/v1/operations/abc", Header: auth},
		wantStatus: 403, wantCode: proxy.CodeHostNotAllowed,
	},
	{
		name:       "look-alike of the redirect-host pattern",
		req:        request{Method: "GET", Target: "/_fabric/https/analysis.windows.net.evil.example/v1/operations/abc", Header: auth},
		wantStatus: 403, wantCode: proxy.CodeHostNotAllowed,
	},
	{
		name:       "regional path outside /v1",
		req:        request{Method: "GET", Target: "/_fabric/http/{regional}/admin", Header: auth},
		wantStatus: 404, wantCode: proxy.CodeNotFound,
	},

	// Operation URLs without /v1, as the spec's examples write Location: GET only.
	{
		name:         "operation path without /v1 forwarded byte for byte",
		req:          request{Method: "GET", Target: "/operations/op-1", Header: auth},
		wantStatus:   200,
		wantUpstream: "/operations/op-1",
		wantHeader:   allowedCORS(pageOrigin),
	},
	{
		name:         "operation result path without /v1 forwarded with its query",
		req:          request{Method: "GET", Target: "/operations/op-1/result?a=%2F&b", Header: auth},
		wantStatus:   200,
		wantUpstream: "/operations/op-1/result?a=%2F&b",
	},
	{
		name:         "operation path without /v1 on a regional host",
		req:          request{Method: "GET", Target: "/_fabric/http/{regional}/operations/op-2/result", Header: auth},
		wantStatus:   200,
		wantRegional: "/operations/op-2/result",
	},
	{
		name:       "operation path without /v1 on a host not allowed",
		req:        request{Method: "GET", Target: "/_fabric/https/evil.example/operations/op-2", Header: auth},
		wantStatus: 403, wantCode: proxy.CodeHostNotAllowed,
	},
	{
		name:       "operation path without /v1 takes GET only",
		req:        request{Method: "DELETE", Target: "/operations/op-1", Header: auth},
		wantStatus: 405, wantCode: proxy.CodeMethodNotAllowed,
		wantHeader: map[string]string{"Allow": "GET"},
	},
	{
		name:       "preflight for POST on an operation path without /v1",
		req:        request{Method: "OPTIONS", Target: "/operations/op-1", Header: header("Origin", pageOrigin, "Access-Control-Request-Method", "POST")},
		wantStatus: 403, wantCode: proxy.CodeCORSRequestRefused,
	},
	{
		name:       "preflight for GET on an operation path without /v1",
		req:        request{Method: "OPTIONS", Target: "/operations/op-1/result", Header: header("Origin", pageOrigin, "Access-Control-Request-Method", "GET", "Access-Control-Request-Headers", "authorization")},
		wantStatus: 204,
		wantHeader: map[string]string{"Access-Control-Allow-Origin": pageOrigin},
	},
	{name: "other path under /operations not forwarded", req: request{Method: "GET", Target: "/operations/op-1/cancel", Header: auth}, wantStatus: 404, wantCode: proxy.CodeNotFound},
	{name: "operation path with a trailing slash not forwarded", req: request{Method: "GET", Target: "/operations/op-1/", Header: auth}, wantStatus: 404, wantCode: proxy.CodeNotFound},
	{name: "operations list not forwarded", req: request{Method: "GET", Target: "/operations", Header: auth}, wantStatus: 404, wantCode: proxy.CodeNotFound},
	{name: "other path without /v1 not forwarded", req: request{Method: "GET", Target: "/workspaces", Header: auth}, wantStatus: 404, wantCode: proxy.CodeNotFound},
	{name: "dot-dot after /operations", req: request{Method: "GET", Target: "/operations/../admin", Header: auth}, entries: []string{"server", "handler"}, wantStatus: 400, wantCode: proxy.CodeInvalidPath},
	{name: "encoded dot-dot as operation id", req: request{Method: "GET", Target: "/operations/%2e%2e/result", Header: auth}, wantStatus: 400, wantCode: proxy.CodeInvalidPath},
	{name: "encoded slash in operation id", req: request{Method: "GET", Target: "/operations/a%2f..%2f..%2fadmin", Header: auth}, wantStatus: 400, wantCode: proxy.CodeInvalidPath},
	{name: "dot-dot with parameter as operation id", req: request{Method: "GET", Target: "/operations/..;x/result", Header: auth}, wantStatus: 400, wantCode: proxy.CodeInvalidPath},

	// Request headers.
	{
		name: "request header allow-list",
		req: request{Method: "GET", Target: "/v1/workspaces", Header: header(
			"Authorization", token, "Origin", pageOrigin, "Accept", "application/json", "If-Match", `"etag1"`,
			"x-ms-client-tag", "t1", "Cookie", "session=1", "X-Forwarded-For", "10.0.0.1", "X-Forwarded-Host", "evil.example",
			"Forwarded", "for=10.0.0.1", "X-Real-Ip", "10.0.0.1", "Referer", pageOrigin+"/page", "Connection", "close, x-ms-hop",
			"x-ms-hop", "drop me", "Proxy-Authorization", "Basic eDp5", "User-Agent", "browser/1.0")},
		wantStatus:   200,
		wantUpstream: "/v1/workspaces",
		check: func(t *testing.T, e *env, resp response, calls []recorded) {
			h := calls[0].Header
			for name, want := range map[string]string{"Authorization": token, "Accept": "application/json", "If-Match": `"etag1"`, "X-Ms-Client-Tag": "t1", "User-Agent": "fabric-lro-proxy"} {
				if got := h.Get(name); got != want {
					t.Errorf("upstream header %s = %q, want %q", name, got, want)
				}
			}
			for _, name := range []string{"Cookie", "X-Forwarded-For", "X-Forwarded-Host", "Forwarded", "X-Real-Ip", "Referer", "Origin", "X-Ms-Hop", "Proxy-Authorization"} {
				if got := h.Get(name); got != "" {
					t.Errorf("upstream header %s = %q, want none", name, got)
				}
			}
		},
	},

	// Request body.
	{
		name:         "body forwarded with its type",
		req:          request{Method: "POST", Target: "/v1/workspaces/ws/items", Header: header("Authorization", token, "Origin", pageOrigin, "Content-Type", "application/json"), Body: `{"displayName":"nb","type":"Notebook"}`},
		wantStatus:   200,
		wantUpstream: "/v1/workspaces/ws/items",
		check: func(t *testing.T, e *env, resp response, calls []recorded) {
			if calls[0].Method != "POST" || calls[0].Body != `{"displayName":"nb","type":"Notebook"}` || calls[0].Header.Get("Content-Type") != "application/json" {
				t.Errorf("upstream saw %s %q (%s)", calls[0].Method, calls[0].Body, calls[0].Header.Get("Content-Type"))
			}
		},
	},
	{
		name:         "body of unknown length forwarded",
		req:          request{Method: "PATCH", Target: "/v1/workspaces/ws/items/it", Header: auth, Body: `{"displayName":"renamed"}`, Chunked: true},
		wantStatus:   200,
		wantUpstream: "/v1/workspaces/ws/items/it",
		check: func(t *testing.T, e *env, resp response, calls []recorded) {
			if calls[0].Body != `{"displayName":"renamed"}` {
				t.Errorf("upstream body %q", calls[0].Body)
			}
		},
	},
	{
		name:       "body over the limit by Content-Length",
		req:        request{Method: "POST", Target: "/v1/workspaces/ws/items", Header: auth, Body: strings.Repeat("x", maxBody+1)},
		wantStatus: 413, wantCode: proxy.CodeRequestTooLarge,
		wantHeader: allowedCORS(pageOrigin),
	},
	{
		name: "body over the limit, length unknown",
		req:  request{Method: "POST", Target: "/v1/workspaces/ws/items", Header: auth, Body: strings.Repeat("x", maxBody+1), Chunked: true},
		// Read in full first: the upstream sees nothing, not even the start.
		wantStatus: 413, wantCode: proxy.CodeRequestTooLarge,
		wantHeader: allowedCORS(pageOrigin),
	},
	{
		name:       "two Authorization headers",
		req:        request{Method: "GET", Target: "/v1/workspaces", Header: [][2]string{{"Authorization", "Bearer a"}, {"Authorization", "Bearer b"}}},
		wantStatus: 400, wantCode: proxy.CodeInvalidHeader,
	},
	{
		name:       "two tokens in one Authorization header (a runtime joined them)",
		req:        request{Method: "GET", Target: "/v1/workspaces", Header: [][2]string{{"Authorization", "Bearer a, Bearer b"}}},
		wantStatus: 400, wantCode: proxy.CodeInvalidHeader,
	},
	{
		name:       "headers to forward over 32 KiB",
		req:        request{Method: "GET", Target: "/v1/workspaces", Header: [][2]string{{"Authorization", "Bearer a"}, {"x-ms-client-tag", strings.Repeat("t", 32<<10)}}},
		wantStatus: 431, wantCode: proxy.CodeHeadersTooLarge,
	},
	{
		name:         "large headers the proxy drops do not count",
		req:          request{Method: "GET", Target: "/v1/workspaces", Header: [][2]string{{"Authorization", "Bearer a"}, {"Cookie", strings.Repeat("c", 32<<10)}}},
		wantStatus:   200,
		wantUpstream: "/v1/workspaces",
	},
	{
		name:       "overlong UTF-8 dot-dot",
		req:        request{Method: "GET", Target: "/v1/%c0%ae%c0%ae/admin", Header: auth},
		wantStatus: 400, wantCode: proxy.CodeInvalidPath,
	},
	{
		name:         "body exactly at the limit",
		req:          request{Method: "PUT", Target: "/v1/workspaces/ws/items/it", Header: auth, Body: strings.Repeat("y", maxBody), Chunked: true},
		wantStatus:   200,
		wantUpstream: "/v1/workspaces/ws/items/it",
	},
}
