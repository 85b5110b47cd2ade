package dashboard

import (
	"strings"

	"github.com/fabric-lro/fabric-lro/internal/hostpolicy"
	"github.com/fabric-lro/fabric-lro/lro"
)

// fabricAPI is Fabric's public API endpoint; regionalPrefix is the proxy's path for another
// Fabric host: /_fabric/{scheme}/{host}/... (proxy.RegionalPrefix; not imported, to keep
// net/http out of the browser module).
var fabricAPI = hostpolicy.Endpoint{Scheme: "https", Host: "api.fabric.microsoft.com"}

const regionalPrefix = "/_fabric/"

// codeUntrustedLocation is the errorCode of a Location URL the dashboard will not call.
const codeUntrustedLocation = "UntrustedLocation"

// rebaseLocation makes a pasted reference callable from the browser through apiBase (the
// proxy's /v1 URL). The browser cannot call Fabric itself (no CORS), so:
//   - https://api.fabric.microsoft.com/v1/operations/X[/result] (also without /v1) becomes
//     apiBase + "/operations/X[/result]";
//   - another Fabric host (a regional https://{host}.analysis.windows.net/... or a
//     workspace-level https://{id}.zcf.w.api.fabric.microsoft.com/...) becomes
//     {apiBase's origin}/_fabric/https/{host}/... (the proxy forwards it to hosts it allows);
//   - a URL on apiBase's own origin, an operation id or a resume token is returned as it is;
//   - any other URL is refused with an *lro.Error whose errorCode is codeUntrustedLocation:
//     the bearer token must only go where the user pointed the dashboard.
//
// Fabric's hosts are those the engine trusts and the proxy forwards to (package hostpolicy,
// one rule and one table of cases for all three). When apiBase is Fabric itself, Fabric's URLs
// are returned as they are.
func rebaseLocation(apiBase, ref string) (string, error) {
	ref = strings.TrimSpace(ref)
	e, rest, ok := hostpolicy.ParseURL(ref)
	if !ok {
		if strings.Contains(ref, "://") || strings.HasPrefix(ref, "//") {
			return "", untrusted(ref, "it is not an http(s) URL on a valid host name")
		}
		return ref, nil // an operation id or a resume token
	}
	if !wellEscaped(rest) {
		return "", untrusted(ref, "it is not a well-formed URL (a space, a control character, or a % not followed by two hexadecimal digits)")
	}
	base, basePath, ok := hostpolicy.ParseURL(strings.TrimRight(apiBase, "/"))
	if !ok {
		return "", &lro.Error{ErrorCode: "InvalidApiBase", Message: "the API base " + quoteText(apiBase) + " is not an http(s) URL: set it in Settings."}
	}
	origin := base.Origin()
	if e == base {
		return ref, nil
	}
	fabric := hostpolicy.Fabric()
	if base == fabricAPI {
		if fabric.Allows(e) {
			return ref, nil // calling Fabric directly
		}
		return "", untrusted(ref, "it is not a Fabric URL")
	}
	switch {
	case e == fabricAPI:
		path := rest
		if path == "/v1" || strings.HasPrefix(path, "/v1/") || strings.HasPrefix(path, "/v1?") {
			path = path[len("/v1"):]
		}
		return origin + strings.TrimSuffix(basePath, "/") + path, nil
	case fabric.Allows(e):
		return origin + regionalPrefix + e.Scheme + "/" + e.HostPort() + rest, nil
	}
	return "", untrusted(ref, "only Fabric URLs (https://api.fabric.microsoft.com/..., https://*.analysis.windows.net/...) and URLs of the API base "+origin+" are tracked")
}

func untrusted(ref, why string) error {
	return &lro.Error{ErrorCode: codeUntrustedLocation, Message: "Not tracking " + quoteText(ref) + ": " + why +
		". Paste the operation id, or the Location URL Fabric returned."}
}

// wellEscaped reports whether s (a URL's path and query) holds no space or control character
// and only complete percent-escapes.
func wellEscaped(s string) bool {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c <= ' ' || c == 0x7f:
			return false
		case c == '%':
			if i+2 >= len(s) || !isHex(s[i+1]) || !isHex(s[i+2]) {
				return false
			}
		}
	}
	return true
}

func isHex(c byte) bool { return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' }

func quoteText(s string) string { return "“" + s + "”" }

// checkTrackRef checks what a user pasted to track: an operation id (a GUID), a resume token
// (the JSON the engine saves) or an http(s) URL (a Location). It returns "" when ref is one
// of those, else the message to show under the form.
func checkTrackRef(ref string) string {
	ref = strings.TrimSpace(ref)
	lower := strings.ToLower(ref)
	switch {
	case ref == "":
		return "Paste an operation id or a Location URL to track."
	case isGUID(ref), strings.HasPrefix(ref, "{"),
		strings.HasPrefix(lower, "http://"), strings.HasPrefix(lower, "https://"):
		return ""
	}
	return "Not tracked: " + quoteText(ref) + " is not an operation id (a GUID such as " +
		"3c060079-0d2f-474f-8341-0342561b6c4e), a Location URL (https://…/operations/{id}) or a resume token."
}

// isGUID reports whether s is a GUID: 8-4-4-4-12 hexadecimal digits.
func isGUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
				return false
			}
		}
	}
	return true
}
