package dashboard

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/tidwall/gjson"

	"github.com/fabric-lro/fabric-lro/internal/urlpath"
	"github.com/fabric-lro/fabric-lro/lro"
)

// Tracker is the [Engine] over package lro: it starts calls through an lro.Scheduler, and keeps
// every watched operation (its label and resume token; never the bearer token) in a
// [Storage], so that a new Tracker on the same storage resumes them after a page reload.
//
// Nothing saved is dropped silently: a saved operation that cannot be resumed stays in storage
// and is listed with an error (errorCode codeCannotResume) until [Tracker.Forget]. Several
// Trackers on one storage and API base (two tabs, or two load() calls in one page) share its
// key: each save reads the stored list and merges into it (read-merge-write), so none
// overwrites the operations of another. A failed save is reported to
// TrackerOptions.OnStorageError and by [Tracker.StorageError].
type Tracker struct {
	sched   *lro.Scheduler
	client  *lro.Client
	apiBase string // ".../v1", no trailing slash
	store   Storage
	key     string
	onError func(error) // storage errors

	mu        sync.Mutex
	records   map[string]record // by snapshot id
	order     []string
	broken    map[string]Snapshot // saved operations that could not be resumed, by id
	forgotten map[string]bool     // ids removed here: not merged back from storage
	storeErr  error               // the last save's error, nil after a good save
	loading   bool                // resuming the saved list: saves are written once at the end
	unsub     func()

	saveDelay    time.Duration
	keepFinished time.Duration
	ends         map[string]string // End of saved records being resumed, by id
	encoded      map[string]string // each record's JSON as saved, by id (a cache: rebuilt on change)
	others       []string          // records of other Trackers on the key, as read last (JSON)
	lastWritten  string            // what this Tracker wrote last: unchanged storage needs no parsing
	left         map[string]bool   // finished operations left out of a full storage
	dirty        bool              // changes not written yet
	flushTimer   *time.Timer       // the delayed write scheduled, if any (see persist)
	flushAt      time.Time         // when it is due
}

// TrackerOptions configures a [Tracker].
type TrackerOptions struct {
	// APIBase is the /v1 URL of Fabric or of the fabric-lro proxy, e.g. "http://127.0.0.1:8787/v1".
	APIBase string
	// Storage keeps operations across reloads; nil keeps nothing.
	Storage Storage
	// OnStorageError is told when saving fails (e.g. quota exceeded) or what is saved cannot
	// be read; default: nothing more than [Tracker.StorageError].
	OnStorageError func(error)
	// SaveDelay gathers the changes of that long into one write (the browser: a second, so
	// that a thousand operations polled at once cost one write a second, not one per poll;
	// call [Tracker.Flush] when the page goes away). A new operation is written within it,
	// a change to one already saved within ten of it. Zero writes every change at once.
	SaveDelay time.Duration
	// KeepFinished is how long a finished operation stays saved after it ended: older ones
	// are dropped when a Tracker loads the saved list. Zero means defaultKeepFinished;
	// negative keeps them until they are removed.
	KeepFinished time.Duration
}

// defaultKeepFinished is how long a finished operation stays in storage by default.
const defaultKeepFinished = 7 * 24 * time.Hour

// BaseURL returns the lro.Client base URL for a /v1 API base: apiBase without "/v1".
func BaseURL(apiBase string) string {
	return strings.TrimSuffix(strings.TrimRight(apiBase, "/"), "/v1")
}

// NewTracker watches operations with sched (whose client's BaseURL must be
// BaseURL(opts.APIBase)) and resumes those saved in opts.Storage. The caller runs sched.Run.
func NewTracker(sched *lro.Scheduler, opts TrackerOptions) *Tracker {
	t := &Tracker{
		sched:     sched,
		client:    sched.Client(),
		apiBase:   strings.TrimRight(opts.APIBase, "/"),
		store:     opts.Storage,
		key:       StorageKey(strings.TrimRight(opts.APIBase, "/")),
		onError:   opts.OnStorageError,
		records:   map[string]record{},
		broken:    map[string]Snapshot{},
		forgotten: map[string]bool{},

		saveDelay:    opts.SaveDelay,
		keepFinished: opts.KeepFinished,
		ends:         map[string]string{},
		encoded:      map[string]string{},
		left:         map[string]bool{},
	}
	if t.onError == nil {
		t.onError = func(error) {}
	}
	if t.keepFinished == 0 {
		t.keepFinished = defaultKeepFinished
	}
	t.unsub = sched.Subscribe(t.save)
	if t.store != nil {
		t.resume()
	}
	return t
}

// close stops saving snapshots.
func (t *Tracker) close() { t.unsub() }

// RetryAll polls again at once every operation waiting for a token (its last check failed
// with 401, e.g. TokenExpired); call it after the user supplied a new token.
func (t *Tracker) RetryAll() int { return t.sched.RetryAll() }

// CreateItem starts Create Item (POST {apiBase}/workspaces/{id}/items).
func (t *Tracker) CreateItem(ctx context.Context, workspaceID string, item ItemRequest) (Snapshot, error) {
	body, err := json.Marshal(item)
	if err != nil {
		return Snapshot{}, &lro.Error{ErrorCode: "InvalidDefinition", Message: "the item definition is not valid JSON: " + err.Error()}
	}
	req := &lro.Request{
		Method: "POST",
		URL:    t.apiBase + "/workspaces/" + urlpath.Segment(workspaceID) + "/items",
		Header: lro.Header{"Content-Type": {"application/json"}},
		Body:   body,
	}
	sn, err := t.start(ctx, req, createLabel(item.Type, item.DisplayName))
	return sn, workspaceHint(err, workspaceID)
}

// start sends req, charged to the scheduler's shared request budget, and watches the call it
// starts under label (see [Tracker.adopted]).
func (t *Tracker) start(ctx context.Context, req *lro.Request, label string) (Snapshot, error) {
	sn, err := t.sched.Add(ctx, req, label)
	if err != nil {
		return Snapshot{}, err
	}
	return t.adopted(sn), nil
}

// adopted notes that the scheduler now watches sn. Fabric ids are unique, but a restarted
// emulator (or a stale saved list) can hand out the id of an operation already listed: the
// scheduler replaces a finished one with the new call (new label, state and saved token),
// since the new call is what the user just started, and keeps one still being watched (no
// duplicate). A saved record that could not be resumed is cleared when its id comes back.
func (t *Tracker) adopted(sn Snapshot) Snapshot {
	t.mu.Lock()
	delete(t.broken, sn.ID)
	t.mu.Unlock()
	return sn
}

// RunJob starts Run On Demand Item Job (POST .../items/{id}/jobs/{jobType}/instances).
// label names the row ("" for "{jobType} job").
func (t *Tracker) RunJob(ctx context.Context, workspaceID, itemID, jobType, label string) (Snapshot, error) {
	req := &lro.Request{
		Method: "POST",
		URL: t.apiBase + "/workspaces/" + urlpath.Segment(workspaceID) + "/items/" + urlpath.Segment(itemID) +
			"/jobs/" + urlpath.Segment(jobType) + "/instances",
	}
	if label == "" {
		label = jobType + " job"
	}
	return t.start(ctx, req, label)
}

// Track watches an existing operation by id, Location URL or resume token. A Location URL
// of Fabric is called through the API base (see rebaseLocation); other hosts are refused.
func (t *Tracker) Track(ctx context.Context, idOrLocation string) (Snapshot, error) {
	idOrLocation = strings.TrimSpace(idOrLocation)
	ref, err := rebaseLocation(t.apiBase, idOrLocation)
	if err != nil {
		return Snapshot{}, err
	}
	sn, err := t.sched.Track(ref, "Tracked "+shortRef(idOrLocation))
	if err != nil {
		return Snapshot{}, err
	}
	return t.adopted(sn), nil
}

// shortRef names a tracked operation for its label: the id at the end of a URL.
func shortRef(s string) string {
	if i := strings.IndexAny(s, "?#"); i >= 0 {
		s = s[:i]
	}
	s = strings.TrimSuffix(strings.TrimRight(s, "/"), "/result")
	if i := strings.LastIndexByte(s, '/'); i >= 0 {
		s = s[i+1:]
	}
	return s
}

// Wait blocks until the operation ends and returns its final snapshot.
func (t *Tracker) Wait(ctx context.Context, id string) (Snapshot, error) {
	s, err := t.sched.Wait(ctx, id)
	var e *lro.Error
	if err != nil && s.ID != "" && errors.As(err, &e) {
		return s, nil // ended in error: the snapshot carries it
	}
	return s, err
}

// Cancel cancels a job in Fabric, or stops watching an operation.
func (t *Tracker) Cancel(ctx context.Context, id string) error { return t.sched.Cancel(ctx, id) }

// Forget stops watching operations and forgets them, also in storage (one write for all).
func (t *Tracker) Forget(ids ...string) {
	gone := map[string]bool{}
	for _, id := range ids {
		t.sched.Forget(id)
		gone[id] = true
	}
	t.mu.Lock()
	for _, id := range ids {
		delete(t.records, id)
		delete(t.broken, id)
		t.forgotten[id] = true
	}
	t.order = slices.DeleteFunc(t.order, func(x string) bool { return gone[x] })
	t.mu.Unlock()
	t.write() // a user's removal is written at once, not gathered
}

// Operations returns every watched operation, oldest first, then the saved operations that
// could not be resumed (with their error).
func (t *Tracker) Operations() []Snapshot {
	ops := t.sched.Snapshots()
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, id := range t.order {
		if s, ok := t.broken[id]; ok {
			ops = append(ops, s)
		}
	}
	return ops
}

// Snapshot returns the current snapshot of one operation.
func (t *Tracker) Snapshot(id string) (Snapshot, bool) {
	if s, ok := t.sched.Snapshot(id); ok {
		return s, true
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	s, ok := t.broken[id]
	return s, ok
}

// Subscribe calls fn with every new snapshot until the returned function is called.
func (t *Tracker) Subscribe(fn func(Snapshot)) func() { return t.sched.Subscribe(fn) }

// maxThrottleWaits bounds how often one workspace list request waits out a 429.
const maxThrottleWaits = 3

// Workspaces lists one page of workspaces (GET {apiBase}/workspaces), waiting out a 429's
// Retry-After a few times. The continuation token is passed on exactly as Fabric gave it.
func (t *Tracker) Workspaces(ctx context.Context, continuationToken string) (WorkspacePage, error) {
	u := t.apiBase + "/workspaces"
	if continuationToken != "" {
		u += "?continuationToken=" + continuationToken
	}
	for waits := 0; ; waits++ {
		resp, err := t.client.Do(ctx, &lro.Request{Method: "GET", URL: u})
		var e *lro.Error
		if err != nil && errors.As(err, &e) && e.StatusCode == 429 && waits < maxThrottleWaits {
			d := max(e.RetryAfter, time.Second)
			timer := time.NewTimer(d)
			select {
			case <-ctx.Done():
				timer.Stop()
				return WorkspacePage{}, ctx.Err()
			case <-timer.C:
			}
			continue
		}
		if err != nil {
			return WorkspacePage{}, err
		}
		body := gjson.ParseBytes(resp.Body)
		page := WorkspacePage{ContinuationToken: body.Get("continuationToken").String()}
		body.Get("value").ForEach(func(_, w gjson.Result) bool {
			page.Workspaces = append(page.Workspaces, Workspace{
				ID: w.Get("id").String(), DisplayName: w.Get("displayName").String(), Type: w.Get("type").String(),
			})
			return true
		})
		return page, nil
	}
}
