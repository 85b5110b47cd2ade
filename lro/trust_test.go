package lro_test

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/fabric-lro/fabric-lro/internal/hostpolicy/hostpolicytest"
	"github.com/fabric-lro/fabric-lro/lro"
	"github.com/fabric-lro/fabric-lro/lro/lrotest"
)

// TestTrustedHosts: requests, and so the bearer token, go only to the BaseURL's origin and to
// Options.TrustedHosts (default: Fabric's own hosts, https only); any other URL is refused
// with UntrustedHost before the token is even asked for. Which hosts are Fabric's, and how
// patterns match, is the shared table of TestTrustedHostsSharedPolicy.
func TestTrustedHosts(t *testing.T) {
	tests := []struct {
		name     string
		baseURL  string   // "" means the default, Fabric
		trusted  []string // nil means the default
		url      string
		wantSent bool
	}{
		{name: "Fabric's API host", url: "https://api.fabric.microsoft.com/v1/operations/o1", wantSent: true},
		{name: "a relative URL goes to the base URL", url: "/v1/operations/o1", wantSent: true},
		{name: "an upper-case scheme is an absolute URL, not a path", url: "HTTPS://evil.example/v1/operations/o1"},
		{name: "proxy base: the proxy's origin", baseURL: "http://127.0.0.1:8787", url: "http://127.0.0.1:8787/v1/operations/o1", wantSent: true},
		{name: "proxy base: another port of the same machine", baseURL: "http://127.0.0.1:8787", url: "http://127.0.0.1:8790/v1/operations/o1"},
		{name: "proxy base: Fabric itself stays trusted by default", baseURL: "http://127.0.0.1:8787", url: "https://api.fabric.microsoft.com/v1/operations/o1", wantSent: true},
		{name: "custom list: its host", trusted: []string{"fabric.contoso.example"}, url: "https://fabric.contoso.example/v1/operations/o1", wantSent: true},
		{name: "custom list replaces the defaults", baseURL: "https://fabric.contoso.example", trusted: []string{}, url: "https://api.fabric.microsoft.com/v1/operations/o1"},
		{name: "custom list: the base URL is always trusted", trusted: []string{}, url: "https://api.fabric.microsoft.com/v1/operations/o1", wantSent: true},
		{name: "custom list: a malformed entry matches nothing", trusted: []string{"ftp://evil.example", "*"}, url: "https://evil.example/v1/operations/o1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr := lrotest.NewTransport()
			tok := &tokens{}
			var asked int
			c := lro.NewClient(lro.Options{Transport: tr, BaseURL: tt.baseURL, TrustedHosts: tt.trusted,
				Token: lro.TokenFunc(func(ctx context.Context, refresh bool) (string, error) {
					asked++
					return tok.Token(ctx, refresh)
				})})
			_, err := c.Do(context.Background(), &lro.Request{Method: "GET", URL: tt.url})
			reqs := tr.Requests()
			if tt.wantSent {
				if len(reqs) != 1 || reqs[0].Header.Get("Authorization") != "Bearer tok-0" {
					t.Fatalf("requests = %+v, want one with the token", reqs)
				}
				return
			}
			if len(reqs) != 0 || asked != 0 {
				t.Errorf("%d requests sent, token asked %d times; want none", len(reqs), asked)
			}
			wantUntrusted(t, err, tt.url)
		})
	}
}

// TestTrustedHostsSharedPolicy runs the table the proxy and the dashboard also run (package
// hostpolicytest): the engine sends a request, and so the token, exactly where they forward
// and track.
func TestTrustedHostsSharedPolicy(t *testing.T) {
	type row struct {
		name, url string
		trusted   []string // nil: the default
		sent      bool
	}
	var rows []row
	for _, tc := range hostpolicytest.FabricCases {
		rows = append(rows, row{name: "default/" + tc.Name, url: tc.URL, sent: tc.Fabric})
	}
	for _, tc := range hostpolicytest.PatternCases {
		rows = append(rows, row{name: "pattern/" + tc.Name, url: tc.URL, trusted: []string{tc.Pattern}, sent: tc.Match})
	}
	for _, tt := range rows {
		t.Run(tt.name, func(t *testing.T) {
			tr := lrotest.NewTransport()
			var asked int
			c := lro.NewClient(lro.Options{Transport: tr, TrustedHosts: tt.trusted,
				Token: lro.TokenFunc(func(ctx context.Context, refresh bool) (string, error) {
					asked++
					return "secret", nil
				})})
			_, err := c.Do(context.Background(), &lro.Request{Method: "GET", URL: tt.url})
			if sent := len(tr.Requests()) > 0; sent != tt.sent {
				t.Fatalf("GET %q: sent %v, want %v (err %v)", tt.url, sent, tt.sent, err)
			}
			if !tt.sent {
				var e *lro.Error
				if asked != 0 || !errors.As(err, &e) || e.Message == "" || lro.IsRetryable(err) {
					t.Errorf("GET %q: token asked %d times, err %v; want none and a clear non-retryable error", tt.url, asked, err)
				}
			}
		})
	}
}

// wantUntrusted checks err is the UntrustedHost error naming the host of u and the fix.
func wantUntrusted(t *testing.T, err error, u string) {
	t.Helper()
	var e *lro.Error
	if !errors.As(err, &e) || e.ErrorCode != string(lro.CodeUntrustedHost) || !errors.Is(err, lro.CodeUntrustedHost) || lro.IsRetryable(err) {
		t.Fatalf("err = %v, want a non-retryable %s", err, lro.CodeUntrustedHost)
	}
	host := strings.ToLower(strings.SplitN(strings.SplitN(u, "://", 2)[1], "/", 2)[0])
	for _, want := range []string{host, "Options.TrustedHosts"} {
		if !strings.Contains(e.Message, want) {
			t.Errorf("message %q does not name %q", e.Message, want)
		}
	}
}

// TestUntrustedLocations: a Location (state or result) or a resumed URL on a foreign host is
// never requested; the call fails with UntrustedHost.
func TestUntrustedLocations(t *testing.T) {
	const evil = "https://evil.example/v1/operations/op1"
	tests := []struct {
		name    string
		script  script
		resume  string // resume this instead of starting
		wantLog []string
	}{
		{
			name:    "202 Location on a foreign host",
			script:  script{"POST " + itemsURL: {accepted(evil, "op1", "20")}},
			wantLog: []string{"POST " + itemsURL + " @0s"},
		},
		{
			name: "a state Location moving to a foreign host",
			script: script{
				"POST " + itemsURL: {accepted(opURL, "op1", "20")},
				"GET " + opURL:     {state("Running", evil, "20")},
			},
			wantLog: []string{"POST " + itemsURL + " @0s", "GET " + opURL + " @20s"},
		},
		{
			name: "a result Location on a foreign host",
			script: script{
				"POST " + itemsURL: {accepted(opURL, "op1", "20")},
				"GET " + opURL:     {state("Succeeded", evil+"/result", "")},
			},
			wantLog: []string{"POST " + itemsURL + " @0s", "GET " + opURL + " @20s"},
		},
		{name: "a pasted URL", resume: evil},
		{name: "a pasted job URL", resume: "https://evil.example/v1/workspaces/w/items/i/jobs/instances/j1"},
		{name: "a resume token with a foreign URL", resume: `{"v":"fabric-lro/1","kind":"operation","id":"op1","url":"` + evil + `"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				t0 := time.Now()
				tr := tt.script.transport()
				tr.On("GET", evil, state("Succeeded", "", ""))
				tr.On("GET", evil+"/result", lrotest.Reply{Status: 200, Body: `{}`})
				c := lro.NewClient(lro.Options{Transport: tr, Token: lro.StaticToken("secret")})
				ctx := context.Background()
				var err error
				if tt.resume != "" {
					_, err = lro.NewScheduler(c, lro.SchedulerOptions{}).Track(tt.resume, "")
					wantUntrusted(t, err, evil)
					_, err = c.Resume(tt.resume)
				} else {
					var p *lro.Poller
					if p, err = c.Start(ctx, &lro.Request{Method: "POST", URL: itemsURL}); err == nil {
						_, err = p.PollUntilDone(ctx)
					}
				}
				if got := log(tr, t0); !reflect.DeepEqual(got, tt.wantLog) {
					t.Errorf("requests = %q, want %q", got, tt.wantLog)
				}
				wantUntrusted(t, err, evil)
			})
		})
	}
}
