package lro

import (
	"strings"

	"github.com/fabric-lro/fabric-lro/internal/hostpolicy"
)

// DefaultTrustedHosts returns the host patterns [Options.TrustedHosts] defaults to: Fabric's
// API hosts, https only (api.fabric.microsoft.com, its workspace-level subdomains
// *.api.fabric.microsoft.com, and the regional redirect hosts *.analysis.windows.net). The
// proxy's FABRIC_REDIRECT_HOSTS and the dashboard's Location check use the same list. Each call
// returns a new slice, so it can be appended to:
//
//	TrustedHosts: append(lro.DefaultTrustedHosts(), "fabric.contoso.example")
func DefaultTrustedHosts() []string {
	return hostpolicy.SplitList(hostpolicy.FabricHosts)
}

// trustedHosts builds the client's allow-list: the BaseURL's origin, then the patterns.
// Entries that are not of the documented form match nothing.
func trustedHosts(baseURL string, patterns []string) hostpolicy.Policy {
	var out hostpolicy.Policy
	if e, _, ok := hostpolicy.ParseURL(baseURL); ok {
		out = append(out, hostpolicy.Exact(e))
	}
	pol, _ := hostpolicy.Compile(patterns, "https")
	return append(out, pol...)
}

// checkTrusted returns nil if requests (and so the bearer token) may go to rawURL, an absolute
// URL, and otherwise an *Error with code [CodeUntrustedHost] naming the host.
func (c *Client) checkTrusted(rawURL string) error {
	if c.trust.AllowsURL(rawURL) {
		return nil
	}
	origin := rawURL
	if scheme, authority, _, err := splitHTTPURL(strings.TrimSpace(rawURL)); err == nil {
		origin = scheme + "://" + strings.ToLower(authority)
	}
	return &Error{
		ErrorCode: string(CodeUntrustedHost),
		Message: "refused to send a request (and the access token) to " + origin + ", which is neither the base URL's host (" +
			c.opts.BaseURL + ") nor in Options.TrustedHosts",
	}
}
