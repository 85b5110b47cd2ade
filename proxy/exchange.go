package proxy

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Incoming is what the proxy reads of a request, however it arrived: from
// net/http (ServeHTTP) or from the Worker's JavaScript. Bodies are not part
// of it; whoever moves the bytes moves the body.
type Incoming struct {
	// Method is the request method, e.g. "GET".
	Method string
	// Target is the path and query exactly as the caller sent them, e.g.
	// "/v1/workspaces?continuationToken=a%2Bb".
	Target string
	// Self is the proxy's origin as the caller reached it (see SelfOrigin),
	// used to rewrite Location and to recognise the proxy's own pages. It is
	// ignored when Config.PublicURL is set.
	Self string
	// Header holds the request's headers.
	Header http.Header
	// ContentLength is the body's declared length, or -1 when unknown.
	ContentLength int64
}

// Response is an answer to send: status, headers, and the body the proxy
// wrote itself (nil when there is none or when the upstream's body follows).
type Response struct {
	// Status is the HTTP status code.
	Status int
	// Header holds the response headers.
	Header http.Header
	// Body is the proxy's own body, a Fabric ErrorResponse for its errors.
	Body []byte
}

// write sends r with net/http.
func (r *Response) write(w http.ResponseWriter) {
	h := w.Header()
	for name, values := range r.Header {
		h[name] = values
	}
	if r.Status == statusCanceled {
		return // log-only: the caller has gone
	}
	w.WriteHeader(r.Status)
	if len(r.Body) > 0 {
		_, _ = w.Write(r.Body)
	}
}

// Exchange is a request the proxy forwards: the upstream request to make, and
// what Finish and Fail need to answer the caller. Its text form (MarshalText)
// carries that state through a caller that cannot hold Go values between
// calls: the Worker's JavaScript.
type Exchange struct {
	// Method is the upstream request's method.
	Method string
	// URL is the upstream URL, its path and query byte for byte as the caller sent them.
	URL string
	// Header holds the headers to send upstream (the allowed ones only).
	Header http.Header
	// SendBody says whether the caller's body goes along (never for GET and
	// HEAD). At most MaxBody bytes may be sent; past that, Fail(FailTooLarge).
	SendBody bool
	// MaxBody is the largest body to send, Config.MaxBodyBytes.
	MaxBody int64
	// Timeout bounds the wait for the upstream's response headers; past it,
	// Fail(FailTimeout).
	Timeout time.Duration

	url *url.URL // URL, parsed with RawPath kept
	st  exchangeState
}

// exchangeState is what Finish and Fail read; MarshalText carries it.
type exchangeState struct {
	requestID string
	start     time.Time
	method    string
	path      string // for the log: no query
	url       string // the upstream URL: base of a relative Location
	self      string // the proxy's origin, for Location
	origin    string // the caller's allowed Origin, echoed; "" for none
}

// stateFields is how many fields the text form has.
const stateFields = 7

// MarshalText encodes the state Finish and Fail need (not the upstream
// request), as NUL-separated fields: none of them can hold a NUL.
func (x *Exchange) MarshalText() ([]byte, error) {
	st := x.st
	return []byte(strings.Join([]string{
		st.requestID, strconv.FormatInt(st.start.UnixNano(), 10), st.method, st.path, st.url, st.self, st.origin,
	}, "\x00")), nil
}

// UnmarshalText restores what MarshalText encoded.
func (x *Exchange) UnmarshalText(b []byte) error {
	f := strings.Split(string(b), "\x00")
	if len(f) != stateFields {
		return errors.New("proxy: not an exchange's text form")
	}
	nanos, err := strconv.ParseInt(f[1], 10, 64)
	if err != nil {
		return errors.New("proxy: not an exchange's text form")
	}
	x.st = exchangeState{requestID: f[0], start: time.Unix(0, nanos), method: f[2], path: f[3], url: f[4], self: f[5], origin: f[6]}
	x.Method, x.URL = f[2], f[4]
	return nil
}

// Failure is why no upstream response came, for Fail.
type Failure int

// The failures Fail answers.
const (
	// FailUnreachable: the upstream could not be reached (DNS, connection, TLS): 502.
	FailUnreachable Failure = iota
	// FailTimeout: no response headers within Exchange.Timeout: 504.
	FailTimeout
	// FailTooLarge: the body grew past Exchange.MaxBody while it was sent: 413.
	FailTooLarge
	// FailCanceled: the caller went away; nothing is sent, 499 is logged.
	FailCanceled
)

// statusCanceled is the log-only status of a request whose caller went away.
const statusCanceled = 499

// Fail answers a forwarded request that got no upstream response, and logs
// it; err is the cause, for the operator's log only (never the page's).
// For FailCanceled the Response is nil: nobody reads it.
func (p *Proxy) Fail(x *Exchange, why Failure, err error) *Response {
	host := upstreamHost(x.st.url)
	var resp *Response
	switch why {
	case FailTooLarge:
		resp = x.errorResponse(errTooLarge(p.s.maxBody))
	case FailTimeout:
		resp = x.errorResponse(&proxyError{http.StatusGatewayTimeout, CodeUpstreamTimeout,
			"The Fabric API at " + host + " did not answer within " + p.s.timeout.String() + " (" + EnvUpstreamTimeout + "); try again later."})
	case FailCanceled:
		p.log(x, statusCanceled)
		return nil
	default:
		detail := "unknown error"
		if err != nil {
			detail = err.Error()
		}
		p.s.logger.Warn("fabric proxy: upstream unreachable", "requestId", x.st.requestID, "upstream", host, "error", detail)
		resp = x.errorResponse(&proxyError{http.StatusBadGateway, CodeUpstreamUnreachable,
			"The Fabric API at " + host + " could not be reached; check " + EnvUpstream + " and try again."})
	}
	p.log(x, resp.Status)
	return resp
}

// Finish turns the upstream's status and headers into the answer, and logs
// it. With passBody true the caller sends Response's status and headers with
// the upstream's body; with false it sends Response as it is (the upstream's
// Location could not be pointed at the proxy: 502) and drops the upstream's
// body.
func (p *Proxy) Finish(x *Exchange, status int, upstream http.Header) (resp *Response, passBody bool) {
	host := upstreamHost(x.st.url)
	location := ""
	if loc := upstream.Get("Location"); loc != "" {
		base, err := url.Parse(x.st.url)
		ok := err == nil
		if ok {
			location, ok = p.s.rewriteLocation(loc, base, x.st.self)
		}
		if !ok {
			p.s.logger.Warn("fabric proxy: upstream Location cannot be rewritten to the proxy", "requestId", x.st.requestID,
				"upstream", host, "status", status, "locationBytes", len(loc))
			resp = x.errorResponse(&proxyError{http.StatusBadGateway, CodeUpstreamLocationInvalid,
				"The Fabric API at " + host + " answered " + strconv.Itoa(status) +
					" with a Location the proxy cannot point at itself (not an http(s) URL on a host name or IPv4 address), so it was not passed on; check " +
					EnvUpstream + " and report the request id."})
			p.log(x, resp.Status)
			return resp, false
		}
	}

	h := x.corsHeader()
	respConn := connectionHeaders(upstream)
	for name, values := range upstream {
		if dropResponseHeader(name, respConn) {
			continue
		}
		h[name] = append(h[name], values...)
	}
	for _, v := range upstream.Values("Vary") {
		h.Add("Vary", v)
	}
	if upstream.Get("Content-Encoding") != "" {
		// The length may not be the body's: workerd's fetch decodes gzip but keeps
		// the upstream's Content-Length (and Content-Encoding, by which it encodes
		// the body again on the way out). Stream without a length instead.
		h.Del("Content-Length")
	}
	if location != "" {
		h.Set("Location", location)
	}
	p.log(x, status)
	return &Response{Status: status, Header: h}, true
}

// dropResponseHeader reports whether an upstream response header stays
// behind: hop-by-hop ones (and those its Connection lists), cookies, CORS
// headers (the proxy makes its own) and Vary (merged separately). It compares
// without allocating: this runs for every header of every response.
func dropResponseHeader(name string, conn map[string]bool) bool {
	if isHop(name) || strings.EqualFold(name, "Set-Cookie") || strings.EqualFold(name, "Set-Cookie2") ||
		strings.EqualFold(name, "Vary") ||
		len(name) >= len("access-control-") && strings.EqualFold(name[:len("access-control-")], "access-control-") {
		return true
	}
	return conn != nil && conn[strings.ToLower(name)]
}

// corsHeader starts the headers of every answer: Vary: Origin always, and for
// an allowed Origin the echo and the headers a page may read.
func (x *Exchange) corsHeader() http.Header {
	h := http.Header{"Vary": {"Origin"}}
	if x.st.origin != "" {
		h.Set("Access-Control-Allow-Origin", x.st.origin)
		h.Set("Access-Control-Expose-Headers", exposeHeaders)
	}
	return h
}

// errorResponse is e as a Fabric ErrorResponse, with the CORS headers.
func (x *Exchange) errorResponse(e *proxyError) *Response {
	h := x.corsHeader()
	body, _ := json.Marshal(ErrorResponse{ErrorCode: e.code, Message: e.message, RequestID: x.st.requestID})
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
	h.Set("x-ms-public-api-error-code", e.code)
	h.Set("requestId", x.st.requestID)
	return &Response{Status: e.status, Header: h, Body: body}
}

// log writes the one line per request: method, path (no query), status,
// duration, upstream host, request id; never a header. It hands the record to
// the handler itself: slog.Logger.Info would walk the stack for the caller's
// source position on every request, which in the Worker's WebAssembly costs
// more than the rest of the line.
func (p *Proxy) log(x *Exchange, status int) {
	h := p.s.logger.Handler()
	ctx := context.Background()
	if !h.Enabled(ctx, slog.LevelInfo) {
		return
	}
	now := time.Now()
	r := slog.NewRecord(now, slog.LevelInfo, "fabric proxy", 0)
	r.AddAttrs(
		slog.String("method", x.st.method),
		slog.String("path", x.st.path),
		slog.Int("status", status),
		slog.String("duration", now.Sub(x.st.start).Round(time.Microsecond).String()),
		slog.String("upstream", upstreamHost(x.st.url)),
		slog.String("requestId", x.st.requestID),
	)
	_ = h.Handle(ctx, r)
}

// upstreamHost is the host[:port] of an upstream URL, "" for none.
func upstreamHost(u string) string {
	_, rest, ok := strings.Cut(u, "://")
	if !ok {
		return ""
	}
	host, _, _ := strings.Cut(rest, "/")
	host, _, _ = strings.Cut(host, "?")
	return host
}
