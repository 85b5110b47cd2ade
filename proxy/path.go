package proxy

import (
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"
)

// RegionalPrefix starts the proxy path of a regional Fabric host:
// /_fabric/{scheme}/{host[:port]}/v1/... is forwarded to
// {scheme}://{host[:port]}/v1/... when that host matches Config.RedirectHosts.
// The proxy writes these paths itself when it rewrites a Location header.
// The operation paths without /v1 (see below) are accepted here too.
const RegionalPrefix = "/_fabric/"

// Besides /v1/..., the proxy forwards exactly two paths, for GET only: the
// long-running-operation URLs as Fabric's own examples write them, without
// /v1 (Location: https://api.fabric.microsoft.com/operations/{id} in the
// spec's GetLongRunningOperationState examples):
//
//	GET /operations/{operationId}
//	GET /operations/{operationId}/result
//
// A Location on the upstream is rewritten to {proxy} plus its path as given,
// so a browser can follow such a Location through the proxy; no /v1 is added.

// route is where one request goes.
type route struct {
	target   endpoint
	rawPath  string // as sent upstream, byte for byte
	rawQuery string
	hasQuery bool // the request had a "?" (possibly with an empty query)
	getOnly  bool // an operation path without /v1: GET only
}

func (rt route) url() *url.URL {
	path, _ := url.PathUnescape(rt.rawPath) // checkPath made sure it decodes
	return &url.URL{
		Scheme:     rt.target.Scheme,
		Host:       rt.target.HostPort(),
		Path:       path,
		RawPath:    rt.rawPath,
		RawQuery:   rt.rawQuery,
		ForceQuery: rt.hasQuery && rt.rawQuery == "",
	}
}

// requestTarget is the request's path and query as the caller sent them:
// RequestURI natively, the parsed URL in the Worker (which has no RequestURI).
func requestTarget(r *http.Request) string {
	if r.RequestURI != "" {
		return r.RequestURI
	}
	if r.URL == nil {
		return ""
	}
	u := *r.URL
	u.Scheme, u.Host, u.User, u.Fragment, u.RawFragment = "", "", nil, "", ""
	if u.Opaque != "" {
		return u.Opaque
	}
	return u.RequestURI()
}

// resolve maps a request target to a route, or to the error the caller gets.
func (s *settings) resolve(target string) (route, *proxyError) {
	if target == "" || target[0] != '/' {
		return route{}, errBadPath("the request target must be a path starting with /v1/, not an absolute URL or authority")
	}
	rawPath, rawQuery, hasQuery := strings.Cut(target, "?")
	if perr := checkPath(rawPath); perr != nil {
		return route{}, perr
	}
	if perr := checkQuery(rawQuery); perr != nil {
		return route{}, perr
	}
	rt := route{rawQuery: rawQuery, hasQuery: hasQuery}
	switch {
	case rawPath == "/v1" || strings.HasPrefix(rawPath, "/v1/"):
		rt.target = s.upstream
		rt.rawPath = s.basePath + rawPath
		return rt, nil
	case isOperationPath(rawPath):
		rt.target = s.upstream
		rt.rawPath = s.basePath + rawPath
		rt.getOnly = true
		return rt, nil
	case strings.HasPrefix(rawPath, RegionalPrefix):
		rest := rawPath[len(RegionalPrefix):]
		scheme, rest, _ := strings.Cut(rest, "/")
		hostport, rest, _ := strings.Cut(rest, "/")
		rest = "/" + rest
		if scheme != "http" && scheme != "https" {
			return route{}, errBadPath("a regional path is " + RegionalPrefix + "{http|https}/{host}/v1/...")
		}
		e, ok := parseHostport(scheme, hostport)
		if !ok {
			return route{}, errBadPath("the host in a regional path must be a plain host name with an optional port, not " + quote(hostport))
		}
		if isOperationPath(rest) {
			rt.getOnly = true
		} else if rest != "/v1" && !strings.HasPrefix(rest, "/v1/") {
			return route{}, errNotFound()
		}
		if !s.redirectAllowed(e) {
			return route{}, errHostNotAllowed(e.Origin())
		}
		rt.target = e
		rt.rawPath = rest
		return rt, nil
	}
	first, _, _ := strings.Cut(rawPath[1:], "/")
	if strings.ContainsAny(first, "@:") {
		return route{}, errBadPath("the path must not name a user or host; it starts with /v1/")
	}
	return route{}, errNotFound()
}

// isOperationPath reports whether p (already checked by checkPath) is
// /operations/{id} or /operations/{id}/result, nothing more.
func isOperationPath(p string) bool {
	rest, ok := strings.CutPrefix(p, "/operations/")
	if !ok {
		return false
	}
	id, tail, _ := strings.Cut(rest, "/")
	return id != "" && (tail == "" && !strings.HasSuffix(rest, "/") || tail == "result")
}

func (s *settings) redirectAllowed(e endpoint) bool { return s.redirectHosts.Allows(e) }

// checkPath refuses every path a server or intermediary could read as
// something other than what it looks like: dot segments (also encoded),
// encoded slashes and backslashes, backslashes, empty segments (so no //host),
// double encoding (%25), control bytes, bytes that must be percent-encoded, and
// escapes that decode to invalid UTF-8 (overlong forms such as %c0%ae, a dot to
// a lenient decoder). What passes is forwarded byte for byte. Fabric paths are GUIDs and names,
// so none of this is ever needed by a real call.
func checkPath(p string) *proxyError {
	if strings.HasPrefix(p, "//") {
		return errBadPath("the path must not start with // (a host name)")
	}
	for i := 0; i < len(p); i++ {
		c := p[i]
		switch {
		case c == '\\':
			return errBadPath("the path must not contain a backslash")
		case c == '%':
			if i+2 >= len(p) || !isHex(p[i+1]) || !isHex(p[i+2]) {
				return errBadPath("the path has a % that is not followed by two hex digits")
			}
			switch b := unhex(p[i+1])<<4 | unhex(p[i+2]); {
			case b == '/' || b == '\\':
				return errBadPath("the path must not contain an encoded slash or backslash (%2F, %5C)")
			case b == '.':
				return errBadPath("the path must not contain an encoded dot (%2E)")
			case b == '%':
				return errBadPath("the path must not be encoded twice (%25)")
			case b < 0x20 || b == 0x7f:
				return errBadPath("the path must not contain control characters")
			}
			i += 2
		case !pathByte(c):
			return errBadPath("the path contains a character that must be percent-encoded")
		}
	}
	if decoded, err := url.PathUnescape(p); err != nil || !utf8.ValidString(decoded) {
		return errBadPath("the path's percent-escapes are not valid UTF-8 (an overlong or truncated sequence)")
	}
	segs := strings.Split(p, "/")
	for i, seg := range segs[1:] {
		name, _, _ := strings.Cut(seg, ";")
		if name == "." || name == ".." {
			return errBadPath("the path must not contain . or .. segments")
		}
		if seg == "" && i != len(segs)-2 { // an empty last segment is a trailing slash
			return errBadPath("the path must not contain an empty segment (//)")
		}
	}
	return nil
}

// pathByte reports whether c may appear unencoded in a path (RFC 3986 pchar
// and "/"): unreserved, sub-delims, ":" and "@".
func pathByte(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return strings.IndexByte("-._~!$&'()*+,;=:@/", c) >= 0
}

// checkQuery lets the query through untouched (continuation tokens arrive
// encoded already) but refuses bytes no HTTP request line may carry.
func checkQuery(q string) *proxyError {
	for i := 0; i < len(q); i++ {
		if c := q[i]; c <= ' ' || c >= 0x7f || c == '#' {
			return errBadPath("the query contains a space, control character, # or non-ASCII byte; percent-encode it")
		}
	}
	return nil
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case '0' <= c && c <= '9':
		return c - '0'
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10
	default:
		return c - 'A' + 10
	}
}

// rewriteLocation points an upstream Location at the proxy. loc is resolved
// against the upstream request's URL first, so relative Locations work too.
// A Location on the upstream (under its path prefix, if any) maps to {proxy}
// plus its path as given, byte for byte: /v1/... and the operation paths
// without /v1 are then forwarded, anything else gets the proxy's 404. Any other
// http(s) Location maps to {proxy}/_fabric/{scheme}/{host}/..., which the proxy
// forwards only if the host matches RedirectHosts.
//
// It reports false for a Location it cannot map onto the proxy: unparsable,
// not http(s), no host, userinfo (the engine refuses such a URL too), or a host
// that is no plain name or IPv4 address (an IPv6 literal, percent-encoding). Such a Location must not reach the page
// pointing past the proxy; the caller answers 502 UpstreamLocationInvalid.
// Fabric sends none of these.
func (s *settings) rewriteLocation(loc string, base *url.URL, proxyOrigin string) (string, bool) {
	u, err := base.Parse(loc)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
		return "", false
	}
	e, ok := parseHostport(u.Scheme, u.Host)
	if !ok {
		return "", false
	}
	path := u.EscapedPath()
	if path == "" {
		path = "/"
	}
	query := ""
	if u.RawQuery != "" || u.ForceQuery {
		query = "?" + u.RawQuery
	}
	if e == s.upstream {
		if rest, ok := strings.CutPrefix(path, s.basePath); ok && (rest == "" || rest[0] == '/') {
			if rest == "" {
				rest = "/"
			}
			return proxyOrigin + rest + query, true
		}
	}
	return proxyOrigin + RegionalPrefix + e.Scheme + "/" + e.HostPort() + path + query, true
}

func quote(s string) string {
	if len(s) > 80 {
		s = s[:80] + "..."
	}
	return `"` + s + `"`
}
