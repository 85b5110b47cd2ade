// Package nethttp adapts a net/http client to lro.Transport, for native Go programs and tests.
//
// Redirects are not followed: a 3xx answer reaches the engine as it is, so that nothing
// (a 202's Location in particular) is ever rewritten behind its back. Fabric's API does not
// redirect; a 3xx usually means a misconfigured base URL or proxy, and the engine reports it.
package nethttp

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/fabric-lro/fabric-lro/lro"
)

// DefaultMaxBodyBytes bounds how much of a response body is read (64 MiB).
const DefaultMaxBodyBytes = 64 << 20

// Transport is an [lro.Transport] over an *http.Client.
type Transport struct {
	client *http.Client
	// MaxBodyBytes bounds the response body read; a longer body is an error.
	// Zero means [DefaultMaxBodyBytes].
	MaxBodyBytes int64
}

// New returns a Transport that sends with a copy of c (http.DefaultClient if nil) changed to
// never follow redirects.
func New(c *http.Client) *Transport {
	if c == nil {
		c = http.DefaultClient
	}
	cc := *c
	cc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &Transport{client: &cc}
}

// Do sends req and reads the whole response body.
func (t *Transport) Do(ctx context.Context, req *lro.Request) (*lro.Response, error) {
	var body io.Reader
	if req.Body != nil {
		body = bytes.NewReader(req.Body)
	}
	hr, err := http.NewRequestWithContext(ctx, req.Method, req.URL, body)
	if err != nil {
		return nil, err
	}
	for k, vs := range req.Header {
		for _, v := range vs {
			hr.Header.Add(k, v)
		}
	}
	if req.Body != nil && hr.Header.Get("Content-Type") == "" {
		hr.Header.Set("Content-Type", "application/json")
	}
	resp, err := t.client.Do(hr)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	limit := t.MaxBodyBytes
	if limit <= 0 {
		limit = DefaultMaxBodyBytes
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return nil, fmt.Errorf("reading the response body from %s: %w", req.URL, err)
	}
	if int64(len(b)) > limit {
		return nil, errors.New("the response body from " + req.URL + " is larger than MaxBodyBytes")
	}
	return &lro.Response{StatusCode: resp.StatusCode, Header: lro.Header(resp.Header), Body: b}, nil
}
