// Package hostpolicytest holds the one table of cases that the engine (lro), the proxy and the
// dashboard each run through their own entry point, so the three agree on where a bearer token
// may go.
package hostpolicytest

// Case is one URL and whether Fabric's default policy (hostpolicy.FabricHosts) lets the token
// go there.
type Case struct {
	// Name says what the case tries.
	Name string
	// URL is an absolute URL, as a Location header or a pasted link.
	URL string
	// Fabric: the engine sends to it, the proxy forwards to it, the dashboard tracks it.
	Fabric bool
}

// FabricCases are URLs checked against the default policy. Every URL has a path, so a user of
// the table can rebuild it through its own form (a proxy path, a pasted Location).
var FabricCases = []Case{
	{Name: "the API host", URL: "https://api.fabric.microsoft.com/v1/operations/o1", Fabric: true},
	{Name: "the API host in capitals with its default port", URL: "https://API.Fabric.Microsoft.COM:443/v1/operations/o1", Fabric: true},
	{Name: "a workspace-level API host", URL: "https://cfafbeb180374d0c896ea46fb27ff227.zcf.w.api.fabric.microsoft.com/v1/operations/o1", Fabric: true},
	{Name: "a regional redirect host", URL: "https://wabi-west-europe-d-primary-redirect.analysis.windows.net/v1/operations/o1", Fabric: true},
	{Name: "a regional host, operation without /v1", URL: "https://wabi-us-east.analysis.windows.net/operations/o1", Fabric: true},
	{Name: "a foreign host", URL: "https://evil.example/v1/operations/o1"},
	{Name: "Fabric's name as a prefix of a foreign host", URL: "https://api.fabric.microsoft.com.evil.example/v1/operations/o1"},
	{Name: "a regional suffix without the dot", URL: "https://evilanalysis.windows.net/v1/operations/o1"},
	{Name: "the wildcard's own domain", URL: "https://analysis.windows.net/v1/operations/o1"},
	{Name: "the portal, not an API host", URL: "https://app.fabric.microsoft.com/v1/operations/o1"},
	{Name: "OneLake, not an API host", URL: "https://onelake.dfs.fabric.microsoft.com/v1/operations/o1"},
	{Name: "another fabric.microsoft.com subdomain", URL: "https://westeurope.fabric.microsoft.com/v1/operations/o1"},
	{Name: "the API host over plain http", URL: "http://api.fabric.microsoft.com/v1/operations/o1"},
	{Name: "the API host on another port", URL: "https://api.fabric.microsoft.com:8443/v1/operations/o1"},
	{Name: "a regional host on another port", URL: "https://x.analysis.windows.net:8443/v1/operations/o1"},
	{Name: "an empty DNS label", URL: "https://x..analysis.windows.net/v1/operations/o1"},
	{Name: "an empty first label", URL: "https://.analysis.windows.net/v1/operations/o1"},
	{Name: "a trailing dot", URL: "https://api.fabric.microsoft.com./v1/operations/o1"},
	{Name: "a regional host with a trailing dot", URL: "https://x.analysis.windows.net./v1/operations/o1"},
	{Name: "userinfo naming Fabric before a foreign host", URL: "https://api.fabric.microsoft.com@evil.example/v1/operations/o1"},
	{Name: "userinfo before Fabric's host", URL: "https://user:pw@api.fabric.microsoft.com/v1/operations/o1"},
	{Name: "a backslash before a foreign host", URL: "https://api.fabric.microsoft.com\\@evil.example/v1/operations/o1"},
	{Name: "an IDN look-alike (Cyrillic o)", URL: "https://api.fabric.micr\u043esoft.com/v1/operations/o1"},
	{Name: "a punycode look-alike", URL: "https://api.fabric.xn--micrsoft-2of.com/v1/operations/o1"},
	{Name: "a percent-encoded host", URL: "https://api.fabric.micro%73oft.com/v1/operations/o1"},
	{Name: "an underscore in a label", URL: "https://x_y.analysis.windows.net/v1/operations/o1"},
	{Name: "a label starting with a hyphen", URL: "https://-x.analysis.windows.net/v1/operations/o1"},
	{Name: "an IPv4 loopback", URL: "https://127.0.0.1/v1/operations/o1"},
	{Name: "a decimal IPv4", URL: "https://2130706433/v1/operations/o1"},
	{Name: "a hex IPv4", URL: "https://0x7f.0.0.1/v1/operations/o1"},
	{Name: "an IPv6 literal", URL: "https://[::1]/v1/operations/o1"},
	{Name: "localhost", URL: "https://localhost/v1/operations/o1"},
	{Name: "a port of zero", URL: "https://api.fabric.microsoft.com:0/v1/operations/o1"},
	{Name: "a port out of range", URL: "https://api.fabric.microsoft.com:99999/v1/operations/o1"},
	{Name: "an empty port", URL: "https://api.fabric.microsoft.com:/v1/operations/o1"},
	{Name: "another scheme", URL: "ftp://api.fabric.microsoft.com/v1/operations/o1"},
	{Name: "a host of 64-byte label", URL: "https://" + label64 + ".analysis.windows.net/v1/operations/o1"},
}

const label64 = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"

// PatternCase is a host pattern a user configures (lro Options.TrustedHosts, the proxy's
// FABRIC_REDIRECT_HOSTS), a URL, and whether the pattern lets the token go there. A pattern
// that is not of the documented form matches nothing (the proxy refuses to start with it).
type PatternCase struct {
	// Name says what the case tries.
	Name string
	// Pattern is the configured entry.
	Pattern string
	// URL is an absolute URL to send to or forward to.
	URL string
	// Match: the pattern lets the token go to URL.
	Match bool
	// Invalid: the pattern is refused (the proxy does not start; the engine ignores it).
	Invalid bool
}

// PatternCases are custom patterns checked the same way by every user of the policy.
var PatternCases = []PatternCase{
	{Name: "a host, https by default", Pattern: "fabric.contoso.example", URL: "https://fabric.contoso.example/v1/operations/o1", Match: true},
	{Name: "a host, not over http", Pattern: "fabric.contoso.example", URL: "http://fabric.contoso.example/v1/operations/o1"},
	{Name: "a scheme and port", Pattern: "http://127.0.0.1:9000", URL: "http://127.0.0.1:9000/v1/operations/o1", Match: true},
	{Name: "another port than the pattern's", Pattern: "http://127.0.0.1:9000", URL: "http://127.0.0.1:9001/v1/operations/o1"},
	{Name: "any port", Pattern: "http://localhost:*", URL: "http://localhost:5173/v1/operations/o1", Match: true},
	{Name: "a wildcard matches a subdomain", Pattern: "*.contoso.example", URL: "https://a.b.contoso.example/v1/operations/o1", Match: true},
	{Name: "a wildcard does not match its domain", Pattern: "*.contoso.example", URL: "https://contoso.example/v1/operations/o1"},
	{Name: "a wildcard and an empty label", Pattern: "*.contoso.example", URL: "https://a..contoso.example/v1/operations/o1"},
	{Name: "a pattern with a trailing slash", Pattern: "https://fabric.contoso.example/", URL: "https://fabric.contoso.example/v1/operations/o1", Match: true},
	{Name: "a lone star", Pattern: "*", URL: "https://evil.example/v1/operations/o1", Invalid: true},
	{Name: "a star after the scheme", Pattern: "https://*", URL: "https://evil.example/v1/operations/o1", Invalid: true},
	{Name: "a wildcard on a top-level domain", Pattern: "*.example", URL: "https://evil.example/v1/operations/o1", Invalid: true},
	{Name: "another scheme", Pattern: "ftp://evil.example", URL: "https://evil.example/v1/operations/o1", Invalid: true},
	{Name: "a path", Pattern: "https://evil.example/v1", URL: "https://evil.example/v1/operations/o1", Invalid: true},
	{Name: "userinfo", Pattern: "https://u@evil.example", URL: "https://evil.example/v1/operations/o1", Invalid: true},
	{Name: "an empty label", Pattern: "fabric..contoso.example", URL: "https://fabric..contoso.example/v1/operations/o1", Invalid: true},
	{Name: "a trailing dot", Pattern: "fabric.contoso.example.", URL: "https://fabric.contoso.example./v1/operations/o1", Invalid: true},
	{Name: "a decimal IPv4", Pattern: "http://2130706433", URL: "http://2130706433/v1/operations/o1", Invalid: true},
}
