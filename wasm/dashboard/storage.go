package dashboard

import (
	"encoding/json"
	"fmt"
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

// resume watches again the operations saved in storage, and drops the finished ones older than
// KeepFinished. What was saved is written back once, not once per operation: a long saved list
// would otherwise cost a read-merge-write of the whole list for each of its entries.
func (t *Tracker) resume() {
	t.loading = true
	now := time.Now()
	for _, r := range t.load() {
		if t.expired(&r, now) {
			t.forgotten[r.ID] = true // dropped from storage by the write below
			continue
		}
		t.ends[r.ID] = r.End
		s, err := t.sched.Track(r.Token, r.Label)
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
	_, wasBroken := t.broken[s.ID]
	delete(t.broken, s.ID)
	delete(t.forgotten, s.ID)
	changed := !known || old != r
	if changed {
		delete(t.encoded, s.ID)
		delete(t.left, s.ID)
	}
	t.mu.Unlock()
	if changed && !t.isLoading() {
		// New to storage: an operation not saved before, one that starts again under a
		// finished one's id, or a saved one that could not be resumed and is tracked again.
		// A crash before the write would lose it, or bring back the old record.
		t.persist(!known || old.End != "" && !s.Done || wasBroken)
	}
}

func (t *Tracker) isLoading() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.loading
}

// progressSaves is how many SaveDelays a change to an operation already saved may wait for
// its write. A new operation is written within one SaveDelay: until then a crash would lose
// it. A change to a saved one (its status, its next check) only makes a resume after a crash
// ask Fabric once more; and the whole list is written each time, about a megabyte at a
// thousand operations, so writing it every second cost the page a task of some 45 ms a second.
const progressSaves = 10

// persist writes the records now or, with a SaveDelay, within one SaveDelay when added (a new
// operation) and within progressSaves of them otherwise, gathering what else changes.
func (t *Tracker) persist(added bool) {
	if t.store == nil {
		return
	}
	if t.saveDelay <= 0 {
		t.write()
		return
	}
	d := progressSaves * t.saveDelay
	if added {
		d = t.saveDelay
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.dirty = true
	at := time.Now().Add(d)
	if t.flushTimer != nil {
		if !t.flushAt.After(at) {
			return // the write already due will take this change
		}
		t.flushTimer.Stop()
	}
	t.flushTimer, t.flushAt = time.AfterFunc(d, t.Flush), at
}

// Flush writes what changed since the last write now (the page calls it when it is hidden
// or unloaded, so a SaveDelay loses nothing).
func (t *Tracker) Flush() {
	t.mu.Lock()
	dirty := t.dirty
	if t.flushTimer != nil {
		t.flushTimer.Stop()
		t.flushTimer = nil
	}
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
	others := t.othersStored()
	var err error
	for {
		out := t.list(others)
		if err = t.store.Set(t.key, out); err == nil {
			t.lastWritten, t.others = out, others
			break
		}
		var fewer bool
		if others, fewer = t.leaveOutOldest(others); !fewer {
			break
		}
	}
	t.mu.Unlock()
	t.reportWrite(err)
}

// othersStored is the records of other Trackers in the stored list (JSON, as read); t.mu is
// held. The list is parsed again only when it is not what this Tracker wrote last.
func (t *Tracker) othersStored() []string {
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
	return slices.DeleteFunc(slices.Clone(t.others), func(o string) bool {
		id := gjson.Get(o, "id").String()
		_, mine := t.records[id]
		return mine || t.forgotten[id]
	})
}

// list is the stored list: others, then this Tracker's records not left out; t.mu is held.
func (t *Tracker) list(others []string) string {
	recs := make([]string, 0, len(others)+len(t.order))
	recs = append(recs, others...)
	for _, id := range t.order {
		if !t.left[id] {
			recs = append(recs, t.encode(id))
		}
	}
	size := 2 + len(recs) // brackets and commas, and one over
	for _, r := range recs {
		size += len(r)
	}
	var b strings.Builder
	b.Grow(size) // one allocation: at a thousand operations the list is about a megabyte
	b.WriteByte('[')
	for i, r := range recs {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(r)
	}
	b.WriteByte(']')
	return b.String()
}

// leaveOutOldest leaves out of a full storage the quarter of the finished operations (other
// Trackers' and this one's) that ended first; it reports false when none is left to leave
// out. t.mu is held.
func (t *Tracker) leaveOutOldest(others []string) ([]string, bool) {
	type victim struct {
		end   string
		other string // a record of another Tracker
		id    string // or the id of one of this Tracker's
	}
	var vs []victim
	for _, o := range others {
		if token := gjson.Get(o, "token").String(); token != "" && gjson.Get(token, "done").Bool() {
			vs = append(vs, victim{end: gjson.Get(o, "end").String(), other: o})
		}
	}
	for _, id := range t.order {
		if r := t.records[id]; !t.left[id] && r.End != "" {
			vs = append(vs, victim{end: r.End, id: id})
		}
	}
	if len(vs) == 0 {
		return others, false
	}
	for i := 1; i < len(vs); i++ { // oldest end first (an insertion sort: the smallest code in app.wasm)
		for j := i; j > 0 && vs[j].end < vs[j-1].end; j-- {
			vs[j], vs[j-1] = vs[j-1], vs[j]
		}
	}
	for _, v := range vs[:max(1, len(vs)/4)] {
		if v.id != "" {
			t.left[v.id] = true
		} else {
			others = slices.DeleteFunc(others, func(o string) bool { return o == v.other })
		}
	}
	return others, true
}

// reportWrite records how the last write went: its error, the finished operations a full
// storage left out, or nothing wrong.
func (t *Tracker) reportWrite(err error) {
	switch left := len(t.leftOut()); {
	case err != nil:
		t.report(err)
	case left > 0:
		t.report(&lro.Error{ErrorCode: codeStorageFull, Message: fmt.Sprintf("This browser's storage for the page is full: %d finished operations are not kept for the next visit "+
			"(they stay listed here until you reload); every running operation is saved. Clear finished operations, or free some site storage.", left)})
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
