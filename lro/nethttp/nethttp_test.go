//go:build !js

// The net/http adapter is for native programs; under js/wasm net/http runs on a simulated
// network, so these tests run on the host only.

package nethttp_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/fabric-lro/fabric-lro/lro"
	"github.com/fabric-lro/fabric-lro/lro/nethttp"
)

func TestTransport(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/redirect":
			http.Redirect(w, r, "/elsewhere", http.StatusTemporaryRedirect)
		case "/big":
			w.Write([]byte(strings.Repeat("x", 100)))
		default:
			b, _ := io.ReadAll(r.Body)
			w.Header().Set("Location", "/v1/operations/o1")
			w.Header().Set("Retry-After", "20")
			w.WriteHeader(202)
			fmt.Fprintf(w, "%s %s auth=%s ct=%s body=%s", r.Method, r.URL.RequestURI(), r.Header.Get("Authorization"), r.Header.Get("Content-Type"), b)
		}
	}))
	defer srv.Close()
	tests := []struct {
		name       string
		req        lro.Request
		max        int64
		wantStatus int
		wantBody   string
		wantHeader map[string]string
		wantErr    bool
	}{
		{
			name:       "method, URL with query, headers and body pass through; status and headers come back",
			req:        lro.Request{Method: "POST", URL: srv.URL + "/v1/x?continuationToken=a%2Bb", Header: lro.Header{"Authorization": {"Bearer t"}}, Body: []byte(`{"a":1}`)},
			wantStatus: 202,
			wantBody:   `POST /v1/x?continuationToken=a%2Bb auth=Bearer t ct=application/json body={"a":1}`,
			wantHeader: map[string]string{"location": "/v1/operations/o1", "retry-after": "20"},
		},
		{
			name:       "a redirect is returned, not followed",
			req:        lro.Request{Method: "GET", URL: srv.URL + "/redirect"},
			wantStatus: 307,
			wantHeader: map[string]string{"Location": "/elsewhere"},
		},
		{name: "body over the limit is an error", req: lro.Request{Method: "GET", URL: srv.URL + "/big"}, max: 99, wantErr: true},
		{name: "body at the limit is fine", req: lro.Request{Method: "GET", URL: srv.URL + "/big"}, max: 100, wantStatus: 200, wantBody: strings.Repeat("x", 100)},
		{name: "network error", req: lro.Request{Method: "GET", URL: "http://127.0.0.1:1/"}, wantErr: true},
		{name: "bad method", req: lro.Request{Method: "BAD METHOD", URL: srv.URL}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr := nethttp.New(nil)
			tr.MaxBodyBytes = tt.max
			resp, err := tr.Do(context.Background(), &tt.req)
			if tt.wantErr {
				if err == nil {
					t.Fatalf("want an error, got %d", resp.StatusCode)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != tt.wantStatus || (tt.wantBody != "" && string(resp.Body) != tt.wantBody) {
				t.Errorf("got %d %q, want %d %q", resp.StatusCode, resp.Body, tt.wantStatus, tt.wantBody)
			}
			for k, v := range tt.wantHeader {
				if resp.Header.Get(k) != v {
					t.Errorf("header %s = %q, want %q", k, resp.Header.Get(k), v)
				}
			}
		})
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := nethttp.New(nil).Do(ctx, &lro.Request{Method: "GET", URL: srv.URL}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled context: %v", err)
	}
}

// counting wraps a transport and counts requests by path.
type counting struct {
	next     lro.Transport
	regional string // requests to this origin are logged as REGIONAL/...
	mu       sync.Mutex
	log      []string
}

func (c *counting) Do(ctx context.Context, req *lro.Request) (*lro.Response, error) {
	resp, err := c.next.Do(ctx, req)
	c.mu.Lock()
	defer c.mu.Unlock()
	u := req.URL
	if c.regional != "" && strings.HasPrefix(u, c.regional) {
		u = "REGIONAL" + strings.TrimPrefix(u, c.regional)
	} else {
		u = u[strings.Index(u[8:], "/")+8:]
	}
	s := req.Method + " " + u
	if err == nil {
		s += fmt.Sprint(" ", resp.StatusCode)
	}
	c.log = append(c.log, s)
	return resp, err
}

func (c *counting) requests() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.log...)
}

// refreshing is a TokenSource that hands out a new token on refresh.
type refreshing struct {
	mu sync.Mutex
	n  int
}

func (r *refreshing) Token(_ context.Context, refresh bool) (string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if refresh {
		r.n++
	}
	return fmt.Sprint("token-", r.n), nil
}

// inProcess is an http.RoundTripper that serves each request with the handler of its URL's
// host, in the calling goroutine: no sockets, so the engine, this adapter and the emulator
// all run in one synctest bubble and the emulator reads the bubble's fake clock.
type inProcess map[string]http.Handler

func (m inProcess) RoundTrip(r *http.Request) (*http.Response, error) {
	h, ok := m[r.URL.Host]
	if !ok {
		return nil, fmt.Errorf("inProcess: no server at %s", r.URL.Host)
	}
	in := r.Clone(r.Context()) // as a server receives it
	in.RequestURI = r.URL.RequestURI()
	if in.Body == nil {
		in.Body = http.NoBody
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, in)
	return rec.Result(), nil
}
