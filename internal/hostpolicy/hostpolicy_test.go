package hostpolicy_test

import (
	"strings"
	"testing"

	"github.com/fabric-lro/fabric-lro/internal/hostpolicy"
	"github.com/fabric-lro/fabric-lro/internal/hostpolicy/hostpolicytest"
)

// TestFabricCases: the shared table, against the policy itself. The engine, the proxy and the
// dashboard run the same table through their own entry points.
func TestFabricCases(t *testing.T) {
	pol := hostpolicy.Fabric()
	if len(pol) != len(hostpolicy.SplitList(hostpolicy.FabricHosts)) {
		t.Fatalf("FabricHosts %q: only %d patterns parse", hostpolicy.FabricHosts, len(pol))
	}
	for _, tc := range hostpolicytest.FabricCases {
		t.Run(tc.Name, func(t *testing.T) {
			if got := pol.AllowsURL(tc.URL); got != tc.Fabric {
				t.Errorf("Fabric().AllowsURL(%q) = %v, want %v", tc.URL, got, tc.Fabric)
			}
		})
	}
}

func TestPatternCases(t *testing.T) {
	for _, tc := range hostpolicytest.PatternCases {
		t.Run(tc.Name, func(t *testing.T) {
			pol, err := hostpolicy.Compile([]string{tc.Pattern}, "https")
			if (err != nil) != tc.Invalid {
				t.Fatalf("Compile(%q): err %v, want invalid %v", tc.Pattern, err, tc.Invalid)
			}
			if err != nil && !strings.Contains(err.Error(), tc.Pattern) {
				t.Errorf("error %q does not name the pattern", err)
			}
			if got := pol.AllowsURL(tc.URL); got != tc.Match {
				t.Errorf("%q allows %q: %v, want %v", tc.Pattern, tc.URL, got, tc.Match)
			}
		})
	}
}

func TestParseURL(t *testing.T) {
	tests := []struct {
		raw        string
		wantOrigin string // "" when refused
		wantRest   string
	}{
		{raw: " HTTPS://Api.Fabric.Microsoft.com:443/v1/x?y#z ", wantOrigin: "https://api.fabric.microsoft.com", wantRest: "/v1/x?y#z"},
		{raw: "http://127.0.0.1:08787", wantOrigin: "http://127.0.0.1:8787"},
		{raw: "http://localhost:80?x", wantOrigin: "http://localhost", wantRest: "?x"},
		{raw: "https://a.b:65535#f", wantOrigin: "https://a.b:65535", wantRest: "#f"},
		{raw: "//api.fabric.microsoft.com/v1"},
		{raw: "api.fabric.microsoft.com/v1"},
		{raw: "https:///v1"},
		{raw: "https://256.0.0.1/"},
		{raw: "https://1.2.3/"},
		{raw: "https://0177.0.0.1/"},
		{raw: "https://1.2.3.04/"},
		{raw: "https://0x7f/"},
		{raw: "https://a.0x1f/"},
		{raw: "javascript://api.fabric.microsoft.com/%0aalert(1)"},
	}
	for _, tc := range tests {
		e, rest, ok := hostpolicy.ParseURL(tc.raw)
		if ok != (tc.wantOrigin != "") || ok && (e.Origin() != tc.wantOrigin || rest != tc.wantRest) {
			t.Errorf("ParseURL(%q) = %q, %q, %v; want %q, %q", tc.raw, e.Origin(), rest, ok, tc.wantOrigin, tc.wantRest)
		}
	}
}

// FuzzPolicy: for any pattern and URL, nothing panics; an allowed URL's endpoint is a valid
// host that round-trips through ParseHostPort and lies on the pattern's scheme and domain; the
// default Fabric policy allows only https on Fabric's domains, default port.
func FuzzPolicy(f *testing.F) {
	for _, c := range hostpolicytest.PatternCases {
		f.Add(c.Pattern, c.URL)
	}
	for _, c := range hostpolicytest.FabricCases {
		f.Add("*.analysis.windows.net", c.URL)
	}
	f.Fuzz(func(t *testing.T, pattern, raw string) {
		pol, err := hostpolicy.Compile([]string{pattern}, "https")
		e, rest, ok := hostpolicy.ParseURL(raw)
		if ok {
			if !hostpolicy.ValidHost(e.Host) {
				t.Fatalf("ParseURL(%q) gave the invalid host %q", raw, e.Host)
			}
			if back, ok2 := hostpolicy.ParseHostPort(e.Scheme, e.HostPort()); !ok2 || back != e {
				t.Fatalf("%q: endpoint %+v does not round-trip (%+v)", raw, e, back)
			}
			if rest != "" && !strings.ContainsAny(rest[:1], "/?#") {
				t.Fatalf("%q: rest %q", raw, rest)
			}
		}
		if pol.AllowsURL(raw) {
			if err != nil || !ok {
				t.Fatalf("%q allows %q though err=%v ok=%v", pattern, raw, err, ok)
			}
			p, scheme := strings.ToLower(strings.TrimSpace(pattern)), "https"
			if s, r, found := strings.Cut(p, "://"); found {
				scheme, p = s, r
			}
			host, _, _ := strings.Cut(strings.TrimSuffix(p, "/"), ":")
			host = strings.TrimPrefix(host, "*.")
			if e.Scheme != scheme {
				t.Fatalf("%q allows %q on another scheme", pattern, raw)
			}
			if e.Host != host && !strings.HasSuffix(e.Host, "."+host) {
				t.Fatalf("%q allows %q, outside %q", pattern, raw, host)
			}
		}
		if hostpolicy.Fabric().AllowsURL(raw) {
			if e.Scheme != "https" || e.Port != "" || !(e.Host == "api.fabric.microsoft.com" ||
				strings.HasSuffix(e.Host, ".api.fabric.microsoft.com") || strings.HasSuffix(e.Host, ".analysis.windows.net")) {
				t.Fatalf("the Fabric policy allows %q (%+v)", raw, e)
			}
		}
	})
}
