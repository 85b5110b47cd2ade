package proxy

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/fabric-lro/fabric-lro/internal/hostpolicy/hostpolicytest"
)

// policyProxy is a recordingProxy in front of a local upstream, so Fabric's hosts are reached
// only as redirect hosts.
func policyProxy(redirectHosts []string, location string) (*Proxy, *[]*url.URL, error) {
	return recordingProxy(Config{Upstream: "http://127.0.0.1:8790", RedirectHosts: redirectHosts}, location)
}

// regionalTarget writes rawURL in the proxy's regional form, /_fabric/{scheme}/{authority}{rest},
// byte for byte, as a page or an attacker could send it.
func regionalTarget(rawURL string) string {
	scheme, rest, _ := strings.Cut(rawURL, "://")
	authority, path, _ := strings.Cut(rest, "/")
	return RegionalPrefix + strings.ToLower(scheme) + "/" + authority + "/" + path
}

// reachedOther reports whether the proxy sent anything to a host other than its upstream.
func reachedOther(seen []*url.URL) bool {
	for _, u := range seen {
		if u.Host != "127.0.0.1:8790" {
			return true
		}
	}
	return false
}

// TestRedirectHostsSharedPolicy runs the table the engine and the dashboard also run (package
// hostpolicytest) through the proxy's two entry points: a regional path a caller writes, and a
// Location from the upstream that a page then follows. The proxy forwards exactly where the
// engine sends the token and the dashboard tracks.
func TestRedirectHostsSharedPolicy(t *testing.T) {
	for _, tc := range hostpolicytest.FabricCases {
		t.Run("path/"+tc.Name, func(t *testing.T) {
			p, seen, err := policyProxy(nil, "")
			if err != nil {
				t.Fatal(err)
			}
			target := regionalTarget(tc.URL)
			w := httptest.NewRecorder()
			p.ServeHTTP(w, &http.Request{Method: "GET", RequestURI: target, URL: &url.URL{Path: "/"}, Host: "proxy.test", Header: http.Header{}, Body: http.NoBody})
			if got := reachedOther(*seen); got != tc.Fabric {
				t.Fatalf("GET %q: forwarded %v (%v, status %d), want %v", target, got, *seen, w.Code, tc.Fabric)
			}
			if !tc.Fabric && (w.Code < 400 || w.Code > 499 || w.Header().Get("x-ms-public-api-error-code") == "") {
				t.Errorf("GET %q: status %d, error code %q; want a 4xx ErrorResponse", target, w.Code, w.Header().Get("x-ms-public-api-error-code"))
			}
		})
		t.Run("location/"+tc.Name, func(t *testing.T) {
			p, _, err := policyProxy(nil, tc.URL)
			if err != nil {
				t.Fatal(err)
			}
			w := httptest.NewRecorder()
			req := httptest.NewRequest("POST", "/v1/workspaces/ws/items", strings.NewReader("{}"))
			req.Host = "proxy.test"
			p.ServeHTTP(w, req)
			loc, ok := strings.CutPrefix(w.Header().Get("Location"), "http://proxy.test")
			if !ok { // not rewritable: 502, nothing for the page to follow
				if tc.Fabric || w.Code != http.StatusBadGateway {
					t.Fatalf("Location %q: status %d, Location %q", tc.URL, w.Code, w.Header().Get("Location"))
				}
				return
			}
			p2, seen, _ := policyProxy(nil, "")
			w = httptest.NewRecorder()
			p2.ServeHTTP(w, &http.Request{Method: "GET", RequestURI: loc, URL: &url.URL{Path: "/"}, Host: "proxy.test", Header: http.Header{}, Body: http.NoBody})
			if got := reachedOther(*seen); got != tc.Fabric {
				t.Fatalf("Location %q, rewritten %q: forwarded %v (status %d), want %v", tc.URL, loc, got, w.Code, tc.Fabric)
			}
		})
	}
	for _, tc := range hostpolicytest.PatternCases {
		t.Run("pattern/"+tc.Name, func(t *testing.T) {
			p, seen, err := policyProxy([]string{tc.Pattern}, "")
			if (err != nil) != tc.Invalid {
				t.Fatalf("FABRIC_REDIRECT_HOSTS=%q: err %v, want refused %v", tc.Pattern, err, tc.Invalid)
			}
			if err != nil {
				if !strings.Contains(err.Error(), EnvRedirectHosts) {
					t.Errorf("error %q does not name %s", err, EnvRedirectHosts)
				}
				return
			}
			target := regionalTarget(tc.URL)
			p.ServeHTTP(httptest.NewRecorder(), &http.Request{Method: "GET", RequestURI: target, URL: &url.URL{Path: "/"}, Host: "proxy.test", Header: http.Header{}, Body: http.NoBody})
			if got := reachedOther(*seen); got != tc.Match {
				t.Fatalf("GET %q with %q: forwarded %v, want %v", target, tc.Pattern, got, tc.Match)
			}
		})
	}
}
