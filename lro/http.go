package lro

import (
	"context"
	"strings"
)

// Header is a set of HTTP header fields. Keys are stored as given; [Header.Get],
// [Header.Values] and [Header.Del] match names case-insensitively, as HTTP requires.
type Header map[string][]string

// Get returns the first value of the named field (case-insensitive), or "" if absent.
func (h Header) Get(name string) string {
	if v := h.Values(name); len(v) > 0 {
		return v[0]
	}
	return ""
}

// Values returns every value of the named field (case-insensitive).
func (h Header) Values(name string) []string {
	if v, ok := h[name]; ok {
		return v
	}
	for k, v := range h {
		if strings.EqualFold(k, name) {
			return v
		}
	}
	return nil
}

// Set replaces any value of the named field (case-insensitive) with value.
func (h Header) Set(name, value string) {
	h.Del(name)
	h[name] = []string{value}
}

// Add appends value to the named field, keeping existing values.
func (h Header) Add(name, value string) {
	for k := range h {
		if strings.EqualFold(k, name) {
			h[k] = append(h[k], value)
			return
		}
	}
	h[name] = []string{value}
}

// Del removes the named field (case-insensitive).
func (h Header) Del(name string) {
	for k := range h {
		if strings.EqualFold(k, name) {
			delete(h, k)
		}
	}
}

// Clone returns a deep copy of h; the clone of a nil Header is an empty Header.
func (h Header) Clone() Header {
	c := make(Header, len(h))
	for k, v := range h {
		c[k] = append([]string(nil), v...)
	}
	return c
}

// Request is one HTTP request as the engine sends it. URL is absolute when it reaches a
// [Transport]; a [Client] resolves a relative URL ("/v1/...") against its base URL first.
type Request struct {
	// Method is the HTTP method, for example "POST".
	Method string
	// URL is absolute, or relative to the client's base URL ("/v1/...").
	URL string
	// Header holds the request header fields; the client adds Authorization.
	Header Header
	// Body is the request body (JSON for Fabric); nil for none.
	Body []byte
}

// Response is one HTTP response, body fully read. A [Transport] must not follow redirects:
// the engine needs to see 202 and Location as Fabric sent them.
type Response struct {
	// StatusCode is the HTTP status code.
	StatusCode int
	// Header holds the response header fields (Location, Retry-After, x-ms-operation-id, ...).
	Header Header
	// Body is the whole response body.
	Body []byte
}

// Transport sends one request and returns its response. An error means no HTTP response was
// received (a network error); any HTTP status, including 4xx and 5xx, is a response.
// Implementations must be safe for concurrent use.
type Transport interface {
	Do(ctx context.Context, req *Request) (*Response, error)
}

// TransportFunc adapts a function to [Transport].
type TransportFunc func(ctx context.Context, req *Request) (*Response, error)

// Do calls f(ctx, req).
func (f TransportFunc) Do(ctx context.Context, req *Request) (*Response, error) { return f(ctx, req) }

// TokenSource supplies the bearer token for Fabric calls. refresh is true after Fabric answered
// 401 TokenExpired: the source should then return a new token rather than a cached one. A
// Client calls it with refresh true once for all the requests refused with the same token at
// the same time. Implementations must be safe for concurrent use. The engine never logs tokens.
type TokenSource interface {
	Token(ctx context.Context, refresh bool) (string, error)
}

// StaticToken is a [TokenSource] that always returns the same token (for example the
// emulator's "dev-token"); it cannot refresh.
type StaticToken string

// Token returns t.
func (t StaticToken) Token(context.Context, bool) (string, error) { return string(t), nil }

// TokenFunc adapts a function to [TokenSource].
type TokenFunc func(ctx context.Context, refresh bool) (string, error)

// Token calls f(ctx, refresh).
func (f TokenFunc) Token(ctx context.Context, refresh bool) (string, error) { return f(ctx, refresh) }
