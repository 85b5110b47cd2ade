// Package lrotest provides a scripted transport for testing code built on lro.
//
// [Transport] answers requests from a script keyed by method and URL and records every
// request with the time it was sent. Run the code under test in a testing/synctest bubble:
// the engine's waits (Retry-After, backoff) then take no real time, and the recorded times
// are the bubble's fake ones.
package lrotest

import (
	"context"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/fabric-lro/fabric-lro/lro"
)

// Reply is one scripted answer. Err, if set, is returned as a network error instead.
type Reply struct {
	// Status is the HTTP status code.
	Status int
	// Header holds the response header fields.
	Header lro.Header
	// Body is the response body.
	Body string
	// Err, if set, is returned as a network error instead of a response.
	Err error
}

// Recorded is one request the transport received.
type Recorded struct {
	// Method is the request method.
	Method string
	// URL is the absolute request URL.
	URL string
	// Header holds the request header fields (Authorization included).
	Header lro.Header
	// Body is the request body.
	Body []byte
	// At is when the request was sent (time.Now: the fake time inside a synctest bubble).
	At time.Time
}

// HandlerFunc answers a request dynamically.
type HandlerFunc func(req *lro.Request) (*lro.Response, error)

// Transport is a scripted [lro.Transport]. For each method and URL it plays the replies given
// to [Transport.On] in order, repeating the last one; [Transport.Handle] answers dynamically.
// A request with no script gets 404 with errorCode "NotScripted". Safe for concurrent use.
type Transport struct {
	mu       sync.Mutex
	scripts  map[string][]Reply
	handlers map[string]HandlerFunc
	log      []Recorded
}

// NewTransport returns an empty script.
func NewTransport() *Transport {
	return &Transport{scripts: map[string][]Reply{}, handlers: map[string]HandlerFunc{}}
}

func key(method, url string) string { return strings.ToUpper(method) + " " + url }

// On appends replies for method and url (an absolute URL, as the engine sends it).
func (t *Transport) On(method, url string, replies ...Reply) *Transport {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.scripts[key(method, url)] = append(t.scripts[key(method, url)], replies...)
	return t
}

// Handle answers method and url with fn (after any replies given to On are used up).
func (t *Transport) Handle(method, url string, fn HandlerFunc) *Transport {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.handlers[key(method, url)] = fn
	return t
}

// Do answers req from the script and records it.
func (t *Transport) Do(ctx context.Context, req *lro.Request) (*lro.Response, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	t.mu.Lock()
	rec := Recorded{Method: req.Method, URL: req.URL, Header: req.Header.Clone(), Body: slices.Clone(req.Body), At: time.Now()}
	t.log = append(t.log, rec)
	k := key(req.Method, req.URL)
	q := t.scripts[k]
	h := t.handlers[k]
	var r Reply
	switch {
	case len(q) > 1 || (len(q) == 1 && h != nil):
		r, t.scripts[k] = q[0], q[1:]
	case len(q) == 1:
		r = q[0]
	case h != nil:
		t.mu.Unlock()
		return h(req)
	default:
		r = Reply{Status: 404, Body: `{"errorCode":"NotScripted","message":"no scripted reply for ` + k + `"}`}
	}
	t.mu.Unlock()
	if r.Err != nil {
		return nil, r.Err
	}
	return &lro.Response{StatusCode: r.Status, Header: r.Header.Clone(), Body: []byte(r.Body)}, nil
}

// Requests returns every request received so far, in order.
func (t *Transport) Requests() []Recorded {
	t.mu.Lock()
	defer t.mu.Unlock()
	return slices.Clone(t.log)
}

// Count returns how many requests with method and url were received.
func (t *Transport) Count(method, url string) int {
	t.mu.Lock()
	defer t.mu.Unlock()
	n := 0
	for _, r := range t.log {
		if key(r.Method, r.URL) == key(method, url) {
			n++
		}
	}
	return n
}
