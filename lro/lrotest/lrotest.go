// Package lrotest provides a fake clock and a scripted transport for testing code built on lro.
//
// [Clock] is a manual (or auto-advancing) [lro.Clock]: time moves only when the test says so,
// so no test sleeps. [Transport] answers requests from a script keyed by method and URL and
// records every request with the (fake) time it was sent.
package lrotest

import (
	"context"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/fabric-lro/fabric-lro/lro"
)

// Epoch is a convenient fixed start time for fake clocks.
var Epoch = time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)

// Clock is a fake [lro.Clock]. Time stands still until [Clock.Advance] or [Clock.Set] moves
// it, which fires due timers in deadline order. In auto mode ([NewAutoClock]) creating a timer
// moves time to its deadline at once, which suits single-goroutine code such as
// Poller.PollUntilDone. Clock is safe for concurrent use.
type Clock struct {
	mu     sync.Mutex
	now    time.Time
	auto   bool
	timers []*timer
	seq    int
	waitCh chan struct{} // closed and replaced whenever a timer is created
}

type timer struct {
	c    *Clock
	at   time.Time
	seq  int
	ch   chan time.Time
	done bool
}

// NewClock returns a manual fake clock set to start.
func NewClock(start time.Time) *Clock {
	return &Clock{now: start, waitCh: make(chan struct{})}
}

// NewAutoClock returns a fake clock that jumps to a new timer's deadline as soon as it is
// created, so waits take no real time.
func NewAutoClock(start time.Time) *Clock {
	c := NewClock(start)
	c.auto = true
	return c
}

// Now returns the fake time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// NewTimer returns a timer firing when the fake time reaches Now()+d.
func (c *Clock) NewTimer(d time.Duration) lro.Timer {
	c.mu.Lock()
	c.seq++
	t := &timer{c: c, at: c.now.Add(d), seq: c.seq, ch: make(chan time.Time, 1)}
	if d <= 0 {
		t.done = true
		t.ch <- c.now
	} else if c.auto {
		c.now = t.at
		t.done = true
		t.ch <- c.now
		c.fireLocked()
	} else {
		c.timers = append(c.timers, t)
	}
	close(c.waitCh)
	c.waitCh = make(chan struct{})
	c.mu.Unlock()
	return t
}

// Advance moves the fake time forward by d, firing every timer that comes due.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	c.fireLocked()
}

// Set moves the fake time to t (never backwards), firing every timer that comes due.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if t.After(c.now) {
		c.now = t
	}
	c.fireLocked()
}

// Pending returns how many timers are waiting to fire.
func (c *Clock) Pending() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.timers)
}

// Next returns the deadline of the earliest pending timer, and false if there is none.
func (c *Clock) Next() (time.Time, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.timers) == 0 {
		return time.Time{}, false
	}
	return c.timers[0].at, true
}

// WaitForTimers blocks until at least n timers are pending or ctx is done, without sleeping:
// use it to know that the code under test has gone to wait on the clock.
func (c *Clock) WaitForTimers(ctx context.Context, n int) error {
	for {
		c.mu.Lock()
		if len(c.timers) >= n {
			c.mu.Unlock()
			return nil
		}
		ch := c.waitCh
		c.mu.Unlock()
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-ch:
		}
	}
}

func (c *Clock) fireLocked() {
	sort.SliceStable(c.timers, func(i, j int) bool {
		if !c.timers[i].at.Equal(c.timers[j].at) {
			return c.timers[i].at.Before(c.timers[j].at)
		}
		return c.timers[i].seq < c.timers[j].seq
	})
	for len(c.timers) > 0 && !c.timers[0].at.After(c.now) {
		t := c.timers[0]
		c.timers = c.timers[1:]
		t.done = true
		t.ch <- c.now
	}
}

func (t *timer) C() <-chan time.Time { return t.ch }

func (t *timer) Stop() bool {
	t.c.mu.Lock()
	defer t.c.mu.Unlock()
	if t.done {
		return false
	}
	t.done = true
	t.c.timers = slices.DeleteFunc(t.c.timers, func(x *timer) bool { return x == t })
	return true
}

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
	// At is the time of the transport's clock when the request was sent (zero without a clock).
	At time.Time
}

// HandlerFunc answers a request dynamically.
type HandlerFunc func(req *lro.Request) (*lro.Response, error)

// Transport is a scripted [lro.Transport]. For each method and URL it plays the replies given
// to [Transport.On] in order, repeating the last one; [Transport.Handle] answers dynamically.
// A request with no script gets 404 with errorCode "NotScripted". Safe for concurrent use.
type Transport struct {
	// Clock, if set, timestamps recorded requests.
	Clock lro.Clock

	mu       sync.Mutex
	scripts  map[string][]Reply
	handlers map[string]HandlerFunc
	log      []Recorded
}

// NewTransport returns an empty script whose requests are timestamped with clock (may be nil).
func NewTransport(clock lro.Clock) *Transport {
	return &Transport{Clock: clock, scripts: map[string][]Reply{}, handlers: map[string]HandlerFunc{}}
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
	rec := Recorded{Method: req.Method, URL: req.URL, Header: req.Header.Clone(), Body: slices.Clone(req.Body)}
	if t.Clock != nil {
		rec.At = t.Clock.Now()
	}
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
