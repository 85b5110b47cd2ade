package lro

import (
	"bytes"
	"encoding/json"
	"slices"
	"time"
)

// Snapshot is the view of one watched call at one moment: what the dashboard shows and what
// [Scheduler] publishes on every change. It marshals to exactly the JSON object
//
//	{"id","kind","label","status","percentComplete","createdTimeUtc","lastUpdatedTimeUtc",
//	 "nextPollAt","waiting","attempts","result","error"}
//
// The fields tagged json:"-" are for Go callers: Done, Stalled, and ResumeToken (persist it,
// for example in localStorage, and pass it to [Scheduler.Track] or [Client.Resume] after a
// reload to continue with nothing lost).
type Snapshot struct {
	// ID identifies the call in the scheduler: the Fabric operation id or job instance id when
	// known, otherwise a generated "call-N".
	ID string `json:"id"`
	// Kind is "operation" or "job".
	Kind Kind `json:"kind"`
	// Label is the caller's name for the call (for example "create Notebook 1").
	Label string `json:"label"`
	// Status is the last Fabric status, as Fabric spelled it (unknown statuses included);
	// empty until the first poll of a call resumed from an id or URL.
	Status string `json:"status"`
	// PercentComplete is Fabric's percentComplete, nil when absent or null.
	PercentComplete *float64 `json:"percentComplete"`
	// CreatedTimeUtc is the operation's createdTimeUtc (a job's startTimeUtc), as Fabric sent it.
	CreatedTimeUtc string `json:"createdTimeUtc"`
	// LastUpdatedTimeUtc is the operation's lastUpdatedTimeUtc (a job's endTimeUtc).
	LastUpdatedTimeUtc string `json:"lastUpdatedTimeUtc"`
	// NextPollAt is when the next request is due; nil exactly when nothing more will be sent
	// (done, failed, given up, or no longer watched).
	NextPollAt *time.Time `json:"nextPollAt"`
	// Waiting says why the next request is due when it is; nil exactly when NextPollAt is.
	Waiting *Waiting `json:"waiting"`
	// Attempts counts the requests sent for this call, the start included.
	Attempts int `json:"attempts"`
	// Result is the result (JSON; a non-JSON result appears as a JSON string), nil if none.
	Result json.RawMessage `json:"result"`
	// Error is set when the call ended in error (Done): failed operation, failed/cancelled/
	// deduped job, retries exhausted, a non-retryable HTTP error, or watching cancelled.
	// It is also set while the call waits for a new token (Done false, NextPollAt set): its
	// last poll got a 401 such as TokenExpired (or TokenUnavailable) that the token source
	// could not fix; [Scheduler.RetryAll] after a new token, or the next due time, polls it
	// again, and the error clears once a poll succeeds.
	Error *SnapshotError `json:"error"`

	// Done reports that the call reached its end (successfully or not) or is no longer watched.
	Done bool `json:"-"`
	// Stalled reports that the call made no visible progress for Options.StallAfter.
	Stalled bool `json:"-"`
	// ResumeToken resumes watching the call (see [Poller.ResumeToken]).
	ResumeToken string `json:"-"`
}

// Why a watched call waits for its next request ([Waiting].Reason).
const (
	WaitRetryAfter = "retryAfter" // the wait Fabric asked for (Retry-After, or the default when it gave none)
	WaitThrottled  = "throttled"  // Fabric answered 429: requests to its host are paused until Until
	WaitRetrying   = "retrying"   // a 5xx or network error: retry Attempt of Of, after a backoff
	WaitToken      = "token"      // a 401 the token source could not fix: waiting for a new token
	WaitStalled    = "stalled"    // polling normally, but no progress since Since (Options.StallAfter)
)

// Waiting is why a watched call's next request is due when it is. It marshals to
//
//	{"reason","until","seconds"?,"since"?,"error"?,"attempt"?,"of"?}
//
// Until is always the snapshot's NextPollAt; the other fields appear only for the reasons
// that have them.
type Waiting struct {
	// Reason is WaitRetryAfter, WaitThrottled, WaitRetrying, WaitToken or WaitStalled.
	Reason string `json:"reason"`
	// Until is when the next request is due.
	Until time.Time `json:"until"`
	// Seconds is the length of the wait as it was decided: Fabric's Retry-After (of the 429 when
	// throttled), or the backoff when retrying or waiting for a token. 0 (absent) when this
	// call did not decide it, such as a pause caused by another call's 429 to the same host.
	Seconds float64 `json:"seconds,omitempty"`
	// Since is, when stalled, the last time the call made progress.
	Since *time.Time `json:"since,omitempty"`
	// Error is, when throttled, retrying or waiting for a token, the error of the last request.
	Error *SnapshotError `json:"error,omitempty"`
	// Attempt is, when retrying, which retry comes next (1 for the first), and when waiting
	// for a token, how many polls in a row the token was refused.
	Attempt int `json:"attempt,omitempty"`
	// Of is, when retrying, how many retries there are in all (Options.MaxRetries) before the
	// call ends with RetriesExhausted.
	Of int `json:"of,omitempty"`
}

// waitCause is why a poller's next request was put where it is.
type waitCause struct {
	reason  string // "" means WaitRetryAfter
	d       time.Duration
	err     error
	attempt int
}

// waiting describes the wait until t, the poller's next poll time.
func (p *Poller) waiting(t time.Time) *Waiting {
	w := &Waiting{Reason: p.why.reason, Until: t, Seconds: p.why.d.Seconds(), Attempt: p.why.attempt, Error: snapshotError(p.why.err)}
	switch {
	case t.After(p.next): // another call's 429 paused the host past this call's own time
		w = &Waiting{Reason: WaitThrottled, Until: t}
	case w.Reason == WaitRetrying:
		w.Of = p.c.opts.MaxRetries
	case w.Reason != "":
	case p.stalled:
		since := p.lastProgress.UTC()
		w.Reason, w.Since = WaitStalled, &since
	default:
		w.Reason = WaitRetryAfter
	}
	return w
}

// SnapshotError is the error of a [Snapshot], in Fabric's ErrorResponse shape.
type SnapshotError struct {
	// ErrorCode is Fabric's (or the engine's) errorCode.
	ErrorCode string `json:"errorCode"`
	// Message says what happened and what to do.
	Message string `json:"message"`
	// RequestID is Fabric's requestId, "" if none.
	RequestID string `json:"requestId"`
	// MoreDetails lists Fabric's detailed errors; never null in JSON: [] when there are none.
	MoreDetails []ErrorDetail `json:"moreDetails"`
}

// snapshotError converts any error to the Snapshot's error shape.
func snapshotError(err error) *SnapshotError {
	if err == nil {
		return nil
	}
	e, ok := err.(*Error)
	if !ok {
		e = &Error{ErrorCode: string(CodeClientError), Message: err.Error()}
	}
	md := e.MoreDetails
	if md == nil {
		md = []ErrorDetail{}
	}
	return &SnapshotError{ErrorCode: e.ErrorCode, Message: e.Message, RequestID: e.RequestID, MoreDetails: md}
}

// Snapshot returns the poller's current view. ID is the Fabric id and Label is empty; a
// [Scheduler] fills in its own.
func (p *Poller) Snapshot() Snapshot {
	sn := Snapshot{
		ID:                 p.st.ID,
		Kind:               p.st.Kind,
		Status:             p.st.Status,
		CreatedTimeUtc:     p.st.CreatedTimeUtc,
		LastUpdatedTimeUtc: p.st.LastUpdatedTimeUtc,
		Attempts:           p.attempts,
		Done:               p.st.Done,
		Stalled:            p.stalled,
	}
	if p.st.PercentComplete != nil {
		f := *p.st.PercentComplete
		sn.PercentComplete = &f
	}
	if !p.st.Done {
		t := p.NextPollAt().UTC()
		sn.NextPollAt = &t
		sn.Waiting = p.waiting(t)
	}
	switch {
	case p.st.Result != nil:
		sn.Result = append(json.RawMessage(nil), p.st.Result...)
	case p.st.ResultBytes != nil:
		p.encode()
		sn.Result = append(json.RawMessage(nil), p.enc.result...)
	}
	if p.st.Error != nil {
		sn.Error = snapshotError(p.st.Error)
	}
	sn.ResumeToken, _ = p.ResumeToken()
	return sn
}

// equalSnapshot reports whether two snapshots show the same thing, resume token included,
// field by field (a Scheduler compares under its lock, where it does no JSON work).
func equalSnapshot(a, b Snapshot) bool {
	return a.ID == b.ID && a.Kind == b.Kind && a.Label == b.Label && a.Status == b.Status &&
		equalPercent(a.PercentComplete, b.PercentComplete) &&
		a.CreatedTimeUtc == b.CreatedTimeUtc && a.LastUpdatedTimeUtc == b.LastUpdatedTimeUtc &&
		equalTime(a.NextPollAt, b.NextPollAt) && equalWaiting(a.Waiting, b.Waiting) &&
		a.Attempts == b.Attempts && bytes.Equal(a.Result, b.Result) && equalSnapshotError(a.Error, b.Error) &&
		a.Done == b.Done && a.Stalled == b.Stalled && a.ResumeToken == b.ResumeToken
}

func equalWaiting(a, b *Waiting) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Reason == b.Reason && a.Until.Equal(b.Until) && a.Seconds == b.Seconds && equalTime(a.Since, b.Since) &&
		equalSnapshotError(a.Error, b.Error) && a.Attempt == b.Attempt && a.Of == b.Of
}

func equalSnapshotError(a, b *SnapshotError) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.ErrorCode == b.ErrorCode && a.Message == b.Message && a.RequestID == b.RequestID &&
		slices.EqualFunc(a.MoreDetails, b.MoreDetails, func(x, y ErrorDetail) bool {
			return x.ErrorCode == y.ErrorCode && x.Message == y.Message && equalRelated(x.RelatedResource, y.RelatedResource)
		})
}

func equalRelated(a, b *RelatedResource) bool {
	return (a == nil) == (b == nil) && (a == nil || *a == *b)
}

func equalTime(a, b *time.Time) bool {
	return (a == nil) == (b == nil) && (a == nil || a.Equal(*b))
}
