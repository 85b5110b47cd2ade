// Package urlpath builds the path segments of Fabric URLs (workspace ids, item ids, job types)
// without net/url, which the WebAssembly modules do not link.
package urlpath

import "strings"

// Segment escapes s for use as one URL path segment: every byte except the unreserved
// characters of RFC 3986 (letters, digits, "-", ".", "_", "~") becomes %XX, as
// net/url.PathEscape would for a Fabric id.
func Segment(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~' {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
	return b.String()
}
