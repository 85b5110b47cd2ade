package proxy

// CORS: which origins may call the proxy, and the answer to a preflight.

import (
	"net/http"
	"net/netip"
	"strings"
)

// exposeHeaders are the response headers a page may read. Without them a
// browser hides Location, x-ms-operation-id and Retry-After, and a page cannot
// follow a long-running operation.
const exposeHeaders = "Location, Retry-After, ETag, x-ms-operation-id, x-ms-job-id, " +
	"x-ms-public-api-error-code, requestId, x-ms-request-id, deployment-id"

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
