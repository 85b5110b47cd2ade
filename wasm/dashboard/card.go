package dashboard

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/tidwall/gjson"

	"github.com/fabric-lro/fabric-lro/lro"
)

// Operation and job statuses as Fabric names them (OperationState.status and
// ItemJobInstance.status): package lro's constants, here so that dashboard code and its
// callers need not import lro. Fabric may add more: a status not listed here is shown as it is.
const (
	statusUndefined  = lro.StatusUndefined
	statusNotStarted = lro.StatusNotStarted
	statusRunning    = lro.StatusRunning
	StatusSucceeded  = lro.StatusSucceeded
	statusFailed     = lro.StatusFailed
	statusInProgress = lro.StatusInProgress
	statusCompleted  = lro.StatusCompleted
	statusCancelled  = lro.StatusCancelled
	statusDeduped    = lro.StatusDeduped
)

// terminal reports whether status ends an operation or a job: nothing more will change.
func terminal(status string) bool {
	switch status {
	case StatusSucceeded, statusFailed, statusCompleted, statusCancelled, statusDeduped:
		return true
	}
	return false
}

// statusLook is how a status is shown: the words a user reads and the colour class.
type statusLook struct{ words, class string }

var statusLooks = map[string]statusLook{
	statusUndefined:  {words: "Waiting for Fabric", class: "st-pending"},
	statusNotStarted: {words: "Not started yet", class: "st-pending"},
	statusRunning:    {words: "Running", class: "st-running"},
	statusInProgress: {words: "In progress", class: "st-running"},
	StatusSucceeded:  {words: "Succeeded", class: "st-ok"},
	statusCompleted:  {words: "Completed", class: "st-ok"},
	statusFailed:     {words: "Failed", class: "st-failed"},
	statusCancelled:  {words: "Cancelled", class: "st-cancelled"},
	statusDeduped:    {words: "Skipped: the same job was already running", class: "st-cancelled"},
}

// card is everything one operation's card shows, already decided: the renderer only copies
// these strings into the page.
type card struct {
	ID     string // the operation id or job instance id, shown with a copy button
	Kind   Kind   // KindOperation or kindJob
	Label  string // what the user asked for, e.g. "Create Notebook “Sales 1”"
	Status string // Fabric's status word, e.g. "Running"

	StatusWords string // the status for people, e.g. "Not started yet"
	// StatusClass is the colour class: st-pending, st-running, st-fetching (succeeded, result
	// being fetched), st-ok, st-warning (succeeded, result not fetched), st-failed,
	// st-cancelled, st-unknown.
	StatusClass string

	// Progress is 0 to 100; ProgressIndeterminate is true when Fabric did not say
	// (percentComplete null) and the operation is still going.
	Progress              float64
	ProgressIndeterminate bool
	ProgressText          string // "42%", "working…" or "done"

	// NextCheck is when the next check is, after why when that is not simply the wait Fabric
	// asked for: "next check in 3 s", "throttled by Fabric (429) for 45s · next check in 40 s",
	// "checking now…", or "" once finished.
	NextCheck string
	// Waiting is what the row shows after the status while the next check is not simply the
	// wait Fabric asked for: "throttled by Fabric (429) for 45s · next check in 40 s", "retry 2
	// of 4 after ServiceUnavailable · …", "no progress for 12m 05s · …", or, waiting for a
	// token (the status says so), "next check in 15 s". "" otherwise.
	Waiting  string
	Elapsed  string // "elapsed 1m 05s", "took 12s"
	Attempts string // "3 checks"

	Done bool // a terminal status: nothing more will change
	// WaitingForToken is true while the last check was refused for the token (401, e.g.
	// TokenExpired): watching goes on once the user applies a new token.
	WaitingForToken bool
	CanCancel       bool // a job that is still running can be cancelled
	// Sending is true for a placeholder card: the call was not answered yet.
	Sending bool

	Result *cardResult // the created item (or other result), when there is one
	Error  *cardError  // the failure, in full, when there is one
	// Note explains an ending that is not a failure: a cancelled or skipped job, an
	// operation no longer watched. Shown in neutral words, never as an error.
	Note string

	// What the user did to the row, and what it offers (set by the [App]).
	Expanded     bool   // the details are open
	Started      string // when it started, in the user's locale ("" before Fabric says)
	Ended        string // when it ended, in the user's locale ("" while running)
	ItemURL      string // the item in the Fabric portal ("" when unknown)
	WorkspaceURL string // the item's workspace in the Fabric portal ("" when unknown)
	RunWords     string // the item's job button, e.g. "Run notebook" ("" when it has none)
	RunBusy      bool   // a run of this item is going: Run is disabled
	CanRetry     bool   // the call could not start: Retry sends it again
	Confirm      string // the question the row asks: "cancel", "dismiss" or ""
	Question     string // that question in words

	// State is the row's place in the summary and the state filter: stateRunning,
	// stateSucceeded, stateFailed or stateCancelled.
	State string
}

// States of a row, for the summary and the filter.
const (
	stateRunning   = "running"   // still going, or being sent
	stateSucceeded = "succeeded" // Succeeded or Completed
	stateFailed    = "failed"    // failed, gave up, or could not start
	stateCancelled = "cancelled" // cancelled, skipped, or no longer watched: not a failure
)

// cardResult is the part of an operation's result that a user looks for.
type cardResult struct {
	Name string // the item's displayName
	Type string // the item's type (a job's jobType when the result has no type)
	ID   string // the item's id
	Raw  string // the whole result JSON, for anything else it holds
}

// cardError is a failure as Fabric reports it.
type cardError struct {
	ErrorCode   string   // Fabric's errorCode, e.g. "ItemDisplayNameAlreadyInUse"
	Message     string   // Fabric's message, for people
	RequestID   string   // Fabric's requestId, to quote to support (shown with a copy button)
	MoreDetails []string // "errorCode: message" for each detail
}

// newCard decides how snapshot s is shown at time now.
func newCard(s Snapshot, now time.Time) card {
	fetching := fetchingResult(s)
	c := card{ID: s.ID, Kind: s.Kind, Label: s.Label, Status: s.Status,
		Done: s.Done || (terminal(s.Status) && !fetching) || (s.NextPollAt == nil && s.Error != nil)}
	if c.Kind == "" {
		c.Kind = KindOperation
	}
	if c.Label == "" {
		c.Label = string(c.Kind) + " " + s.ID
	}
	c.setStatus(s, fetching)
	c.setProgress(s, fetching)
	c.setTiming(s, now)
	c.CanCancel = c.Kind == kindJob && !c.Done
	c.setResult(s)
	c.setOutcome(s)
	switch {
	case !c.Done:
		c.State = stateRunning
	case c.StatusClass == "st-ok" || c.StatusClass == "st-warning":
		c.State = stateSucceeded
	case c.StatusClass == "st-cancelled":
		c.State = stateCancelled
	default:
		c.State = stateFailed
	}
	return c
}

// setStatus decides the status words and colour: Fabric's status, or what the engine's error
// says about it (waiting for a token, the result not fetched, stopped).
func (c *card) setStatus(s Snapshot, fetching bool) {
	look, known := statusLooks[s.Status]
	if !known {
		look = statusLook{words: s.Status, class: "st-unknown"}
		if s.Status == "" {
			look.words, look.class = "Accepted by Fabric", "st-pending"
		}
	}
	c.StatusWords, c.StatusClass = look.words, look.class
	switch {
	case s.Error != nil && !c.Done:
		// Still watched with an error: the engine does this only for a 401 that the token
		// source could not fix (package lro's Scheduler); it polls again after a new token.
		c.WaitingForToken = true
		c.StatusWords, c.StatusClass = tokenWaitWords(s.Error.ErrorCode, pasteTokenAdvice), "st-pending"
	case fetching:
		// Fabric said Succeeded; the result (GET .../result) is still to come.
		c.StatusWords, c.StatusClass = "Succeeded · fetching the result…", "st-fetching"
	case s.Error != nil && (s.Status == StatusSucceeded || s.Status == statusCompleted):
		// It succeeded in Fabric, but its result could not be fetched: not a green success.
		c.StatusWords, c.StatusClass = "Succeeded, but the result could not be fetched", "st-warning"
	case s.Error != nil && !terminal(s.Status) && s.Error.ErrorCode == string(lro.CodeWatchCancelled):
		c.StatusWords, c.StatusClass = "Stopped watching (it may still finish in Fabric)", "st-cancelled"
		c.Note = "No longer watched here. The operation may still finish in Fabric. " + adviceByCode[string(lro.CodeWatchCancelled)].words
	case s.Error != nil && !terminal(s.Status):
		// The engine gave up (retries exhausted, a request Fabric refused, ...).
		c.StatusWords, c.StatusClass = "Stopped: "+s.Error.ErrorCode, "st-failed"
	}
}

// setProgress decides the progress bar and its words.
func (c *card) setProgress(s Snapshot, fetching bool) {
	switch {
	case s.Status == statusFailed || c.StatusClass == "st-failed":
		// A failed bar shows how far it got, never a full bar at 100%.
		if s.PercentComplete != nil && *s.PercentComplete > 0 && *s.PercentComplete < 100 {
			c.Progress = math.Round(*s.PercentComplete)
			c.ProgressText = fmt.Sprintf("failed at %.0f%%", c.Progress)
		} else {
			c.ProgressText = "failed"
		}
	case fetching:
		c.Progress, c.ProgressText = 100, "fetching…"
	case s.Status == StatusSucceeded || s.Status == statusCompleted:
		c.Progress, c.ProgressText = 100, "done"
	case s.PercentComplete != nil:
		c.Progress = math.Max(0, math.Min(100, *s.PercentComplete))
		c.ProgressText = fmt.Sprintf("%.0f%%", c.Progress)
	case c.Done:
		c.ProgressText = "ended"
	default:
		c.ProgressIndeterminate, c.ProgressText = true, "working…"
	}
}

// setTiming decides when the next check is and why, how long it took (or has taken so far),
// and how many checks it had.
func (c *card) setTiming(s Snapshot, now time.Time) {
	if !c.Done && s.NextPollAt != nil {
		why, next := waitWords(s, now)
		c.NextCheck = strings.TrimPrefix(why+" · "+next, " · ")
		switch {
		case c.WaitingForToken: // the status words already say why
			c.Waiting = next
		case why != "":
			c.Waiting = c.NextCheck
		}
	}
	if created := parseTime(s.CreatedTimeUtc); !created.IsZero() {
		if c.Done {
			if end := parseTime(s.LastUpdatedTimeUtc); !end.Before(created) {
				c.Elapsed = "took " + formatDuration(end.Sub(created))
			}
		} else {
			c.Elapsed = "elapsed " + formatDuration(now.Sub(created))
		}
	}
	switch {
	case s.Attempts == 0 || s.Status == "" || !hasOperationID(s.ID) && c.Kind != kindJob:
		// Accepted, not yet checked; or answered at once: there was no check. (A job is always
		// a 202: its "call-N" means a list-form Location, checked like any other.)
	case s.Attempts == 1:
		c.Attempts = "1 check"
	default:
		c.Attempts = fmt.Sprintf("%d checks", s.Attempts)
	}
}

// setResult reads what a user looks for in the result; a tracked operation is named after the
// item once the result names it.
func (c *card) setResult(s Snapshot) {
	if len(s.Result) > 0 && string(s.Result) != "null" {
		r := gjson.ParseBytes(s.Result)
		c.Result = &cardResult{
			Name: r.Get("displayName").String(),
			Type: r.Get("type").String(),
			ID:   r.Get("id").String(),
			Raw:  string(s.Result),
		}
		if c.Kind == kindJob && c.Result.Type == "" {
			c.Result.Type = r.Get("jobType").String()
		}
		if n := r.Get(omittedResultField).Int(); n > 0 {
			c.Note = fmt.Sprintf("The full result (%s) is not kept in this browser: open the item in Fabric to see it.", formatBytes(n))
		}
	}
	if c.Kind == KindOperation && strings.HasPrefix(c.Label, trackedPrefix) && c.Result != nil && c.Result.Name != "" {
		c.Label = typeName(c.Result.Type) + " “" + c.Result.Name + "”"
	}
}

// setOutcome shows the snapshot's error: a job cancelled or skipped as a neutral note, any
// other in full, with what to do (see advice.go).
func (c *card) setOutcome(s Snapshot) {
	switch {
	case s.Error == nil:
	case s.Status == statusCancelled || s.Error.ErrorCode == string(lro.CodeJobCancelled):
		c.Note = "Cancelled in Fabric. " + adviceByCode[string(lro.CodeJobCancelled)].words
	case s.Status == statusDeduped || s.Error.ErrorCode == string(lro.CodeJobDeduped):
		c.Note = "Fabric skipped this run because the same job was already running. " + adviceByCode[string(lro.CodeJobDeduped)].words
	case c.Note == "":
		e := &cardError{ErrorCode: s.Error.ErrorCode, Message: s.Error.Message, RequestID: s.Error.RequestID}
		if !c.WaitingForToken { // the status says what to do about the token
			e.Message = withAdvice(e.Message, adviceByCode[e.ErrorCode])
		}
		for _, d := range s.Error.MoreDetails {
			e.MoreDetails = append(e.MoreDetails, strings.TrimPrefix(d.ErrorCode+": "+d.Message, ": "))
		}
		c.Error = e
	}
}

// waitWords says when the next check of a watched call is (next: "next check in 40 s",
// "checking now…") and why then, when it is not simply the wait Fabric asked for (s.Waiting):
// "throttled by Fabric (429) for 45s", "retry 2 of 4 after ServiceUnavailable", "waiting for a
// new token", "no progress for 12m 05s" (stalled is a warning, not a failure).
func waitWords(s Snapshot, now time.Time) (why, next string) {
	left := s.NextPollAt.Sub(now)
	if left <= 0 {
		return "", "checking now…"
	}
	next = fmt.Sprintf("next check in %d s", int(math.Ceil(left.Seconds())))
	if s.Status == "" {
		next = "first" + strings.TrimPrefix(next, "next")
	}
	switch w := s.Waiting; {
	case w == nil:
		if s.Stalled {
			why = "no progress for a while"
		}
	case w.Reason == lro.WaitThrottled:
		why = "throttled by Fabric (429)"
		if w.Seconds > 0 {
			why += " for " + formatDuration(time.Duration(w.Seconds*float64(time.Second)))
		}
	case w.Reason == lro.WaitRetrying && w.Error != nil:
		why = fmt.Sprintf("retry %d of %d after %s", w.Attempt, w.Of, w.Error.ErrorCode)
	case w.Reason == lro.WaitToken:
		why = "waiting for a new token"
	case w.Reason == lro.WaitStalled && w.Since != nil:
		why = "no progress for " + formatDuration(now.Sub(*w.Since))
	}
	return why, next
}

// trackedPrefix starts the label of an operation tracked by its id or URL.
const trackedPrefix = "Tracked "

// fetchingResult reports whether s is an operation that Fabric reported Succeeded whose result
// is still being fetched.
func fetchingResult(s Snapshot) bool {
	return s.Kind != kindJob && s.Status == StatusSucceeded && !s.Done && s.Error == nil
}

// sendingCard is the placeholder card of a call being sent (key names it until Fabric
// answers with its id): it holds the call's place on the list.
func sendingCard(key, label string) card {
	return card{ID: key, Kind: KindOperation, Label: label, StatusWords: "Sending…", StatusClass: "st-pending",
		ProgressIndeterminate: true, ProgressText: "sending…", NextCheck: "waiting for Fabric to accept the call",
		Sending: true, State: stateRunning}
}

// startFailedCard is the row of a call that could not start (Fabric refused it, or it never
// reached Fabric): failed, with the error, and Retry.
func startFailedCard(key, label string, e ErrorInfo) card {
	c := newCard(Snapshot{ID: key, Kind: KindOperation, Label: label, Done: true, Error: &e}, time.Time{})
	c.StatusWords, c.StatusClass, c.State, c.CanRetry = "Could not start", "st-failed", stateFailed, true
	c.Error.Message = e.Message // worded by the App already (see App.settle and explainStart)
	c.ProgressText = "not started"
	return c
}

// hasOperationID reports whether a snapshot id is Fabric's (an operation or job instance id)
// rather than the engine's "call-N": for an operation, a call that Fabric answered at once
// with 200 or 201; for a job, one whose Location was the job list (no instance id in it).
func hasOperationID(id string) bool { return !strings.HasPrefix(id, "call-") }

// formatBytes writes a size for people: "812 bytes", "14 KB", "2.3 MB".
func formatBytes(n int64) string {
	switch {
	case n < 1000:
		return fmt.Sprintf("%d bytes", n)
	case n < 1000*1000:
		return fmt.Sprintf("%d KB", (n+500)/1000)
	default:
		return fmt.Sprintf("%.1f MB", float64(n)/1e6)
	}
}

// formatDuration writes d for people, to the second: "0s", "12s", "1m 05s", "2h 03m".
func formatDuration(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	s := int(d.Round(time.Second) / time.Second)
	switch {
	case s < 60:
		return fmt.Sprintf("%ds", s)
	case s < 3600:
		return fmt.Sprintf("%dm %02ds", s/60, s%60)
	default:
		return fmt.Sprintf("%dh %02dm", s/3600, (s%3600)/60)
	}
}
