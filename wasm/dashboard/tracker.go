package dashboard

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/tidwall/gjson"

	"github.com/fabric-lro/fabric-lro/internal/urlpath"
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
	flushing     bool              // a delayed write is scheduled
}

// record is what is persisted per operation: never the bearer token, and never a result over
// maxSavedResultBytes (see [trimToken]).
type record struct {
	ID    string `json:"id"`
	Label string `json:"label"`
	Token string `json:"token"`
	// End is when this browser first saw the operation finished (RFC 3339), for
	// TrackerOptions.KeepFinished; "" while it runs.
	End string `json:"end,omitempty"`
}

// codeCannotResume is the errorCode of a saved operation that could not be resumed.
const codeCannotResume = "CannotResumeSavedOperation"

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
	// call [Tracker.Flush] when the page goes away). Zero writes every change at once.
	SaveDelay time.Duration
	// KeepFinished is how long a finished operation stays saved after it ended: older ones
	// are dropped when a Tracker loads the saved list. Zero means defaultKeepFinished;
	// negative keeps them until they are removed.
	KeepFinished time.Duration
}

// defaultKeepFinished is how long a finished operation stays in storage by default.
const defaultKeepFinished = 7 * 24 * time.Hour

// maxSavedResultBytes bounds the result kept in storage per operation. A larger result (an
// item definition, say) is saved as its id, type, displayName and workspaceId alone, with
// omittedResultField saying how many bytes were left out: after a reload the row offers
// "Open in Fabric" instead. Running operations have no result, so what is saved per
// operation stays a few hundred bytes.
const maxSavedResultBytes = 2048

// omittedResultField is the field of a saved result that was cut down to its names (see
// maxSavedResultBytes): the size in bytes of the result that was not kept.
const omittedResultField = "fabricLroOmittedBytes"

// codeStorageFull is the errorCode of [Tracker.StorageError] when the storage is full and
// finished operations were left out so that every running one is saved.
const codeStorageFull = "StorageFull"

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
		// What was saved is written back once, not once per operation: a long saved list
		// would otherwise cost a read-merge-write of the whole list for each of its entries.
		t.loading = true
		now := time.Now()
		for _, r := range t.load() {
			if t.expired(&r, now) {
				t.forgotten[r.ID] = true // dropped from storage by the write below
				continue
			}
			t.ends[r.ID] = r.End
			s, err := sched.Track(r.Token, r.Label)
			if err != nil {
				t.keepBroken(r, err)
				continue
			}
			t.save(s)
		}
		t.mu.Lock()
		t.loading = false
		t.ends = map[string]string{}
		t.mu.Unlock()
		t.write()
	}
	return t
}

// expired reports whether r is a finished operation that ended more than KeepFinished before
// now. A record saved before End existed ends at its lastUpdatedTimeUtc, else now.
func (t *Tracker) expired(r *record, now time.Time) bool {
	if !gjson.Get(r.Token, "done").Bool() {
		return false
	}
	if r.End == "" {
		end := parseTime(gjson.Get(r.Token, "lastUpdatedTimeUtc").String())
		if end.IsZero() {
			end = now
		}
		r.End = end.UTC().Format(time.RFC3339)
	}
	end := parseTime(r.End)
	return t.keepFinished > 0 && !end.IsZero() && now.Sub(end) > t.keepFinished
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
	e := errorFacts(err)
	label := r.Label
	if label == "" {
		label = "Saved operation " + r.ID
	}
	s := Snapshot{ID: r.ID, Kind: KindOperation, Label: label, Done: true, Error: &ErrorInfo{
		ErrorCode: codeCannotResume,
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

// close stops saving snapshots.
func (t *Tracker) close() { t.unsub() }

// save records s's resume token.
func (t *Tracker) save(s Snapshot) {
	if s.ResumeToken == "" {
		return
	}
	t.mu.Lock()
	old, known := t.records[s.ID]
	r := record{ID: s.ID, Label: s.Label, Token: s.ResumeToken, End: old.End}
	if !known {
		r.End = t.ends[s.ID]
	}
	if !s.Done {
		r.End = ""
	} else if r.End == "" {
		r.End = time.Now().UTC().Format(time.RFC3339)
	}
	t.records[s.ID] = r
	if !known {
		t.order = append(t.order, s.ID)
	}
	delete(t.broken, s.ID)
	delete(t.forgotten, s.ID)
	changed := !known || old != r
	if changed {
		delete(t.encoded, s.ID)
		delete(t.left, s.ID)
	}
	t.mu.Unlock()
	if changed && !t.isLoading() {
		t.persist()
	}
}

func (t *Tracker) isLoading() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.loading
}

// persist writes the records now, or, with a SaveDelay, once that delay has gathered more
// changes.
func (t *Tracker) persist() {
	if t.store == nil {
		return
	}
	if t.saveDelay <= 0 {
		t.write()
		return
	}
	t.mu.Lock()
	t.dirty = true
	if t.flushing {
		t.mu.Unlock()
		return
	}
	t.flushing = true
	t.mu.Unlock()
	time.AfterFunc(t.saveDelay, t.Flush)
}

// Flush writes what changed since the last write now (the page calls it when it is hidden
// or unloaded, so a SaveDelay loses nothing).
func (t *Tracker) Flush() {
	t.mu.Lock()
	dirty := t.dirty
	t.flushing = false
	t.mu.Unlock()
	if dirty {
		t.write()
	}
}

// write merges this Tracker's records into the stored list and writes it back. Records of
// other Trackers on the same key (another tab) are kept as they are read; what is unchanged
// since this Tracker's last write is not parsed again, and each record is encoded once per
// change. When storage is full, finished operations are left out, those that ended first
// first, until the running ones fit: a full quota never loses a running operation.
func (t *Tracker) write() {
	if t.store == nil {
		return
	}
	t.mu.Lock()
	t.dirty = false
	raw, _ := t.store.Get(t.key)
	if raw != t.lastWritten {
		t.others = t.others[:0]
		seen := map[string]bool{}
		gjson.Parse(raw).ForEach(func(_, v gjson.Result) bool {
			id := v.Get("id").String()
			if _, mine := t.records[id]; !mine && !t.forgotten[id] && !seen[id] && v.IsObject() {
				seen[id] = true
				t.others = append(t.others, v.Raw)
			}
			return true
		})
	}
	others := slices.DeleteFunc(slices.Clone(t.others), func(o string) bool {
		id := gjson.Get(o, "id").String()
		_, mine := t.records[id]
		return mine || t.forgotten[id]
	})
	var err error
	var left int
	for {
		var b strings.Builder
		b.WriteByte('[')
		n := 0
		add := func(rec string) {
			if n > 0 {
				b.WriteByte(',')
			}
			b.WriteString(rec)
			n++
		}
		for _, o := range others {
			add(o)
		}
		for _, id := range t.order {
			if !t.left[id] {
				add(t.encode(id))
			}
		}
		b.WriteByte(']')
		out := b.String()
		if err = t.store.Set(t.key, out); err == nil {
			t.lastWritten = out
			t.others = others
			break
		}
		// Full: leave out the quarter of the finished operations that ended first, and try again.
		var done []string
		for _, o := range others {
			if gjson.Get(o, "token").String() != "" && gjson.Get(gjson.Get(o, "token").String(), "done").Bool() {
				done = append(done, o)
			}
		}
		var mine []string
		for _, id := range t.order {
			if r := t.records[id]; !t.left[id] && r.End != "" {
				mine = append(mine, id)
			}
		}
		if len(done)+len(mine) == 0 {
			break
		}
		type victim struct {
			end   string
			other string
			id    string
		}
		var vs []victim
		for _, o := range done {
			vs = append(vs, victim{end: gjson.Get(o, "end").String(), other: o})
		}
		for _, id := range mine {
			vs = append(vs, victim{end: t.records[id].End, id: id})
		}
		for i := 1; i < len(vs); i++ { // oldest end first (an insertion sort: the smallest code in app.wasm)
			for j := i; j > 0 && vs[j].end < vs[j-1].end; j-- {
				vs[j], vs[j-1] = vs[j-1], vs[j]
			}
		}
		for _, v := range vs[:max(1, len(vs)/4)] {
			left++
			if v.id != "" {
				t.left[v.id] = true
			} else {
				others = slices.DeleteFunc(others, func(o string) bool { return o == v.other })
			}
		}
	}
	t.mu.Unlock()
	switch {
	case err != nil:
		t.report(err)
	case len(t.leftOut()) > 0:
		t.report(&lro.Error{ErrorCode: codeStorageFull, Message: fmt.Sprintf("This browser's storage for the page is full: %d finished operations are not kept for the next visit "+
			"(they stay listed here until you reload); every running operation is saved. Clear finished operations, or free some site storage.", len(t.leftOut()))})
	default:
		t.mu.Lock()
		t.storeErr = nil
		t.mu.Unlock()
	}
}

// leftOut lists the finished operations left out of a full storage.
func (t *Tracker) leftOut() []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	var ids []string
	for id, ok := range t.left {
		if ok {
			ids = append(ids, id)
		}
	}
	return ids
}

// encode is record id as saved (its result cut down, see [trimToken]); t.mu is held.
func (t *Tracker) encode(id string) string {
	if e, ok := t.encoded[id]; ok {
		return e
	}
	r := t.records[id]
	r.Token = trimToken(r.Token)
	b, _ := json.Marshal(r) // strings only: cannot fail
	t.encoded[id] = string(b)
	return string(b)
}

// trimToken returns a resume token whose result is at most maxSavedResultBytes: a larger one
// keeps only the item's id, type, displayName and workspaceId, and omittedResultField.
func trimToken(token string) string {
	res, bin := gjson.Get(token, "result"), gjson.Get(token, "resultBin")
	if len(res.Raw) <= maxSavedResultBytes && len(bin.Raw) <= maxSavedResultBytes {
		return token
	}
	var st map[string]json.RawMessage
	if json.Unmarshal([]byte(token), &st) != nil {
		return token
	}
	small := map[string]any{omittedResultField: len(res.Raw) + len(bin.Raw)}
	for _, f := range []string{"id", "type", "displayName", "workspaceId"} {
		if v := res.Get(f); v.Type == gjson.String {
			small[f] = v.String()
		}
	}
	delete(st, "resultBin")
	st["result"], _ = json.Marshal(small)
	b, err := json.Marshal(st)
	if err != nil {
		return token
	}
	return string(b)
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
