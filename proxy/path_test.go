package proxy

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/fabric-lro/fabric-lro/internal/hostpolicy"
)

func TestCheckPath(t *testing.T) {
	tests := []struct {
		path string
		ok   bool
	}{
		{path: "/v1/workspaces", ok: true},
		{path: "/v1/workspaces/", ok: true},
		{path: "/v1/workspaces/My%20WS/items;x=1/a+b~c!$&'()*,=:@", ok: true},
		{path: "/v1/%C3%A9", ok: true},
		{path: "/v1/%c0%ae%c0%ae"},
		{path: "/v1/%e0%80%ae"},
		{path: "/v1/x%c0%afy"},
		{path: "/v1/%C3"},
		{path: "/v1/%ed%a0%80"},
		{path: "/v1/admin/users/someone@contoso.com/access", ok: true},
		{path: "/v1/a%zzb"},
		{path: "/v1/a%2"},
		{path: "/v1/a%"},
		{path: "/v1/a%25b"},
		{path: "/v1/a%2e"},
		{path: "/v1/a%2Fb"},
		{path: "/v1/a%5Cb"},
		{path: "/v1/a%0ab"},
		{path: "/v1/a%7fb"},
		{path: "/v1/a\\b"},
		{path: "/v1/a b"},
		{path: "/v1/a\tb"},
		{path: "/v1/a|b"},
		{path: "/v1/a{b}"},
		{path: "/v1/\x80"},
		{path: "//host/v1"},
		{path: "/v1//x"},
		{path: "/v1/."},
		{path: "/v1/.."},
		{path: "/v1/..;/x"},
		{path: "/v1/.;x/y"},
	}
	for _, tc := range tests {
		if got := checkPath(tc.path) == nil; got != tc.ok {
			t.Errorf("checkPath(%q) ok=%v, want %v", tc.path, got, tc.ok)
		}
	}
}

func TestResolveTargets(t *testing.T) {
	s, err := normalise(Config{RedirectHosts: append([]string{"http://127.0.0.1:9999"}, hostpolicy.SplitList(DefaultRedirectHosts)...)})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		target   string
		wantURL  string // "" for an error
		wantCode string
	}{
		{target: "/v1", wantURL: "https://api.fabric.microsoft.com/v1"},
		{target: "/v1/workspaces?a=%2F&&b", wantURL: "https://api.fabric.microsoft.com/v1/workspaces?a=%2F&&b"},
		{target: "/v1/x?", wantURL: "https://api.fabric.microsoft.com/v1/x?"},
		{target: "/_fabric/http/127.0.0.1:9999/v1/operations/o", wantURL: "http://127.0.0.1:9999/v1/operations/o"},
		{target: "/_fabric/https/X.Analysis.Windows.Net:443/v1/o", wantURL: "https://x.analysis.windows.net/v1/o"},
		{target: "/_fabric/https/x.analysis.windows.net:8443/v1/o", wantCode: CodeHostNotAllowed},
		{target: "/_fabric/https/127.0.0.1:9999/v1/o", wantCode: CodeHostNotAllowed},
		{target: "/_fabric/http/127.0.0.1:09999/v1/o", wantURL: "http://127.0.0.1:9999/v1/o"},
		{target: "/_fabric/http/127.0.0.1:99999/v1/o", wantCode: CodeInvalidPath},
		{target: "/_fabric/http/[::1]:9999/v1/o", wantCode: CodeInvalidPath},
		{target: "/_fabric/http/127.0.0.1:9999", wantCode: CodeNotFound},
		{target: "/operations/o", wantURL: "https://api.fabric.microsoft.com/operations/o"},
		{target: "/operations/o/result?a=%2F", wantURL: "https://api.fabric.microsoft.com/operations/o/result?a=%2F"},
		{target: "/_fabric/http/127.0.0.1:9999/operations/o/result", wantURL: "http://127.0.0.1:9999/operations/o/result"},
		{target: "/_fabric/https/evil.example/operations/o", wantCode: CodeHostNotAllowed},
		{target: "/operations", wantCode: CodeNotFound},
		{target: "/operations/", wantCode: CodeNotFound},
		{target: "/operations/o/", wantCode: CodeNotFound},
		{target: "/operations/o/result/", wantCode: CodeNotFound},
		{target: "/operations/o/other", wantCode: CodeNotFound},
		{target: "/operations/o/result/x", wantCode: CodeNotFound},
		{target: "/operations/../admin", wantCode: CodeInvalidPath},
		{target: "/operations/%2e%2e/result", wantCode: CodeInvalidPath},
		{target: "/operations/a%2fb", wantCode: CodeInvalidPath},
		{target: "/operations//result", wantCode: CodeInvalidPath},
		{target: "/Operations/o", wantCode: CodeNotFound},
		{target: "/_fabric/http", wantCode: CodeInvalidPath},
		{target: "*", wantCode: CodeInvalidPath},
		{target: "", wantCode: CodeInvalidPath},
		{target: "api.fabric.microsoft.com:443", wantCode: CodeInvalidPath},
		{target: "/v1/x?a b", wantCode: CodeInvalidPath},
		{target: "/v1/x?a#b", wantCode: CodeInvalidPath},
	}
	for _, tc := range tests {
		rt, perr := s.resolve(tc.target)
		switch {
		case tc.wantURL != "" && perr != nil:
			t.Errorf("resolve(%q): %s %s, want %s", tc.target, perr.code, perr.message, tc.wantURL)
		case tc.wantURL != "" && rt.url().String() != tc.wantURL:
			t.Errorf("resolve(%q) = %s, want %s", tc.target, rt.url(), tc.wantURL)
		case tc.wantURL == "" && (perr == nil || perr.code != tc.wantCode):
			t.Errorf("resolve(%q) = %v %v, want error %s", tc.target, rt.url(), perr, tc.wantCode)
		}
	}
}

func TestPatterns(t *testing.T) {
	tests := []struct {
		pattern string
		origin  string
		match   bool
	}{
		{pattern: "https://app.contoso.com", origin: "https://app.contoso.com", match: true},
		{pattern: "https://app.contoso.com:443", origin: "https://app.contoso.com", match: true},
		{pattern: "https://APP.contoso.com/", origin: "https://app.contoso.com", match: true},
		{pattern: "https://app.contoso.com", origin: "https://app.contoso.com:8443"},
		{pattern: "https://*.contoso.com", origin: "https://a.b.contoso.com", match: true},
		{pattern: "https://*.contoso.com", origin: "https://contoso.com"},
		{pattern: "https://*.contoso.com", origin: "https://xcontoso.com"},
		{pattern: "https://*.contoso.com", origin: "http://a.contoso.com"},
		{pattern: "http://localhost:*", origin: "http://localhost:5173", match: true},
		{pattern: "http://localhost:*", origin: "http://localhost", match: true},
		{pattern: "http://localhost", origin: "http://localhost:5173"},
		{pattern: "*.analysis.windows.net", origin: "https://wabi-west-europe-d-primary-redirect.analysis.windows.net", match: true},
	}
	for _, tc := range tests {
		p, err := hostpolicy.ParsePattern(tc.pattern, "https")
		if err != nil {
			t.Fatalf("ParsePattern(%q): %v", tc.pattern, err)
		}
		scheme, hostport, _ := strings.Cut(tc.origin, "://")
		e, ok := parseHostport(scheme, hostport)
		if !ok {
			t.Fatalf("parseHostport(%q)", tc.origin)
		}
		if got := p.Match(e); got != tc.match {
			t.Errorf("%q matches %q: %v, want %v", tc.pattern, tc.origin, got, tc.match)
		}
	}
}

func TestRewriteLocation(t *testing.T) {
	s, err := normalise(Config{Upstream: "https://api.fabric.microsoft.com"})
	if err != nil {
		t.Fatal(err)
	}
	base, _ := url.Parse("https://api.fabric.microsoft.com/v1/workspaces/ws/items")
	const p = "https://proxy.example"
	tests := []struct{ loc, want string }{
		{loc: "https://api.fabric.microsoft.com/v1/operations/o", want: p + "/v1/operations/o"},
		{loc: "https://API.fabric.microsoft.com:443/v1/operations/o", want: p + "/v1/operations/o"},
		{loc: "https://api.fabric.microsoft.com/v1/operations/o?x=%2F#frag", want: p + "/v1/operations/o?x=%2F"},
		{loc: "/v1/operations/o", want: p + "/v1/operations/o"},
		{loc: "../../operations/o", want: p + "/v1/operations/o"},
		{loc: "https://api.fabric.microsoft.com/operations/o", want: p + "/operations/o"},
		{loc: "https://api.fabric.microsoft.com/operations/o/result?x=%2f", want: p + "/operations/o/result?x=%2f"},
		{loc: "https://api.fabric.microsoft.com/other", want: p + "/other"},
		{loc: "https://api.fabric.microsoft.com", want: p + "/"},
		{loc: "http://api.fabric.microsoft.com/v1/o", want: p + "/_fabric/http/api.fabric.microsoft.com/v1/o"},
		{loc: "https://x.analysis.windows.net/v1/operations/o", want: p + "/_fabric/https/x.analysis.windows.net/v1/operations/o"},
		{loc: "//evil.example/v1/o", want: p + "/_fabric/https/evil.example/v1/o"},
		// Not rewritable: want "" (the proxy answers 502 UpstreamLocationInvalid).
		{loc: "mailto:x@y"},
		{loc: "https://user:pw@evil.example/v1/o"},
		{loc: "https://user@api.fabric.microsoft.com/v1/o"},
		{loc: "javascript:alert(1)"},
		{loc: "https://[::1]/v1/o"},
		{loc: "http://[fe80::1%25eth0]:8080/v1/o"},
		{loc: "https://%zz/"},
		{loc: "https://ev%69l.example/v1/o"},
		{loc: "http:///v1/o"},
		{loc: "https://api.fabric.microsoft.com:99999/v1/o"},
		{loc: "ht tp://x/"},
	}
	for _, tc := range tests {
		got, ok := s.rewriteLocation(tc.loc, base, p)
		if got != tc.want || ok != (tc.want != "") {
			t.Errorf("rewriteLocation(%q) = %q, %v; want %q", tc.loc, got, ok, tc.want)
		}
	}
}

// fuzzProxy is a proxy whose transport records where it would go.
func fuzzProxy(t testing.TB, location string) (*Proxy, *[]*url.URL) {
	p, seen, err := recordingProxy(Config{
		AllowedOrigins: []string{"https://app.contoso.com"},
		RedirectHosts:  append([]string{"http://127.0.0.1:9999"}, hostpolicy.SplitList(DefaultRedirectHosts)...),
	}, location)
	if err != nil {
		t.Fatal(err)
	}
	return p, seen
}

// recordingProxy is a proxy configured by cfg whose transport answers every request 202 with
// location (if any) and records where it went.
func recordingProxy(cfg Config, location string) (*Proxy, *[]*url.URL, error) {
	var seen []*url.URL
	cfg.Logger = slog.New(slog.DiscardHandler)
	cfg.Transport = roundTripper(func(r *http.Request) (*http.Response, error) {
		u := *r.URL
		seen = append(seen, &u)
		h := http.Header{}
		if location != "" {
			h.Set("Location", location)
		}
		return &http.Response{StatusCode: http.StatusAccepted, Header: h, Body: http.NoBody}, nil
	})
	p, err := New(cfg)
	return p, &seen, err
}

type roundTripper func(*http.Request) (*http.Response, error)

func (f roundTripper) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// allowedUpstream is an independent statement of where the fuzz proxy may go.
func allowedUpstream(u *url.URL) bool {
	switch {
	case u.User != nil:
		return false
	case u.Scheme == "https" && u.Host == "api.fabric.microsoft.com":
		return true
	case u.Scheme == "http" && u.Host == "127.0.0.1:9999":
		return true
	case u.Scheme == "https" && (strings.HasSuffix(u.Host, ".analysis.windows.net") || strings.HasSuffix(u.Host, ".api.fabric.microsoft.com")) &&
		!strings.ContainsAny(u.Host, ":@%[]_") && !strings.Contains(u.Host, "..") && !strings.HasPrefix(u.Host, "."):
		return true
	}
	return false
}

// checkForwarded asserts that whatever the proxy sent went to an allowed host,
// under /v1, with no dot segment or encoded separator, byte for byte.
func checkForwarded(t *testing.T, target string, seen []*url.URL) {
	t.Helper()
	for _, u := range seen {
		if !allowedUpstream(u) {
			t.Fatalf("target %q reached %s", target, u)
		}
		uri := u.RequestURI()
		if uri != "/v1" && !strings.HasPrefix(uri, "/v1/") && !strings.HasPrefix(uri, "/v1?") && !operationURI(u) {
			t.Fatalf("target %q forwarded outside /v1 and the operation paths: %s", target, uri)
		}
		path := u.EscapedPath()
		lower := strings.ToLower(path)
		if strings.Contains(lower, "%2e") || strings.Contains(lower, "%2f") || strings.Contains(lower, "%5c") || strings.Contains(path, "\\") {
			t.Fatalf("target %q forwarded with an encoded separator: %s", target, path)
		}
		for _, seg := range strings.Split(u.Path, "/") {
			if seg == ".." || seg == "." {
				t.Fatalf("target %q forwarded with a dot segment: %s", target, u.Path)
			}
		}
		if !strings.HasSuffix(target, uri) {
			t.Fatalf("target %q not forwarded byte for byte: %s", target, uri)
		}
	}
}

// operationURI reports whether u is /operations/{id} or /operations/{id}/result.
func operationURI(u *url.URL) bool {
	segs := strings.Split(u.EscapedPath(), "/")
	return len(segs) >= 3 && segs[0] == "" && segs[1] == "operations" && segs[2] != "" &&
		(len(segs) == 3 || len(segs) == 4 && segs[3] == "result")
}

var fuzzTargets = []string{
	"/v1/workspaces", "/v1/workspaces?continuationToken=a%2Bb%3D", "/v1/../x", "/v1/%2e%2e/x", "/v1/a%2fb",
	"/v1/a%5cb", `/v1/a\b`, "//evil/v1", "http://evil/v1/x", "/v1@evil/x", "/_fabric/https/x.analysis.windows.net/v1/o",
	"/_fabric/https/evil.example/v1/o", "/_fabric/http/127.0.0.1:9999/v1/o", "/_fabric/https/a@x.analysis.windows.net/v1/o",
	"/_fabric/https/x.analysis.windows.net:444/v1/o", "/_fabric/https/x.analysis.windows.net./v1/o", "/v1/%252e", "/v1/;/..;/x",
	"/operations/o", "/operations/o/result?x=1", "/operations/o/x", "/operations/..;/result", "/_fabric/http/127.0.0.1:9999/operations/o",
}

// FuzzRequestTarget: no request target makes the proxy panic or reach a host
// outside the allow-list, natively or as the Worker sees requests.
func FuzzRequestTarget(f *testing.F) {
	for _, s := range fuzzTargets {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, target string) {
		// Natively: the raw request target, as net/http's server hands it over.
		p, seen := fuzzProxy(t, "")
		r := &http.Request{Method: "GET", RequestURI: target, URL: &url.URL{Path: "/"}, Host: "proxy.test", Header: http.Header{}, Body: http.NoBody}
		if u, err := url.ParseRequestURI(target); err == nil {
			r.URL = u
		}
		w := httptest.NewRecorder()
		p.ServeHTTP(w, r)
		checkForwarded(t, target, *seen)
		if len(*seen) == 0 && w.Code < 400 {
			t.Fatalf("target %q: status %d without forwarding", target, w.Code)
		}

		// In the Worker: an absolute URL and no RequestURI.
		u, err := url.Parse("https://proxy.test" + target)
		if err != nil || u.Host != "proxy.test" {
			return
		}
		p, seen = fuzzProxy(t, "")
		r = &http.Request{Method: "GET", URL: u, Header: http.Header{}, Body: io.NopCloser(strings.NewReader(""))}
		w = httptest.NewRecorder()
		p.ServeHTTP(w, r)
		checkForwarded(t, u.RequestURI(), *seen)
	})
}

// FuzzLocation: whatever Location the upstream sends, the proxy never panics,
// every Location it passes on points back at the proxy (one it cannot rewrite
// gets 502 instead), and following it through the proxy reaches only allowed
// hosts.
func FuzzLocation(f *testing.F) {
	for _, s := range []string{
		"https://api.fabric.microsoft.com/v1/operations/o", "/v1/operations/o/result", "https://x.analysis.windows.net/v1/o?a=%2F",
		"http://127.0.0.1:9999/v1/o", "https://evil.example/v1/o", "//evil.example/v1", "https://u@x.analysis.windows.net/v1",
		"https://api.fabric.microsoft.com/v1/../../x", "https://api.fabric.microsoft.com/v1/%2e%2e/x", "javascript:alert(1)",
		"https://x.analysis.windows.net:8443/v1/o", "../../../x", "https://api.fabric.microsoft.com:443/v1/o",
		"https://api.fabric.microsoft.com/operations/o", "https://x.analysis.windows.net/operations/o/result", "/operations/o/../../x",
		"https://[::1]:8080/v1/o", "http://[fe80::1%25eth0]/v1", "https://%zz/", "mailto:x@y",
	} {
		f.Add(s)
	}
	const proxyOrigin = "http://proxy.test"
	f.Fuzz(func(t *testing.T, location string) {
		if strings.ContainsAny(location, "\r\n\x00") {
			return // not a header value
		}
		p, _ := fuzzProxy(t, location)
		w := httptest.NewRecorder()
		req := httptest.NewRequest("POST", "/v1/workspaces/ws/items", strings.NewReader("{}"))
		req.Host = "proxy.test"
		p.ServeHTTP(w, req)
		got := w.Header().Get("Location")
		if location != "" && got == "" && w.Code != http.StatusBadGateway {
			t.Fatalf("Location %q dropped with status %d, want 502", location, w.Code)
		}
		if got != "" && !strings.HasPrefix(got, proxyOrigin+"/") {
			t.Fatalf("Location %q became %q, not a proxy URL", location, got)
		}
		if u, err := url.Parse(location); err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" && u.User == nil {
			if _, ok := parseHostport(u.Scheme, u.Host); ok && !strings.HasPrefix(got, proxyOrigin+"/") {
				t.Fatalf("Location %q became %q, not a proxy URL", location, got)
			}
		}
		target, ok := strings.CutPrefix(got, proxyOrigin)
		if !ok || !strings.HasPrefix(target, "/") {
			return
		}
		p2, seen := fuzzProxy(t, "")
		r := &http.Request{Method: "GET", RequestURI: target, URL: &url.URL{Path: "/"}, Host: "proxy.test", Header: http.Header{}, Body: http.NoBody}
		p2.ServeHTTP(httptest.NewRecorder(), r)
		checkForwarded(t, target, *seen)
	})
}
