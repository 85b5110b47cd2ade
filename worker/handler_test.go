//go:build !js

package main

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestNewHandler(t *testing.T) {
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, r.URL.RequestURI())
	}))
	defer upstream.Close()
	tests := []struct {
		name       string
		env        map[string]string
		wantErr    string // in New's error; "" for none
		wantStatus int
		wantBody   string
	}{
		{
			name:       "environment names configure the proxy",
			env:        map[string]string{"FABRIC_API_BASE": upstream.URL, "ALLOWED_ORIGINS": "http://127.0.0.1:8080"},
			wantStatus: 200,
			wantBody:   "/v1/workspaces?continuationToken=a%2Bb",
		},
		{name: "bad upstream", env: map[string]string{"FABRIC_API_BASE": "ftp://x"}, wantErr: "FABRIC_API_BASE"},
		{name: "open origin refused", env: map[string]string{"ALLOWED_ORIGINS": "*"}, wantErr: "ALLOWED_ORIGINS"},
		{name: "bad number", env: map[string]string{"MAX_BODY_BYTES": "lots"}, wantErr: "MAX_BODY_BYTES"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h, _, err := newHandler(func(name string) string { return tc.env[name] }, nil, slog.New(slog.DiscardHandler))
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("newHandler: %v, want an error naming %s", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			r := httptest.NewRequest("GET", "/v1/workspaces?continuationToken=a%2Bb", nil)
			r.Header.Set("Origin", "http://127.0.0.1:8080")
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != tc.wantStatus || w.Body.String() != tc.wantBody {
				t.Errorf("got %d %q, want %d %q", w.Code, w.Body.String(), tc.wantStatus, tc.wantBody)
			}
		})
	}
}
