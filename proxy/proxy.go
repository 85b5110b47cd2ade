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
	"net/http"
	"strings"
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
	if perr := p.checkOrigin(origins, x); perr != nil {
		return x.errorResponse(perr)
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
	if resp := refuseMethod(in.Method, rt, x); resp != nil {
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
	x.Header = forwardedHeaders(in.Header)
	return nil
}

// checkOrigin accepts a request without Origin or with one allowed Origin, which x then
// answers CORS for.
func (p *Proxy) checkOrigin(origins []string, x *Exchange) *proxyError {
	switch {
	case len(origins) > 1:
		return &proxyError{http.StatusForbidden, CodeOriginNotAllowed, "The request has more than one Origin header."}
	case len(origins) == 1 && !p.originAllowed(origins[0], x.st.self):
		return &proxyError{http.StatusForbidden, CodeOriginNotAllowed,
			"The origin " + quote(origins[0]) + " may not use this proxy; add it to " + EnvAllowedOrigins + " (comma-separated) and restart or redeploy the proxy."}
	case len(origins) == 1:
		x.st.origin = origins[0]
	}
	return nil
}

// refuseMethod is the 405 answer to a method the Fabric REST API does not take, or to one
// other than GET on an operation URL without /v1; nil for a method to forward.
func refuseMethod(method string, rt route, x *Exchange) *Response {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete:
		if !rt.getOnly || method == http.MethodGet {
			return nil
		}
		resp := x.errorResponse(&proxyError{http.StatusMethodNotAllowed, CodeMethodNotAllowed,
			"An operation URL without /v1 takes GET only; not " + quote(method) + "."})
		resp.Header.Set("Allow", http.MethodGet)
		return resp
	}
	resp := x.errorResponse(&proxyError{http.StatusMethodNotAllowed, CodeMethodNotAllowed,
		"The Fabric REST API takes " + allowMethods + "; not " + quote(method) + "."})
	resp.Header.Set("Allow", "GET, HEAD, POST, PUT, PATCH, DELETE")
	return resp
}

// logPath is a request target's path without its query.
func logPath(target string) string {
	path, _, _ := strings.Cut(target, "?")
	if len(path) > 200 {
		path = path[:200] + "..."
	}
	return path
}
