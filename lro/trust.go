package lro

import "strings"

// DefaultTrustedHosts returns the host patterns [Options.TrustedHosts] defaults to: Fabric's
// own API hosts, https only. Each call returns a new slice, so it can be appended to:
//
//	TrustedHosts: append(lro.DefaultTrustedHosts(), "fabric.contoso.example")
func DefaultTrustedHosts() []string {
	return []string{"api.fabric.microsoft.com", "*.fabric.microsoft.com", "*.analysis.windows.net"}
}

// hostPattern is one parsed entry of Options.TrustedHosts (or the BaseURL's origin).
type hostPattern struct {
	scheme, host, port string
	wildcard           bool // host is a suffix: any subdomain of it matches
}

// parseHostPattern parses "[scheme://]host[:port]" where host may start with "*.". Without a
// scheme the pattern is https only; without a port, the scheme's default port.
func parseHostPattern(p string) (hostPattern, bool) {
	p = strings.ToLower(strings.TrimSpace(p))
	scheme := "https"
	if s, rest, ok := strings.Cut(p, "://"); ok {
		scheme, p = s, rest
	}
	if scheme != "http" && scheme != "https" {
		return hostPattern{}, false
	}
	p = strings.TrimSuffix(p, "/")
	wildcard := strings.HasPrefix(p, "*.")
	if wildcard {
		p = p[2:]
	}
	if !validAuthority(p) {
		return hostPattern{}, false
	}
	host, port, _ := strings.Cut(p, ":")
	return hostPattern{scheme: scheme, host: host, port: portOr(port, scheme), wildcard: wildcard}, true
}

// originPattern is the exact scheme, host and port of an absolute http(s) URL.
func originPattern(rawURL string) (hostPattern, bool) {
	scheme, authority, _, err := splitHTTPURL(strings.TrimSpace(rawURL))
	if err != nil {
		return hostPattern{}, false
	}
	host, port, _ := strings.Cut(strings.ToLower(authority), ":")
	return hostPattern{scheme: scheme, host: host, port: portOr(port, scheme)}, true
}

func portOr(port, scheme string) string {
	switch {
	case port != "":
		return strings.TrimLeft(port, "0")
	case scheme == "http":
		return "80"
	default:
		return "443"
	}
}

// matches reports whether the origin o (from originPattern) is allowed by p.
func (p hostPattern) matches(o hostPattern) bool {
	if o.scheme != p.scheme || o.port != p.port {
		return false
	}
	if p.wildcard {
		return strings.HasSuffix(o.host, "."+p.host) && len(o.host) > len(p.host)+1
	}
	return o.host == p.host
}

// trustedHosts builds the client's allow-list: the BaseURL's origin, then the patterns.
// Entries that are not of the documented form match nothing.
func trustedHosts(baseURL string, patterns []string) []hostPattern {
	var out []hostPattern
	if o, ok := originPattern(baseURL); ok {
		out = append(out, o)
	}
	for _, s := range patterns {
		if p, ok := parseHostPattern(s); ok {
			out = append(out, p)
		}
	}
	return out
}

// checkTrusted returns nil if requests (and so the bearer token) may go to rawURL, an absolute
// URL, and otherwise an *Error with code [CodeUntrustedHost] naming the host and the fix.
func (c *Client) checkTrusted(rawURL string) error {
	if o, ok := originPattern(rawURL); ok {
		for _, p := range c.trust {
			if p.matches(o) {
				return nil
			}
		}
	}
	origin := rawURL
	if scheme, authority, _, err := splitHTTPURL(strings.TrimSpace(rawURL)); err == nil {
		origin = scheme + "://" + strings.ToLower(authority)
	}
	return &Error{
		ErrorCode: CodeUntrustedHost,
		Message: "refusing to send a request (and the access token) to " + origin + ", which is neither the base URL's host (" +
			c.opts.BaseURL + ") nor in Options.TrustedHosts; if it is a Fabric host you trust, add it to Options.TrustedHosts " +
			"(for example \"" + trustHint(origin) + "\"), otherwise do not follow or track this URL",
	}
}

// trustHint suggests the TrustedHosts entry that would allow origin.
func trustHint(origin string) string {
	if h, ok := strings.CutPrefix(origin, "https://"); ok {
		return strings.TrimSuffix(h, ":443")
	}
	return origin
}
