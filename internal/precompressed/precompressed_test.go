package precompressed

import "testing"

func TestNegotiate(t *testing.T) {
	both := []string{"br", "gzip"}
	tests := []struct {
		name    string
		accept  []string
		offered []string
		want    string
	}{
		{name: "no header", accept: nil, offered: both, want: ""},
		{name: "empty header", accept: []string{""}, offered: both, want: ""},
		{name: "br", accept: []string{"br"}, offered: both, want: "br"},
		{name: "gzip", accept: []string{"gzip"}, offered: both, want: "gzip"},
		{name: "both, server order breaks the tie", accept: []string{"gzip, br"}, offered: both, want: "br"},
		{name: "q-values win over server order", accept: []string{"br;q=0.2, gzip;q=0.8"}, offered: both, want: "gzip"},
		{name: "q=0 refuses", accept: []string{"br;q=0, gzip"}, offered: both, want: "gzip"},
		{name: "all refused", accept: []string{"br;q=0,gzip;q=0"}, offered: both, want: ""},
		{name: "q with spaces and capitals", accept: []string{"BR ; Q=0.5 , GZip;q=1.0"}, offered: both, want: "gzip"},
		{name: "x-gzip", accept: []string{"x-gzip"}, offered: both, want: "gzip"},
		{name: "wildcard", accept: []string{"*"}, offered: both, want: "br"},
		{name: "wildcard minus br", accept: []string{"*;q=0.5, br;q=0"}, offered: both, want: "gzip"},
		{name: "wildcard refused", accept: []string{"*;q=0"}, offered: both, want: ""},
		{name: "several header lines", accept: []string{"deflate", "gzip"}, offered: both, want: "gzip"},
		{name: "malformed weight accepts nothing", accept: []string{"br;q=high, gzip"}, offered: both, want: "gzip"},
		{name: "only gzip offered", accept: []string{"br, gzip"}, offered: []string{"gzip"}, want: "gzip"},
		{name: "nothing offered", accept: []string{"br, gzip"}, offered: nil, want: ""},
		{name: "unknown codings only", accept: []string{"zstd, deflate"}, offered: both, want: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Negotiate(tt.accept, tt.offered); got != tt.want {
				t.Fatalf("Negotiate(%q, %q) = %q, want %q", tt.accept, tt.offered, got, tt.want)
			}
		})
	}
}
