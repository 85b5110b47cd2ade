package proxy_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/fabric-lro/fabric-lro/proxy"
)

const (
	pageOrigin = "http://127.0.0.1:8080"
	token      = "Bearer secret-token-never-logged"
	maxBody    = 1024
)

// recorded is what an upstream saw of one request.
type recorded struct {
	Method     string
	RequestURI string
	Host       string
	Header     http.Header
	Body       string
	BodyErr    error
}

// upstream is a recording stand-in for the Fabric API.
type upstream struct {
	srv     *httptest.Server
	mu      sync.Mutex
	calls   []recorded
	respond func(w http.ResponseWriter, r *http.Request)
}

func newUpstream(t *testing.T) *upstream {
	u := &upstream{}
	u.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		u.mu.Lock()
		u.calls = append(u.calls, recorded{r.Method, r.RequestURI, r.Host, r.Header.Clone(), string(body), err})
		respond := u.respond
		u.mu.Unlock()
		if respond != nil {
			respond(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"value":[]}`)
	}))
	t.Cleanup(u.srv.Close)
	return u
}

func (u *upstream) host() string { return strings.TrimPrefix(u.srv.URL, "http://") }

func (u *upstream) recorded() []recorded {
	u.mu.Lock()
	defer u.mu.Unlock()
	return append([]recorded(nil), u.calls...)
}

// env is a proxy in front of a main upstream and one allowed regional host.
type env struct {
	main, regional *upstream
	proxy          *proxy.Proxy
	logs           *bytes.Buffer
	logMu          *sync.Mutex
}

func newEnv(t *testing.T, mutate func(*proxy.Config)) *env {
	t.Helper()
	e := &env{main: newUpstream(t), regional: newUpstream(t), logs: &bytes.Buffer{}, logMu: &sync.Mutex{}}
	cfg := proxy.Config{
		Upstream:       e.main.srv.URL,
		AllowedOrigins: []string{pageOrigin, "https://*.contoso.com", "http://localhost:*"},
		RedirectHosts:  []string{e.regional.srv.URL, "https://*.analysis.windows.net"},
		MaxBodyBytes:   maxBody,
		Logger:         slog.New(slog.NewTextHandler(lockedWriter{e.logMu, e.logs}, nil)),
	}
	if mutate != nil {
		mutate(&cfg)
	}
	p, err := proxy.New(cfg)
	if err != nil {
		t.Fatalf("proxy.New: %v", err)
	}
	e.proxy = p
	return e
}

func (e *env) log() string {
	e.logMu.Lock()
	defer e.logMu.Unlock()
	return e.logs.String()
}

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// expand fills the placeholders {upstream}, {regional} (host:port) and {proxy}
// (the proxy's origin as the caller reached it).
func (e *env) expand(s, proxyOrigin string) string {
	return strings.NewReplacer("{upstream}", e.main.host(), "{regional}", e.regional.host(), "{proxy}", proxyOrigin).Replace(s)
}

// expanding fills the placeholder {regional} in the headers respond writes.
func (e *env) expanding(respond func(http.ResponseWriter, *http.Request)) func(http.ResponseWriter, *http.Request) {
	if respond == nil {
		return nil
	}
	return func(w http.ResponseWriter, r *http.Request) {
		respond(expandingWriter{w, e}, r)
	}
}

type expandingWriter struct {
	http.ResponseWriter
	e *env
}

func (w expandingWriter) WriteHeader(code int) {
	for _, vv := range w.Header() {
		for i, v := range vv {
			vv[i] = strings.ReplaceAll(v, "{regional}", w.e.regional.host())
		}
	}
	w.ResponseWriter.WriteHeader(code)
}

// request is one call to the proxy, sent the same way through every entry point.
type request struct {
	Method  string
	Target  string // raw request target, with placeholders
	Header  [][2]string
	Body    string
	Chunked bool // body of unknown length
}

type response struct {
	Status int
	Header http.Header
	Body   string
}

// entry points: a real server over TCP (raw request line), the handler called
// directly (as net/http would), and the Worker's way (Begin, Finish and Fail
// driven as worker.mjs does).
type entry struct {
	name string
	// nativeOnly entries accept targets no browser or Worker can produce.
	send func(t *testing.T, e *env, req request) (resp response, proxyOrigin string)
}

var entries = []entry{
	{name: "server", send: sendServer},
	{name: "handler", send: sendHandler},
	{name: "worker", send: sendExchange},
}

func sendServer(t *testing.T, e *env, req request) (response, string) {
	t.Helper()
	srv := httptest.NewServer(e.proxy)
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "http://")
	proxyOrigin := srv.URL
	conn, err := net.Dial("tcp", host)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n", req.Method, e.expand(req.Target, proxyOrigin), host)
	for _, h := range req.Header {
		fmt.Fprintf(&b, "%s: %s\r\n", h[0], e.expand(h[1], proxyOrigin))
	}
	switch {
	case req.Chunked:
		fmt.Fprintf(&b, "Transfer-Encoding: chunked\r\n\r\n%x\r\n%s\r\n0\r\n\r\n", len(req.Body), req.Body)
	case req.Body != "":
		fmt.Fprintf(&b, "Content-Length: %d\r\n\r\n%s", len(req.Body), req.Body)
	default:
		b.WriteString("\r\n")
	}
	if _, err := io.WriteString(conn, b.String()); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), &http.Request{Method: req.Method})
	if err != nil {
		t.Fatalf("reading the proxy's answer: %v", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return response{resp.StatusCode, resp.Header, string(body)}, proxyOrigin
}

func sendHandler(t *testing.T, e *env, req request) (response, string) {
	t.Helper()
	const proxyOrigin = "http://proxy.test"
	var body io.Reader
	if req.Body != "" {
		body = strings.NewReader(req.Body)
	}
	r := httptest.NewRequest(req.Method, e.expand(req.Target, proxyOrigin), body)
	r.Host = "proxy.test"
	if req.Chunked {
		r.ContentLength = -1
	}
	for _, h := range req.Header {
		r.Header.Add(h[0], e.expand(h[1], proxyOrigin))
	}
	rec := httptest.NewRecorder()
	e.proxy.ServeHTTP(rec, r)
	return response{rec.Code, rec.Result().Header, rec.Body.String()}, proxyOrigin
}

// sendExchange drives Begin, Finish and Fail as the Worker's worker.mjs does:
// the target and the proxy's origin from an absolute URL, Content-Length only
// from the header, the exchange's state carried as text between the calls,
// the upstream reached by a plain transport, and a body of unknown length
// read up to Exchange.MaxBody.
func sendExchange(t *testing.T, e *env, req request) (response, string) {
	t.Helper()
	const proxyOrigin = "https://proxy.workers.dev"
	target := e.expand(req.Target, proxyOrigin)
	if _, err := url.Parse(proxyOrigin + target); err != nil || !strings.HasPrefix(req.Target, "/") {
		t.Skipf("a Worker never sees the target %q", req.Target)
	}
	in := proxy.Incoming{Method: req.Method, Target: target, Self: proxyOrigin, Header: http.Header{}, ContentLength: -1}
	for _, h := range req.Header {
		in.Header.Add(h[0], e.expand(h[1], proxyOrigin))
	}
	if req.Body != "" && !req.Chunked {
		in.ContentLength = int64(len(req.Body))
	}
	x, answer := e.proxy.Begin(in)
	if answer != nil {
		return response{answer.Status, answer.Header, string(answer.Body)}, proxyOrigin
	}
	state, err := x.MarshalText()
	if err != nil {
		t.Fatal(err)
	}
	var body io.Reader
	if x.SendBody && req.Body != "" {
		if int64(len(req.Body)) > x.MaxBody {
			answer = e.proxy.Fail(restore(t, state), proxy.FailTooLarge, nil)
			return response{answer.Status, answer.Header, string(answer.Body)}, proxyOrigin
		}
		body = strings.NewReader(req.Body)
	}
	out, err := http.NewRequestWithContext(t.Context(), x.Method, x.URL, body)
	if err != nil {
		t.Fatal(err)
	}
	out.Header = x.Header
	resp, err := http.DefaultTransport.RoundTrip(out)
	if err != nil {
		answer = e.proxy.Fail(restore(t, state), proxy.FailUnreachable, err)
		return response{answer.Status, answer.Header, string(answer.Body)}, proxyOrigin
	}
	defer resp.Body.Close()
	answer, pass := e.proxy.Finish(restore(t, state), resp.StatusCode, resp.Header)
	if !pass {
		return response{answer.Status, answer.Header, string(answer.Body)}, proxyOrigin
	}
	b, _ := io.ReadAll(resp.Body)
	return response{answer.Status, answer.Header, string(b)}, proxyOrigin
}

// restore is an Exchange from its text form, as the Worker's later calls get it.
func restore(t *testing.T, state []byte) *proxy.Exchange {
	t.Helper()
	var x proxy.Exchange
	if err := x.UnmarshalText(state); err != nil {
		t.Fatalf("UnmarshalText(%q): %v", state, err)
	}
	return &x
}

// proxyCase is one rule of the proxy, checked through every entry point.
type proxyCase struct {
	name     string
	req      request
	respond  func(w http.ResponseWriter, r *http.Request) // the main upstream's answer; nil: 200 {"value":[]}
	regional func(w http.ResponseWriter, r *http.Request) // the regional host's answer
	entries  []string                                     // nil: all

	wantStatus int
	wantCode   string // errorCode of an answer the proxy made itself
	// wantUpstream is the request target the main upstream must see; "" means
	// the main upstream must not be called.
	wantUpstream string
	// wantRegional is the request target the regional host must see; "" means not called.
	wantRegional string
	wantHeader   map[string]string // response headers (after placeholder expansion); "" means absent
	check        func(t *testing.T, e *env, resp response, calls []recorded)
}

func allowedCORS(origin string) map[string]string {
	return map[string]string{"Access-Control-Allow-Origin": origin, "Vary": "Origin"}
}

func header(pairs ...string) [][2]string {
	var h [][2]string
	for i := 0; i+1 < len(pairs); i += 2 {
		h = append(h, [2]string{pairs[i], pairs[i+1]})
	}
	return h
}

var auth = header("Authorization", token, "Origin", pageOrigin)

func respondWith(status int, headers map[string]string, body string) func(http.ResponseWriter, *http.Request) {
	return func(w http.ResponseWriter, r *http.Request) {
		for k, v := range headers {
			w.Header().Set(k, strings.ReplaceAll(v, "{host}", r.Host))
		}
		w.WriteHeader(status)
		io.WriteString(w, body)
	}
}

func TestProxy(t *testing.T) {
	for _, tc := range slices.Concat(requestCases, answerCases) {
		for _, ep := range entries {
			if tc.entries != nil && !contains(tc.entries, ep.name) {
				continue
			}
			t.Run(tc.name+"/"+ep.name, func(t *testing.T) {
				e := newEnv(t, nil)
				e.main.respond = e.expanding(tc.respond)
				e.regional.respond = e.expanding(tc.regional)
				resp, proxyOrigin := ep.send(t, e, tc.req)
				if resp.Status != tc.wantStatus {
					t.Fatalf("status %d, want %d; body %s", resp.Status, tc.wantStatus, resp.Body)
				}
				checkCalls(t, "main upstream", e.main.recorded(), e.expand(tc.wantUpstream, proxyOrigin))
				checkCalls(t, "regional host", e.regional.recorded(), e.expand(tc.wantRegional, proxyOrigin))
				if tc.wantCode != "" {
					checkProxyError(t, resp, tc.wantCode)
				}
				if !contains(resp.Header.Values("Vary"), "Origin") {
					t.Errorf("Vary %q lacks Origin", resp.Header.Values("Vary"))
				}
				for name, want := range tc.wantHeader {
					want = e.expand(want, proxyOrigin)
					got := resp.Header.Get(name)
					if name == "Vary" {
						got = strings.Join(resp.Header.Values(name), ", ")
						if !strings.Contains(got, want) {
							t.Errorf("Vary %q lacks %q", got, want)
						}
						continue
					}
					if got != want {
						t.Errorf("response header %s = %q, want %q", name, got, want)
					}
				}
				if tc.check != nil {
					tc.check(t, e, resp, append(e.main.recorded(), e.regional.recorded()...))
				}
				log := e.log()
				if strings.Contains(log, "secret-token") {
					t.Errorf("the log contains the Authorization token:\n%s", log)
				}
				if n := strings.Count(log, `msg="fabric proxy"`); n != 1 {
					t.Errorf("%d log lines for one request, want 1:\n%s", n, log)
				}
			})
		}
	}
}

func checkCalls(t *testing.T, who string, calls []recorded, want string) {
	t.Helper()
	switch {
	case want == "*":
	case want == "" && len(calls) > 0:
		t.Errorf("%s was called (%s %s), want no call", who, calls[0].Method, calls[0].RequestURI)
	case want != "" && len(calls) != 1:
		t.Errorf("%s was called %d times, want once with %s", who, len(calls), want)
	case want != "" && calls[0].RequestURI != want:
		t.Errorf("%s saw %q, want %q (byte for byte)", who, calls[0].RequestURI, want)
	}
}

func checkProxyError(t *testing.T, resp response, code string) {
	t.Helper()
	var er proxy.ErrorResponse
	if err := json.Unmarshal([]byte(resp.Body), &er); err != nil {
		t.Fatalf("body is not a Fabric ErrorResponse: %v: %q", err, resp.Body)
	}
	if er.ErrorCode != code || er.Message == "" || er.RequestID == "" {
		t.Errorf("ErrorResponse %+v, want errorCode %s with a message and requestId", er, code)
	}
	if got := resp.Header.Get("x-ms-public-api-error-code"); got != code {
		t.Errorf("x-ms-public-api-error-code %q, want %q", got, code)
	}
	if got := resp.Header.Get("requestId"); got != er.RequestID {
		t.Errorf("requestId header %q, body %q", got, er.RequestID)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("Content-Type %q, want JSON", ct)
	}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
