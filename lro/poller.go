package lro

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"time"
)

// Kind says which Fabric protocol a poller follows.
type Kind string

// The kinds of long-running calls.
const (
	// KindOperation is a long-running operation polled at /v1/operations/{id}, whose result
	// (if any) is at .../result. A call that answered 200 or 201 is also KindOperation.
	KindOperation Kind = "operation"
	// KindJob is an item job instance polled at .../jobs/instances/{id}.
	KindJob Kind = "job"
)

// Fabric statuses of operations ([KindOperation]).
const (
	StatusUndefined  = "Undefined"
	StatusNotStarted = "NotStarted"
	StatusRunning    = "Running"
	StatusSucceeded  = "Succeeded"
	StatusFailed     = "Failed"
)

// Fabric statuses of job instances ([KindJob]); NotStarted and Failed are shared with operations.
const (
	StatusInProgress = "InProgress"
	StatusCompleted  = "Completed"
	StatusCancelled  = "Cancelled"
	StatusDeduped    = "Deduped"
)

// tokenVersion marks a resume token so that later formats can be told apart.
const tokenVersion = "fabric-lro/1"

// pollState is everything needed to resume watching a call: the resume token is this struct as
// JSON. Only Poll changes it, and only after a response was understood.
type pollState struct {
	// Version is tokenVersion; Kind picks the variant; ID is Fabric's operation or job id.
	Version            string          `json:"v"`
	Kind               Kind            `json:"kind"`
	ID                 string          `json:"id,omitempty"`
	URL                string          `json:"url,omitempty"`       // state URL or job-instance URL, as Fabric gave it
	ResultURL          string          `json:"resultUrl,omitempty"` // set once Succeeded with a Location
	Status             string          `json:"status,omitempty"`
	Done               bool            `json:"done,omitempty"`
	PercentComplete    *float64        `json:"percentComplete,omitempty"`
	CreatedTimeUtc     string          `json:"createdTimeUtc,omitempty"`
	LastUpdatedTimeUtc string          `json:"lastUpdatedTimeUtc,omitempty"`
	NextPollAt         *time.Time      `json:"nextPollAt,omitempty"`
	RetryAfterSeconds  int             `json:"retryAfter,omitempty"` // the call's last Retry-After
	Deadline           *time.Time      `json:"deadline,omitempty"`   // the overall deadline (Options.Timeout), absolute
	Attempts           int             `json:"attempts,omitempty"`
	Result             json.RawMessage `json:"result,omitempty"`    // a JSON result
	ResultBytes        []byte          `json:"resultBin,omitempty"` // a non-JSON result (base64 in the token)
	Error              *Error          `json:"error,omitempty"`
}

// Poller watches one long-running operation or job. Create it with [Client.Start] or
// [Client.Resume]. A Poller is not safe for concurrent use; [Scheduler] serialises access for
// many of them.
type Poller struct {
	c  *Client
	st pollState
	v  variant

	next         time.Time // earliest time for the next request
	failures     int       // consecutive 5xx/network failures
	attempts     int       // requests sent for this call, including the start
	lastProgress time.Time
	hostURL      string // the URL hostName was computed from (a cache: schedulers ask often)
	hostName     string
	stalled      bool
	deadline     time.Time
	why          waitCause // why next is where it is (Snapshot.Waiting)
	enc          encoded   // the JSON of the state, kept until it changes
}

// encoded is a poller's JSON: its resume token and, for a result that is not JSON, the JSON
// string Snapshot shows. ok is false from any change of the state until encode runs again.
type encoded struct {
	ok     bool
	token  string
	err    error
	result json.RawMessage
}

// encode makes p.enc unless it is up to date. ResumeToken and Snapshot call it; a Scheduler
// calls it while it owns the poller, outside its lock, so that the Snapshot it takes under the
// lock does no JSON work.
func (p *Poller) encode() {
	if p.enc.ok {
		return
	}
	st := p.st
	st.Attempts = p.attempts
	if !st.Done && !p.next.IsZero() {
		t := p.next.UTC()
		st.NextPollAt = &t
	}
	if !st.Done && !p.deadline.IsZero() {
		t := p.deadline.UTC()
		st.Deadline = &t
	}
	b, err := json.Marshal(st)
	p.enc = encoded{ok: true, token: string(b), err: err}
	if p.st.Result == nil && p.st.ResultBytes != nil {
		p.enc.result, _ = json.Marshal(string(p.st.ResultBytes)) // a string always marshals
	}
}

// pollAt makes the next request due at t, whatever Retry-After or a backoff said: a
// Scheduler's decision when a call waits for a new token (later) or is retried after one
// (now). The host's 429 pause still applies (see NextPollAt).
func (p *Poller) pollAt(t time.Time) {
	p.next = t
	p.enc.ok = false
}

func (c *Client) newPoller(st pollState) *Poller {
	now := time.Now()
	st.Version = tokenVersion
	p := &Poller{c: c, st: st, v: variantOf(st.Kind), lastProgress: now, next: now}
	if st.NextPollAt != nil {
		p.next = *st.NextPollAt
		p.st.NextPollAt = nil
	}
	p.attempts, p.st.Attempts = st.Attempts, 0
	switch {
	case st.Deadline != nil: // resumed: the original deadline holds
		p.deadline = *st.Deadline
		p.st.Deadline = nil
	case c.opts.Timeout > 0:
		p.deadline = now.Add(c.opts.Timeout)
	}
	return p
}

// Done reports whether the call has finished (succeeded, failed, or ended as a job outcome).
func (p *Poller) Done() bool { return p.st.Done }

// Kind returns whether the poller follows an operation or a job.
func (p *Poller) Kind() Kind { return p.st.Kind }

// ID returns the Fabric operation id or job instance id ("" for a call that answered 200/201).
func (p *Poller) ID() string { return p.st.ID }

// URL returns the URL being polled: the operation state URL or the job instance URL, exactly as
// Fabric's Location gave it.
func (p *Poller) URL() string { return p.st.URL }

// Status returns the last Fabric status seen ("" before the first poll of a resumed call).
// Unknown statuses are returned as Fabric sent them.
func (p *Poller) Status() string { return p.st.Status }

// PercentComplete returns the last percentComplete, and false if Fabric gave none (or null).
func (p *Poller) PercentComplete() (float64, bool) {
	if p.st.PercentComplete == nil {
		return 0, false
	}
	return *p.st.PercentComplete, true
}

// NextPollAt returns the earliest time the next request may be sent: the last Retry-After,
// a retry backoff, or the end of the host's 429 pause, whichever is latest. Zero when done.
func (p *Poller) NextPollAt() time.Time {
	if p.st.Done {
		return time.Time{}
	}
	if g := p.c.gateOf(p.host()); g.After(p.next) {
		return g
	}
	return p.next
}

// Attempts returns how many requests were sent for this call, the start included.
func (p *Poller) Attempts() int { return p.attempts }

// Stalled reports whether neither lastUpdatedTimeUtc, percentComplete nor the status changed for
// Options.StallAfter. A stalled call is still polled: long operations are normal.
func (p *Poller) Stalled() bool { return p.stalled }

// Result returns the outcome once the call is done: the result body (nil when the operation
// has none, which is a success) or the *Error of a failed operation or a failed, cancelled or
// deduped job. Before that it returns an error matching [CodeOperationNotDone]. The result is cached:
// calling Result again sends nothing.
func (p *Poller) Result() ([]byte, error) {
	if !p.st.Done {
		return nil, &Error{ErrorCode: string(CodeOperationNotDone), Message: "the operation is not done: it is still " + orUnknown(p.st.Status)}
	}
	if p.st.Error != nil {
		e := *p.st.Error
		return nil, &e
	}
	if p.st.Result != nil {
		return append([]byte(nil), p.st.Result...), nil
	}
	if p.st.ResultBytes != nil {
		return append([]byte(nil), p.st.ResultBytes...), nil
	}
	return nil, nil
}

// ResumeToken returns the poller's state as a small JSON document. [Client.Resume] accepts it
// (in this or another process, or after a browser reload) and continues exactly where this
// poller stands, including the earliest next poll time and the overall deadline
// (Options.Timeout), which a resumed poller keeps rather than restarting.
func (p *Poller) ResumeToken() (string, error) {
	p.encode()
	return p.enc.token, p.enc.err
}

// Poll sends the one request the call needs next (a state or job-instance poll, or the result
// fetch) and updates the state from the answer. It does not wait: the caller honours
// [Poller.NextPollAt] ([Poller.PollUntilDone] and [Scheduler] do). If the host is paused after a
// 429, Poll sends nothing and returns an error matching [CodeRequestBlocked].
//
// A failed Poll leaves the state unchanged; only the time of the next attempt moves (to the
// 429's Retry-After, or to an exponential backoff after a 5xx or network error). Such errors are
// retryable ([IsRetryable]); after Options.MaxRetries consecutive 5xx or network failures Poll
// returns a non-retryable error matching [CodeRetriesExhausted]. Calling Poll on a done poller
// does nothing.
func (p *Poller) Poll(ctx context.Context) error {
	if p.st.Done {
		return nil
	}
	now := time.Now()
	if !p.deadline.IsZero() && !now.Before(p.deadline) {
		return &Error{ErrorCode: string(CodeOperationDeadlineExceeded), Message: "the operation did not finish by its deadline " + p.deadline.UTC().Format(time.RFC3339) + " (Options.Timeout, counted from when watching began); it may still be running in Fabric"}
	}
	req := &Request{Method: "GET", URL: p.requestURL()}
	if until := p.c.gateOf(p.host()); !until.IsZero() {
		return &Error{ErrorCode: string(CodeRequestBlocked), Message: "requests to " + hostOf(req.URL) + " are paused after a 429 until " + until.UTC().Format(time.RFC3339), Retryable: true, RetryAfter: until.Sub(now)}
	}
	resp, sent, err := p.c.exchange(ctx, req)
	p.attempts += sent
	p.enc.ok = false
	now = time.Now()
	if err != nil && p.noResult(req, err) {
		st := p.st
		st.Done = true
		p.failures = 0
		p.progress(st, now)
		p.st = st
		return nil
	}
	if err == nil && (resp.StatusCode < 200 || resp.StatusCode > 299) {
		err = &Error{StatusCode: resp.StatusCode, ErrorCode: string(CodeUnexpectedResponse), Message: "unexpected HTTP " + itoa(resp.StatusCode) + " from " + req.URL + " (Location " + resp.Header.Get("Location") + "): Fabric does not redirect polls"}
	}
	if err != nil {
		return p.failed(err, now)
	}
	st, wait, err := p.v.update(p, req, resp, now)
	if err != nil {
		return p.failed(err, now)
	}
	p.failures = 0
	p.progress(st, now)
	p.st = st
	p.next = now.Add(wait)
	p.why = waitCause{d: wait}
	return nil
}

// noResult reports whether err is Fabric saying the operation has no result (400
// OperationHasNoResult) in answer to the result fetch. That means done without result: it
// happens when the final Location pointed at /result anyway, or a /result URL was resumed.
func (p *Poller) noResult(req *Request, err error) bool {
	var e *Error
	return p.st.Kind == KindOperation && req.URL == p.st.ResultURL && errors.As(err, &e) && e.ErrorCode == string(CodeOperationHasNoResult)
}

// failed records a failed request and decides when to try again.
func (p *Poller) failed(err error, now time.Time) error {
	var e *Error
	if !errors.As(err, &e) || !e.Retryable {
		return err
	}
	if e.StatusCode == 429 {
		p.next = now.Add(e.RetryAfter)
		p.why = waitCause{reason: WaitThrottled, d: e.RetryAfter, err: e}
		p.c.warn(p.st.ID, WarnThrottled, "throttled (429); next request in "+e.RetryAfter.String())
		return err
	}
	p.failures++
	if p.failures > p.c.opts.MaxRetries {
		p.failures = 0
		return exhausted(p.c.opts.MaxRetries+1, e)
	}
	d := max(p.c.backoff(p.failures), e.RetryAfter)
	p.next = now.Add(d)
	p.why = waitCause{reason: WaitRetrying, d: d, err: e, attempt: p.failures}
	p.c.warn(p.st.ID, WarnRetrying, e.Error()+"; retrying in "+d.String())
	return err
}

// progress updates stall tracking from the state about to be stored.
func (p *Poller) progress(st pollState, now time.Time) {
	moved := st.Status != p.st.Status || st.LastUpdatedTimeUtc != p.st.LastUpdatedTimeUtc ||
		!equalPercent(st.PercentComplete, p.st.PercentComplete)
	if moved || st.Done {
		p.lastProgress = now
		p.stalled = false
		return
	}
	if p.c.opts.StallAfter > 0 && !p.stalled && now.Sub(p.lastProgress) >= p.c.opts.StallAfter {
		p.stalled = true
		p.c.warn(st.ID, WarnStalled, "no progress for "+now.Sub(p.lastProgress).String()+" (status "+orUnknown(st.Status)+"); still polling")
	}
}

func equalPercent(a, b *float64) bool {
	return (a == nil) == (b == nil) && (a == nil || *a == *b)
}

// host returns the host of the next request's URL.
func (p *Poller) host() string {
	if u := p.requestURL(); u != p.hostURL {
		p.hostURL, p.hostName = u, hostOf(p.c.resolve(u))
	}
	return p.hostName
}

// requestURL is the URL the next request goes to.
func (p *Poller) requestURL() string {
	if p.st.ResultURL != "" && p.st.Status == StatusSucceeded {
		return p.st.ResultURL
	}
	return p.st.URL
}

// PollUntilDone polls until the call is done and returns [Poller.Result]. Between polls it
// waits until [Poller.NextPollAt], which honours Retry-After (and 429 pauses of the host) and
// never polls sooner. It keeps going through retryable errors, and returns the first error that
// is not retryable, or ctx's error as soon as ctx is cancelled.
func (p *Poller) PollUntilDone(ctx context.Context) ([]byte, error) {
	for !p.st.Done {
		if err := sleep(ctx, time.Until(p.NextPollAt())); err != nil {
			return nil, err
		}
		if err := p.Poll(ctx); err != nil && !IsRetryable(err) {
			return nil, err
		}
	}
	return p.Result()
}

// Cancel asks Fabric to cancel a job (POST {job instance URL}/cancel). Fabric accepts with 202;
// keep polling to see the job end as Cancelled. A job that already finished answers an error
// such as JobAlreadyCompleted. Operations cannot be cancelled: Cancel returns an error with
// code OperationNotCancellable.
func (p *Poller) Cancel(ctx context.Context) error {
	if p.st.Kind != KindJob {
		return &Error{ErrorCode: string(CodeOperationNotCancellable), Message: "Fabric operations cannot be cancelled, only jobs"}
	}
	if p.st.Done {
		return &Error{ErrorCode: string(CodeJobAlreadyCompleted), Message: "the job already ended as " + p.st.Status}
	}
	sent, err := p.c.cancelJob(ctx, p.st.URL)
	p.attempts += sent
	p.enc.ok = false
	return err
}

func orUnknown(s string) string {
	if s == "" {
		return "in an unknown state"
	}
	return s
}

func itoa(n int) string { return strconv.Itoa(n) }
