package dashboard

import (
	"strings"

	"github.com/fabric-lro/fabric-lro/lro"
)

// Fabric's public API host, and the domain of its regional hosts (Location headers may point
// at https://{region}.analysis.windows.net/...).
const (
	fabricHost     = "api.fabric.microsoft.com"
	regionalSuffix = ".analysis.windows.net"
	// regionalPrefix is the proxy's path for a regional host: /_fabric/{scheme}/{host}/...
	// (proxy.RegionalPrefix; not imported, to keep net/http out of the browser module).
	regionalPrefix = "/_fabric/"
)

// CodeUntrustedLocation is the errorCode of a Location URL the dashboard will not call.
const CodeUntrustedLocation = "UntrustedLocation"

// RebaseLocation makes a pasted reference callable from the browser through apiBase (the
// proxy's /v1 URL). The browser cannot call Fabric itself (no CORS), so:
//   - https://api.fabric.microsoft.com/v1/operations/X[/result] (also without /v1) becomes
//     apiBase + "/operations/X[/result]";
//   - a regional https://{host}.analysis.windows.net/... becomes
//     {apiBase's origin}/_fabric/https/{host}.analysis.windows.net/... (the proxy forwards it
//     to hosts it allows);
//   - a URL on apiBase's own origin, an operation id or a resume token is returned as it is;
//   - any other URL is refused with an *lro.Error whose errorCode is [CodeUntrustedLocation]:
//     the bearer token must only go where the user pointed the dashboard.
//
// When apiBase is Fabric itself, Fabric's URLs are returned as they are.
func RebaseLocation(apiBase, ref string) (string, error) {
	ref = strings.TrimSpace(ref)
	scheme, host, rest, ok := splitURL(ref)
	if !ok {
		if strings.Contains(ref, "://") || strings.HasPrefix(ref, "//") {
			return "", untrusted(ref, "it is not a valid http(s) URL")
		}
		return ref, nil // an operation id or a resume token
	}
	baseScheme, baseHost, basePath, ok := splitURL(strings.TrimRight(apiBase, "/"))
	if !ok {
		return "", &lro.Error{ErrorCode: "InvalidApiBase", Message: "the API base " + quoteText(apiBase) + " is not an http(s) URL: set it in Settings."}
	}
	origin := baseScheme + "://" + baseHost
	if scheme == baseScheme && host == baseHost {
		return ref, nil
	}
	if baseHost == fabricHost && baseScheme == "https" {
		if scheme == "https" && (host == fabricHost || strings.HasSuffix(host, regionalSuffix)) {
			return ref, nil // calling Fabric directly
		}
		return "", untrusted(ref, "it is not a Fabric URL")
	}
	switch {
	case scheme == "https" && host == fabricHost:
		path := rest
		if path == "/v1" || strings.HasPrefix(path, "/v1/") || strings.HasPrefix(path, "/v1?") {
			path = path[len("/v1"):]
		}
		return origin + strings.TrimSuffix(basePath, "/") + path, nil
	case scheme == "https" && strings.HasSuffix(host, regionalSuffix) && len(host) > len(regionalSuffix):
		return origin + regionalPrefix + "https/" + host + rest, nil
	}
	return "", untrusted(ref, "only Fabric URLs (https://api.fabric.microsoft.com/..., https://*.analysis.windows.net/...) and URLs of the API base "+origin+" are tracked")
}

func untrusted(ref, why string) error {
	return &lro.Error{ErrorCode: CodeUntrustedLocation, Message: "Not tracking " + quoteText(ref) + ": " + why +
		". Paste the operation id, or the Location URL Fabric returned."}
}

func quoteText(s string) string { return "“" + s + "”" }

// splitURL splits an absolute http(s) URL into its lower-case scheme and host (with port) and
// the rest (path, query, fragment; "" or starting with "/", "?" or "#"). URLs with user
// information or without a host are not ok.
func splitURL(s string) (scheme, host, rest string, ok bool) {
	i := strings.Index(s, "://")
	if i <= 0 {
		return "", "", "", false
	}
	scheme = strings.ToLower(s[:i])
	if scheme != "http" && scheme != "https" {
		return "", "", "", false
	}
	after := s[i+3:]
	j := strings.IndexAny(after, "/?#")
	if j < 0 {
		j = len(after)
	}
	host, rest = strings.ToLower(after[:j]), after[j:]
	if host == "" || strings.ContainsAny(host, "@\\ ") {
		return "", "", "", false
	}
	host = strings.TrimSuffix(host, ":443")
	if scheme == "http" {
		host = strings.TrimSuffix(host, ":80")
	}
	return scheme, host, rest, true
}

// CheckTrackRef checks what a user pasted to track: an operation id (a GUID), a resume token
// (the JSON the engine saves) or an http(s) URL (a Location). It returns "" when ref is one
// of those, else the message to show under the form.
func CheckTrackRef(ref string) string {
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
