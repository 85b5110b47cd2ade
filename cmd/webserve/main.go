// Command webserve serves the fabric-lro dashboard (index.html and web/) for local use.
//
// It serves only the dashboard's files, never the rest of the repository (web/'s module, scripts
// and stylesheet precompressed, brotli or gzip as the browser accepts), and a generated
// /config.json that tells the page where the proxy is and, with the emulator, which dev token
// to prefill. ./build.sh serve runs it on 127.0.0.1:8080, on a different origin from the proxy,
// so the browser exercises CORS exactly as it would against a deployed Worker.
//
//	go run ./cmd/webserve --listen 127.0.0.1:8080 --api-base http://127.0.0.1:8787/v1 --dev-token dev-token
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log"
	"mime"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/fabric-lro/fabric-lro/internal/precompressed"
)

// pageConfig is what the dashboard reads from /config.json.
type pageConfig struct {
	APIBase  string `json:"apiBase"`
	DevToken string `json:"devToken,omitempty"`
	// SignIn, when set, makes the page offer "Sign in with Microsoft" (web/signin-page.js).
	SignIn *signInConfig `json:"signIn,omitempty"`
}

// signInConfig is the page's sign-in: an app registration's client id and tenant, and for a
// local identity provider (the emulator's --sign-in) its https origin.
type signInConfig struct {
	ClientID             string `json:"clientId"`
	TenantID             string `json:"tenantId,omitempty"`
	AuthorityHost        string `json:"authorityHost,omitempty"`
	RenewalOffsetSeconds *int   `json:"renewalOffsetSeconds,omitempty"`
}

// newHandler serves root/index.html at "/", root/web/ under "/web/" and cfg at "/config.json".
func newHandler(root string, cfg pageConfig) http.Handler {
	mux := http.NewServeMux()
	cfgJSON, _ := json.Marshal(cfg) // strings and an int always marshal
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		noCache(w)
		http.ServeFile(w, r, filepath.Join(root, "index.html"))
	})
	mux.HandleFunc("GET /config.json", func(w http.ResponseWriter, r *http.Request) {
		noCache(w)
		w.Header().Set("Content-Type", "application/json")
		w.Write(cfgJSON)
	})
	// web/ holds NAME.br and NAME.gz beside the module, scripts and stylesheet (./build.sh
	// writes them); they are sent to browsers that accept them, with Vary: Accept-Encoding.
	files := http.StripPrefix("/web/", precompressed.FileServer(os.DirFS(filepath.Join(root, "web"))))
	mux.Handle("GET /web/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		noCache(w)
		// The module and app.wasm are public files that portals on other origins import
		// (import and fetch of a module are CORS requests); they carry no credentials.
		w.Header().Set("Access-Control-Allow-Origin", "*")
		files.ServeHTTP(w, r)
	}))
	return mux
}

// noCache makes a reload after ./build.sh build pick up the new module.
func noCache(w http.ResponseWriter) { w.Header().Set("Cache-Control", "no-cache") }

func main() {
	listen := flag.String("listen", "127.0.0.1:8080", "address to serve the dashboard on")
	root := flag.String("root", ".", "repository root holding index.html and web/")
	apiBase := flag.String("api-base", "http://127.0.0.1:8787/v1", "the proxy's /v1 URL the page calls by default")
	devToken := flag.String("dev-token", "", "a token to prefill in the page (only for the emulator; leave empty for real Fabric)")
	clientID := flag.String("client-id", "", "an Entra app registration's client id: the page offers Sign in with Microsoft (default none: paste a token)")
	tenantID := flag.String("tenant-id", "organizations", "the tenant of --client-id: an id, a domain, organizations or common")
	authorityHost := flag.String("authority-host", "", "the https origin of another identity provider, e.g. the emulator's --sign-in one (default https://login.microsoftonline.com)")
	renewal := flag.Int("renewal-offset", -1, "renew tokens this many seconds before they expire (default -1: MSAL's 300)")
	flag.Parse()
	cfg := pageConfig{APIBase: *apiBase, DevToken: *devToken}
	if *clientID != "" {
		cfg.SignIn = &signInConfig{ClientID: *clientID, TenantID: *tenantID, AuthorityHost: *authorityHost}
		if *renewal >= 0 {
			cfg.SignIn.RenewalOffsetSeconds = renewal
		}
	}

	for ext, typ := range map[string]string{".wasm": "application/wasm", ".mjs": "text/javascript", ".js": "text/javascript"} {
		if err := mime.AddExtensionType(ext, typ); err != nil {
			log.Fatalf("webserve: %v", err)
		}
	}
	if _, err := os.Stat(filepath.Join(*root, "index.html")); err != nil {
		log.Fatalf("webserve: no index.html under --root %q: run it from the repository root", *root)
	}
	srv := &http.Server{
		Addr:              *listen,
		Handler:           newHandler(*root, cfg),
		ReadHeaderTimeout: 10 * time.Second,
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(shutdown)
	}()
	fmt.Printf("webserve: dashboard on http://%s/ (API base %s)\n", *listen, *apiBase)
	if err := srv.ListenAndServe(); err != nil && !errors.Is(err, http.ErrServerClosed) {
		log.Fatalf("webserve: %v", err)
	}
}
