//go:build !js

package dashboard

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/tidwall/gjson"

	"github.com/fabric-lro/fabric-lro/emulator"
	"github.com/fabric-lro/fabric-lro/lro"
)

// quotaStorage is a localStorage with a quota: a value longer than limit is refused with the
// error a browser throws (QuotaExceededError). It counts the writes.
type quotaStorage struct {
	MemoryStorage
	mu     sync.Mutex
	limit  int
	writes int
}

func (s *quotaStorage) Set(key, value string) error {
	s.mu.Lock()
	s.writes++
	full := s.limit > 0 && len(value) > s.limit
	s.mu.Unlock()
	if full {
		return errors.New("QuotaExceededError: Failed to execute 'setItem' on 'Storage': Setting the value exceeded the quota.")
	}
	return s.MemoryStorage.Set(key, value)
}

func (s *quotaStorage) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.writes
}

// finishedRecord is a saved operation that succeeded, ended at end.
func finishedRecord(apiBase, id string, end time.Time) string {
	token := fmt.Sprintf(`{"v":"fabric-lro/1","kind":"operation","id":%q,"url":%q,"status":"Succeeded","done":true,"result":{"id":"item-%s","type":"Notebook","displayName":"Old %s"}}`,
		id, apiBase+"/operations/"+id, id, id)
	return fmt.Sprintf(`{"id":%q,"label":"Create Notebook “Old %s”","token":%q,"end":%q}`, id, id, token, end.UTC().Format(time.RFC3339))
}

// asyncCreates makes every create of the emulator answer 202: the operation runs.
func asyncCreates(t *testing.T, env *emulatorEnv) {
	t.Helper()
	req, _ := http.NewRequest("PUT", env.url+"/_emulator/config", strings.NewReader(`{"createMode":"async"}`))
	resp, err := env.http.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
}

func savedIDs(t *testing.T, store Storage, key string) []string {
	t.Helper()
	raw, _ := store.Get(key)
	var ids []string
	gjson.Parse(raw).ForEach(func(_, v gjson.Result) bool {
		ids = append(ids, v.Get("id").String())
		return true
	})
	return ids
}

func TestTrackerStorageStaysSmall(t *testing.T) {
	t.Run("a full storage leaves out finished operations, the oldest first, never a running one", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			env := newEmulatorEnv(t)
			asyncCreates(t, env)
			apiBase := env.url + "/v1"
			key := StorageKey(apiBase)
			store := &quotaStorage{}
			var old []string
			for i := range 12 {
				old = append(old, finishedRecord(apiBase, fmt.Sprintf("old-%02d", i), time.Now().Add(-time.Duration(12-i)*time.Hour)))
			}
			store.MemoryStorage.Set(key, "["+strings.Join(old, ",")+"]")
			tr, _ := env.tracker(t, store)
			full, _ := store.Get(key)
			store.mu.Lock()
			store.limit = len(full) + 200 // room for the old ones and little more
			store.mu.Unlock()

			var running []string
			for i := range 4 {
				s, err := tr.CreateItem(context.Background(), emulator.DefaultWorkspaceID, ItemRequest{Type: "Notebook", DisplayName: fmt.Sprintf("Running %d", i)})
				if err != nil {
					t.Fatal(err)
				}
				running = append(running, s.ID)
			}
			ids := savedIDs(t, store, key)
			for _, id := range running {
				if !strings.Contains(strings.Join(ids, " "), id) {
					t.Errorf("saved %v: the running operation %s was lost to the quota", ids, id)
				}
			}
			if len(ids) >= 12+4 {
				t.Errorf("saved %d operations in a storage too small for them all", len(ids))
			}
			if strings.Contains(strings.Join(ids, " "), "old-00") || !strings.Contains(strings.Join(ids, " "), "old-11") {
				t.Errorf("saved %v: want the finished operations that ended first left out first", ids)
			}
			e := ErrorOf(tr.StorageError())
			if e.ErrorCode != codeStorageFull || !strings.Contains(e.Message, "every running operation is saved") {
				t.Errorf("StorageError %+v: want %s saying what was left out", e, codeStorageFull)
			}
			if n := len(tr.Operations()); n != 12+4 {
				t.Errorf("%d operations listed: the ones left out of storage stay listed until a reload", n)
			}
		})
	})

	t.Run("finished operations older than KeepFinished are dropped on load", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			env := newEmulatorEnv(t)
			apiBase := env.url + "/v1"
			key := StorageKey(apiBase)
			store := &MemoryStorage{}
			now := time.Now()
			noEnd := fmt.Sprintf(`{"id":"no-end","label":"Before end was saved","token":%q}`,
				`{"v":"fabric-lro/1","kind":"operation","id":"no-end","url":"`+apiBase+`/operations/no-end","status":"Failed","done":true,"lastUpdatedTimeUtc":"`+now.Add(-30*24*time.Hour).Format(time.RFC3339)+`"}`)
			store.Set(key, "["+strings.Join([]string{
				finishedRecord(apiBase, "ten-days", now.Add(-10*24*time.Hour)),
				finishedRecord(apiBase, "yesterday", now.Add(-24*time.Hour)),
				noEnd,
			}, ",")+"]")
			client := env.client()
			tr := NewTracker(lro.NewScheduler(client, lro.SchedulerOptions{}), TrackerOptions{APIBase: apiBase, Storage: store})
			defer tr.close()
			if ids := savedIDs(t, store, key); strings.Join(ids, " ") != "yesterday" {
				t.Errorf("saved %v after a load: want only the one that ended within %v", ids, defaultKeepFinished)
			}
			if ops := tr.Operations(); len(ops) != 1 || ops[0].ID != "yesterday" {
				t.Errorf("listed %d operations: want the one kept", len(ops))
			}
			week := NewTracker(lro.NewScheduler(client, lro.SchedulerOptions{}), TrackerOptions{APIBase: apiBase, Storage: store, KeepFinished: time.Hour})
			defer week.close()
			if ids := savedIDs(t, store, key); len(ids) != 0 {
				t.Errorf("saved %v: KeepFinished of an hour keeps nothing a day old", ids)
			}
		})
	})

	t.Run("a large result is saved as its names, and the row says where to see it", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			env := newEmulatorEnv(t)
			apiBase := env.url + "/v1"
			key := StorageKey(apiBase)
			store := &MemoryStorage{}
			part := strings.Repeat("QUJD", 20000) // an 80 KB definition part
			token := `{"v":"fabric-lro/1","kind":"operation","id":"big","url":"` + apiBase + `/operations/big","status":"Succeeded","done":true,` +
				`"result":{"id":"item-1","type":"Notebook","displayName":"Big","workspaceId":"` + emulator.DefaultWorkspaceID + `","definition":{"parts":[{"path":"notebook-content.py","payload":"` + part + `","payloadType":"InlineBase64"}]}}}`
			b, _ := json.Marshal([]map[string]string{{"id": "big", "label": "Get definition", "token": token}})
			store.Set(key, string(b)) // as saved before results were bounded
			_, stop := env.tracker(t, store)
			raw, _ := store.Get(key)
			if len(raw) > 1000 {
				t.Errorf("saved %d bytes for one operation: want a large result left out", len(raw))
			}
			saved := gjson.Get(gjson.Get(raw, "0.token").String(), "result")
			if saved.Get("id").String() != "item-1" || saved.Get("displayName").String() != "Big" || saved.Get(omittedResultField).Int() < 80000 {
				t.Errorf("saved result %.300s: want the item's names and the size left out", saved.Raw)
			}
			stop()
			reloaded, _ := env.tracker(t, store)
			s, ok := reloaded.Snapshot("big")
			if !ok {
				t.Fatal("the operation is not resumed after a reload")
			}
			c := newCard(s, time.Now())
			if c.Result == nil || c.Result.Name != "Big" || !strings.Contains(c.Note, "not kept in this browser") {
				t.Errorf("card after a reload: result %+v, note %q: want the names and where to see the rest", c.Result, c.Note)
			}
		})
	})

	t.Run("with a SaveDelay, a change to a saved operation waits for ten of them", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			env := newEmulatorEnv(t) // operations of 6 s, Retry-After 2 s
			asyncCreates(t, env)
			apiBase := env.url + "/v1"
			key := StorageKey(apiBase)
			store := &quotaStorage{}
			tr, _ := env.trackerWith(t, TrackerOptions{Storage: store, SaveDelay: time.Second}) // as the page's
			s, err := tr.CreateItem(context.Background(), emulator.DefaultWorkspaceID, ItemRequest{Type: "Notebook", DisplayName: "Slow"})
			if err != nil {
				t.Fatal(err)
			}
			time.Sleep(time.Second) // a new operation: written within one SaveDelay
			synctest.Wait()
			if ids := savedIDs(t, store, key); !slices.Equal(ids, []string{s.ID}) {
				t.Fatalf("saved %v after one SaveDelay, want the new operation", ids)
			}
			first := store.count()
			time.Sleep(9 * time.Second) // it is polled and ends; those changes wait
			synctest.Wait()
			if got, _ := tr.Snapshot(s.ID); !got.Done {
				t.Fatalf("the operation is %s after 10 s, want it ended", got.Status)
			}
			if n := store.count() - first; n != 0 {
				t.Errorf("%d writes of its progress within 9 s of the first change, want none yet", n)
			}
			time.Sleep(3 * time.Second)
			synctest.Wait()
			if n := store.count() - first; n != 1 {
				t.Errorf("%d writes of its progress by ten SaveDelays after the first change, want 1", n)
			}
			raw, _ := store.Get(key)
			if token := gjson.Get(raw, "0.token").String(); !gjson.Get(token, "done").Bool() {
				t.Errorf("saved token %s: want it ended", token)
			}

			// A new operation while a change waits for its write: both within one SaveDelay.
			s2, err := tr.CreateItem(context.Background(), emulator.DefaultWorkspaceID, ItemRequest{Type: "Notebook", DisplayName: "Second"})
			if err != nil {
				t.Fatal(err)
			}
			time.Sleep(2 * time.Second) // polled: its progress waits for ten delays
			synctest.Wait()
			written := store.count()
			s3, err := tr.CreateItem(context.Background(), emulator.DefaultWorkspaceID, ItemRequest{Type: "Notebook", DisplayName: "Third"})
			if err != nil {
				t.Fatal(err)
			}
			time.Sleep(time.Second)
			synctest.Wait()
			if n := store.count() - written; n != 1 {
				t.Errorf("%d writes within a SaveDelay of a new operation while progress waited, want 1", n)
			}
			if ids := savedIDs(t, store, key); !slices.Equal(ids, []string{s.ID, s2.ID, s3.ID}) {
				t.Errorf("saved %v, want the three operations", ids)
			}
		})
	})

	t.Run("with a SaveDelay, a saved operation that could not be resumed and is tracked again is written within one", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			env := newEmulatorEnv(t)
			apiBase := env.url + "/v1"
			key := StorageKey(apiBase)
			store := &quotaStorage{}
			first, stopFirst := env.tracker(t, store)
			s, err := first.CreateItem(context.Background(), emulator.DefaultWorkspaceID, ItemRequest{Type: "Notebook", DisplayName: "Kept"})
			if err != nil {
				t.Fatal(err)
			}
			stopFirst()
			// Its saved token is damaged: the next page load lists it as not resumable.
			store.MemoryStorage.Set(key, `[{"id":"`+s.ID+`","label":"Create Notebook “Kept”","token":"garbage!"}]`)
			tr, _ := env.trackerWith(t, TrackerOptions{Storage: store, SaveDelay: time.Second}) // as the page's
			if got, _ := tr.Snapshot(s.ID); got.Error == nil || got.Error.ErrorCode != codeCannotResume {
				t.Fatalf("after the load: %+v, want it listed as not resumable", got)
			}
			if _, err := tr.Track(context.Background(), s.ID); err != nil { // the user tracks it again by its id
				t.Fatal(err)
			}
			time.Sleep(time.Second)
			synctest.Wait()
			raw, _ := store.Get(key)
			if token := gjson.Get(raw, "0.token").String(); gjson.Get(token, "operationId").String() != s.ID && !strings.Contains(token, s.ID) {
				t.Errorf("saved %s one SaveDelay after it was tracked again: want its new resume token, not the damaged one", raw)
			}
		})
	})

	t.Run("with a SaveDelay, many changes make one write; Flush writes at once", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			env := newEmulatorEnv(t)
			asyncCreates(t, env)
			apiBase := env.url + "/v1"
			key := StorageKey(apiBase)
			store := &quotaStorage{}
			client := env.client()
			sched := lro.NewScheduler(client, lro.SchedulerOptions{RequestsPerSecond: 1000, Burst: 100})
			tr := NewTracker(sched, TrackerOptions{APIBase: apiBase, Storage: store, SaveDelay: time.Second})
			defer tr.close()
			before := store.count()
			for i := range 10 {
				if _, err := tr.CreateItem(context.Background(), emulator.DefaultWorkspaceID, ItemRequest{Type: "Notebook", DisplayName: fmt.Sprintf("Batch %d", i)}); err != nil {
					t.Fatal(err)
				}
			}
			if n := store.count() - before; n != 0 {
				t.Errorf("%d writes before the delay passed: want none yet", n)
			}
			time.Sleep(time.Second) // the fake clock passes the delay
			synctest.Wait()         // and the delayed write, on its own goroutine, is done
			if n := store.count() - before; n != 1 {
				t.Errorf("%d writes for 10 operations started within the delay: want 1", n)
			}
			if ids := savedIDs(t, store, key); len(ids) != 10 {
				t.Errorf("saved %d operations, want 10", len(ids))
			}
			if _, err := tr.CreateItem(context.Background(), emulator.DefaultWorkspaceID, ItemRequest{Type: "Notebook", DisplayName: "Last"}); err != nil {
				t.Fatal(err)
			}
			tr.Flush() // the page is hidden or goes away
			if ids := savedIDs(t, store, key); len(ids) != 11 {
				t.Errorf("after Flush, saved %d operations, want 11", len(ids))
			}
		})
	})
}
