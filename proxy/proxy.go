// Package proxy is a Fabric-only CORS proxy: an http.Handler that forwards
// /v1/... to one Fabric REST API upstream (and to Fabric's regional redirect
// hosts when a Location points there), answers CORS for the allowed origins,
// and rewrites Location so a browser can poll long-running operations
// through it. It also forwards, for GET only, the operation URLs without /v1
// (/operations/{id} and /operations/{id}/result) that Fabric's own examples
// put in Location. It runs natively and, unchanged, as a Cloudflare Worker
// (see ../worker).
package proxy

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// Proxy is the handler built by New. It is safe for concurrent use.
type Proxy struct {
	s settings
}

// New checks and normalises cfg once and returns the proxy. It fails on an
// invalid Upstream, origin or host pattern, PublicURL or negative limit,
// naming the configuration variable to fix.
func New(cfg Config) (*Proxy, error) {
	s, err := normalise(cfg)
	if err != nil {
		return nil, err
	}
	return &Proxy{s: s}, nil
}

// Methods the proxy forwards (Fabric's REST API uses no others) and announces
// in preflight answers. HEAD is a CORS-safelisted method and needs no preflight.
const allowMethods = "GET, POST, PUT, PATCH, DELETE"

// exposeHeaders are the response headers a page may read. Without them a
// browser hides Location, x-ms-operation-id and Retry-After, and a page cannot
// follow a long-running operation.
const exposeHeaders = "Location, Retry-After, ETag, x-ms-operation-id, x-ms-job-id, " +
	"x-ms-public-api-error-code, requestId, x-ms-request-id, deployment-id"

// allowHeaders are the request headers forwarded upstream, besides x-ms-*:
// the token, the body's type, the wanted type, and the ETag preconditions
// Fabric's definition and Git APIs take (If-Match, If-None-Match in the spec).
var allowHeaders = []string{"Authorization", "Content-Type", "Accept", "If-Match", "If-None-Match"}

// hopHeaders are hop-by-hop headers (RFC 9110 section 7.6.1): they describe one
// connection and must not be forwarded either way.
var hopHeaders = []string{
	"Connection", "Proxy-Connection", "Keep-Alive", "Proxy-Authenticate", "Proxy-Authorization",
	"Te", "Trailer", "Transfer-Encoding", "Upgrade",
}

// ServeHTTP answers one request: CORS, path checks, then the upstream's answer
// streamed back. It logs one line per request. It drives the same Begin,
// Finish and Fail as the Worker, with net/http moving the bytes.
func (p *Proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	x, answer := p.Begin(Incoming{
		Method:        r.Method,
		Target:        requestTarget(r),
		Self:          p.proxyOrigin(r),
		Header:        r.Header,
		ContentLength: r.ContentLength,
	})
	if answer != nil {
		answer.write(w)
		return
	}
	p.forward(w, r, x)
}

// Begin decides what to do with a request from its line and headers alone:
// either the proxy answers it itself (a CORS preflight, a refused origin,
// path or method, a body declared too large), and Begin returns that
// Response and logs it; or it is forwarded, and Begin returns the Exchange
// that describes the upstream request. The caller then sends it (with the
// request's body when Exchange.SendBody) and hands the outcome to Finish, or
// to Fail when no response came.
func (p *Proxy) Begin(in Incoming) (*Exchange, *Response) {
	x := &Exchange{st: exchangeState{
		requestID: newRequestID(),
		start:     time.Now(),
		method:    in.Method,
		path:      logPath(in.Target),
		self:      in.Self,
	}}
	if p.s.publicOrigin != "" {
		x.st.self = p.s.publicOrigin
	}
	resp := p.begin(in, x)
	if resp != nil {
		p.log(x, resp.Status)
		return nil, resp
	}
	return x, nil
}

// begin does the work of Begin: it fills x, or returns the answer.
func (p *Proxy) begin(in Incoming, x *Exchange) *Response {
	origins := in.Header.Values("Origin")
	if len(origins) > 1 {
		return x.errorResponse(&proxyError{http.StatusForbidden, CodeOriginNotAllowed, "The request has more than one Origin header."})
	}
	if len(origins) == 1 {
		origin := origins[0]
		if !p.originAllowed(origin, x.st.self) {
			return x.errorResponse(&proxyError{http.StatusForbidden, CodeOriginNotAllowed,
				"The origin " + quote(origin) + " may not use this proxy; add it to " + EnvAllowedOrigins + " (comma-separated) and restart or redeploy the proxy."})
		}
		x.st.origin = origin
	}

	rt, perr := p.s.resolve(in.Target)
	if perr == nil {
		perr = checkHeaders(in.Header)
	}
	if perr != nil {
		return x.errorResponse(perr)
	}

	if in.Method == http.MethodOptions && len(origins) == 1 && in.Header.Get("Access-Control-Request-Method") != "" {
		return p.preflight(in, rt, x)
	}
	switch in.Method {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete:
		if rt.getOnly && in.Method != http.MethodGet {
			resp := x.errorResponse(&proxyError{http.StatusMethodNotAllowed, CodeMethodNotAllowed,
				"An operation URL without /v1 takes GET only; not " + quote(in.Method) + "."})
			resp.Header.Set("Allow", http.MethodGet)
			return resp
		}
	default:
		resp := x.errorResponse(&proxyError{http.StatusMethodNotAllowed, CodeMethodNotAllowed,
			"The Fabric REST API takes " + allowMethods + "; not " + quote(in.Method) + "."})
		resp.Header.Set("Allow", "GET, HEAD, POST, PUT, PATCH, DELETE")
		return resp
	}

	x.SendBody = in.Method != http.MethodGet && in.Method != http.MethodHead
	if x.SendBody && in.ContentLength > p.s.maxBody {
		return x.errorResponse(errTooLarge(p.s.maxBody))
	}
	u := rt.url()
	x.url = u
	x.st.url = u.String()
	x.Method = in.Method
	x.URL = x.st.url
	x.MaxBody = p.s.maxBody
	x.Timeout = p.s.timeout
	x.Header = http.Header{}
	connHeaders := connectionHeaders(in.Header)
	for name, values := range in.Header {
		lower := strings.ToLower(name)
		if isAllowedHeader(lower) && !connHeaders[lower] {
			x.Header[name] = append([]string(nil), values...)
		}
	}
	x.Header.Set("User-Agent", "fabric-lro-proxy")
	return nil
}

// maxHeaderBytes bounds the headers forwarded upstream (names, values and
// separators): a Fabric token is a few KiB; 32 KiB leaves room and keeps a
// caller from using the proxy to send the upstream oversized requests.
const maxHeaderBytes = 32 << 10

// checkHeaders refuses a request with more than one Authorization header or one
// that is not a single credential (a comma is how runtimes join duplicates),
// and one whose headers to forward are over maxHeaderBytes.
func checkHeaders(h http.Header) *proxyError {
	if host := h.Values("Host"); len(host) > 1 || len(host) == 1 && strings.Contains(host[0], ",") {
		// net/http refuses a second Host itself; workerd joins them into one header the
		// Worker sees, which the proxy refuses the same way.
		return &proxyError{http.StatusBadRequest, CodeInvalidHeader, "The request must carry one Host header."}
	}
	if auth := h.Values("Authorization"); len(auth) > 1 || len(auth) == 1 && strings.ContainsAny(auth[0], ",\r\n\x00") {
		return &proxyError{http.StatusBadRequest, CodeInvalidHeader,
			"The request must carry one Authorization header with one bearer token (\"Authorization: Bearer <token>\")."}
	}
	size := 0
	for name, values := range h {
		if !isAllowedHeader(strings.ToLower(name)) {
			continue
		}
		for _, v := range values {
			size += len(name) + len(v) + 4
		}
	}
	if size > maxHeaderBytes {
		return &proxyError{http.StatusRequestHeaderFieldsTooLarge, CodeHeadersTooLarge,
			"The request's Authorization, Content-Type, Accept, If-Match, If-None-Match and x-ms-* headers add up to " +
				strconv.Itoa(size) + " bytes, over this proxy's limit of " + strconv.Itoa(maxHeaderBytes) + "; send fewer or shorter x-ms-* headers."}
	}
	return nil
}

// originAllowed reports whether a browser on origin may call the proxy: its
// own origin (see ownOrigin) may, others must match AllowedOrigins.
func (p *Proxy) originAllowed(origin, proxyOrigin string) bool {
	scheme, hostport, ok := strings.Cut(origin, "://")
	if !ok || (scheme != "http" && scheme != "https") {
		return false // includes "null" (sandboxed frames, file://)
	}
	e, ok := parseHostport(scheme, hostport)
	if !ok || e.Origin() != origin && e.Origin() != strings.ToLower(origin) {
		return false
	}
	if p.ownOrigin(e, proxyOrigin) {
		return true
	}
	return p.s.origins.Allows(e)
}

// ownOrigin reports whether e is the proxy's own origin, which needs no entry
// in AllowedOrigins. With PublicURL set, only that origin is. Without it, the
// origin derived from the request's Host cannot be trusted: a DNS-rebinding
// page (evil.example resolving to 127.0.0.1) sends Origin and Host that agree.
// So it counts only on a loopback host (localhost, 127.0.0.0/8), whose name no
// other site can take; anywhere else (the dashboard served by the same Worker)
// set PublicURL or list the origin in AllowedOrigins.
func (p *Proxy) ownOrigin(e endpoint, proxyOrigin string) bool {
	if p.s.publicOrigin != "" {
		return e.Origin() == p.s.publicOrigin
	}
	return isLoopback(e.Host) && e.Origin() == proxyOrigin
}

// isLoopback reports whether host (lower case, from parseHostport) is
// localhost or an IPv4 loopback address.
func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	a, err := netip.ParseAddr(host)
	return err == nil && a.Is4() && a.IsLoopback()
}

// proxyOrigin is the origin the caller reached the proxy at.
func (p *Proxy) proxyOrigin(r *http.Request) string {
	if p.s.publicOrigin != "" {
		return p.s.publicOrigin
	}
	scheme, host := "http", r.Host
	if r.TLS != nil {
		scheme = "https"
	}
	if r.RequestURI == "" && r.URL != nil && r.URL.IsAbs() { // the Worker sees the full URL
		scheme, host = r.URL.Scheme, r.URL.Host
	}
	return SelfOrigin(scheme, host)
}

// SelfOrigin is the origin scheme://host as Incoming.Self wants it, with the
// host lower-cased and a default port dropped.
func SelfOrigin(scheme, host string) string {
	if e, ok := parseHostport(scheme, host); ok {
		return e.Origin()
	}
	return scheme + "://" + host
}

// preflight answers a CORS preflight at the proxy with 204, or 403 when the
// page asks for a method or header the proxy would not pass on.
func (p *Proxy) preflight(in Incoming, rt route, x *Exchange) *Response {
	method := in.Header.Get("Access-Control-Request-Method")
	refuse := func(msg string) *Response {
		resp := x.errorResponse(&proxyError{http.StatusForbidden, CodeCORSRequestRefused, msg})
		resp.Header.Add("Vary", "Access-Control-Request-Method")
		resp.Header.Add("Vary", "Access-Control-Request-Headers")
		resp.Header.Del("Access-Control-Expose-Headers")
		return resp
	}
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete:
		if rt.getOnly && method != http.MethodGet {
			return refuse("An operation URL without /v1 takes GET only; not " + quote(method) + ".")
		}
	default:
		return refuse("The proxy passes on " + allowMethods + "; not " + quote(method) + ".")
	}
	allowed := append([]string(nil), allowHeaders...)
	seen := map[string]bool{}
	for _, line := range in.Header.Values("Access-Control-Request-Headers") {
		for _, name := range strings.Split(line, ",") {
			name = strings.ToLower(strings.TrimSpace(name))
			switch {
			case name == "" || seen[name]:
			case isAllowedHeader(name) && !strings.HasPrefix(name, "x-ms-"):
			case strings.HasPrefix(name, "x-ms-") && validToken(name):
				allowed = append(allowed, name) // echo: "x-ms-*" is no valid header value
			default:
				return refuse("The proxy passes on the request headers Authorization, Content-Type, Accept, If-Match, If-None-Match and x-ms-*; not " + quote(name) + ".")
			}
			seen[name] = true
		}
	}
	h := x.corsHeader()
	h.Add("Vary", "Access-Control-Request-Method")
	h.Add("Vary", "Access-Control-Request-Headers")
	h.Del("Access-Control-Expose-Headers")
	h.Set("Access-Control-Allow-Methods", allowMethods)
	h.Set("Access-Control-Allow-Headers", strings.Join(allowed, ", "))
	h.Set("Access-Control-Max-Age", p.s.maxAge)
	return &Response{Status: http.StatusNoContent, Header: h}
}

func isAllowedHeader(lower string) bool {
	if strings.HasPrefix(lower, "x-ms-") {
		return true
	}
	for _, a := range allowHeaders {
		if strings.EqualFold(a, lower) {
			return true
		}
	}
	return false
}

// validToken reports whether s is an HTTP token (RFC 9110 section 5.6.2).
func validToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0) {
			return false
		}
	}
	return true
}

// forward sends the request upstream with net/http and streams the answer back.
func (p *Proxy) forward(w http.ResponseWriter, r *http.Request, x *Exchange) {
	var body *limitedBody
	if x.SendBody {
		var perr *proxyError
		body, perr = requestBody(r, x.MaxBody)
		if perr != nil {
			resp := x.errorResponse(perr)
			p.log(x, resp.Status)
			resp.write(w)
			return
		}
	}
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	out, err := http.NewRequestWithContext(ctx, x.Method, x.URL, nil)
	if err != nil { // unreachable: resolve only builds valid URLs
		resp := x.errorResponse(errBadPath("the URL could not be built"))
		p.log(x, resp.Status)
		resp.write(w)
		return
	}
	out.URL = x.url // keep RawPath and the query exactly as sent
	if body != nil {
		out.Body = body
		out.ContentLength = body.length
	}
	out.Header = x.Header

	resp, err := p.roundTrip(ctx, cancel, out)
	if err != nil {
		var why Failure
		switch {
		case body != nil && body.exceeded.Load():
			why = FailTooLarge
		case errors.Is(err, errTimeout):
			why = FailTimeout
		case r.Context().Err() != nil:
			why = FailCanceled
		default:
			why = FailUnreachable
			// Only the cause is logged: the error's URL would carry the query.
			var uerr *url.Error
			if errors.As(err, &uerr) {
				err = uerr.Err
			}
		}
		if answer := p.Fail(x, why, err); answer != nil {
			answer.write(w)
		}
		return
	}
	defer resp.Body.Close()

	answer, passBody := p.Finish(x, resp.StatusCode, resp.Header)
	if !passBody {
		answer.write(w)
		return
	}
	h := w.Header()
	for name, values := range answer.Header {
		h[name] = values
	}
	w.WriteHeader(answer.Status)
	if _, err := io.Copy(w, resp.Body); err != nil {
		p.s.logger.Warn("fabric proxy: response body cut short", "requestId", x.st.requestID, "error", err.Error())
	}
}

var errTimeout = errors.New("upstream timeout")

// roundTrip runs the transport and stops waiting after the timeout even if
// the transport ignores the context (the Worker's fetch does). Only the wait
// for the response headers is bounded; the body streams without a deadline.
func (p *Proxy) roundTrip(ctx context.Context, cancel context.CancelFunc, out *http.Request) (*http.Response, error) {
	done := make(chan roundTripResult, 1)
	go func() {
		resp, err := p.s.transport.RoundTrip(out)
		done <- roundTripResult{resp, err}
	}()
	timer := time.NewTimer(p.s.timeout)
	defer timer.Stop()
	select {
	case res := <-done:
		return res.resp, res.err
	case <-timer.C:
		cancel()
		go drain(done)
		return nil, errTimeout
	case <-ctx.Done():
		go drain(done)
		return nil, ctx.Err()
	}
}

type roundTripResult struct {
	resp *http.Response
	err  error
}

// drain closes the body of an answer that came too late.
func drain(done <-chan roundTripResult) {
	if res := <-done; res.resp != nil {
		res.resp.Body.Close()
	}
}

func errTooLarge(limit int64) *proxyError {
	return &proxyError{http.StatusRequestEntityTooLarge, CodeRequestTooLarge,
		"The request body is larger than this proxy's limit of " + strconv.FormatInt(limit, 10) + " bytes (" + EnvMaxBodyBytes + ")."}
}

// limitedBody passes a request body on and fails once it exceeds the limit.
type limitedBody struct {
	r        io.Reader
	c        io.Closer
	left     int64
	length   int64 // declared length, or -1 when unknown
	exceeded atomic.Bool
}

// Read reads up to one byte past the limit, so an exact-limit body passes and
// a longer one fails (and is marked exceeded) before it is sent on in full.
func (b *limitedBody) Read(p []byte) (int, error) {
	if b.left < 0 {
		b.exceeded.Store(true)
		return 0, errors.New("request body exceeds " + EnvMaxBodyBytes)
	}
	if int64(len(p)) > b.left+1 {
		p = p[:b.left+1]
	}
	n, err := b.r.Read(p)
	b.left -= int64(n)
	if b.left < 0 {
		b.exceeded.Store(true)
		return 0, errors.New("request body exceeds " + EnvMaxBodyBytes)
	}
	return n, err
}

// Close closes the caller's body.
func (b *limitedBody) Close() error { return b.c.Close() }

// requestBody returns the body to send upstream, or nil for none. A declared
// length within the limit streams (the HTTP server holds the caller to it;
// Begin refused one over it).
func requestBody(r *http.Request, maxBody int64) (*limitedBody, *proxyError) {
	if r.Body == nil || r.Body == http.NoBody {
		return nil, nil
	}
	if r.ContentLength > 0 {
		return &limitedBody{r: r.Body, c: r.Body, left: maxBody, length: r.ContentLength}, nil
	}
	// Unknown length (chunked): read it all, up to one byte past the limit, so a
	// body over the limit never reaches the upstream, not even in part, and an
	// empty one is sent as none. (The Worker's worker.mjs does the same.)
	buf, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	switch {
	case int64(len(buf)) > maxBody:
		return nil, errTooLarge(maxBody)
	case err != nil:
		return nil, &proxyError{http.StatusBadRequest, CodeInvalidRequestBody, "The request body could not be read: " + err.Error() + "."}
	case len(buf) == 0:
		return nil, nil
	}
	return &limitedBody{r: bytes.NewReader(buf), c: r.Body, left: maxBody, length: int64(len(buf))}, nil
}

// connectionHeaders is the set of header names (lower case) a Connection
// header lists; nil when there is none, the usual case.
func connectionHeaders(h http.Header) map[string]bool {
	var m map[string]bool
	for _, v := range h.Values("Connection") {
		if m == nil {
			m = map[string]bool{}
		}
		for _, name := range strings.Split(v, ",") {
			if name = strings.ToLower(strings.TrimSpace(name)); name != "" {
				m[name] = true
			}
		}
	}
	return m
}

func isHop(name string) bool {
	for _, h := range hopHeaders {
		if strings.EqualFold(h, name) {
			return true
		}
	}
	return false
}

// logPath is a request target's path without its query.
func logPath(target string) string {
	path, _, _ := strings.Cut(target, "?")
	if len(path) > 200 {
		path = path[:200] + "..."
	}
	return path
}
