package dashboard

import (
	"errors"
	"strings"
	"testing"

	"github.com/fabric-lro/fabric-lro/internal/hostpolicy/hostpolicytest"
	"github.com/fabric-lro/fabric-lro/lro"
)

func TestRebaseLocation(t *testing.T) {
	const proxy = "https://proxy.contoso.com/v1"
	tests := []struct {
		name    string
		apiBase string
		ref     string
		want    string
		wantErr string // errorCode
	}{
		{name: "operation id", apiBase: proxy, ref: "4e2b5d1c-0000-4000-8000-000000000001", want: "4e2b5d1c-0000-4000-8000-000000000001"},
		{name: "Fabric operation", apiBase: proxy, ref: "https://api.fabric.microsoft.com/v1/operations/op-1", want: "https://proxy.contoso.com/v1/operations/op-1"},
		{name: "Fabric result", apiBase: proxy, ref: "https://api.fabric.microsoft.com/v1/operations/op-1/result", want: "https://proxy.contoso.com/v1/operations/op-1/result"},
		{name: "Fabric without v1", apiBase: proxy, ref: "https://api.fabric.microsoft.com/operations/op-1", want: "https://proxy.contoso.com/v1/operations/op-1"},
		{name: "Fabric host in capitals, spaces", apiBase: proxy, ref: "  HTTPS://API.Fabric.Microsoft.com/v1/operations/op-1 ", want: "https://proxy.contoso.com/v1/operations/op-1"},
		{name: "Fabric job instance", apiBase: proxy, ref: "https://api.fabric.microsoft.com/v1/workspaces/w/items/i/jobs/instances/j", want: "https://proxy.contoso.com/v1/workspaces/w/items/i/jobs/instances/j"},
		{name: "local proxy", apiBase: "http://127.0.0.1:8787/v1", ref: "https://api.fabric.microsoft.com/v1/operations/op-1", want: "http://127.0.0.1:8787/v1/operations/op-1"},
		{name: "regional", apiBase: proxy, ref: "https://wabi-west-europe-redirect.analysis.windows.net/v1/operations/op-1", want: "https://proxy.contoso.com/_fabric/https/wabi-west-europe-redirect.analysis.windows.net/v1/operations/op-1"},
		{name: "regional result", apiBase: proxy, ref: "https://wabi-us-east.analysis.windows.net/v1/operations/op-1/result", want: "https://proxy.contoso.com/_fabric/https/wabi-us-east.analysis.windows.net/v1/operations/op-1/result"},
		{name: "already the proxy", apiBase: proxy, ref: "https://proxy.contoso.com/v1/operations/op-1", want: "https://proxy.contoso.com/v1/operations/op-1"},
		{name: "proxy regional form", apiBase: proxy, ref: "https://proxy.contoso.com/_fabric/https/x.analysis.windows.net/v1/operations/op-1", want: "https://proxy.contoso.com/_fabric/https/x.analysis.windows.net/v1/operations/op-1"},
		{name: "direct to Fabric keeps Fabric URLs", apiBase: "https://api.fabric.microsoft.com/v1", ref: "https://x.analysis.windows.net/v1/operations/op-1", want: "https://x.analysis.windows.net/v1/operations/op-1"},
		{name: "other host", apiBase: proxy, ref: "https://evil.example/v1/operations/op-1", wantErr: codeUntrustedLocation},
		{name: "look-alike host", apiBase: proxy, ref: "https://api.fabric.microsoft.com.evil.example/v1/operations/op-1", wantErr: codeUntrustedLocation},
		{name: "bare regional suffix", apiBase: proxy, ref: "https://analysis.windows.net/v1/operations/op-1", wantErr: codeUntrustedLocation},
		{name: "Fabric over http", apiBase: proxy, ref: "http://api.fabric.microsoft.com/v1/operations/op-1", wantErr: codeUntrustedLocation},
		{name: "user info", apiBase: proxy, ref: "https://api.fabric.microsoft.com@evil.example/v1/operations/op-1", wantErr: codeUntrustedLocation},
		{name: "other scheme", apiBase: proxy, ref: "ftp://api.fabric.microsoft.com/v1/operations/op-1", wantErr: codeUntrustedLocation},
		{name: "direct to Fabric, other host", apiBase: "https://api.fabric.microsoft.com/v1", ref: "https://evil.example/v1/operations/op-1", wantErr: codeUntrustedLocation},
		{name: "malformed percent-escape", apiBase: proxy, ref: "https://api.fabric.microsoft.com/v1/operations/%zz", wantErr: codeUntrustedLocation},
		{name: "cut percent-escape", apiBase: proxy, ref: "https://proxy.contoso.com/v1/operations/op-1%4", wantErr: codeUntrustedLocation},
		{name: "space inside", apiBase: proxy, ref: "https://api.fabric.microsoft.com/v1/operations/op 1", wantErr: codeUntrustedLocation},
		{name: "escaped path", apiBase: proxy, ref: "https://api.fabric.microsoft.com/v1/operations/op%2D1", want: "https://proxy.contoso.com/v1/operations/op%2D1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := rebaseLocation(tt.apiBase, tt.ref)
			if tt.wantErr != "" {
				var e *lro.Error
				if !errors.As(err, &e) || e.ErrorCode != tt.wantErr || !strings.Contains(e.Message, "Paste the operation id") {
					t.Fatalf("RebaseLocation(%q) = %q, %v; want a Fabric error %s", tt.ref, got, err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("RebaseLocation(%q) = %q, %v; want %q", tt.ref, got, err, tt.want)
			}
		})
	}
}

// TestRebaseLocationSharedPolicy runs the table the engine and the proxy also run (package
// hostpolicytest): the dashboard tracks a Location exactly when the engine would send the
// token there and the proxy would forward it, through a proxy and against Fabric directly.
func TestRebaseLocationSharedPolicy(t *testing.T) {
	for _, tc := range hostpolicytest.FabricCases {
		for _, apiBase := range []string{"https://proxy.contoso.com/v1", "https://api.fabric.microsoft.com/v1"} {
			t.Run(tc.Name+"/"+apiBase, func(t *testing.T) {
				got, err := rebaseLocation(apiBase, tc.URL)
				if (err == nil) != tc.Fabric {
					t.Fatalf("RebaseLocation(%q, %q) = %q, %v; want tracked %v", apiBase, tc.URL, got, err, tc.Fabric)
				}
				var e *lro.Error
				if err != nil && (!errors.As(err, &e) || e.ErrorCode != codeUntrustedLocation) {
					t.Fatalf("err = %v, want %s", err, codeUntrustedLocation)
				}
				if err == nil && apiBase != "https://api.fabric.microsoft.com/v1" && !strings.HasPrefix(got, "https://proxy.contoso.com/") {
					t.Errorf("RebaseLocation(%q) = %q, not through the proxy", tc.URL, got)
				}
			})
		}
	}
}
