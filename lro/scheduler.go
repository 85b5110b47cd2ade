package lro

import (
	"container/heap"
	"context"
	"errors"
	"sync"
	"time"
)

// Defaults for the zero values of [SchedulerOptions].
const (
	DefaultRequestsPerSecond = 5
	DefaultMaxInFlight       = 8
)

// SchedulerOptions configures a [Scheduler]. Zero values mean the documented defaults.
type SchedulerOptions struct {
	// RequestsPerSecond is the one request budget shared by every watched call (starts, polls,
	// result fetches and job cancels), enforced as a token bucket.
	// Default [DefaultRequestsPerSecond].
	RequestsPerSecond float64
	// Burst is how many requests may be sent back to back after a quiet period. Default 1.
	Burst int
	// MaxInFlight bounds the requests outstanding at once. Default [DefaultMaxInFlight].
	MaxInFlight int
}

// Scheduler watches many operations and jobs at once. Each call is polled at its due time
// (Retry-After honoured, never sooner), all of them share one request budget, a 429 on any call
// pauses every call to that host (the [Client]'s gate), and every change is published as a
// [Snapshot] to subscribers. Start it with [Scheduler.Run]; all methods are safe for
// concurrent use, also from subscriber callbacks.
//
// A 401 that the token source cannot fix (TokenExpired after the one refresh, or a token
// source error) does not end a call: it waits for a new token, its snapshot showing the
// error with Done false, and is polled again at its next due time (the client's
// DefaultRetryAfter, doubling on each such failure up to MaxRetryAfter) or at once after
// [Scheduler.Retry] or [Scheduler.RetryAll], which a UI calls when the user supplies a token.
type Scheduler struct {
	c      *Client
	opts   SchedulerOptions
	bucket gcra
	wake   chan struct{}

	mu       sync.Mutex
	entries  map[string]*entry
	order    []*entry
	seq      int // for generated ids
	added    int // entries ever added
	inFlight int
	running  bool
	subs     []subscriber
	subSeq   int
	queue    dueQueue        // watched calls waiting for their next request, earliest first
	pending  []Snapshot      // published but not yet delivered
	closing  []chan struct{} // done channels to close once pending is delivered
	sending  bool
}

// entry is one watched call.
type entry struct {
	id, label string
	p         *Poller
	jobURL    string // kept for Cancel, which must not touch p while a poll is in flight
	extra     int    // requests sent for the call outside its poller (job cancels)
	snap      Snapshot
	busy      bool          // a Poll is in flight
	final     bool          // nothing more will be sent
	err       error         // the final error, if any
	authErr   error         // the last poll's 401 or token error, while waiting for a token
	authFails int           // consecutive polls that failed so
	done      chan struct{} // closed when final
	due       time.Time     // when it is next due, while queued
	index     int           // position in the queue, -1 when not queued
	seq       int           // order of addition, to break ties
}

// NewScheduler returns a scheduler that sends through c. Call [Scheduler.Run] to start polling.
func NewScheduler(c *Client, opts SchedulerOptions) *Scheduler {
	if opts.RequestsPerSecond <= 0 {
		opts.RequestsPerSecond = DefaultRequestsPerSecond
	}
	if opts.Burst <= 0 {
		opts.Burst = 1
	}
	if opts.MaxInFlight <= 0 {
		opts.MaxInFlight = DefaultMaxInFlight
	}
	return &Scheduler{
		c:       c,
		opts:    opts,
		bucket:  newGCRA(opts.RequestsPerSecond, opts.Burst),
		wake:    make(chan struct{}, 1),
		entries: map[string]*entry{},
	}
}

// Client returns the client the scheduler sends through.
func (s *Scheduler) Client() *Client { return s.c }

// Run polls every watched call when it is due until ctx is done, then waits for requests in
// flight to return and returns ctx's error. Calls added before Run starts are polled once it
// does. Only one Run may be active at a time (a second one returns an error at once); after
// Run returns, another Run continues where it stopped.
func (s *Scheduler) Run(ctx context.Context) error {
	s.mu.Lock()
	if s.running {
		s.mu.Unlock()
		return errors.New("lro: Scheduler.Run is already running")
	}
	s.running = true
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.running = false
		s.mu.Unlock()
	}()
	var wg sync.WaitGroup
	defer wg.Wait()
	for {
		next := s.dispatch(ctx, &wg)
		s.deliver()
		if err := s.idle(ctx, next); err != nil {
			return err
		}
	}
}

// dispatch starts a poll, on a goroutine of wg, of every call that is due, as far as
// MaxInFlight and the request budget allow, and returns when the next one will be (zero: no
// call waits).
func (s *Scheduler) dispatch(ctx context.Context, wg *sync.WaitGroup) (next time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := time.Now()
	for s.queue.Len() > 0 && s.inFlight < s.opts.MaxInFlight {
		e := s.queue[0]
		if e.due.After(now) {
			return e.due
		}
		// The host may have been paused by a 429 since e.due was computed.
		if g := s.c.gateOf(e.p.host()); g.After(now) {
			e.due = g
			heap.Fix(&s.queue, 0)
			s.update(e) // its snapshot now says it waits out the pause
			continue
		}
		if w := s.bucket.take(now); w > 0 {
			return now.Add(w)
		}
		heap.Pop(&s.queue)
		e.busy = true
		s.inFlight++
		authFails := e.authFails
		wg.Go(func() { s.poll(ctx, e, authFails) })
	}
	return time.Time{}
}

// idle waits until next (if not zero), a call of poke, or the end of ctx, whose error it
// returns.
func (s *Scheduler) idle(ctx context.Context, next time.Time) error {
	var fire <-chan time.Time
	if !next.IsZero() {
		timer := time.NewTimer(time.Until(next))
		defer timer.Stop()
		fire = timer.C
	}
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-s.wake:
	case <-fire:
	}
	return nil
}

// schedule puts e in the queue at its poller's next poll time. s.mu is held.
func (s *Scheduler) schedule(e *entry) {
	if e.final || e.busy {
		return
	}
	e.due = e.p.NextPollAt()
	if e.index >= 0 {
		heap.Fix(&s.queue, e.index)
	} else {
		heap.Push(&s.queue, e)
	}
}

// unschedule takes e out of the queue. s.mu is held.
func (s *Scheduler) unschedule(e *entry) {
	if e.index >= 0 {
		heap.Remove(&s.queue, e.index)
	}
}

// dueQueue is a min-heap of entries by due time (then by order of addition).
type dueQueue []*entry

func (q dueQueue) Len() int { return len(q) }
func (q dueQueue) Less(i, j int) bool {
	if !q[i].due.Equal(q[j].due) {
		return q[i].due.Before(q[j].due)
	}
	return q[i].seq < q[j].seq
}
func (q dueQueue) Swap(i, j int) {
	q[i], q[j] = q[j], q[i]
	q[i].index, q[j].index = i, j
}
func (q *dueQueue) Push(x any) {
	e := x.(*entry)
	e.index = len(*q)
	*q = append(*q, e)
}
func (q *dueQueue) Pop() any {
	old := *q
	e := old[len(old)-1]
	old[len(old)-1] = nil
	e.index = -1
	*q = old[:len(old)-1]
	return e
}

func (s *Scheduler) poke() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// poll runs one Poll of e and records the outcome; authFails is e's count of polls refused
// for want of a token so far. The poller is this goroutine's until e.busy is cleared under the
// lock, so everything it does to the poller (the poll, a wait for a token, the JSON of its
// state) happens before, outside the lock.
func (s *Scheduler) poll(ctx context.Context, e *entry, authFails int) {
	err := e.p.Poll(ctx)
	// The token expired and the token source could not renew it: wait for a new token
	// (Retry, RetryAll) or try again later; never end the call for it.
	waitForToken := err != nil && ctx.Err() == nil && isAuthError(err)
	if waitForToken {
		e.p.pollAt(time.Now().Add(s.authBackoff(authFails + 1)))
	}
	e.p.encode()
	s.mu.Lock()
	e.busy = false
	s.inFlight--
	if e.jobURL != "" {
		e.jobURL = e.p.URL() // a list-form Location gives way to the instance's URL
	}
	if !e.final {
		switch {
		case err != nil && ctx.Err() != nil:
			// Shutting down: the call stays as it was, queued for a later Run.
			s.schedule(e)
		case waitForToken:
			e.authErr = err
			e.authFails = authFails + 1
			s.update(e)
			s.schedule(e)
		case err != nil && !IsRetryable(err):
			s.finish(e, err)
		case e.p.Done():
			_, rerr := e.p.Result()
			s.finish(e, rerr)
		default:
			if err == nil {
				e.authErr, e.authFails = nil, 0
			}
			s.update(e)
			s.schedule(e)
		}
	}
	s.mu.Unlock()
	s.deliver()
	s.poke()
}

// isAuthError reports whether err means the call needs a new token: a 401 that survived the
// one refresh (TokenExpired and friends), or a token source that failed.
func isAuthError(err error) bool {
	var e *Error
	return errors.As(err, &e) && (e.StatusCode == 401 || e.ErrorCode == string(CodeTokenUnavailable))
}

// authBackoff is the wait before polling again after n consecutive auth failures: the
// client's DefaultRetryAfter, doubling, at most its MaxRetryAfter.
func (s *Scheduler) authBackoff(n int) time.Duration {
	d, limit := s.c.opts.DefaultRetryAfter, s.c.opts.MaxRetryAfter
	for i := 1; i < n && d < limit; i++ {
		d *= 2
	}
	return min(d, limit)
}

// acquire waits for one request from the shared budget.
func (s *Scheduler) acquire(ctx context.Context) error {
	for {
		s.mu.Lock()
		w := s.bucket.take(time.Now())
		s.mu.Unlock()
		if w == 0 {
			return nil
		}
		if err := sleep(ctx, w); err != nil {
			return err
		}
	}
}

// gcra is a token bucket in its "generic cell rate algorithm" form: exact integer time
// arithmetic, so fake time (testing/synctest) sees exactly rate requests per second.
type gcra struct {
	interval time.Duration // one request's worth of time
	slack    time.Duration // (burst-1) * interval
	tat      time.Time     // theoretical arrival time of the next request
}

func newGCRA(rate float64, burst int) gcra {
	iv := time.Duration(float64(time.Second) / rate)
	if iv <= 0 {
		iv = 1
	}
	return gcra{interval: iv, slack: time.Duration(burst-1) * iv}
}

// take spends one request at now if the budget allows (returning 0), or returns how long to
// wait before it would.
func (g *gcra) take(now time.Time) time.Duration {
	if g.tat.Before(now) {
		g.tat = now
	}
	if w := g.tat.Add(-g.slack).Sub(now); w > 0 {
		return w
	}
	g.tat = g.tat.Add(g.interval)
	return 0
}
