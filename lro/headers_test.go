package lro_test

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/fabric-lro/fabric-lro/lro"
)

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2015, 10, 21, 7, 28, 0, 0, time.UTC)
	tests := []struct {
		name   string
		value  string
		want   time.Duration
		wantOK bool
	}{
		{name: "seconds", value: "20", want: 20 * time.Second, wantOK: true},
		{name: "spaces", value: " 55 ", want: 55 * time.Second, wantOK: true},
		{name: "zero", value: "0", want: 0, wantOK: true},
		{name: "huge is clamped, not overflowed", value: "99999999999999999999999", want: 100 * 365 * 24 * time.Hour, wantOK: true},
		{name: "IMF-fixdate", value: "Wed, 21 Oct 2015 07:28:30 GMT", want: 30 * time.Second, wantOK: true},
		{name: "RFC 850 date", value: "Wednesday, 21-Oct-15 07:29:00 GMT", want: time.Minute, wantOK: true},
		{name: "asctime date", value: "Wed Oct 21 07:28:10 2015", want: 10 * time.Second, wantOK: true},
		{name: "date in the past", value: "Wed, 21 Oct 2015 07:00:00 GMT", want: 0, wantOK: true},
		{name: "empty", value: "", wantOK: false},
		{name: "negative", value: "-5", wantOK: false},
		{name: "fraction", value: "1.5", wantOK: false},
		{name: "junk", value: "soon", wantOK: false},
		{name: "digits then junk", value: "20s", wantOK: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := lro.ParseRetryAfter(tt.value, now)
			if got != tt.want || ok != tt.wantOK {
				t.Errorf("ParseRetryAfter(%q) = %v, %v; want %v, %v", tt.value, got, ok, tt.want, tt.wantOK)
			}
		})
	}
}

func TestResolveLocation(t *testing.T) {
	const req = "https://api.fabric.microsoft.com/v1/workspaces/w/items"
	tests := []struct {
		name     string
		location string
		want     string // "" means an error
	}{
		{name: "absolute, kept byte for byte", location: "https://api.fabric.microsoft.com/v1/operations/A%2Fb?x=1", want: "https://api.fabric.microsoft.com/v1/operations/A%2Fb?x=1"},
		{name: "without /v1", location: "https://api.fabric.microsoft.com/operations/o1", want: "https://api.fabric.microsoft.com/operations/o1"},
		{name: "other host", location: "https://wabi-west-europe-d-primary-redirect.analysis.windows.net/v1/operations/o1", want: "https://wabi-west-europe-d-primary-redirect.analysis.windows.net/v1/operations/o1"},
		{name: "http on a local emulator", location: "http://127.0.0.1:8790/v1/operations/o1", want: "http://127.0.0.1:8790/v1/operations/o1"},
		{name: "absolute path", location: "/v1/operations/o1", want: "https://api.fabric.microsoft.com/v1/operations/o1"},
		{name: "relative path", location: "o1", want: "https://api.fabric.microsoft.com/v1/workspaces/w/o1"},
		{name: "surrounding spaces", location: "  https://x.example/o ", want: "https://x.example/o"},
		{name: "network-path reference keeps the scheme", location: "//other.example/v1/operations/o1", want: "https://other.example/v1/operations/o1"},
		{name: "dot segments", location: "../../operations/./o1", want: "https://api.fabric.microsoft.com/v1/operations/o1"},
		{name: "dot segments in an absolute path", location: "/v1/x/../operations/o1/.", want: "https://api.fabric.microsoft.com/v1/operations/o1/"},
		{name: "above the root stays at the root", location: "/../../o1", want: "https://api.fabric.microsoft.com/o1"},
		{name: "query only", location: "?continuationToken=a%2Bb", want: "https://api.fabric.microsoft.com/v1/workspaces/w/items?continuationToken=a%2Bb"},
		{name: "fragment only", location: "#f", want: "https://api.fabric.microsoft.com/v1/workspaces/w/items#f"},
		{name: "port", location: "http://127.0.0.1:8790/v1/operations/o1", want: "http://127.0.0.1:8790/v1/operations/o1"},
		{name: "IPv6 literal hosts are refused", location: "http://[::1]:8790/o", want: ""},
		{name: "upper-case scheme kept as given", location: "HTTPS://API.example/o", want: "HTTPS://API.example/o"},
		{name: "empty", location: "", want: ""},
		{name: "bad port", location: "http://h:port/o", want: ""},
		{name: "userinfo", location: "https://user:pw@h.example/o", want: ""},
		{name: "bad escape", location: "/v1/operations/%zz", want: ""},
		{name: "space inside", location: "/v1/operations/a b", want: ""},
		{name: "network-path without host", location: "///o", want: ""},
		{name: "other scheme", location: "javascript:alert(1)", want: ""},
		{name: "ftp", location: "ftp://x.example/o", want: ""},
		{name: "no host", location: "https:///o", want: ""},
		{name: "unparsable", location: "http://[::1", want: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := lro.ResolveLocation(req, tt.location)
			if tt.want == "" {
				if err == nil {
					t.Errorf("ResolveLocation(%q) = %q, want an error", tt.location, got)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("ResolveLocation(%q) = %q, %v; want %q", tt.location, got, err, tt.want)
			}
		})
	}
}

func TestHeader(t *testing.T) {
	hd := lro.Header{"Retry-After": {"20"}}
	hd.Add("location", "a")
	hd.Add("LOCATION", "b")
	tests := []struct {
		name string
		got  any
		want any
	}{
		{name: "Get is case-insensitive", got: hd.Get("retry-after"), want: "20"},
		{name: "Add joins names case-insensitively", got: strings.Join(hd.Values("Location"), ","), want: "a,b"},
		{name: "missing", got: hd.Get("x"), want: ""},
		{name: "nil header", got: lro.Header(nil).Get("x"), want: ""},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s: got %v, want %v", tt.name, tt.got, tt.want)
		}
	}
	c := hd.Clone()
	c.Set("Location", "z")
	c.Del("RETRY-AFTER")
	if hd.Get("location") != "a" || c.Get("location") != "z" || c.Get("Retry-After") != "" || len(c) != 1 {
		t.Errorf("Clone/Set/Del: %v %v", hd, c)
	}
}

func FuzzParseRetryAfter(f *testing.F) {
	for _, s := range []string{"20", "0", "-1", "Wed, 21 Oct 2015 07:28:00 GMT", "Wednesday, 21-Oct-15 07:28:00 GMT", "Wed Oct 21 07:28:00 2015", "", " 1 ", "1e3", "999999999999999999999"} {
		f.Add(s)
	}
	now := time.Date(2015, 10, 21, 7, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, v string) {
		d, ok := lro.ParseRetryAfter(v, now)
		if d < 0 {
			t.Fatalf("ParseRetryAfter(%q) = %v: negative", v, d)
		}
		if !ok && d != 0 {
			t.Fatalf("ParseRetryAfter(%q) = %v but not ok", v, d)
		}
		if ok && strings.TrimSpace(v) == "" {
			t.Fatalf("ParseRetryAfter(%q) ok for blank input", v)
		}
	})
}

func FuzzResolveLocation(f *testing.F) {
	for _, s := range []string{"https://api.fabric.microsoft.com/v1/operations/x", "/v1/operations/x", "x", "//evil.example/x", "javascript:x", "http://[::1]:80/x", "", "?a=b", "#f", "https://h/%zz"} {
		f.Add("https://api.fabric.microsoft.com/v1/items", s)
	}
	f.Fuzz(func(t *testing.T, reqURL, loc string) {
		got, err := lro.ResolveLocation(reqURL, loc)
		if err != nil {
			if got != "" {
				t.Fatalf("error %v with result %q", err, got)
			}
			return
		}
		u, perr := url.Parse(got)
		if perr != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			t.Fatalf("ResolveLocation(%q, %q) = %q: not an absolute http(s) URL", reqURL, loc, got)
		}
		if l, _ := url.Parse(strings.TrimSpace(loc)); l != nil && l.IsAbs() && got != strings.TrimSpace(loc) {
			t.Fatalf("absolute Location %q was rewritten to %q", loc, got)
		}
	})
}

func FuzzResume(f *testing.F) {
	for _, s := range []string{"op1", "https://h.example/v1/operations/o/result", "https://h.example/v1/workspaces/w/items/i/jobs/instances/j",
		`{"v":"fabric-lro/1","kind":"operation","url":"https://h.example/v1/operations/o","status":"Running","nextPollAt":"2024-01-01T00:00:00Z"}`,
		`{"v":"fabric-lro/1","kind":"job","done":true,"error":{"errorCode":"X"}}`, `{`, ""} {
		f.Add(s)
	}
	c := lro.NewClient(lro.Options{Transport: lro.TransportFunc(nil)})
	f.Fuzz(func(t *testing.T, tok string) {
		p, err := c.Resume(tok)
		if err != nil {
			return
		}
		// A resumable poller gives a token that resumes to the same token.
		t1, err := p.ResumeToken()
		if err != nil {
			t.Fatal(err)
		}
		q, err := c.Resume(t1)
		if err != nil {
			t.Fatalf("Resume(%q) -> token %q does not resume: %v", tok, t1, err)
		}
		if t2, _ := q.ResumeToken(); t2 != t1 {
			t.Fatalf("token changed on round trip:\n%s\n%s", t1, t2)
		}
		_ = p.Snapshot()
	})
}

// FuzzResolveLocationMatchesNetURL: for relative Locations, the engine's own resolution (it
// avoids net/url to keep the WebAssembly module small) agrees with net/url on scheme, host,
// path, query and fragment. Paths with empty segments ("a//b") are left out: there net/url
// departs from RFC 3986's remove_dot_segments, which the engine follows.
func FuzzResolveLocationMatchesNetURL(f *testing.F) {
	for _, s := range []string{"o1", "../x", "./a/../b", "/a/./b/..", "?q", "#f", "//h/x", "a/b/c/../../d", "/v1/operations/o%2F1?x=%20#y"} {
		f.Add(s)
	}
	const base = "https://api.fabric.microsoft.com/v1/workspaces/w/items"
	b, _ := url.Parse(base)
	f.Fuzz(func(t *testing.T, loc string) {
		got, err := lro.ResolveLocation(base, loc)
		if err != nil || strings.Contains(strings.TrimPrefix(strings.TrimSpace(loc), "//"), "//") {
			return
		}
		l, err := url.Parse(strings.TrimSpace(loc))
		if err != nil {
			t.Fatalf("net/url rejects %q, which resolved to %q", loc, got)
		}
		if l.IsAbs() {
			return
		}
		g, err := url.Parse(got)
		if err != nil {
			t.Fatalf("result %q does not parse: %v", got, err)
		}
		w := b.ResolveReference(l)
		if g.Scheme != w.Scheme || g.Host != w.Host || g.Path != w.Path || g.RawQuery != w.RawQuery || g.Fragment != w.Fragment {
			t.Fatalf("ResolveLocation(%q) = %q, net/url %q", loc, got, w.String())
		}
	})
}
