package dashboard

import (
	"strings"
	"testing"
)

func TestJudge(t *testing.T) {
	const base = "http://127.0.0.1:8787/v1"
	tests := []struct {
		name    string
		probe   Probe
		cause   string
		reached bool
		says    []string
	}{
		{name: "Fabric reachable", probe: Probe{APIBase: base, Answered: true, Status: 200, Count: 3},
			cause: causeReachable, reached: true, says: []string{"Connected", "lists 3 workspaces"}},
		{name: "token rejected", probe: Probe{APIBase: base, Answered: true, Status: 401, ErrorCode: "TokenExpired", Message: "Access token has expired"},
			cause: causeTokenRejected, reached: true, says: []string{"refused the token", "TokenExpired", "paste a new token"}},
		{name: "nothing listening", probe: Probe{APIBase: base},
			cause: causeNothingListens, says: []string{"Nothing answers at http://127.0.0.1:8787", "start the proxy"}},
		{name: "origin missing from ALLOWED_ORIGINS", probe: Probe{APIBase: base, PageOrigin: "http://localhost:8080", Listening: true},
			cause: causeOriginRefused, says: []string{"add http://localhost:8080 to the proxy's ALLOWED_ORIGINS"}},
		{name: "/v1 missing, the proxy lets the page read its 404", probe: Probe{APIBase: "http://127.0.0.1:8787", Listening: true, PlainAnswered: true, PlainStatus: 404, PlainCode: "NotFound"},
			cause: causeNotProxyPath, says: []string{"not the proxy's path", "ending in /v1", "http://127.0.0.1:8787/v1"}},
		{name: "/v1 missing, nothing readable", probe: Probe{APIBase: "http://127.0.0.1:8787/", Listening: true},
			cause: causeNotProxyPath, says: []string{"not the proxy's path"}},
		{name: "a readable 404 from the proxy", probe: Probe{APIBase: base + "/x", Answered: true, Status: 404, ErrorCode: "NotFound"},
			cause: causeNotProxyPath, says: []string{"not the proxy's path"}},
		{name: "another Fabric error", probe: Probe{APIBase: base, Answered: true, Status: 403, ErrorCode: "InsufficientScopes", Message: "no", RequestID: "rq"},
			cause: causeFabricError, reached: true, says: []string{"403 InsufficientScopes: no (requestId rq)"}},
		{name: "preflight refused", probe: Probe{APIBase: base, Listening: true, PlainAnswered: true, PlainStatus: 401},
			cause: causePreflightFailed, says: []string{"refused the preflight"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := judge(tt.probe)
			if v.Cause != tt.cause || v.Reached != tt.reached {
				t.Errorf("cause %q reached %v, want %q %v (%s)", v.Cause, v.Reached, tt.cause, tt.reached, v.Words)
			}
			for _, w := range tt.says {
				if !strings.Contains(v.Words, w) {
					t.Errorf("%q does not say %q", v.Words, w)
				}
			}
		})
	}
}

func TestCheckAPIBase(t *testing.T) {
	tests := []struct {
		name, apiBase string
		ok            bool
		says          []string
	}{
		{name: "empty", apiBase: "  ", says: []string{"The API base is empty", "ending in /v1", "http://127.0.0.1:8787/v1"}},
		{name: "no scheme", apiBase: "proxy.example/v1", says: []string{"“proxy.example/v1” is not an http(s) URL", "ending in /v1"}},
		{name: "another scheme", apiBase: "ftp://proxy.example/v1", says: []string{"is not an http(s) URL"}},
		{name: "no host", apiBase: "https:///v1", says: []string{"is not an http(s) URL"}},
		{name: "a URL", apiBase: "http://127.0.0.1:8787/v1", ok: true},
		{name: "a URL without /v1 is probed", apiBase: "HTTPS://proxy.example", ok: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, ok := checkAPIBase(tt.apiBase)
			if ok != tt.ok || !ok && v.Cause != causeNotAURL {
				t.Errorf("ok %v cause %q, want ok %v (%s)", ok, v.Cause, tt.ok, v.Words)
			}
			for _, w := range tt.says {
				if !strings.Contains(v.Words, w) {
					t.Errorf("%q does not say %q", v.Words, w)
				}
			}
		})
	}
}

func TestExplainStart(t *testing.T) {
	e := ErrorInfo{ErrorCode: "NetworkError", Message: "could not reach 127.0.0.1:8787; check the network and any proxy (the POST was not retried: the create or job may have taken effect; check the workspace before trying again)"}
	got := explainStart(e, judge(Probe{APIBase: "http://127.0.0.1:8787/v1", Listening: true, PageOrigin: "http://x"}))
	if strings.Contains(got.Message, "may have taken effect") || !strings.Contains(got.Message, "did not reach Fabric") || !strings.Contains(got.Message, "ALLOWED_ORIGINS") {
		t.Errorf("refused origin: %q", got.Message)
	}
	got = explainStart(e, judge(Probe{APIBase: "http://127.0.0.1:8787/v1", Answered: true, Status: 200}))
	if !strings.Contains(got.Message, "may have taken effect") {
		t.Errorf("reachable: the warning that it may have taken effect was dropped: %q", got.Message)
	}
}

func TestProbeToken(t *testing.T) {
	tests := []struct {
		name                           string
		inUse, typedBase, typed, shown string
		want                           string
	}{
		{name: "same origin", inUse: "http://a/v1", typedBase: "http://a/v1", typed: "t", shown: "t", want: "t"},
		{name: "another origin, the shown token: not sent", inUse: "http://a/v1", typedBase: "http://evil/v1", typed: "t", shown: "t", want: ""},
		{name: "another origin, a token typed for it", inUse: "http://a/v1", typedBase: "http://b/v1", typed: "u", shown: "t", want: "u"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ProbeToken(tt.inUse, tt.typedBase, tt.typed, tt.shown); got != tt.want {
				t.Errorf("ProbeToken = %q, want %q", got, tt.want)
			}
		})
	}
}
