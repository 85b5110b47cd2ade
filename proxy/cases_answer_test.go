package proxy_test

// The table of TestProxy, second half: answers, CORS and methods.

import (
	"strings"
	"testing"

	"github.com/fabric-lro/fabric-lro/proxy"
)

// answerCases check what the proxy does with an answer, CORS and methods.
var answerCases = []proxyCase{
	// Response.
	{
		name: "status, headers and body come back; hop-by-hop, cookies and upstream CORS do not",
		req:  request{Method: "GET", Target: "/v1/workspaces/ws", Header: auth},
		respond: respondWith(429, map[string]string{
			"Retry-After": "55", "x-ms-public-api-error-code": "RequestBlocked", "requestId": "r-1", "ETag": `"e1"`,
			"Set-Cookie": "track=1", "Access-Control-Allow-Origin": "*", "Access-Control-Allow-Credentials": "true",
			"Keep-Alive": "timeout=5", "Connection": "x-ms-conn-only", "x-ms-conn-only": "1", "Content-Type": "application/json",
		}, `{"errorCode":"RequestBlocked","message":"throttled"}`),
		wantStatus:   429,
		wantUpstream: "/v1/workspaces/ws",
		wantHeader: map[string]string{
			"Retry-After": "55", "x-ms-public-api-error-code": "RequestBlocked", "requestId": "r-1", "ETag": `"e1"`,
			"Set-Cookie": "", "Access-Control-Allow-Origin": pageOrigin, "Access-Control-Allow-Credentials": "",
			"Keep-Alive": "", "x-ms-conn-only": "",
		},
		check: func(t *testing.T, e *env, resp response, calls []recorded) {
			if resp.Body != `{"errorCode":"RequestBlocked","message":"throttled"}` {
				t.Errorf("body %q", resp.Body)
			}
			exposed := strings.ToLower(resp.Header.Get("Access-Control-Expose-Headers"))
			for _, h := range []string{"location", "x-ms-operation-id", "retry-after", "x-ms-public-api-error-code", "requestid", "x-ms-job-id", "deployment-id", "etag"} {
				if !strings.Contains(exposed, h) {
					t.Errorf("Access-Control-Expose-Headers %q lacks %s", exposed, h)
				}
			}
		},
	},
	{
		name:         "202 Location on the upstream rewritten to the proxy",
		req:          request{Method: "POST", Target: "/v1/workspaces/ws/items", Header: auth, Body: "{}"},
		respond:      respondWith(202, map[string]string{"Location": "http://{host}/v1/operations/op-1", "x-ms-operation-id": "op-1", "Retry-After": "20"}, ""),
		wantStatus:   202,
		wantUpstream: "/v1/workspaces/ws/items",
		wantHeader:   map[string]string{"Location": "{proxy}/v1/operations/op-1", "x-ms-operation-id": "op-1", "Retry-After": "20"},
	},
	{
		name:         "Location with a query kept byte for byte",
		req:          request{Method: "GET", Target: "/v1/operations/op-1", Header: auth},
		respond:      respondWith(200, map[string]string{"Location": "http://{host}/v1/operations/op-1/result?a=%2F%3d&b"}, `{"status":"Succeeded"}`),
		wantStatus:   200,
		wantUpstream: "/v1/operations/op-1",
		wantHeader:   map[string]string{"Location": "{proxy}/v1/operations/op-1/result?a=%2F%3d&b"},
	},
	{
		name:         "202 Location without /v1 on the upstream rewritten byte for byte",
		req:          request{Method: "POST", Target: "/v1/workspaces/ws/items", Header: auth, Body: "{}"},
		respond:      respondWith(202, map[string]string{"Location": "http://{host}/operations/op-1", "x-ms-operation-id": "op-1"}, ""),
		wantStatus:   202,
		wantUpstream: "/v1/workspaces/ws/items",
		wantHeader:   map[string]string{"Location": "{proxy}/operations/op-1"},
	},
	{
		name:         "result Location without /v1 rewritten byte for byte",
		req:          request{Method: "GET", Target: "/operations/op-1", Header: auth},
		respond:      respondWith(200, map[string]string{"Location": "http://{host}/operations/op-1/result"}, `{"status":"Succeeded"}`),
		wantStatus:   200,
		wantUpstream: "/operations/op-1",
		wantHeader:   map[string]string{"Location": "{proxy}/operations/op-1/result"},
	},
	{
		name:         "regional Location without /v1 rewritten to the regional proxy path",
		req:          request{Method: "POST", Target: "/v1/workspaces/ws/notebooks", Header: auth, Body: "{}"},
		respond:      respondWith(202, map[string]string{"Location": "http://{regional}/operations/op-2"}, ""),
		wantStatus:   202,
		wantUpstream: "/v1/workspaces/ws/notebooks",
		wantHeader:   map[string]string{"Location": "{proxy}/_fabric/http/{regional}/operations/op-2"},
	},
	{
		name:         "relative Location made absolute on the proxy",
		req:          request{Method: "GET", Target: "/v1/operations/op-1", Header: auth},
		respond:      respondWith(200, map[string]string{"Location": "/v1/operations/op-1/result"}, "{}"),
		wantStatus:   200,
		wantUpstream: "/v1/operations/op-1",
		wantHeader:   map[string]string{"Location": "{proxy}/v1/operations/op-1/result"},
	},
	{
		name:         "regional Location rewritten to the regional proxy path",
		req:          request{Method: "POST", Target: "/v1/workspaces/ws/notebooks", Header: auth, Body: "{}"},
		respond:      respondWith(202, map[string]string{"Location": "http://{regional}/v1/operations/op-2"}, ""),
		wantStatus:   202,
		wantUpstream: "/v1/workspaces/ws/notebooks",
		wantHeader:   map[string]string{"Location": "{proxy}/_fabric/http/{regional}/v1/operations/op-2"},
	},
	{
		name:         "Fabric's regional redirect host rewritten",
		req:          request{Method: "POST", Target: "/v1/workspaces/ws/notebooks", Header: auth, Body: "{}"},
		respond:      respondWith(202, map[string]string{"Location": "https://wabi-west-europe-d-primary-redirect.analysis.windows.net/v1/operations/op-3"}, ""),
		wantStatus:   202,
		wantUpstream: "/v1/workspaces/ws/notebooks",
		wantHeader:   map[string]string{"Location": "{proxy}/_fabric/https/wabi-west-europe-d-primary-redirect.analysis.windows.net/v1/operations/op-3"},
	},
	{
		name:         "Location on the regional host, relative, stays regional",
		req:          request{Method: "GET", Target: "/_fabric/http/{regional}/v1/operations/op-2", Header: auth},
		regional:     respondWith(200, map[string]string{"Location": "/v1/operations/op-2/result"}, "{}"),
		wantStatus:   200,
		wantRegional: "/v1/operations/op-2",
		wantHeader:   map[string]string{"Location": "{proxy}/_fabric/http/{regional}/v1/operations/op-2/result"},
	},
	{
		name:         "redirect not followed, its Location rewritten",
		req:          request{Method: "GET", Target: "/v1/workspaces", Header: auth},
		respond:      respondWith(302, map[string]string{"Location": "http://{host}/v1/workspaces?page=2"}, ""),
		wantStatus:   302,
		wantUpstream: "/v1/workspaces",
		wantHeader:   map[string]string{"Location": "{proxy}/v1/workspaces?page=2"},
		check: func(t *testing.T, e *env, resp response, calls []recorded) {
			if len(calls) != 1 {
				t.Errorf("upstream called %d times, want 1 (no redirect followed)", len(calls))
			}
		},
	},
	{
		name:         "redirect to a foreign host is not followed and points at the proxy, which refuses it",
		req:          request{Method: "GET", Target: "/v1/workspaces", Header: auth},
		respond:      respondWith(307, map[string]string{"Location": "https://evil.example/steal"}, ""),
		wantStatus:   307,
		wantUpstream: "/v1/workspaces",
		wantHeader:   map[string]string{"Location": "{proxy}/_fabric/https/evil.example/steal"},
	},

	// A Location the proxy cannot point at itself never reaches the page.
	{
		name:       "IPv6 Location replaced by 502",
		req:        request{Method: "POST", Target: "/v1/workspaces/ws/items", Header: auth, Body: "{}"},
		respond:    respondWith(202, map[string]string{"Location": "http://[::1]:8790/v1/operations/op-1", "x-ms-operation-id": "op-1"}, "upstream body"),
		wantStatus: 502, wantCode: proxy.CodeUpstreamLocationInvalid,
		wantUpstream: "/v1/workspaces/ws/items",
		wantHeader:   map[string]string{"Location": "", "x-ms-operation-id": "", "Access-Control-Allow-Origin": pageOrigin},
		check: func(t *testing.T, e *env, resp response, calls []recorded) {
			if strings.Contains(resp.Body, "upstream body") || strings.Contains(resp.Body, "::1") {
				t.Errorf("the upstream's answer leaked: %s", resp.Body)
			}
		},
	},
	{
		name:       "unparsable Location replaced by 502",
		req:        request{Method: "GET", Target: "/v1/operations/op-1", Header: auth},
		respond:    respondWith(200, map[string]string{"Location": "https://%zz/v1/operations/op-1/result"}, "{}"),
		wantStatus: 502, wantCode: proxy.CodeUpstreamLocationInvalid,
		wantUpstream: "/v1/operations/op-1",
		wantHeader:   map[string]string{"Location": ""},
	},
	{
		name:       "Location of another scheme replaced by 502",
		req:        request{Method: "GET", Target: "/v1/workspaces", Header: auth},
		respond:    respondWith(302, map[string]string{"Location": "javascript:alert(1)"}, ""),
		wantStatus: 502, wantCode: proxy.CodeUpstreamLocationInvalid,
		wantUpstream: "/v1/workspaces",
		wantHeader:   map[string]string{"Location": ""},
	},

	// CORS.
	{
		name: "preflight answered at the proxy",
		req: request{Method: "OPTIONS", Target: "/v1/workspaces/ws/items/it", Header: header("Origin", pageOrigin,
			"Access-Control-Request-Method", "PATCH", "Access-Control-Request-Headers", "authorization, content-type, x-ms-client-tag, X-MS-Other")},
		wantStatus: 204,
		wantHeader: map[string]string{
			"Access-Control-Allow-Origin":  pageOrigin,
			"Access-Control-Allow-Methods": "GET, POST, PUT, PATCH, DELETE",
			"Access-Control-Allow-Headers": "Authorization, Content-Type, Accept, If-Match, If-None-Match, x-ms-client-tag, x-ms-other",
			"Access-Control-Max-Age":       "7200",
		},
		check: func(t *testing.T, e *env, resp response, calls []recorded) {
			vary := strings.Join(resp.Header.Values("Vary"), ", ")
			for _, v := range []string{"Origin", "Access-Control-Request-Method", "Access-Control-Request-Headers"} {
				if !strings.Contains(vary, v) {
					t.Errorf("Vary %q lacks %s", vary, v)
				}
			}
			if resp.Body != "" {
				t.Errorf("preflight body %q, want none", resp.Body)
			}
		},
	},
	{
		name:       "preflight asking for DELETE",
		req:        request{Method: "OPTIONS", Target: "/v1/workspaces/ws", Header: header("Origin", "https://app.contoso.com", "Access-Control-Request-Method", "DELETE")},
		wantStatus: 204,
		wantHeader: map[string]string{"Access-Control-Allow-Origin": "https://app.contoso.com", "Access-Control-Allow-Methods": "GET, POST, PUT, PATCH, DELETE"},
	},
	{
		name:       "preflight asking for a header the proxy drops",
		req:        request{Method: "OPTIONS", Target: "/v1/workspaces", Header: header("Origin", pageOrigin, "Access-Control-Request-Method", "GET", "Access-Control-Request-Headers", "authorization, x-forwarded-host")},
		wantStatus: 403, wantCode: proxy.CodeCORSRequestRefused,
	},
	{
		name:       "preflight asking for an odd method",
		req:        request{Method: "OPTIONS", Target: "/v1/workspaces", Header: header("Origin", pageOrigin, "Access-Control-Request-Method", "TRACE")},
		wantStatus: 403, wantCode: proxy.CodeCORSRequestRefused,
	},
	{
		name:       "preflight from a disallowed origin",
		req:        request{Method: "OPTIONS", Target: "/v1/workspaces", Header: header("Origin", "https://evil.example", "Access-Control-Request-Method", "GET")},
		wantStatus: 403, wantCode: proxy.CodeOriginNotAllowed,
		wantHeader: map[string]string{"Access-Control-Allow-Origin": "", "Vary": "Origin"},
	},
	{
		name:         "origin matching a subdomain pattern",
		req:          request{Method: "GET", Target: "/v1/workspaces", Header: header("Origin", "https://app.eu.contoso.com")},
		wantStatus:   200,
		wantUpstream: "/v1/workspaces",
		wantHeader:   allowedCORS("https://app.eu.contoso.com"),
	},
	{
		name:         "origin matching a port pattern",
		req:          request{Method: "GET", Target: "/v1/workspaces", Header: header("Origin", "http://localhost:5173")},
		wantStatus:   200,
		wantUpstream: "/v1/workspaces",
		wantHeader:   allowedCORS("http://localhost:5173"),
	},
	{
		name:         "the proxy's own origin on a loopback host",
		req:          request{Method: "POST", Target: "/v1/workspaces", Header: header("Origin", "{proxy}"), Body: "{}"},
		entries:      []string{"server"}, // http://127.0.0.1:PORT
		wantStatus:   200,
		wantUpstream: "/v1/workspaces",
		wantHeader:   allowedCORS("{proxy}"),
	},
	{
		name:       "the Host-derived origin elsewhere is not trusted (DNS rebinding)",
		req:        request{Method: "POST", Target: "/v1/workspaces", Header: header("Origin", "{proxy}"), Body: "{}"},
		entries:    []string{"handler", "worker"}, // http://proxy.test, https://proxy.workers.dev
		wantStatus: 403, wantCode: proxy.CodeOriginNotAllowed,
		wantHeader: map[string]string{"Access-Control-Allow-Origin": ""},
	},
	{
		name:         "no Origin (curl, servers): forwarded, no CORS headers",
		req:          request{Method: "GET", Target: "/v1/workspaces", Header: header("Authorization", token)},
		wantStatus:   200,
		wantUpstream: "/v1/workspaces",
		wantHeader:   map[string]string{"Access-Control-Allow-Origin": "", "Vary": "Origin"},
	},
	{name: "apex of a subdomain pattern refused", req: request{Method: "GET", Target: "/v1/workspaces", Header: header("Origin", "https://contoso.com")}, wantStatus: 403, wantCode: proxy.CodeOriginNotAllowed, wantHeader: map[string]string{"Access-Control-Allow-Origin": "", "Vary": "Origin"}},
	{name: "suffix look-alike refused", req: request{Method: "GET", Target: "/v1/workspaces", Header: header("Origin", "https://evilcontoso.com")}, wantStatus: 403, wantCode: proxy.CodeOriginNotAllowed},
	{name: "pattern as a prefix refused", req: request{Method: "GET", Target: "/v1/workspaces", Header: header("Origin", "https://app.contoso.com.evil.example")}, wantStatus: 403, wantCode: proxy.CodeOriginNotAllowed},
	{name: "other scheme refused", req: request{Method: "GET", Target: "/v1/workspaces", Header: header("Origin", "http://app.contoso.com")}, wantStatus: 403, wantCode: proxy.CodeOriginNotAllowed},
	{name: "other port refused", req: request{Method: "GET", Target: "/v1/workspaces", Header: header("Origin", "http://127.0.0.1:8081")}, wantStatus: 403, wantCode: proxy.CodeOriginNotAllowed},
	{name: "null origin refused", req: request{Method: "GET", Target: "/v1/workspaces", Header: header("Origin", "null")}, wantStatus: 403, wantCode: proxy.CodeOriginNotAllowed},
	{name: "origin with userinfo refused", req: request{Method: "GET", Target: "/v1/workspaces", Header: header("Origin", "https://x@app.contoso.com")}, wantStatus: 403, wantCode: proxy.CodeOriginNotAllowed},
	{name: "two Origin headers refused", req: request{Method: "GET", Target: "/v1/workspaces", Header: header("Origin", pageOrigin, "Origin", "https://evil.example")}, wantStatus: 403, wantCode: proxy.CodeOriginNotAllowed},

	// Methods.
	{name: "TRACE refused", req: request{Method: "TRACE", Target: "/v1/workspaces", Header: auth}, wantStatus: 405, wantCode: proxy.CodeMethodNotAllowed, wantHeader: map[string]string{"Allow": "GET, HEAD, POST, PUT, PATCH, DELETE"}},
	{name: "OPTIONS that is no preflight refused", req: request{Method: "OPTIONS", Target: "/v1/workspaces", Header: header("Authorization", token)}, wantStatus: 405, wantCode: proxy.CodeMethodNotAllowed},
	{name: "DELETE forwarded", req: request{Method: "DELETE", Target: "/v1/workspaces/ws/items/it", Header: auth}, wantStatus: 200, wantUpstream: "/v1/workspaces/ws/items/it"},
}
