package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
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

// TestHandlerServesPrecompressed: web/'s files go out as the brotli or gzip copy ./build.sh
// wrote beside them, as the browser's Accept-Encoding allows, with the file's own Content-Type
// (application/wasm, which WebAssembly.instantiateStreaming requires) and Vary: Accept-Encoding.
func TestHandlerServesPrecompressed(t *testing.T) {
	root := t.TempDir()
	const wasm, br, gz = "\x00asm\x01\x00\x00\x00 the module", "BROTLI BYTES", "GZIP BYTES"
	mustWrite(t, filepath.Join(root, "index.html"), "<title>dashboard</title>")
	mustWrite(t, filepath.Join(root, "web", "app.wasm"), wasm)
	mustWrite(t, filepath.Join(root, "web", "app.wasm.br"), br)
	mustWrite(t, filepath.Join(root, "web", "app.wasm.gz"), gz)
	mustWrite(t, filepath.Join(root, "web", "page.js"), "// page")
	mustWrite(t, filepath.Join(root, "web", "page.js.gz"), "GZIP PAGE")
	mustWrite(t, filepath.Join(root, "web", "fabric-lro.css"), "body{}") // no copies
	srv := httptest.NewServer(newHandler(root, pageConfig{APIBase: "http://127.0.0.1:8787/v1"}))
	defer srv.Close()

	tests := []struct {
		name           string
		method         string
		path           string
		acceptEncoding string // "" sends no header
		rangeHeader    string
		wantStatus     int
		wantEncoding   string
		wantBody       string
		wantType       string
		wantLength     int
		wantVary       bool
	}{
		{name: "brotli", path: "/web/app.wasm", acceptEncoding: "br", wantEncoding: "br", wantBody: br, wantType: "application/wasm"},
		{name: "gzip", path: "/web/app.wasm", acceptEncoding: "gzip", wantEncoding: "gzip", wantBody: gz, wantType: "application/wasm"},
		{name: "both: brotli preferred", path: "/web/app.wasm", acceptEncoding: "gzip, deflate, br, zstd", wantEncoding: "br", wantBody: br, wantType: "application/wasm"},
		{name: "Chromium over http", path: "/web/app.wasm", acceptEncoding: "gzip, deflate", wantEncoding: "gzip", wantBody: gz, wantType: "application/wasm"},
		{name: "none", path: "/web/app.wasm", wantBody: wasm, wantType: "application/wasm"},
		{name: "identity only", path: "/web/app.wasm", acceptEncoding: "identity", wantBody: wasm, wantType: "application/wasm"},
		{name: "br refused with q=0", path: "/web/app.wasm", acceptEncoding: "br;q=0, gzip", wantEncoding: "gzip", wantBody: gz, wantType: "application/wasm"},
		{name: "both refused with q=0", path: "/web/app.wasm", acceptEncoding: "br;q=0, gzip;q=0", wantBody: wasm, wantType: "application/wasm"},
		{name: "gzip weighted above br", path: "/web/app.wasm", acceptEncoding: "br;q=0.5, gzip;q=0.9", wantEncoding: "gzip", wantBody: gz, wantType: "application/wasm"},
		{name: "wildcard", path: "/web/app.wasm", acceptEncoding: "*", wantEncoding: "br", wantBody: br, wantType: "application/wasm"},
		{name: "wildcard but not br", path: "/web/app.wasm", acceptEncoding: "*, br;q=0", wantEncoding: "gzip", wantBody: gz, wantType: "application/wasm"},
		{name: "HEAD", method: http.MethodHead, path: "/web/app.wasm", acceptEncoding: "br", wantEncoding: "br", wantType: "application/wasm", wantLength: len(br)},
		{name: "range of the brotli copy", path: "/web/app.wasm", acceptEncoding: "br", rangeHeader: "bytes=0-6", wantStatus: http.StatusPartialContent, wantEncoding: "br", wantBody: br[:7], wantType: "application/wasm"},
		{name: "only a gzip copy, brotli accepted too", path: "/web/page.js", acceptEncoding: "br, gzip", wantEncoding: "gzip", wantBody: "GZIP PAGE", wantType: "text/javascript; charset=utf-8"},
		{name: "only a gzip copy, brotli alone accepted", path: "/web/page.js", acceptEncoding: "br", wantBody: "// page", wantType: "text/javascript; charset=utf-8"},
		{name: "no copies: no Vary", path: "/web/fabric-lro.css", acceptEncoding: "br, gzip", wantBody: "body{}", wantType: "text/css; charset=utf-8", wantVary: false},
		{name: "the copy itself is a plain file", path: "/web/app.wasm.gz", acceptEncoding: "gzip", wantBody: gz, wantVary: false},
		{name: "missing file", path: "/web/nope.wasm", acceptEncoding: "br", wantStatus: http.StatusNotFound, wantVary: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			method := tt.method
			if method == "" {
				method = http.MethodGet
			}
			req, err := http.NewRequest(method, srv.URL+tt.path, nil)
			if err != nil {
				t.Fatal(err)
			}
			if tt.acceptEncoding != "" {
				req.Header.Set("Accept-Encoding", tt.acceptEncoding)
			}
			if tt.rangeHeader != "" {
				req.Header.Set("Range", tt.rangeHeader)
			}
			// A Transport with compression off hands over the bytes as sent.
			resp, err := (&http.Transport{DisableCompression: true}).RoundTrip(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			wantStatus := tt.wantStatus
			if wantStatus == 0 {
				wantStatus = http.StatusOK
			}
			if resp.StatusCode != wantStatus {
				t.Fatalf("status %d, want %d (body %q)", resp.StatusCode, wantStatus, body)
			}
			if got := resp.Header.Get("Content-Encoding"); got != tt.wantEncoding {
				t.Errorf("Content-Encoding %q, want %q", got, tt.wantEncoding)
			}
			if wantStatus != http.StatusNotFound && string(body) != tt.wantBody {
				t.Errorf("body %q, want %q", body, tt.wantBody)
			}
			if tt.wantType != "" && resp.Header.Get("Content-Type") != tt.wantType {
				t.Errorf("Content-Type %q, want %q", resp.Header.Get("Content-Type"), tt.wantType)
			}
			if tt.wantLength != 0 && resp.Header.Get("Content-Length") != strconv.Itoa(tt.wantLength) {
				t.Errorf("Content-Length %q, want %d", resp.Header.Get("Content-Length"), tt.wantLength)
			}
			// Every answer for a file with copies says that it depends on Accept-Encoding, or a
			// cache could hand the brotli copy to a browser that asked for none.
			wantVary := tt.wantVary || (tt.name != "no copies: no Vary" && tt.name != "the copy itself is a plain file" && tt.name != "missing file")
			if gotVary := resp.Header.Get("Vary") == "Accept-Encoding"; gotVary != wantVary {
				t.Errorf("Vary %q, want Accept-Encoding: %v", resp.Header.Get("Vary"), wantVary)
			}
			if resp.Header.Get("Access-Control-Allow-Origin") != "*" {
				t.Error("a portal on another origin cannot fetch it without Access-Control-Allow-Origin: *")
			}
		})
	}
}

// TestHandlerIgnoresStaleCopies: a module rebuilt without ./build.sh (go build -o web/app.wasm)
// is newer than its copies; they are not served, the module is.
func TestHandlerIgnoresStaleCopies(t *testing.T) {
	root := t.TempDir()
	mustWrite(t, filepath.Join(root, "index.html"), "<title>dashboard</title>")
	mustWrite(t, filepath.Join(root, "web", "app.wasm.br"), "OLD BROTLI")
	mustWrite(t, filepath.Join(root, "web", "app.wasm"), "new module")
	old := time.Now().Add(-time.Hour)
	if err := os.Chtimes(filepath.Join(root, "web", "app.wasm.br"), old, old); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(newHandler(root, pageConfig{}))
	defer srv.Close()
	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/web/app.wasm", nil)
	req.Header.Set("Accept-Encoding", "br")
	resp, err := (&http.Transport{DisableCompression: true}).RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if string(body) != "new module" || resp.Header.Get("Content-Encoding") != "" {
		t.Fatalf("got %q with Content-Encoding %q, want the rebuilt module unencoded", body, resp.Header.Get("Content-Encoding"))
	}
}
