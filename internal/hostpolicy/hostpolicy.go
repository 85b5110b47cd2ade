// Package hostpolicy is the one rule for where a Fabric bearer token may go: which hosts the
// engine sends requests to (lro's Options.TrustedHosts), which hosts the proxy forwards a
// regional Location to (FABRIC_REDIRECT_HOSTS) and which Location URLs the dashboard tracks.
// All three parse hosts and match patterns here, and their tests share one table of cases
// (package hostpolicytest), so they cannot disagree.
//
// A host is a DNS name of letters, digits and hyphens in non-empty labels, or an IPv4 address
// in its dotted-decimal form. Everything else is refused, so no parser downstream can read it
// as another host: userinfo, IPv6 literals, percent-encoding, non-ASCII (IDN look-alikes), an
// empty label or a trailing dot, underscores, and numbers a URL parser would read as an IPv4
// address (2130706433, 0x7f.1, 0177.0.0.1).
//
// It imports neither net/http, net/url nor syscall/js: the browser module links it.
package hostpolicy

import (
	"errors"
	"strconv"
	"strings"
)

// FabricHosts is the default list of Fabric's hosts, comma-separated patterns (https only):
// the public API host, its workspace-level subdomains ({id}.zcf.w.api.fabric.microsoft.com
// in the spec's examples) and the regional redirect hosts a Location may point at
// (wabi-west-europe-d-primary-redirect.analysis.windows.net). Other *.fabric.microsoft.com
// hosts (the portal app., OneLake's onelake.dfs.) are not API hosts and get no token.
const FabricHosts = "api.fabric.microsoft.com,*.api.fabric.microsoft.com,*.analysis.windows.net"

// Endpoint is a normalised scheme, host and port: lower case, the scheme's default port as "".
type Endpoint struct {
	Scheme string // "http" or "https"
	Host   string // a DNS name or a dotted-decimal IPv4 address, lower case
	Port   string // decimal without leading zeros; "" for the scheme's default port
}

// HostPort is the host and port as written in a URL ("host" or "host:port").
func (e Endpoint) HostPort() string {
	if e.Port == "" {
		return e.Host
	}
	return e.Host + ":" + e.Port
}

// Origin is scheme://host[:port].
func (e Endpoint) Origin() string { return e.Scheme + "://" + e.HostPort() }

// ParseHostPort parses "host[:port]" for scheme ("http" or "https"). It reports false for
// anything but a valid host (see the package doc) and a decimal port from 1 to 65535.
func ParseHostPort(scheme, s string) (Endpoint, bool) {
	scheme = strings.ToLower(scheme)
	if scheme != "http" && scheme != "https" {
		return Endpoint{}, false
	}
	host, port := s, ""
	if i := strings.LastIndexByte(s, ':'); i >= 0 {
		host, port = s[:i], s[i+1:]
		if !validPort(port) {
			return Endpoint{}, false
		}
	}
	host = strings.ToLower(host)
	if !ValidHost(host) {
		return Endpoint{}, false
	}
	return Endpoint{Scheme: scheme, Host: host, Port: normalPort(scheme, port)}, true
}

// ParseURL splits an absolute http(s) URL (surrounding spaces ignored) into its endpoint and
// the rest ("", or starting with "/", "?" or "#"). It reports false for any other scheme, a
// URL without "//" and a host, and an authority that is not a valid host[:port].
func ParseURL(raw string) (e Endpoint, rest string, ok bool) {
	raw = strings.TrimSpace(raw)
	scheme, after, found := strings.Cut(raw, "://")
	if !found {
		return Endpoint{}, "", false
	}
	end := strings.IndexAny(after, "/?#")
	if end < 0 {
		end = len(after)
	}
	e, ok = ParseHostPort(scheme, after[:end])
	return e, after[end:], ok
}

// ValidHost reports whether h (lower case) is a host this policy can reason about: dot-
// separated labels of 1-63 letters, digits and hyphens (not at a label's ends), 253 bytes at
// most, and, when its last label is a number in any base a URL parser accepts, exactly a
// dotted-decimal IPv4 address.
func ValidHost(h string) bool {
	if h == "" || len(h) > 253 {
		return false
	}
	labels := strings.Split(h, ".")
	for _, label := range labels {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-') {
				return false
			}
		}
	}
	if last := labels[len(labels)-1]; isNumber(last) {
		return isDottedQuad(labels)
	}
	return true
}

// isNumber reports whether a label reads as a number to a WHATWG URL parser (decimal, or hex
// after 0x), which then takes the whole host for an IPv4 address.
func isNumber(label string) bool {
	if hex, ok := strings.CutPrefix(label, "0x"); ok {
		return strings.Trim(hex, "0123456789abcdef") == ""
	}
	return strings.Trim(label, "0123456789") == ""
}

// isDottedQuad reports whether labels are four decimal numbers 0-255 without leading zeros.
func isDottedQuad(labels []string) bool {
	if len(labels) != 4 {
		return false
	}
	for _, l := range labels {
		n, err := strconv.Atoi(l)
		if err != nil || n > 255 || strconv.Itoa(n) != l {
			return false
		}
	}
	return true
}

func validPort(p string) bool {
	if p == "" || len(p) > 5 || strings.Trim(p, "0123456789") != "" {
		return false
	}
	n, _ := strconv.Atoi(p)
	return n > 0 && n <= 65535
}

// normalPort drops the scheme's default port and leading zeros.
func normalPort(scheme, port string) string {
	if port == "" {
		return ""
	}
	n, _ := strconv.Atoi(port)
	if scheme == "https" && n == 443 || scheme == "http" && n == 80 {
		return ""
	}
	return strconv.Itoa(n)
}

// Pattern matches endpoints: an exact host or "*." and a domain (any subdomain of it, not the
// domain itself), on one scheme, with an exact port, the default port, or any port ("*").
type Pattern struct {
	scheme   string
	host     string // the exact host, or the domain after "*." when wildcard
	wildcard bool
	port     string // as Endpoint.Port, or "*"
}

// Exact is the pattern that matches e alone.
func Exact(e Endpoint) Pattern { return Pattern{scheme: e.Scheme, host: e.Host, port: e.Port} }

// ParsePattern parses "[scheme://]host[:port]" with an optional trailing "/", where host may
// be "*." and a domain of two labels or more and port may be "*". Without a scheme the
// pattern takes defaultScheme; defaultScheme "" makes the scheme mandatory. A lone "*" (or
// "scheme://*") is refused: it would let the token go anywhere.
func ParsePattern(s, defaultScheme string) (Pattern, error) {
	orig := s
	s = strings.TrimSpace(s)
	if s == "*" || strings.HasSuffix(s, "://*") {
		return Pattern{}, errors.New(quote(orig) + " would allow every host; list the hosts, e.g. https://*.contoso.com")
	}
	scheme, rest, ok := strings.Cut(s, "://")
	if !ok {
		if defaultScheme == "" {
			return Pattern{}, errors.New(quote(orig) + ": want scheme://host[:port], e.g. https://app.contoso.com")
		}
		scheme, rest = defaultScheme, s
	}
	scheme = strings.ToLower(scheme)
	if scheme != "http" && scheme != "https" {
		return Pattern{}, errors.New(quote(orig) + ": the scheme must be http or https")
	}
	rest = strings.TrimSuffix(rest, "/")
	if strings.ContainsAny(rest, "/?#@\\[] ") {
		return Pattern{}, errors.New(quote(orig) + ": want scheme://host[:port] without path, query or user")
	}
	host, port := rest, ""
	if i := strings.LastIndexByte(rest, ':'); i >= 0 {
		host, port = rest[:i], rest[i+1:]
		if port != "*" {
			if !validPort(port) {
				return Pattern{}, errors.New(quote(orig) + ": bad port " + quote(port))
			}
			port = normalPort(scheme, port)
		}
	}
	host = strings.ToLower(host)
	p := Pattern{scheme: scheme, host: host, port: port}
	if domain, ok := strings.CutPrefix(host, "*."); ok {
		if !ValidHost(domain) || !strings.Contains(domain, ".") || isNumber(domain[strings.LastIndexByte(domain, '.')+1:]) {
			return Pattern{}, errors.New(quote(orig) + ": a wildcard needs a domain of two labels or more, e.g. https://*.contoso.com")
		}
		p.host, p.wildcard = domain, true
		return p, nil
	}
	if !ValidHost(host) {
		return Pattern{}, errors.New(quote(orig) + ": bad host " + quote(host))
	}
	return p, nil
}

// Match reports whether e (from ParseHostPort or ParseURL) is allowed by p.
func (p Pattern) Match(e Endpoint) bool {
	if p.scheme != e.Scheme || p.port != "*" && p.port != e.Port {
		return false
	}
	if !p.wildcard {
		return p.host == e.Host
	}
	sub, ok := strings.CutSuffix(e.Host, "."+p.host)
	return ok && sub != "" && ValidHost(e.Host)
}

// Policy is a list of patterns; an endpoint is allowed when one of them matches.
type Policy []Pattern

// Compile parses comma-free patterns (see ParsePattern) into a Policy. It returns the
// patterns it could parse and every error, joined.
func Compile(patterns []string, defaultScheme string) (Policy, error) {
	var pol Policy
	var errs []error
	for _, s := range patterns {
		p, err := ParsePattern(s, defaultScheme)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		pol = append(pol, p)
	}
	return pol, errors.Join(errs...)
}

// Allows reports whether a pattern of pol matches e.
func (pol Policy) Allows(e Endpoint) bool {
	for _, p := range pol {
		if p.Match(e) {
			return true
		}
	}
	return false
}

// AllowsURL reports whether the absolute http(s) URL raw is on an allowed endpoint; a URL
// ParseURL refuses is never allowed.
func (pol Policy) AllowsURL(raw string) bool {
	e, _, ok := ParseURL(raw)
	return ok && pol.Allows(e)
}

// SplitList splits a comma-separated list, trimming spaces and dropping empty entries.
func SplitList(s string) []string {
	var out []string
	for _, part := range strings.Split(s, ",") {
		if part = strings.TrimSpace(part); part != "" {
			out = append(out, part)
		}
	}
	return out
}

// Fabric is the policy of FabricHosts.
func Fabric() Policy {
	pol, _ := Compile(SplitList(FabricHosts), "https") // FabricHosts parses: see its test
	return pol
}

func quote(s string) string {
	if len(s) > 80 {
		s = s[:80] + "..."
	}
	return `"` + s + `"`
}
