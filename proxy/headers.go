package proxy

// The request headers the proxy forwards, and those it never forwards either way.

import (
	"net/http"
	"strconv"
	"strings"
)

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

// forwardedHeaders are the request headers sent upstream: copies of the allowed ones that
// Connection does not name, and the proxy's User-Agent.
func forwardedHeaders(in http.Header) http.Header {
	out := http.Header{}
	connHeaders := connectionHeaders(in)
	for name, values := range in {
		lower := strings.ToLower(name)
		if isAllowedHeader(lower) && !connHeaders[lower] {
			out[name] = append([]string(nil), values...)
		}
	}
	out.Set("User-Agent", "fabric-lro-proxy")
	return out
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
