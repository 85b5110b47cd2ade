package lro

import (
	"net/url"
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

// ParseRetryAfter parses a Retry-After header value: either delay-seconds ("20") or an
// HTTP-date ("Wed, 21 Oct 2015 07:28:00 GMT"), relative to now. A date in the past gives 0.
// ok is false for an empty or malformed value; the caller then uses its default.
func ParseRetryAfter(value string, now time.Time) (d time.Duration, ok bool) {
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

// ResolveLocation returns the URL a Location header points at. An absolute http or https
// Location is returned exactly as given (trimmed of spaces): Fabric's Location may lack /v1 or
// point at another, regional host, and must be followed, not rebuilt. A relative Location is
// resolved against requestURL, the URL of the request that returned it. Anything else (empty,
// another scheme, unparsable) is an error.
func ResolveLocation(requestURL, location string) (string, error) {
	loc := strings.TrimSpace(location)
	if loc == "" {
		return "", &Error{ErrorCode: CodeUnexpected, Message: "the response has an empty Location header"}
	}
	if !utf8.ValidString(loc) || strings.ContainsFunc(loc, unicode.IsControl) {
		return "", &Error{ErrorCode: CodeUnexpected, Message: "the response's Location header holds control characters or invalid UTF-8: " + strconv.Quote(loc)}
	}
	u, err := url.Parse(loc)
	if err != nil {
		return "", &Error{ErrorCode: CodeUnexpected, Message: "the response's Location header is not a URL: " + strconv.Quote(loc)}
	}
	if u.IsAbs() {
		if !isHTTPURL(u) {
			return "", &Error{ErrorCode: CodeUnexpected, Message: "the response's Location header is not an http(s) URL: " + strconv.Quote(loc)}
		}
		return loc, nil
	}
	base, err := url.Parse(requestURL)
	if err != nil || !isHTTPURL(base) {
		return "", &Error{ErrorCode: CodeUnexpected, Message: "cannot resolve relative Location " + strconv.Quote(loc) + " against " + strconv.Quote(requestURL)}
	}
	r := base.ResolveReference(u)
	if !isHTTPURL(r) {
		return "", &Error{ErrorCode: CodeUnexpected, Message: "the response's Location header does not resolve to an http(s) URL: " + strconv.Quote(loc)}
	}
	return r.String(), nil
}

func isHTTPURL(u *url.URL) bool {
	return (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

// hostOf returns the host[:port] of an absolute URL, lower-cased, or "" if it has none.
func hostOf(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		return ""
	}
	return strings.ToLower(u.Host)
}
