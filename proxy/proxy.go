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
// streamed back. It logs one line per request.
func (p *Proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	rec := &statusWriter{ResponseWriter: w}
	requestID := newRequestID()
	var upstream string
	defer func() {
		p.s.logger.Info("fabric proxy",
			"method", r.Method,
			"path", logPath(r),
			"status", rec.status(),
			"duration", time.Since(start).Round(time.Microsecond).String(),
			"upstream", upstream,
			"requestId", requestID)
	}()
	upstream = p.serve(rec, r, requestID)
}

// serve does the work of ServeHTTP and returns the upstream host, if any.
func (p *Proxy) serve(w http.ResponseWriter, r *http.Request, requestID string) string {
	h := w.Header()
	h.Add("Vary", "Origin")
	proxyOrigin := p.proxyOrigin(r)

	origins := r.Header.Values("Origin")
	if len(origins) > 1 {
		writeError(w, &proxyError{http.StatusForbidden, CodeOriginNotAllowed, "The request has more than one Origin header."}, requestID)
		return ""
	}
	if len(origins) == 1 {
		origin := origins[0]
		if !p.originAllowed(origin, proxyOrigin) {
			writeError(w, &proxyError{http.StatusForbidden, CodeOriginNotAllowed,
				"The origin " + quote(origin) + " may not use this proxy; add it to " + EnvAllowedOrigins + " (comma-separated) and restart or redeploy the proxy."}, requestID)
			return ""
		}
		h.Set("Access-Control-Allow-Origin", origin)
		h.Set("Access-Control-Expose-Headers", exposeHeaders)
	}

	rt, perr := p.s.resolve(requestTarget(r))
	if perr == nil {
		perr = checkHeaders(r.Header)
	}
	if perr != nil {
		writeError(w, perr, requestID)
		return ""
	}

	if r.Method == http.MethodOptions && len(origins) == 1 && r.Header.Get("Access-Control-Request-Method") != "" {
		p.preflight(w, r, rt, requestID)
		return ""
	}
	switch r.Method {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete:
		if rt.getOnly && r.Method != http.MethodGet {
			h.Set("Allow", http.MethodGet)
			writeError(w, &proxyError{http.StatusMethodNotAllowed, CodeMethodNotAllowed,
				"An operation URL without /v1 takes GET only; not " + quote(r.Method) + "."}, requestID)
			return ""
		}
	default:
		h.Set("Allow", "GET, HEAD, POST, PUT, PATCH, DELETE")
		writeError(w, &proxyError{http.StatusMethodNotAllowed, CodeMethodNotAllowed,
			"The Fabric REST API takes " + allowMethods + "; not " + quote(r.Method) + "."}, requestID)
		return ""
	}
	return p.forward(w, r, rt, proxyOrigin, requestID)
}

// maxHeaderBytes bounds the headers forwarded upstream (names, values and
// separators): a Fabric token is a few KiB; 32 KiB leaves room and keeps a
// caller from using the proxy to send the upstream oversized requests.
const maxHeaderBytes = 32 << 10

// checkHeaders refuses a request with more than one Authorization header or one
// that is not a single credential (a comma is how runtimes join duplicates),
// and one whose headers to forward are over maxHeaderBytes.
func checkHeaders(h http.Header) *proxyError {
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
	if e, ok := parseHostport(scheme, host); ok {
		return e.Origin()
	}
	return scheme + "://" + host
}

// preflight answers a CORS preflight at the proxy with 204, or 403 when the
// page asks for a method or header the proxy would not pass on.
func (p *Proxy) preflight(w http.ResponseWriter, r *http.Request, rt route, requestID string) {
	h := w.Header()
	h.Add("Vary", "Access-Control-Request-Method")
	h.Add("Vary", "Access-Control-Request-Headers")
	h.Del("Access-Control-Expose-Headers")
	method := r.Header.Get("Access-Control-Request-Method")
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete:
		if rt.getOnly && method != http.MethodGet {
			writeError(w, &proxyError{http.StatusForbidden, CodeCORSRequestRefused,
				"An operation URL without /v1 takes GET only; not " + quote(method) + "."}, requestID)
			return
		}
	default:
		writeError(w, &proxyError{http.StatusForbidden, CodeCORSRequestRefused,
			"The proxy passes on " + allowMethods + "; not " + quote(method) + "."}, requestID)
		return
	}
	allowed := append([]string(nil), allowHeaders...)
	seen := map[string]bool{}
	for _, line := range r.Header.Values("Access-Control-Request-Headers") {
		for _, name := range strings.Split(line, ",") {
			name = strings.ToLower(strings.TrimSpace(name))
			switch {
			case name == "" || seen[name]:
			case isAllowedHeader(name) && !strings.HasPrefix(name, "x-ms-"):
			case strings.HasPrefix(name, "x-ms-") && validToken(name):
				allowed = append(allowed, name) // echo: "x-ms-*" is no valid header value
			default:
				writeError(w, &proxyError{http.StatusForbidden, CodeCORSRequestRefused,
					"The proxy passes on the request headers Authorization, Content-Type, Accept, If-Match, If-None-Match and x-ms-*; not " + quote(name) + "."}, requestID)
				return
			}
			seen[name] = true
		}
	}
	h.Set("Access-Control-Allow-Methods", allowMethods)
	h.Set("Access-Control-Allow-Headers", strings.Join(allowed, ", "))
	h.Set("Access-Control-Max-Age", p.s.maxAge)
	w.WriteHeader(http.StatusNoContent)
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

// forward sends the request upstream and streams the answer back.
func (p *Proxy) forward(w http.ResponseWriter, r *http.Request, rt route, proxyOrigin, requestID string) string {
	upURL := rt.url()
	body, contentLength, perr := p.requestBody(r)
	if perr != nil {
		writeError(w, perr, requestID)
		return upURL.Host
	}
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	out, err := http.NewRequestWithContext(ctx, r.Method, upURL.String(), nil)
	if err != nil { // unreachable: resolve only builds valid URLs
		writeError(w, errBadPath("the URL could not be built"), requestID)
		return upURL.Host
	}
	out.URL = upURL // keep RawPath and the query exactly as sent
	if body != nil {
		out.Body = body
		out.ContentLength = contentLength
	}
	connHeaders := connectionHeaders(r.Header)
	for name, values := range r.Header {
		lower := strings.ToLower(name)
		if isAllowedHeader(lower) && !connHeaders[lower] {
			out.Header[name] = append([]string(nil), values...)
		}
	}
	out.Header.Set("User-Agent", "fabric-lro-proxy")

	resp, err := p.roundTrip(ctx, cancel, out)
	if err != nil {
		switch {
		case body != nil && body.exceeded.Load():
			writeError(w, errTooLarge(p.s.maxBody), requestID)
		case errors.Is(err, errTimeout):
			writeError(w, &proxyError{http.StatusGatewayTimeout, CodeUpstreamTimeout,
				"The Fabric API at " + upURL.Host + " did not answer within " + p.s.timeout.String() + " (" + EnvUpstreamTimeout + "); try again later."}, requestID)
		case r.Context().Err() != nil:
			// The caller went away; nobody reads the answer. 499 in the log.
			w.WriteHeader(499)
		default:
			// The detail (a dial or TLS error) is for the operator's log, not the page.
			// Only the cause is logged: the error's URL would carry the query.
			var uerr *url.Error
			if errors.As(err, &uerr) {
				err = uerr.Err
			}
			p.s.logger.Warn("fabric proxy: upstream unreachable", "requestId", requestID, "upstream", upURL.Host, "error", err.Error())
			writeError(w, &proxyError{http.StatusBadGateway, CodeUpstreamUnreachable,
				"The Fabric API at " + upURL.Host + " could not be reached; check " + EnvUpstream + " and try again."}, requestID)
		}
		return upURL.Host
	}
	defer resp.Body.Close()

	location := ""
	if loc := resp.Header.Get("Location"); loc != "" {
		var ok bool
		if location, ok = p.s.rewriteLocation(loc, upURL, proxyOrigin); !ok {
			p.s.logger.Warn("fabric proxy: upstream Location cannot be rewritten to the proxy", "requestId", requestID,
				"upstream", upURL.Host, "status", resp.StatusCode, "locationBytes", len(loc))
			writeError(w, &proxyError{http.StatusBadGateway, CodeUpstreamLocationInvalid,
				"The Fabric API at " + upURL.Host + " answered " + strconv.Itoa(resp.StatusCode) +
					" with a Location the proxy cannot point at itself (not an http(s) URL on a host name or IPv4 address), so it was not passed on; check " +
					EnvUpstream + " and report the request id."}, requestID)
			return upURL.Host
		}
	}

	h := w.Header()
	respConn := connectionHeaders(resp.Header)
	for name, values := range resp.Header {
		lower := strings.ToLower(name)
		if respConn[lower] || isHop(name) || lower == "set-cookie" || lower == "set-cookie2" ||
			strings.HasPrefix(lower, "access-control-") || lower == "vary" {
			continue
		}
		h[name] = append(h[name], values...)
	}
	for _, v := range resp.Header.Values("Vary") {
		h.Add("Vary", v)
	}
	if resp.Header.Get("Content-Encoding") != "" {
		// The length may not be the body's: workerd's fetch decodes gzip but keeps
		// the upstream's Content-Length (and Content-Encoding, by which it encodes
		// the body again on the way out). Stream without a length instead.
		h.Del("Content-Length")
	}
	if location != "" {
		h.Set("Location", location)
	}
	w.WriteHeader(resp.StatusCode)
	if _, err := io.Copy(w, resp.Body); err != nil {
		p.s.logger.Warn("fabric proxy: response body cut short", "requestId", requestID, "error", err.Error())
	}
	return upURL.Host
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

// requestBody returns the body to send upstream, or nil for none. GET and
// HEAD never carry one. A declared length over the limit gets 413 at once; a
// declared length within it streams (the HTTP server holds the caller to it).
func (p *Proxy) requestBody(r *http.Request) (*limitedBody, int64, *proxyError) {
	if r.Body == nil || r.Body == http.NoBody || r.Method == http.MethodGet || r.Method == http.MethodHead {
		return nil, 0, nil
	}
	if r.ContentLength > p.s.maxBody {
		return nil, 0, errTooLarge(p.s.maxBody)
	}
	if r.ContentLength > 0 {
		return &limitedBody{r: r.Body, c: r.Body, left: p.s.maxBody}, r.ContentLength, nil
	}
	// Unknown length (chunked; the Worker never knows it): read it all, up to
	// one byte past the limit, so a body over the limit never reaches the
	// upstream, not even in part, and an empty one is sent as none.
	buf, err := io.ReadAll(io.LimitReader(r.Body, p.s.maxBody+1))
	switch {
	case int64(len(buf)) > p.s.maxBody:
		return nil, 0, errTooLarge(p.s.maxBody)
	case err != nil:
		return nil, 0, &proxyError{http.StatusBadRequest, CodeInvalidRequestBody, "The request body could not be read: " + err.Error() + "."}
	case len(buf) == 0:
		return nil, 0, nil
	}
	return &limitedBody{r: bytes.NewReader(buf), c: r.Body, left: p.s.maxBody}, int64(len(buf)), nil
}

func connectionHeaders(h http.Header) map[string]bool {
	m := map[string]bool{}
	for _, v := range h.Values("Connection") {
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

// logPath is the request's path without its query.
func logPath(r *http.Request) string {
	path, _, _ := strings.Cut(requestTarget(r), "?")
	if len(path) > 200 {
		path = path[:200] + "..."
	}
	return path
}

// statusWriter remembers the status written, for the log line.
type statusWriter struct {
	http.ResponseWriter
	code int
}

// WriteHeader remembers the first status and passes it on, except the
// log-only 499.
func (s *statusWriter) WriteHeader(code int) {
	if s.code == 0 {
		s.code = code
	}
	if code == 499 { // log-only status: the caller has gone
		return
	}
	s.ResponseWriter.WriteHeader(code)
}

// Write passes b on; without an earlier WriteHeader the status is 200.
func (s *statusWriter) Write(b []byte) (int, error) {
	if s.code == 0 {
		s.code = http.StatusOK
	}
	return s.ResponseWriter.Write(b)
}

func (s *statusWriter) status() int {
	if s.code == 0 {
		return http.StatusOK
	}
	return s.code
}

// Flush passes on to the underlying writer when it can flush.
func (s *statusWriter) Flush() {
	if f, ok := s.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (s *statusWriter) Unwrap() http.ResponseWriter { return s.ResponseWriter }
