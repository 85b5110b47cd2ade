//go:build js && wasm

package jsfetch_test

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"syscall/js"
	"testing"
	"testing/synctest"
	"time"

	"github.com/fabric-lro/fabric-lro/lro"
	"github.com/fabric-lro/fabric-lro/lro/jsfetch"
)

// seen is what the stub fetch received.
type seen struct {
	url, method, auth, contentType, redirect, body string
}

// stubFetch installs globalThis.fetch = a Go function returning a Promise that settles as
// answer says, and returns a restore function.
func stubFetch(t *testing.T, got *[]seen, answer func(url string, init js.Value) (js.Value, error)) {
	t.Helper()
	orig := js.Global().Get("fetch")
	fn := js.FuncOf(func(_ js.Value, args []js.Value) any {
		url, init := args[0].String(), args[1]
		s := seen{url: url, method: init.Get("method").String(), redirect: init.Get("redirect").String()}
		h := init.Get("headers")
		s.auth = h.Call("get", "authorization").String()
		s.contentType = h.Call("get", "content-type").String()
		if b := init.Get("body"); !b.IsUndefined() {
			buf := make([]byte, b.Get("length").Int())
			js.CopyBytesToGo(buf, b)
			s.body = string(buf)
		}
		*got = append(*got, s)
		var executor js.Func
		executor = js.FuncOf(func(_ js.Value, p []js.Value) any {
			defer executor.Release()
			v, err := answer(url, init)
			if err != nil {
				p[1].Invoke(js.Global().Get("TypeError").New(err.Error()))
			} else if v.IsNull() {
				// settle only on abort
				init.Get("signal").Call("addEventListener", "abort", js.FuncOf(func(js.Value, []js.Value) any {
					p[1].Invoke(js.Global().Get("Error").New("AbortError"))
					return nil
				}))
			} else {
				p[0].Invoke(v)
			}
			return nil
		})
		return js.Global().Get("Promise").New(executor)
	})
	js.Global().Set("fetch", fn)
	t.Cleanup(func() {
		js.Global().Set("fetch", orig)
		fn.Release()
	})
}

func response(status int, body string, headers map[string]any) js.Value {
	init := map[string]any{"status": status, "headers": headers}
	var b any = body
	if status == 204 || status == 205 || status == 304 {
		b = nil
	}
	return js.Global().Get("Response").New(b, init)
}

func TestDo(t *testing.T) {
	tests := []struct {
		name       string
		req        lro.Request
		answer     func(string, js.Value) (js.Value, error)
		wantStatus int
		wantBody   string
		wantHeader map[string]string
		wantSeen   seen
		wantErr    string
	}{
		{
			name: "request and response pass through",
			req:  lro.Request{Method: "POST", URL: "https://api.example/v1/items?x=a%2Bb", Header: lro.Header{"Authorization": {"Bearer t"}}, Body: []byte(`{"a":1}`)},
			answer: func(string, js.Value) (js.Value, error) {
				return response(202, "", map[string]any{"Location": "https://api.example/v1/operations/o1", "Retry-After": "20", "x-ms-operation-id": "o1"}), nil
			},
			wantStatus: 202,
			wantHeader: map[string]string{"Location": "https://api.example/v1/operations/o1", "retry-after": "20", "X-Ms-Operation-Id": "o1"},
			wantSeen:   seen{url: "https://api.example/v1/items?x=a%2Bb", method: "POST", auth: "Bearer t", contentType: "application/json", redirect: "manual", body: `{"a":1}`},
		},
		{
			name: "body read fully",
			req:  lro.Request{Method: "GET", URL: "https://api.example/v1/operations/o1"},
			answer: func(string, js.Value) (js.Value, error) {
				return response(200, `{"status":"Running","é":1}`, nil), nil
			},
			wantStatus: 200,
			wantBody:   `{"status":"Running","é":1}`,
			wantSeen:   seen{url: "https://api.example/v1/operations/o1", method: "GET", auth: "<null>", contentType: "<null>", redirect: "manual"},
		},
		{
			name:     "a rejected fetch is an error",
			req:      lro.Request{Method: "GET", URL: "https://down.example/"},
			answer:   func(string, js.Value) (js.Value, error) { return js.Value{}, errors.New("Failed to fetch") },
			wantErr:  "Failed to fetch",
			wantSeen: seen{url: "https://down.example/", method: "GET", auth: "<null>", contentType: "<null>", redirect: "manual"},
		},
		{
			name: "a redirect is an error, not followed",
			req:  lro.Request{Method: "GET", URL: "https://api.example/r"},
			answer: func(string, js.Value) (js.Value, error) {
				return js.ValueOf(map[string]any{"type": "opaqueredirect", "status": 0}), nil
			},
			wantErr:  "redirect",
			wantSeen: seen{url: "https://api.example/r", method: "GET", auth: "<null>", contentType: "<null>", redirect: "manual"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []seen
			stubFetch(t, &got, tt.answer)
			resp, err := jsfetch.New().Do(context.Background(), &tt.req)
			if len(got) != 1 || got[0] != tt.wantSeen {
				t.Errorf("fetch saw %+v, want %+v", got, tt.wantSeen)
			}
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != tt.wantStatus || string(resp.Body) != tt.wantBody {
				t.Errorf("got %d %q, want %d %q", resp.StatusCode, resp.Body, tt.wantStatus, tt.wantBody)
			}
			for k, v := range tt.wantHeader {
				if resp.Header.Get(k) != v {
					t.Errorf("header %s = %q, want %q (%v)", k, resp.Header.Get(k), v, resp.Header)
				}
			}
		})
	}
}

func TestCancelAborts(t *testing.T) {
	var got []seen
	stubFetch(t, &got, func(string, js.Value) (js.Value, error) { return js.Null(), nil })
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() {
		_, err := jsfetch.New().Do(ctx, &lro.Request{Method: "GET", URL: "https://slow.example/"})
		errc <- err
	}()
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
}

// TestEngineOverFetch runs a whole operation through lro with the fetch transport, in a
// synctest bubble so that its Retry-After waits take no real time. A fetch promise settles
// through a JavaScript callback, which Go runs outside the bubble, so the engine hands its
// requests to a goroutine started before the bubble, which calls fetch (a goroutine of the
// bubble waiting for it is not durably blocked: fake time stands still meanwhile).
func TestEngineOverFetch(t *testing.T) {
	var got []seen
	polls := 0
	stubFetch(t, &got, func(url string, _ js.Value) (js.Value, error) {
		switch {
		case strings.HasSuffix(url, "/items"):
			return response(202, "", map[string]any{"Location": "https://api.example/v1/operations/o1", "Retry-After": "20"}), nil
		case strings.HasSuffix(url, "/result"):
			return response(200, `{"id":"nb1"}`, nil), nil
		default:
			polls++
			if polls < 2 {
				return response(200, `{"status":"Running"}`, map[string]any{"Location": url, "Retry-After": "20"}), nil
			}
			return response(200, `{"status":"Succeeded"}`, map[string]any{"Location": url + "/result"}), nil
		}
	})
	type answer struct {
		resp *lro.Response
		err  error
	}
	requests, answers := make(chan *lro.Request), make(chan answer)
	go func() {
		for req := range requests {
			resp, err := jsfetch.New().Do(context.Background(), req)
			answers <- answer{resp: resp, err: err}
		}
	}()
	defer close(requests)
	fetch := lro.TransportFunc(func(_ context.Context, req *lro.Request) (*lro.Response, error) {
		requests <- req
		a := <-answers
		return a.resp, a.err
	})
	synctest.Test(t, func(t *testing.T) {
		t0 := time.Now()
		c := lro.NewClient(lro.Options{Transport: fetch, BaseURL: "https://api.example", Token: lro.StaticToken("dev-token")})
		p, err := c.Start(context.Background(), &lro.Request{Method: "POST", URL: "/v1/items", Body: []byte(`{}`)})
		if err != nil {
			t.Fatal(err)
		}
		res, err := p.PollUntilDone(context.Background())
		if err != nil || string(res) != `{"id":"nb1"}` || len(got) != 4 || time.Since(t0) != 40*time.Second {
			t.Errorf("result %s, %v after %d requests at +%v", res, err, len(got), time.Since(t0))
		}
	})
}

// TestNodeFetch uses Node's real fetch against a Node http server started from Go, when the
// runtime offers require (go_js_wasm_exec under Node does).
func TestNodeFetch(t *testing.T) {
	req := js.Global().Get("require")
	if req.Type() != js.TypeFunction || js.Global().Get("fetch").Type() != js.TypeFunction {
		t.Skip("not running under Node with fetch")
	}
	http := req.Invoke("http")
	handler := js.FuncOf(func(_ js.Value, args []js.Value) any {
		r, w := args[0], args[1]
		w.Call("setHeader", "Location", "/v1/operations/o9")
		w.Call("setHeader", "Retry-After", "7")
		w.Set("statusCode", 202)
		w.Call("end", r.Get("method").String()+" "+r.Get("url").String()+" "+r.Get("headers").Get("authorization").String())
		return nil
	})
	defer handler.Release()
	srv := http.Call("createServer", handler)
	listening := make(chan struct{})
	onListen := js.FuncOf(func(js.Value, []js.Value) any { close(listening); return nil })
	defer onListen.Release()
	srv.Call("listen", 0, "127.0.0.1", onListen)
	<-listening
	closed := make(chan struct{})
	onClose := js.FuncOf(func(js.Value, []js.Value) any { close(closed); return nil })
	defer func() { srv.Call("close", onClose); <-closed; onClose.Release() }()
	port := srv.Call("address").Get("port").Int()

	base := "http://127.0.0.1:" + strconv.Itoa(port)
	resp, err := jsfetch.New().Do(context.Background(), &lro.Request{Method: "POST", URL: base + "/v1/x?q=1", Header: lro.Header{"Authorization": {"Bearer n"}}, Body: []byte("{}")})
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 202 || string(resp.Body) != "POST /v1/x?q=1 Bearer n" || resp.Header.Get("location") != "/v1/operations/o9" || resp.Header.Get("Retry-After") != "7" {
		t.Errorf("got %d %q %v", resp.StatusCode, resp.Body, resp.Header)
	}
}
