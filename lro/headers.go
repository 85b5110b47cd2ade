package lro

import (
	"errors"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// maxRetryAfterSeconds bounds parsed delay-seconds so that converting to a Duration never
// overflows; callers cap the result further with Options.MaxRetryAfter.
const maxRetryAfterSeconds = 100 * 365 * 24 * 3600

// httpDateLayouts are the date forms RFC 9110 section 5.6.7 requires recipients to accept.
var httpDateLayouts = []string{
	"Mon, 02 Jan 2006 15:04:05 GMT", // IMF-fixdate
	time.RFC850,                     // obsolete RFC 850 form
	time.ANSIC,                      // asctime
}

// parseRetryAfter parses a Retry-After header value: either delay-seconds ("20") or an
// HTTP-date ("Wed, 21 Oct 2015 07:28:00 GMT"), relative to now. A date in the past gives 0.
// ok is false for an empty or malformed value; the caller then uses its default.
func parseRetryAfter(value string, now time.Time) (d time.Duration, ok bool) {
	v := strings.TrimSpace(value)
	if v == "" {
		return 0, false
	}
	if v[0] >= '0' && v[0] <= '9' {
		for i := 0; i < len(v); i++ {
			if v[i] < '0' || v[i] > '9' {
				return 0, false
			}
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n > maxRetryAfterSeconds { // overflow: treat as "very long"
			n = maxRetryAfterSeconds
		}
		return time.Duration(n) * time.Second, true
	}
	for _, layout := range httpDateLayouts {
		if t, err := time.Parse(layout, v); err == nil {
			if d := t.Sub(now); d > 0 {
				return d, true
			}
			return 0, true
		}
	}
	return 0, false
}

// resolveLocation returns the URL a Location header points at. An absolute http or https
// Location is returned exactly as given (trimmed of spaces): Fabric's Location may lack /v1 or
// point at another, regional host, and must be followed, not rebuilt. A relative Location is
// resolved against requestURL, the URL of the request that returned it (RFC 3986 section 5).
// Anything else (empty, another scheme, no host, control characters, a malformed
// percent-escape) is an error.
func resolveLocation(requestURL, location string) (string, error) {
	loc := strings.TrimSpace(location)
	bad := func(why string) (string, error) {
		return "", &Error{ErrorCode: string(CodeUnexpectedResponse), Message: "the response's Location header " + why + ": " + strconv.Quote(loc)}
	}
	if loc == "" {
		return "", &Error{ErrorCode: string(CodeUnexpectedResponse), Message: "the response has an empty Location header"}
	}
	if !cleanURLText(loc) {
		return bad("holds spaces, control characters, invalid UTF-8 or a malformed percent-escape")
	}
	if scheme, _, ok := cutScheme(loc); ok {
		if _, _, _, err := splitHTTPURL(loc); err != nil {
			if scheme != "http" && scheme != "https" {
				return bad("is not an http(s) URL")
			}
			return bad(err.Error())
		}
		return loc, nil
	}
	scheme, authority, rest, err := splitHTTPURL(strings.TrimSpace(requestURL))
	if err != nil || !cleanURLText(strings.TrimSpace(requestURL)) {
		return "", &Error{ErrorCode: string(CodeUnexpectedResponse), Message: "cannot resolve relative Location " + strconv.Quote(loc) + " against " + strconv.Quote(requestURL)}
	}
	out, why := resolveReference(scheme, authority, rest, loc)
	if why != "" {
		return bad(why)
	}
	return out, nil
}

// resolveReference resolves loc, a relative reference (RFC 3986 section 5.2), against the
// base URL scheme://authority+rest. why says what is wrong with loc when it cannot.
func resolveReference(scheme, authority, rest, loc string) (out, why string) {
	switch {
	case strings.HasPrefix(loc, "//"): // network-path reference: another host, same scheme
		_, auth, locRest, err := splitHTTPURL(scheme + ":" + loc)
		if err != nil {
			return "", err.Error()
		}
		path, tail := splitPath(locRest)
		if path != "" {
			path = removeDotSegments(path)
		}
		return scheme + "://" + auth + path + tail, ""
	case loc[0] == '/':
		path, tail := splitPath(loc)
		return scheme + "://" + authority + removeDotSegments(path) + tail, ""
	case loc[0] == '?':
		basePath, _ := splitPath(rest)
		return scheme + "://" + authority + basePath + loc, ""
	case loc[0] == '#':
		if i := strings.IndexByte(rest, '#'); i >= 0 {
			rest = rest[:i]
		}
		return scheme + "://" + authority + rest + loc, ""
	}
	// A relative path: merged with the base path's directory.
	if first, _, _ := strings.Cut(loc, "/"); strings.Contains(first, ":") {
		return "", "is neither a URL nor a relative path"
	}
	basePath, _ := splitPath(rest)
	dir := "/"
	if i := strings.LastIndexByte(basePath, '/'); i >= 0 {
		dir = basePath[:i+1]
	}
	path, tail := splitPath(loc)
	return scheme + "://" + authority + removeDotSegments(dir+path) + tail, ""
}

// cutScheme splits "scheme:rest" when loc starts with a URI scheme (RFC 3986 section 3.1);
// the scheme is returned lower-cased.
func cutScheme(loc string) (scheme, rest string, ok bool) {
	for i := 0; i < len(loc); i++ {
		c := loc[i]
		switch {
		case c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z':
		case (c >= '0' && c <= '9' || c == '+' || c == '-' || c == '.') && i > 0:
		case c == ':' && i > 0:
			return strings.ToLower(loc[:i]), loc[i+1:], true
		default:
			return "", "", false
		}
	}
	return "", "", false
}

// splitHTTPURL splits an absolute http(s) URL into its lower-cased scheme, its authority and
// the rest (path, query, fragment), checking that the authority is a plausible host[:port].
func splitHTTPURL(u string) (scheme, authority, rest string, err error) {
	scheme, after, ok := cutScheme(u)
	if !ok || (scheme != "http" && scheme != "https") {
		return "", "", "", errors.New("is not an http(s) URL")
	}
	if !strings.HasPrefix(after, "//") {
		return "", "", "", errors.New("has no host")
	}
	after = after[2:]
	end := strings.IndexAny(after, "/?#")
	if end < 0 {
		end = len(after)
	}
	authority, rest = after[:end], after[end:]
	if !validAuthority(authority) {
		return "", "", "", errors.New("has no valid host")
	}
	return scheme, authority, rest, nil
}

// validAuthority accepts host or host:port, where host is a registered name or an IPv4
// address. IPv6 literals and userinfo are refused: neither Fabric nor a local emulator or proxy
// needs them, and refusing them keeps this check small and strict.
func validAuthority(a string) bool {
	host, port, _ := strings.Cut(a, ":")
	if host == "" || strings.Contains(port, ":") {
		return false
	}
	for i := 0; i < len(host); i++ {
		c := host[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '-' || c == '_' || c == '~') {
			return false
		}
	}
	for i := 0; i < len(port); i++ {
		if port[i] < '0' || port[i] > '9' {
			return false
		}
	}
	return true
}

// cleanURLText reports whether s is valid UTF-8 without spaces or control characters, and
// every '%' in it starts a two-hex-digit escape.
func cleanURLText(s string) bool {
	return utf8.ValidString(s) && !strings.ContainsFunc(s, func(r rune) bool { return unicode.IsControl(r) || r == ' ' }) && validEscapes(s)
}

// validEscapes reports whether every '%' in s starts a two-hex-digit escape.
func validEscapes(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] == '%' {
			if i+2 >= len(s) || !isHex(s[i+1]) || !isHex(s[i+2]) {
				return false
			}
			i += 2
		}
	}
	return true
}

func isHex(c byte) bool { return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' }

// splitPath splits a path-and-more into the path and the "?query#fragment" tail.
func splitPath(s string) (path, tail string) {
	if i := strings.IndexAny(s, "?#"); i >= 0 {
		return s[:i], s[i:]
	}
	return s, ""
}

// removeDotSegments applies RFC 3986 section 5.2.4 to an absolute path.
func removeDotSegments(path string) string {
	var out []string
	segs := strings.Split(path, "/")
	for i, seg := range segs {
		switch seg {
		case ".":
			if i == len(segs)-1 {
				out = append(out, "")
			}
		case "..":
			if len(out) > 1 {
				out = out[:len(out)-1]
			}
			if i == len(segs)-1 {
				out = append(out, "")
			}
		default:
			out = append(out, seg)
		}
	}
	r := strings.Join(out, "/")
	if !strings.HasPrefix(r, "/") {
		r = "/" + r
	}
	return r
}

// hostOf returns the host[:port] of an absolute http(s) URL, lower-cased, or "" if it has none.
func hostOf(rawURL string) string {
	_, authority, _, err := splitHTTPURL(rawURL)
	if err != nil {
		return ""
	}
	return strings.ToLower(authority)
}
