package proxy_test

import (
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"

	"github.com/fabric-lro/fabric-lro/proxy"
)

// A page on https://app.contoso.com creates an item through the proxy; the
// 202's Location is rewritten to point at the proxy, and the page may read it.
func ExampleNew() {
	fabric := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Location", "http://"+r.Host+"/v1/operations/0acd697c-1550-43cd-b998-91bfbfbd47c6")
		w.Header().Set("x-ms-operation-id", "0acd697c-1550-43cd-b998-91bfbfbd47c6")
		w.Header().Set("Retry-After", "20")
		w.WriteHeader(http.StatusAccepted)
	}))
	defer fabric.Close()

	p, err := proxy.New(proxy.Config{
		Upstream:       fabric.URL, // the real one is the default, https://api.fabric.microsoft.com
		AllowedOrigins: []string{"https://*.contoso.com"},
		Logger:         slog.New(slog.DiscardHandler),
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	proxySrv := httptest.NewServer(p)
	defer proxySrv.Close()

	req, _ := http.NewRequest("POST", proxySrv.URL+"/v1/workspaces/ws/items", nil)
	req.Header.Set("Origin", "https://app.contoso.com")
	req.Header.Set("Authorization", "Bearer <token>")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		fmt.Println(err)
		return
	}
	resp.Body.Close()
	fmt.Println(resp.StatusCode)
	fmt.Println(resp.Header.Get("Location") == proxySrv.URL+"/v1/operations/0acd697c-1550-43cd-b998-91bfbfbd47c6")
	fmt.Println(resp.Header.Get("Access-Control-Allow-Origin"))
	// Output:
	// 202
	// true
	// https://app.contoso.com
}

// The native proxy and the Worker read the same variable names.
func ExampleConfigFromEnv() {
	env := map[string]string{
		"FABRIC_API_BASE": "http://127.0.0.1:8790",
		"ALLOWED_ORIGINS": "http://127.0.0.1:8080, https://*.contoso.com",
		"MAX_BODY_BYTES":  "1048576",
	}
	cfg, err := proxy.ConfigFromEnv(func(name string) string { return env[name] })
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return
	}
	fmt.Println(cfg.Upstream)
	fmt.Println(cfg.AllowedOrigins)
	fmt.Println(cfg.MaxBodyBytes)
	// Output:
	// http://127.0.0.1:8790
	// [http://127.0.0.1:8080 https://*.contoso.com]
	// 1048576
}
