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
type Tracker struct {
	sched   *lro.Scheduler
	client  *lro.Client
	apiBase string // ".../v1", no trailing slash
	store   Storage
	key     string
	onError func(error) // storage errors

	mu      sync.Mutex
	records map[string]record // by snapshot id
	order   []string
	unsub   func()
}

// record is what is persisted per operation.
type record struct {
	ID    string `json:"id"`
	Label string `json:"label"`
	Token string `json:"token"`
}

// TrackerOptions configures a [Tracker].
type TrackerOptions struct {
	// APIBase is the /v1 URL of Fabric or of the fabric-lro proxy, e.g. "http://127.0.0.1:8787/v1".
	APIBase string
	// Storage keeps operations across reloads; nil keeps nothing.
	Storage Storage
	// OnStorageError is told when saving fails (e.g. quota exceeded); default: ignored.
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
		sched:   sched,
		client:  sched.Client(),
		apiBase: strings.TrimRight(opts.APIBase, "/"),
		store:   opts.Storage,
		key:     StorageKey(strings.TrimRight(opts.APIBase, "/")),
		onError: opts.OnStorageError,
		records: map[string]record{},
	}
	if t.onError == nil {
		t.onError = func(error) {}
	}
	t.unsub = sched.Subscribe(t.save)
	if t.store != nil {
		if raw, ok := t.store.Get(t.key); ok {
			var saved []record
			if err := json.Unmarshal([]byte(raw), &saved); err == nil {
				for _, r := range saved {
					if s, err := sched.Track(r.Token, r.Label); err == nil {
						t.save(s)
					}
				}
			}
		}
		t.persist()
	}
	return t
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
	changed := !known || old.Token != s.ResumeToken
	t.mu.Unlock()
	if changed {
		t.persist()
	}
}

func (t *Tracker) persist() {
	if t.store == nil {
		return
	}
	t.mu.Lock()
	list := make([]record, 0, len(t.order))
	for _, id := range t.order {
		list = append(list, t.records[id])
	}
	t.mu.Unlock()
	b, _ := json.Marshal(list) // strings only: cannot fail
	if err := t.store.Set(t.key, string(b)); err != nil {
		t.onError(err)
	}
}

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
	return t.sched.Add(ctx, req, "Create "+item.Type+" “"+item.DisplayName+"”")
}

// RunJob starts Run On Demand Item Job (POST .../items/{id}/jobs/{jobType}/instances).
func (t *Tracker) RunJob(ctx context.Context, workspaceID, itemID, jobType string) (Snapshot, error) {
	req := &lro.Request{
		Method: "POST",
		URL: t.apiBase + "/workspaces/" + lro.PathEscape(workspaceID) + "/items/" + lro.PathEscape(itemID) +
			"/jobs/" + lro.PathEscape(jobType) + "/instances",
	}
	return t.sched.Add(ctx, req, jobType+" job")
}

// Track watches an existing operation by id, Location URL or resume token. A Location URL
// of Fabric is called through the API base (see [RebaseLocation]); other hosts are refused.
func (t *Tracker) Track(ctx context.Context, idOrLocation string) (Snapshot, error) {
	idOrLocation = strings.TrimSpace(idOrLocation)
	ref, err := RebaseLocation(t.apiBase, idOrLocation)
	if err != nil {
		return Snapshot{}, err
	}
	return t.sched.Track(ref, "Tracked "+shortRef(idOrLocation))
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

// Forget stops watching an operation and forgets it, also in storage.
func (t *Tracker) Forget(id string) {
	t.sched.Forget(id)
	t.mu.Lock()
	delete(t.records, id)
	t.order = slices.DeleteFunc(t.order, func(x string) bool { return x == id })
	t.mu.Unlock()
	t.persist()
}

// Operations returns every watched operation, oldest first.
func (t *Tracker) Operations() []Snapshot { return t.sched.Snapshots() }

// Snapshot returns the current snapshot of one operation.
func (t *Tracker) Snapshot(id string) (Snapshot, bool) { return t.sched.Snapshot(id) }

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
