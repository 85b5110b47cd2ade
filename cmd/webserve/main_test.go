package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestHandlerServesOnlyTheDashboard(t *testing.T) {
	root := t.TempDir()
	mustWrite(t, filepath.Join(root, "index.html"), "<title>dashboard</title>")
	mustWrite(t, filepath.Join(root, "web", "fabric-lro.js"), "export function load() {}")
	mustWrite(t, filepath.Join(root, "go.mod"), "module secret")
	mustWrite(t, filepath.Join(root, ".git", "config"), "[core]")
	srv := httptest.NewServer(newHandler(root, pageConfig{APIBase: "http://127.0.0.1:8787/v1", DevToken: "dev-token"}))
	defer srv.Close()

	tests := []struct {
		name     string
		path     string
		wantCode int
		wantBody string
	}{
		{name: "page", path: "/", wantCode: 200, wantBody: "<title>dashboard</title>"},
		{name: "asset", path: "/web/fabric-lro.js", wantCode: 200, wantBody: "export function load"},
		{name: "config", path: "/config.json", wantCode: 200, wantBody: `{"apiBase":"http://127.0.0.1:8787/v1","devToken":"dev-token"}`},
		{name: "repository file", path: "/go.mod", wantCode: 404},
		{name: "git directory", path: "/.git/config", wantCode: 404},
		{name: "escape from web", path: "/web/../go.mod", wantCode: 404},
		{name: "encoded escape", path: "/web/%2e%2e/go.mod", wantCode: 404},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := http.Get(srv.URL + tt.path)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			// A cleaned path may redirect first; the client follows, so judge the final answer.
			if resp.StatusCode != tt.wantCode {
				t.Fatalf("GET %s: status %d, want %d (body %q)", tt.path, resp.StatusCode, tt.wantCode, body)
			}
			if tt.wantCode == 200 && !strings.Contains(string(body), tt.wantBody) {
				t.Fatalf("GET %s: body %q, want it to contain %q", tt.path, body, tt.wantBody)
			}
			if strings.HasPrefix(tt.path, "/web/") && tt.wantCode == 200 && resp.Header.Get("Access-Control-Allow-Origin") != "*" {
				t.Fatalf("GET %s: a portal on another origin cannot import it without Access-Control-Allow-Origin: *", tt.path)
			}
			if strings.Contains(string(body), "secret") || strings.Contains(string(body), "[core]") {
				t.Fatalf("GET %s leaked a repository file: %q", tt.path, body)
			}
		})
	}
}

func mustWrite(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}
