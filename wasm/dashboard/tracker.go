package dashboard

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/tidwall/gjson"

	"github.com/fabric-lro/fabric-lro/lro"
)

// Storage keeps small strings across page loads: localStorage in the browser.
type Storage interface {
	// Get returns the value stored under key, and false if there is none.
	Get(key string) (string, bool)
	// Set stores value under key.
	Set(key, value string) error
	// Remove deletes key.
	Remove(key string)
}

// MemoryStorage is a [Storage] in memory, for tests and for pages without localStorage.
type MemoryStorage struct {
	mu sync.Mutex
	m  map[string]string
}

// Get returns the value stored under key.
func (s *MemoryStorage) Get(key string) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.m[key]
	return v, ok
}

// Set stores value under key.
func (s *MemoryStorage) Set(key, value string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m == nil {
		s.m = map[string]string{}
	}
	s.m[key] = value
	return nil
}

// Remove deletes key.
func (s *MemoryStorage) Remove(key string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.m, key)
}

// StorageKey is where a [Tracker] keeps the operations of one API base.
func StorageKey(apiBase string) string { return "fabric-lro/operations " + apiBase }

// Tracker is the [Engine] over package lro: it starts calls through an lro.Scheduler, and keeps
// every watched operation (its label and resume token; never the bearer token) in a
// [Storage], so that a new Tracker on the same storage resumes them after a page reload.
//
// Nothing saved is dropped silently: a saved operation that cannot be resumed stays in storage
// and is listed with an error (errorCode [CodeCannotResume]) until [Tracker.Forget]. Several
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
}

// record is what is persisted per operation.
type record struct {
	ID    string `json:"id"`
	Label string `json:"label"`
	Token string `json:"token"`
}

// CodeCannotResume is the errorCode of a saved operation that could not be resumed.
const CodeCannotResume = "CannotResumeSavedOperation"

// TrackerOptions configures a [Tracker].
type TrackerOptions struct {
	// APIBase is the /v1 URL of Fabric or of the fabric-lro proxy, e.g. "http://127.0.0.1:8787/v1".
	APIBase string
	// Storage keeps operations across reloads; nil keeps nothing.
	Storage Storage
	// OnStorageError is told when saving fails (e.g. quota exceeded) or what is saved cannot
	// be read; default: nothing more than [Tracker.StorageError].
	OnStorageError func(error)
}

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
	}
	if t.onError == nil {
		t.onError = func(error) {}
	}
	t.unsub = sched.Subscribe(t.save)
	if t.store != nil {
		// What was saved is written back once, not once per operation: a long saved list
		// would otherwise cost a read-merge-write of the whole list for each of its entries.
		t.loading = true
		for _, r := range t.load() {
			s, err := sched.Track(r.Token, r.Label)
			if err != nil {
				t.keepBroken(r, err)
				continue
			}
			t.save(s)
		}
		t.mu.Lock()
		t.loading = false
		t.mu.Unlock()
		t.persist()
	}
	return t
}

// load reads the saved operations. What cannot be read is copied aside (key + " unreadable")
// and reported, never overwritten unseen.
func (t *Tracker) load() []record {
	raw, ok := t.store.Get(t.key)
	if !ok || raw == "" {
		return nil
	}
	var saved []record
	if err := json.Unmarshal([]byte(raw), &saved); err != nil {
		backup := t.key + " unreadable"
		t.store.Set(backup, raw)
		t.report(&lro.Error{ErrorCode: "UnreadableSavedOperations", Message: "The operations saved in this browser could not be read (" +
			err.Error() + "); they were copied to the storage key " + quoteText(backup) + " and the list starts empty."})
		t.store.Remove(t.key)
		return nil
	}
	return saved
}

// keepBroken lists a saved operation that could not be resumed, with the reason, and keeps it
// saved until the user removes it.
func (t *Tracker) keepBroken(r record, err error) {
	if r.ID == "" {
		r.ID = "saved-" + strconv.Itoa(len(t.order)+1)
	}
	e := ErrorOf(err)
	label := r.Label
	if label == "" {
		label = "Saved operation " + r.ID
	}
	s := Snapshot{ID: r.ID, Kind: KindOperation, Label: label, Done: true, Error: &ErrorInfo{
		ErrorCode: CodeCannotResume,
		Message: "This saved operation could not be resumed (" + e.ErrorCode + ": " + e.Message +
			"). It is kept until you remove it; track it again by its id to watch it.",
		RequestID:   e.RequestID,
		MoreDetails: []lro.ErrorDetail{{ErrorCode: e.ErrorCode, Message: e.Message}},
	}}
	t.mu.Lock()
	if _, known := t.records[r.ID]; !known {
		t.order = append(t.order, r.ID)
	}
	t.records[r.ID] = r
	t.broken[r.ID] = s
	t.mu.Unlock()
}

// Close stops saving snapshots.
func (t *Tracker) Close() { t.unsub() }

// save records s's resume token.
func (t *Tracker) save(s Snapshot) {
	if s.ResumeToken == "" {
		return
	}
	t.mu.Lock()
	old, known := t.records[s.ID]
	t.records[s.ID] = record{ID: s.ID, Label: s.Label, Token: s.ResumeToken}
	if !known {
		t.order = append(t.order, s.ID)
	}
	delete(t.broken, s.ID)
	delete(t.forgotten, s.ID)
	changed := (!known || old.Token != s.ResumeToken || old.Label != s.Label) && !t.loading
	t.mu.Unlock()
	if changed {
		t.persist()
	}
}

// persist merges this Tracker's records into the stored list and writes it back.
func (t *Tracker) persist() {
	if t.store == nil {
		return
	}
	t.mu.Lock()
	var stored []record
	if raw, ok := t.store.Get(t.key); ok {
		json.Unmarshal([]byte(raw), &stored) // unreadable: load reported it; ours are written
	}
	list := make([]record, 0, len(stored)+len(t.order))
	seen := map[string]bool{}
	for _, r := range stored {
		if seen[r.ID] || t.forgotten[r.ID] {
			continue
		}
		if mine, ok := t.records[r.ID]; ok {
			r = mine
		}
		seen[r.ID] = true
		list = append(list, r)
	}
	for _, id := range t.order {
		if !seen[id] {
			seen[id] = true
			list = append(list, t.records[id])
		}
	}
	b, _ := json.Marshal(list) // strings only: cannot fail
	err := t.store.Set(t.key, string(b))
	t.storeErr = err
	t.mu.Unlock()
	if err != nil {
		t.report(err)
	}
}

func (t *Tracker) report(err error) {
	t.mu.Lock()
	t.storeErr = err
	t.mu.Unlock()
	t.onError(err)
}

// StorageError returns why the operations could not be saved the last time, or nil: the
// dashboard shows it, since those operations will not resume after a reload.
func (t *Tracker) StorageError() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.storeErr
}

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
		URL:    t.apiBase + "/workspaces/" + lro.PathEscape(workspaceID) + "/items",
		Header: lro.Header{"Content-Type": {"application/json"}},
		Body:   body,
	}
	sn, err := t.start(ctx, req, CreateLabel(item.Type, item.DisplayName))
	return sn, workspaceHint(err, workspaceID)
}

// workspaceHint adds what to do to Fabric's refusal of a workspace the caller cannot see or
// use (404 WorkspaceNotFound, 403): Fabric's own message does not say.
func workspaceHint(err error, workspaceID string) error {
	var e *lro.Error
	if !errors.As(err, &e) || e.ErrorCode != "WorkspaceNotFound" && e.StatusCode != 403 {
		return err
	}
	c := *e
	c.Message = strings.TrimSpace(c.Message) + " Check the workspace id " + workspaceID +
		": pick a workspace from the dashboard's list (those this token can see), or ask the workspace's admin for a role in it."
	return &c
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
		URL: t.apiBase + "/workspaces/" + lro.PathEscape(workspaceID) + "/items/" + lro.PathEscape(itemID) +
			"/jobs/" + lro.PathEscape(jobType) + "/instances",
	}
	if label == "" {
		label = jobType + " job"
	}
	return t.start(ctx, req, label)
}

// Track watches an existing operation by id, Location URL or resume token. A Location URL
// of Fabric is called through the API base (see [RebaseLocation]); other hosts are refused.
func (t *Tracker) Track(ctx context.Context, idOrLocation string) (Snapshot, error) {
	idOrLocation = strings.TrimSpace(idOrLocation)
	ref, err := RebaseLocation(t.apiBase, idOrLocation)
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
	t.persist()
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
	clock := t.client.Options().Clock
	for waits := 0; ; waits++ {
		resp, err := t.client.Do(ctx, &lro.Request{Method: "GET", URL: u})
		var e *lro.Error
		if err != nil && errors.As(err, &e) && e.StatusCode == 429 && waits < maxThrottleWaits {
			d := max(e.RetryAfter, time.Second)
			timer := clock.NewTimer(d)
			select {
			case <-ctx.Done():
				timer.Stop()
				return WorkspacePage{}, ctx.Err()
			case <-timer.C():
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
