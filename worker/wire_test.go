//go:build !js

package main

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/fabric-lro/fabric-lro/proxy"
)

func TestIncoming(t *testing.T) {
	tests := []struct {
		name       string
		url        string
		headers    string
		wantTarget string
		wantSelf   string
		wantLength int64
	}{
		{name: "path and query as sent", url: "https://p.example/v1/items?continuationToken=a%2Bb", wantTarget: "/v1/items?continuationToken=a%2Bb", wantSelf: "https://p.example", wantLength: -1},
		{name: "default port dropped, host lower-cased", url: "https://P.Example:443/v1", wantTarget: "/v1", wantSelf: "https://p.example", wantLength: -1},
		{name: "port kept", url: "http://127.0.0.1:8787/v1/workspaces", wantTarget: "/v1/workspaces", wantSelf: "http://127.0.0.1:8787", wantLength: -1},
		{name: "no path", url: "http://127.0.0.1:8787", wantTarget: "/", wantSelf: "http://127.0.0.1:8787", wantLength: -1},
		{name: "query without path", url: "http://h.example?x=1", wantTarget: "/?x=1", wantSelf: "http://h.example", wantLength: -1},
		{name: "fragment dropped", url: "http://h.example/v1#f", wantTarget: "/v1", wantSelf: "http://h.example", wantLength: -1},
		{name: "declared length", url: "http://h.example/v1", headers: "content-length\n42\n", wantTarget: "/v1", wantSelf: "http://h.example", wantLength: 42},
		{name: "bad length is unknown", url: "http://h.example/v1", headers: "content-length\n-3\n", wantTarget: "/v1", wantSelf: "http://h.example", wantLength: -1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := incoming("GET", tc.url, tc.headers)
			if in.Target != tc.wantTarget || in.Self != tc.wantSelf || in.ContentLength != tc.wantLength {
				t.Errorf("target %q self %q length %d, want %q %q %d", in.Target, in.Self, in.ContentLength, tc.wantTarget, tc.wantSelf, tc.wantLength)
			}
		})
	}
}

func TestHeadersRoundTrip(t *testing.T) {
	h := http.Header{
		"Authorization":     {"Bearer t"},
		"X-Ms-Operation-Id": {"a", "b"},
		"Bad":               {"line\r\nbreak", "ok"},
		"Nul":               {"a\x00b"},
	}
	var b strings.Builder
	flattenHeaders(&b, h)
	got := parseHeaders(b.String())
	want := http.Header{"Authorization": {"Bearer t"}, "X-Ms-Operation-Id": {"a", "b"}, "Bad": {"ok"}}
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for k, v := range want {
		if strings.Join(got[k], "|") != strings.Join(v, "|") {
			t.Errorf("%s: got %q, want %q", k, got[k], v)
		}
	}
	if got := parseHeaders("content-type\napplication/json\ndangling"); got.Get("Content-Type") != "application/json" || len(got) != 1 {
		t.Errorf("a truncated list: %v", got)
	}
}

func TestFields(t *testing.T) {
	tests := []struct {
		name string
		in   string
		n    int
		want []string
		ok   bool
	}{
		{name: "exact", in: "a\x00b\x00c", n: 3, want: []string{"a", "b", "c"}, ok: true},
		{name: "last takes the rest, NULs and all", in: "a\x00b\x00c\x00d", n: 3, want: []string{"a", "b", "c\x00d"}, ok: true},
		{name: "too few", in: "a\x00b", n: 3, ok: false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := fields(tc.in, tc.n)
			if ok != tc.ok || strings.Join(got, "|") != strings.Join(tc.want, "|") {
				t.Errorf("fields(%q, %d) = %q, %v; want %q, %v", tc.in, tc.n, got, ok, tc.want, tc.ok)
			}
		})
	}
}

// TestWorkerCalls drives begin, finish and fail with the strings worker.mjs
// passes, and reads the results as it does.
func TestWorkerCalls(t *testing.T) {
	p, err := proxy.New(proxy.Config{Upstream: "https://api.fabric.microsoft.com", AllowedOrigins: []string{"https://app.example"}, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	w := worker{p: p}
	const headers = "authorization\nBearer t\norigin\nhttps://app.example\ncookie\nsecret\n"

	f := strings.Split(w.begin("GET\x00https://proxy.example/v1/workspaces?x=1\x00"+headers), "\x00")
	if f[0] != "F" || f[1] != "GET" || f[2] != "https://api.fabric.microsoft.com/v1/workspaces?x=1" || f[4] != "" {
		t.Fatalf("begin forward: %q", f[:7])
	}
	up := parseHeaders(f[3])
	if up.Get("Authorization") != "Bearer t" || up.Get("Cookie") != "" || up.Get("Origin") != "" {
		t.Errorf("upstream headers %v: want the token only, no cookie or origin", up)
	}
	if f[6] != "60000" {
		t.Errorf("timeout %q ms, want 60000", f[6])
	}
	state := strings.Join(f[7:], "\x00")

	g := strings.Split(w.finish("202\x00location\nhttps://api.fabric.microsoft.com/v1/operations/abc\nset-cookie\nx=1\n\x00"+state), "\x00")
	if g[0] != "P" || g[1] != "202" {
		t.Fatalf("finish: %q", g)
	}
	h := parseHeaders(g[2])
	if h.Get("Location") != "https://proxy.example/v1/operations/abc" || h.Get("Set-Cookie") != "" || h.Get("Access-Control-Allow-Origin") != "https://app.example" {
		t.Errorf("finish headers %v", h)
	}

	a := strings.Split(w.fail("timeout\x00aborted\x00"+state), "\x00")
	if a[0] != "A" || a[1] != "504" || !strings.Contains(a[3], `"errorCode":"UpstreamTimeout"`) {
		t.Errorf("fail: %q", a)
	}
	a = strings.Split(w.finish("200\x00\x00not a state"), "\x00")
	if a[0] != "A" || a[1] != "500" || !strings.Contains(a[3], `"errorCode":"ProxyInternalError"`) {
		t.Errorf("finish with a broken state: %q", a)
	}
	a = strings.Split(w.begin("OPTIONS\x00https://proxy.example/v1/items\x00origin\nhttps://evil.example\naccess-control-request-method\nPOST\n"), "\x00")
	if a[0] != "A" || a[1] != "403" || !strings.Contains(a[3], "OriginNotAllowed") {
		t.Errorf("begin from a foreign origin: %q", a)
	}
}

func TestLineHandler(t *testing.T) {
	var lines []string
	logger := slog.New(&lineHandler{sink: func(s string) { lines = append(lines, s) }})
	logger.Info("fabric proxy", "method", "GET", "status", 200, "path", "/v1/a b", "empty", "")
	logger.With("requestId", "r1").WithGroup("g").Warn("odd \"msg\"", "k", "v\nw")
	logger.Debug("not shown")
	_ = logger.Handler().Handle(context.Background(), slog.Record{})
	want := []string{
		`level=INFO msg="fabric proxy" method=GET status=200 path="/v1/a b" empty=""`,
		`level=WARN msg="odd \"msg\"" requestId=r1 g.k="v\nw"`,
		`level=INFO msg=""`,
	}
	if strings.Join(lines, "\n") != strings.Join(want, "\n") {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(lines, "\n"), strings.Join(want, "\n"))
	}
}
