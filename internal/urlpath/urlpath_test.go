package urlpath

import (
	"net/url"
	"strings"
	"testing"
)

func TestSegment(t *testing.T) {
	tests := []struct{ in, want string }{
		{in: "6f1c0a51-3e2d-4c8b-9a57-0de1f2a3b4c5", want: "6f1c0a51-3e2d-4c8b-9a57-0de1f2a3b4c5"},
		{in: "Run Notebook/x?y#z%", want: "Run%20Notebook%2Fx%3Fy%23z%25"},
		{in: "é", want: "%C3%A9"},
		{in: "", want: ""},
	}
	for _, tt := range tests {
		if got := Segment(tt.in); got != tt.want {
			t.Errorf("Segment(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func FuzzSegment(f *testing.F) {
	f.Add("a b/c")
	f.Fuzz(func(t *testing.T, s string) {
		e := Segment(s)
		if u, err := url.PathUnescape(e); err != nil || u != s {
			t.Fatalf("Segment(%q) = %q unescapes to %q, %v", s, e, u, err)
		}
		if strings.ContainsAny(e, "/?# ") {
			t.Fatalf("Segment(%q) = %q keeps a delimiter", s, e)
		}
	})
}
