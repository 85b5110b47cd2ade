package lro

import (
	"context"
	"errors"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/fabric-lro/fabric-lro/internal/hostpolicy"
	"github.com/tidwall/gjson"
)

// DefaultBaseURL is Fabric's public API endpoint, used when Options.BaseURL is empty.
const DefaultBaseURL = "https://api.fabric.microsoft.com"

// Defaults for the zero values of [Options].
const (
	DefaultRetryAfter      = 20 * time.Second // Fabric's smallest documented Retry-After
	DefaultMaxRetryAfter   = 10 * time.Minute
	DefaultMaxRetries      = 4
	DefaultRetryBackoff    = 1 * time.Second
	DefaultMaxRetryBackoff = 30 * time.Second
	DefaultStallAfter      = 10 * time.Minute
	DefaultMinRetryAfter   = 1 * time.Second
)

// Options configures a [Client]. The zero value of every field except Transport means the
// documented default.
type Options struct {
	// Transport sends requests. Required: use lro/nethttp natively, lro/jsfetch in a browser.
	Transport Transport
	// Token supplies the bearer token added as "Authorization: Bearer <token>". Nil sends no
	// Authorization header (for a proxy that adds it).
	Token TokenSource
	// BaseURL is where relative request URLs and bare operation ids are resolved, for example
	// "https://api.fabric.microsoft.com" or a proxy's origin. Default [DefaultBaseURL].
	BaseURL string
	// TrustedHosts lists the hosts, besides the BaseURL's own (same scheme, host and port),
	// that requests may be sent to, and so receive the bearer token. A Location, a result URL
	// or a tracked URL on any other host is refused before anything is sent: the call fails
	// with an *Error of code [CodeUntrustedHost] that names the host (never silently sent
	// without the token). Each entry is "host", "host:port" or "scheme://host[:port]"; the host
	// "*.example.com" matches every subdomain of example.com but not example.com itself, and
	// the port "*" any port; without a scheme only https matches, and without a port the
	// scheme's default port. Hosts are DNS names or dotted-decimal IPv4 addresses; an entry or
	// URL with an empty label, a trailing dot, userinfo or a non-ASCII host matches nothing.
	// Nil means [DefaultTrustedHosts]: api.fabric.microsoft.com, *.api.fabric.microsoft.com and
	// *.analysis.windows.net (Fabric's regional hosts), https only. A non-nil empty slice
	// trusts the BaseURL's host alone. Behind the fabric-lro proxy (BaseURL is the proxy's
	// origin, which rewrites every Location to itself) nothing needs adding.
	TrustedHosts []string
	// DefaultRetryAfter is the wait before the next poll when a response has no (valid)
	// Retry-After and no earlier answer for the same call had one (otherwise that one
	// applies: a job instance GET has none, but the job's 202 had). Default [DefaultRetryAfter].
	DefaultRetryAfter time.Duration
	// MaxRetryAfter caps every Retry-After honoured (poll interval or 429 wait).
	// Default [DefaultMaxRetryAfter].
	MaxRetryAfter time.Duration
	// MinRetryAfter is the floor of every poll interval and 429 wait: a "Retry-After: 0", or
	// an HTTP date already past (as a client clock running ahead of Fabric's sees it), waits
	// this long rather than polling in a tight loop. Default [DefaultMinRetryAfter]; negative
	// means no floor. It never exceeds MaxRetryAfter.
	MinRetryAfter time.Duration
	// MaxRetries bounds consecutive retries after 5xx answers or network errors; after that the
	// call fails with [CodeRetriesExhausted]. Default [DefaultMaxRetries]; negative means none.
	MaxRetries int
	// RetryBackoff is the first backoff after a 5xx or network error; it doubles on each
	// consecutive failure up to MaxRetryBackoff, with jitter. Defaults [DefaultRetryBackoff],
	// [DefaultMaxRetryBackoff].
	RetryBackoff, MaxRetryBackoff time.Duration
	// Rand returns a number in [0,1) for backoff jitter; it must be safe for concurrent use.
	// Default math/rand/v2.Float64.
	Rand func() float64
	// Timeout is an optional overall deadline per operation, counted from when its poller
	// was created; afterwards Poll fails with [CodeOperationDeadlineExceeded]. Zero means none. The
	// deadline is an absolute time kept in the resume token: a poller resumed from a token
	// keeps the original deadline (whatever this client's Timeout), while one resumed from a
	// bare id or URL starts a new one.
	Timeout time.Duration
	// StallAfter is how long neither lastUpdatedTimeUtc, percentComplete nor the status may stay
	// unchanged before the poller reports itself stalled (a warning, never a failure).
	// Default [DefaultStallAfter]; negative disables.
	StallAfter time.Duration
	// OnWarning, if set, receives warnings: unknown statuses, stalls, throttling, retries.
	// It is called synchronously from Poll and Start, must not block, and must be safe for
	// concurrent use: a Scheduler polls several calls at once.
	OnWarning func(Warning)
}

// Warning is something a user may want to know that does not stop an operation.
type Warning struct {
	// ID is the operation or job instance id, if known.
	ID string
	// Code is one of the Warn* constants.
	Code string
	// Message describes the situation in words.
	Message string
}

// Warning codes.
const (
	WarnUnknownStatus = "UnknownStatus" // a status this package does not know; polling goes on
	WarnStalled       = "Stalled"       // no progress for Options.StallAfter
	WarnThrottled     = "Throttled"     // a 429, or the host is paused after one
	WarnRetrying      = "Retrying"      // a 5xx or network error; the call will be retried
)

// Client sends Fabric requests and creates pollers. It holds the per-host throttling gate that
// every poller and scheduler made from it shares. A Client is safe for concurrent use.
type Client struct {
	opts Options

	trust hostpolicy.Policy // where requests may go: the BaseURL's origin and Options.TrustedHosts

	mu   sync.Mutex
	gate map[string]time.Time // host -> paused until

	refresher refresher // one token refresh at a time, shared by the requests refused together
}

// NewClient returns a Client with opts normalised to their defaults.
func NewClient(opts Options) *Client {
	if opts.BaseURL == "" {
		opts.BaseURL = DefaultBaseURL
	}
	opts.BaseURL = strings.TrimRight(opts.BaseURL, "/")
	if opts.DefaultRetryAfter <= 0 {
		opts.DefaultRetryAfter = DefaultRetryAfter
	}
	if opts.MaxRetryAfter <= 0 {
		opts.MaxRetryAfter = DefaultMaxRetryAfter
	}
	if opts.MinRetryAfter == 0 {
		opts.MinRetryAfter = DefaultMinRetryAfter
	} else if opts.MinRetryAfter < 0 {
		opts.MinRetryAfter = 0
	}
	opts.MinRetryAfter = min(opts.MinRetryAfter, opts.MaxRetryAfter)
	if opts.MaxRetries == 0 {
		opts.MaxRetries = DefaultMaxRetries
	} else if opts.MaxRetries < 0 {
		opts.MaxRetries = 0
	}
	if opts.RetryBackoff <= 0 {
		opts.RetryBackoff = DefaultRetryBackoff
	}
	if opts.MaxRetryBackoff <= 0 {
		opts.MaxRetryBackoff = DefaultMaxRetryBackoff
	}
	if opts.Rand == nil {
		opts.Rand = rand.Float64
	}
	if opts.StallAfter == 0 {
		opts.StallAfter = DefaultStallAfter
	}
	if opts.TrustedHosts == nil {
		opts.TrustedHosts = DefaultTrustedHosts()
	}
	opts.TrustedHosts = slices.Clone(opts.TrustedHosts)
	return &Client{opts: opts, trust: trustedHosts(opts.BaseURL, opts.TrustedHosts), gate: map[string]time.Time{}}
}

// Options returns the client's options after defaults were applied.
func (c *Client) Options() Options { return c.opts }

// PauseUntil pauses requests to the host of rawURL until t, as a 429 with that Retry-After
// would (never shortening a pause): an engine taking over calls from another that was
// throttled keeps to the same pause.
func (c *Client) PauseUntil(rawURL string, t time.Time) { c.pause(hostOf(c.resolve(rawURL)), t) }

// gateOf reports until when requests to host are paused after a 429 (the zero time if they
// are not).
func (c *Client) gateOf(h string) time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := c.gate[h]
	if !t.After(time.Now()) {
		delete(c.gate, h)
		return time.Time{}
	}
	return t
}

// pause closes the gate of host until t (never shortening an existing pause).
func (c *Client) pause(host string, t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if t.After(c.gate[host]) {
		c.gate[host] = t
	}
}

// resolve makes a relative URL absolute against the base URL.
func (c *Client) resolve(u string) string {
	if _, _, ok := cutScheme(u); ok {
		return u // absolute (any scheme, any case): checkTrusted decides
	}
	if !strings.HasPrefix(u, "/") {
		u = "/" + u
	}
	return c.opts.BaseURL + u
}

// retryAfter returns the wait a response asks for: its Retry-After, else the default, capped.
func (c *Client) retryAfter(h Header) time.Duration {
	d, _ := c.retryAfterOr(h, 0)
	return d
}

// retryAfterOr returns the response's Retry-After and true, or, when it has none, last if
// positive (the call's previous Retry-After) or else the default, and false; either way
// within [MinRetryAfter, MaxRetryAfter]. A past HTTP date counts as now, so it gets the floor.
func (c *Client) retryAfterOr(h Header, last time.Duration) (time.Duration, bool) {
	d, ok := parseRetryAfter(h.Get("Retry-After"), time.Now())
	if !ok {
		d = c.opts.DefaultRetryAfter
		if last > 0 {
			d = last
		}
	}
	return min(max(d, c.opts.MinRetryAfter), c.opts.MaxRetryAfter), ok
}

// backoff returns the wait before retry number n (1-based) after a 5xx or network error:
// exponential from RetryBackoff, capped at MaxRetryBackoff, with jitter in [d/2, d).
func (c *Client) backoff(n int) time.Duration {
	d := c.opts.RetryBackoff
	for i := 1; i < n && d < c.opts.MaxRetryBackoff; i++ {
		d *= 2
	}
	d = min(d, c.opts.MaxRetryBackoff)
	r := c.opts.Rand()
	if r < 0 || r >= 1 {
		r = 0
	}
	return d/2 + time.Duration(r*float64(d/2))
}

func (c *Client) warn(id, code, msg string) {
	if c.opts.OnWarning != nil {
		c.opts.OnWarning(Warning{ID: id, Code: code, Message: msg})
	}
}

// Do sends one request: it resolves a relative URL against the base URL, refuses a URL on
// a host that is not trusted (see [Options.TrustedHosts]; nothing is sent), adds the bearer
// token, refreshes the token once and resends on 401 TokenExpired (requests refused at the
// same time share one refresh), and turns every answer of
// 400 or more into an *Error. A 429 closes the host's gate for its Retry-After; Do does not
// wait or retry (see [Client.Start] and [Poller] for that), and it does not check the gate.
func (c *Client) Do(ctx context.Context, req *Request) (*Response, error) {
	resp, _, err := c.exchange(ctx, req)
	return resp, err
}

func (c *Client) exchange(ctx context.Context, in *Request) (resp *Response, sent int, err error) {
	req := *in
	req.URL = c.resolve(in.URL)
	req.Header = in.Header.Clone()
	if err := c.checkTrusted(req.URL); err != nil {
		return nil, 0, err
	}
	resp, sent, err = c.send(ctx, &req)
	if err != nil || resp.StatusCode < 400 {
		return resp, sent, err
	}
	return resp, sent, c.refusal(hostOf(req.URL), resp)
}

// send sends req (resolved and trusted) with the bearer token, and again with a new token
// when Fabric answers 401 TokenExpired: one refresh per request, one more when the first gave
// another request's token, which may itself have expired meanwhile. It returns the last
// answer, whatever its status, and how many requests were sent.
func (c *Client) send(ctx context.Context, req *Request) (resp *Response, sent int, err error) {
	refreshes, shared := 0, false
	var tok string
	for {
		if c.opts.Token != nil {
			if tok, shared, err = c.token(ctx, tok, refreshes); err != nil {
				return nil, sent, err
			}
			req.Header.Set("Authorization", "Bearer "+tok)
		}
		if err := ctx.Err(); err != nil {
			return nil, sent, err
		}
		sent++
		if resp, err = c.transport(ctx, req); err != nil {
			return nil, sent, err
		}
		if resp.StatusCode != 401 || c.opts.Token == nil || !(refreshes == 0 || refreshes == 1 && shared) || !isTokenExpired(resp) {
			return resp, sent, nil
		}
		refreshes++
	}
}

// token returns the bearer token for a request: the TokenSource's, or, after refreshes
// refusals of stale, a new one (see refresher; shared says it was another request's).
func (c *Client) token(ctx context.Context, stale string, refreshes int) (tok string, shared bool, err error) {
	if refreshes > 0 {
		tok, shared, err = c.refresher.refresh(ctx, c.opts.Token, stale, refreshes == 1)
	} else {
		tok, err = c.opts.Token.Token(ctx, false)
	}
	if err != nil {
		return "", shared, &Error{ErrorCode: string(CodeTokenUnavailable), Message: "the token source gave no token: " + err.Error(), Err: err}
	}
	return tok, shared, nil
}

// transport sends req once through the Transport. No answer is a retryable NetworkError, or
// ctx's error when ctx ended.
func (c *Client) transport(ctx context.Context, req *Request) (*Response, error) {
	resp, err := c.opts.Transport.Do(ctx, req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, &Error{ErrorCode: string(CodeNetworkError), Message: "could not reach " + hostOf(req.URL) + ": " + err.Error(), Retryable: true, Err: err}
	}
	if resp.Header == nil {
		resp.Header = Header{}
	}
	return resp, nil
}

// refusal is the *Error of an answer of 400 or more from host. A 429 also pauses host for
// its Retry-After; a 5xx keeps the Retry-After it gave, if any.
func (c *Client) refusal(host string, resp *Response) *Error {
	e := responseError(resp)
	switch {
	case resp.StatusCode == 429:
		e.RetryAfter = c.retryAfter(resp.Header)
		c.pause(host, time.Now().Add(e.RetryAfter))
		if e.Message == "" {
			e.Message = "Fabric is throttling this caller"
		}
	case resp.StatusCode >= 500:
		if d, ok := parseRetryAfter(resp.Header.Get("Retry-After"), time.Now()); ok {
			e.RetryAfter = min(d, c.opts.MaxRetryAfter)
		}
	}
	return e
}

func isTokenExpired(resp *Response) bool {
	return gjson.GetBytes(resp.Body, "errorCode").String() == string(CodeTokenExpired) ||
		resp.Header.Get("x-ms-public-api-error-code") == string(CodeTokenExpired)
}

// waitGate waits until the host of rawURL is no longer paused after a 429.
func (c *Client) waitGate(ctx context.Context, rawURL string) error {
	for {
		until := c.gateOf(hostOf(c.resolve(rawURL)))
		if until.IsZero() {
			return ctx.Err()
		}
		if err := sleep(ctx, time.Until(until)); err != nil {
			return err
		}
	}
}

// sleep waits for d, or until ctx is done, and returns ctx's error in that case.
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// Start sends the request that begins a long-running call and returns a poller for it.
//
// 200 or 201 means done: the poller is already Done and its Result is the body (nil if
// empty). 202 starts an operation or a job (see [Poller]). Start waits out 429s (and pauses the
// host for everyone meanwhile). It retries 5xx and network errors only for idempotent methods
// (GET, HEAD, PUT, DELETE): a POST that failed that way may still have taken effect, so
// repeating it could create an item twice or run a job twice; the error is returned instead,
// not retryable ([IsRetryable] is false), with code [CodeStartNotRetried] (errors.Is also
// matches the code of the failure itself).
func (c *Client) Start(ctx context.Context, req *Request) (*Poller, error) {
	p, _, err := c.start(ctx, req)
	return p, err
}

func (c *Client) start(ctx context.Context, req *Request) (*Poller, int, error) {
	idempotent := req.Method == "GET" || req.Method == "HEAD" || req.Method == "PUT" || req.Method == "DELETE"
	attempts, failures := 0, 0
	for {
		if err := c.waitGate(ctx, req.URL); err != nil {
			return nil, attempts, err
		}
		resp, sent, err := c.exchange(ctx, req)
		attempts += sent
		if err == nil {
			p, err := c.fromStartResponse(c.resolve(req.URL), resp)
			if p != nil {
				p.attempts = attempts
			}
			return p, attempts, err
		}
		var e *Error
		if !errors.As(err, &e) || !e.Retryable {
			return nil, attempts, err
		}
		if e.StatusCode == 429 {
			c.warn("", WarnThrottled, "start throttled (429); waiting "+e.RetryAfter.String())
			continue // waitGate waits out the Retry-After
		}
		if !idempotent {
			return nil, attempts, notRetried(req.Method, e)
		}
		failures++
		if failures > c.opts.MaxRetries {
			return nil, attempts, exhausted(failures, e)
		}
		d := max(c.backoff(failures), e.RetryAfter)
		c.warn("", WarnRetrying, e.Error()+"; retrying in "+d.String())
		if err := sleep(ctx, d); err != nil {
			return nil, attempts, err
		}
	}
}

// notRetried is the error of a non-idempotent start (a POST) that failed with a 5xx or a
// network error: it was not retried, because it may have taken effect. It wraps the failure.
func notRetried(method string, last *Error) *Error {
	return &Error{
		StatusCode: last.StatusCode,
		ErrorCode:  string(CodeStartNotRetried),
		Message:    "the " + method + " was not retried: it may have taken effect, and sending it again could create the item or start the job twice (" + last.Error() + ")",
		RequestID:  last.RequestID,
		Err:        last,
	}
}

// exhausted is the error of a call whose 5xx or network failures outlasted the retries. It
// wraps the last failure.
func exhausted(failures int, last *Error) *Error {
	return &Error{
		StatusCode: last.StatusCode,
		ErrorCode:  string(CodeRetriesExhausted),
		Message:    "gave up after " + itoa(failures) + " consecutive failed attempts (the last: " + last.Error() + ")",
		RequestID:  last.RequestID,
		Err:        last,
	}
}
