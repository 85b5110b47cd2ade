//go:build !js

package dashboard

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/tidwall/gjson"

	"github.com/fabric-lro/fabric-lro/emulator"
	"github.com/fabric-lro/fabric-lro/lro"
	"github.com/fabric-lro/fabric-lro/lro/nethttp"
)

// emulatorEnv is the Fabric emulator served in-process: its client's RoundTripper calls the
// emulator's ServeHTTP, with no network in between, so that in a synctest bubble the fake
// clock drives the emulator, the engine and the Tracker alike (time passes whenever they all
// wait). Tests that use it run inside synctest.Test.
type emulatorEnv struct {
	url  string // the emulator's base URL (nothing listens there: requests go to the handler)
	emu  *emulator.Server
	http *http.Client // a client of the emulator
}

func newEmulatorEnv(t *testing.T) *emulatorEnv {
	t.Helper()
	emu := emulator.New(emulator.Config{RetryAfter: time.Second, OperationDuration: 3 * time.Second, Seed: 1})
	env := serveInProcess(emu)
	env.emu = emu
	return env
}

// serveInProcess is an emulatorEnv whose requests h answers.
func serveInProcess(h http.Handler) *emulatorEnv {
	return &emulatorEnv{url: "http://emulator.test", http: &http.Client{Transport: handlerTransport{h}}}
}

// handlerTransport answers each request with h, in the caller's goroutine.
type handlerTransport struct{ h http.Handler }

func (t handlerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	rec := httptest.NewRecorder()
	t.h.ServeHTTP(rec, r)
	return rec.Result(), nil
}

// client is an engine client of the emulator.
func (env *emulatorEnv) client() *lro.Client {
	return lro.NewClient(lro.Options{Transport: nethttp.New(env.http), BaseURL: env.url, Token: lro.StaticToken("dev-token")})
}

// tracker starts a scheduler and a Tracker (a "page load") on store; it stops with the test
// or when the returned function is called (a "page unload").
func (env *emulatorEnv) tracker(t *testing.T, store Storage) (*Tracker, func()) {
	t.Helper()
	return env.trackerWith(t, TrackerOptions{Storage: store})
}

// trackerWith is tracker with more of the Tracker's options (its APIBase is the emulator's).
func (env *emulatorEnv) trackerWith(t *testing.T, opts TrackerOptions) (*Tracker, func()) {
	t.Helper()
	sched := lro.NewScheduler(env.client(), lro.SchedulerOptions{RequestsPerSecond: 1000, Burst: 100})
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		sched.Run(ctx)
	}()
	opts.APIBase = env.url + "/v1"
	tr := NewTracker(sched, opts)
	stop := func() {
		cancel()
		<-stopped
		tr.close()
	}
	t.Cleanup(stop)
	return tr, stop
}

// waitFinal waits until id ends, at most 60 seconds of the bubble's fake clock.
func (env *emulatorEnv) waitFinal(t *testing.T, tr *Tracker, id string) Snapshot {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	s, err := tr.Wait(ctx, id)
	if err != nil {
		t.Fatalf("Wait(%s): %v (within 60 fake seconds)", id, err)
	}
	return s
}

func TestTrackerTwoNotebooksAgainstTheEmulator(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		env := newEmulatorEnv(t)
		tr, _ := env.tracker(t, nil)
		ctx := context.Background()

		page, err := tr.Workspaces(ctx, "")
		if err != nil || len(page.Workspaces) == 0 || page.Workspaces[0].ID != emulator.DefaultWorkspaceID {
			t.Fatalf("Workspaces: %+v, %v; want the emulator's default workspace", page, err)
		}
		first, err := tr.CreateItem(ctx, emulator.DefaultWorkspaceID, ItemRequest{Type: "Notebook", DisplayName: "Sales 1"})
		if err != nil {
			t.Fatal(err)
		}
		second, err := tr.CreateItem(ctx, emulator.DefaultWorkspaceID, ItemRequest{Type: "Notebook", DisplayName: "Sales 2"})
		if err != nil {
			t.Fatal(err)
		}
		if first.Status != StatusSucceeded && !first.Done {
			t.Errorf("first notebook (201): %+v, want done at once", first)
		}
		if got := gjson.GetBytes(first.Result, "displayName").String(); got != "Sales 1" {
			t.Errorf("first notebook result %s", first.Result)
		}
		if second.Done || second.NextPollAt == nil {
			t.Fatalf("second notebook (202): %+v, want an operation being polled", second)
		}
		if first.Label != "Create Notebook “Sales 1”" {
			t.Errorf("label %q", first.Label)
		}
		final := env.waitFinal(t, tr, second.ID)
		if final.Status != StatusSucceeded || gjson.GetBytes(final.Result, "displayName").String() != "Sales 2" {
			t.Fatalf("second notebook final: status %s result %s", final.Status, final.Result)
		}
		card := newCard(final, time.Now())
		if card.Result == nil || card.Result.Name != "Sales 2" || card.Result.Type != "Notebook" || card.Result.ID == "" {
			t.Errorf("card result %+v", card.Result)
		}
	})
}

func TestTrackerCreateInAWorkspaceNotSeen(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		env := newEmulatorEnv(t)
		tr, _ := env.tracker(t, nil)
		const hidden = "0f0e0d0c-0b0a-4909-8807-060504030201"
		_, err := tr.CreateItem(context.Background(), hidden, ItemRequest{Type: "Notebook", DisplayName: "Hidden"})
		var e *lro.Error
		if !errors.As(err, &e) || e.ErrorCode != "WorkspaceNotFound" || e.RequestID == "" {
			t.Fatalf("CreateItem in an unknown workspace: %v; want Fabric's WorkspaceNotFound with its requestId", err)
		}
		for _, w := range []string{"Check the workspace id " + hidden, "pick a workspace from the dashboard's list", "ask the workspace's admin"} {
			if !strings.Contains(e.Message, w) {
				t.Errorf("message %q does not say %q", e.Message, w)
			}
		}
	})
}

func TestTrackerFailedOperationCarriesTheError(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		env := newEmulatorEnv(t)
		tr, _ := env.tracker(t, nil)
		ctx := context.Background()
		// The emulator alternates 201/202: use up the 201 first.
		if _, err := tr.CreateItem(ctx, emulator.DefaultWorkspaceID, ItemRequest{Type: "Notebook", DisplayName: "ok"}); err != nil {
			t.Fatal(err)
		}
		s, err := tr.CreateItem(ctx, emulator.DefaultWorkspaceID, ItemRequest{Type: "Notebook", DisplayName: "Please fail"})
		if err != nil {
			t.Fatal(err)
		}
		final := env.waitFinal(t, tr, s.ID)
		if final.Status != statusFailed || final.Error == nil || final.Error.ErrorCode == "" || final.Error.Message == "" {
			t.Fatalf("final %+v error %+v, want Failed with Fabric's error", final, final.Error)
		}
		js, _ := json.Marshal(final)
		for _, field := range []string{"id", "kind", "label", "status", "percentComplete", "createdTimeUtc", "lastUpdatedTimeUtc", "nextPollAt", "attempts", "result", "error"} {
			if !gjson.GetBytes(js, field).Exists() {
				t.Errorf("snapshot JSON lacks %q: %s", field, js)
			}
		}
		for _, field := range []string{"errorCode", "message", "requestId", "moreDetails"} {
			if !gjson.GetBytes(js, "error."+field).Exists() {
				t.Errorf("snapshot error lacks %q: %s", field, js)
			}
		}
	})
}

func TestTrackerResumesAfterReload(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		env := newEmulatorEnv(t)
		store := &MemoryStorage{}
		tr, unload := env.tracker(t, store)
		ctx := context.Background()
		done, err := tr.CreateItem(ctx, emulator.DefaultWorkspaceID, ItemRequest{Type: "Notebook", DisplayName: "Kept 1"})
		if err != nil {
			t.Fatal(err)
		}
		running, err := tr.CreateItem(ctx, emulator.DefaultWorkspaceID, ItemRequest{Type: "Notebook", DisplayName: "Kept 2"})
		if err != nil {
			t.Fatal(err)
		}
		unload()

		saved, ok := store.Get(StorageKey(env.url + "/v1"))
		if !ok || strings.Contains(saved, "dev-token") {
			t.Fatalf("saved operations %q: want them saved, without the bearer token", saved)
		}

		tr2, _ := env.tracker(t, store)
		ops := tr2.Operations()
		if len(ops) != 2 {
			t.Fatalf("after reload %d operations, want 2: %+v", len(ops), ops)
		}
		if ops[0].Label != done.Label || gjson.GetBytes(ops[0].Result, "displayName").String() != "Kept 1" {
			t.Errorf("restored finished operation: %+v", ops[0])
		}
		if ops[1].ID != running.ID || ops[1].Label != running.Label {
			t.Errorf("restored running operation %+v, want id %s", ops[1], running.ID)
		}
		final := env.waitFinal(t, tr2, running.ID)
		if final.Status != StatusSucceeded || gjson.GetBytes(final.Result, "displayName").String() != "Kept 2" {
			t.Errorf("resumed operation ended %s with %s", final.Status, final.Result)
		}

		tr2.Forget(running.ID)
		saved, _ = store.Get(StorageKey(env.url + "/v1"))
		if strings.Contains(saved, running.ID) {
			t.Errorf("forgotten operation still saved: %s", saved)
		}
	})
}

func TestTrackerTrackByLocationAndID(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		env := newEmulatorEnv(t)
		tr, _ := env.tracker(t, nil)
		ctx := context.Background()
		tr.CreateItem(ctx, emulator.DefaultWorkspaceID, ItemRequest{Type: "Notebook", DisplayName: "a"})
		s, err := tr.CreateItem(ctx, emulator.DefaultWorkspaceID, ItemRequest{Type: "Notebook", DisplayName: "b"})
		if err != nil {
			t.Fatal(err)
		}
		// A second page (no storage) tracks the same operation by its Location URL and by its id.
		other, _ := env.tracker(t, nil)
		for _, ref := range []string{env.url + "/v1/operations/" + s.ID, s.ID} {
			got, err := other.Track(ctx, ref)
			if err != nil {
				t.Fatalf("Track(%q): %v", ref, err)
			}
			if got.ID != s.ID || got.Label != "Tracked "+s.ID {
				t.Errorf("Track(%q) = id %q label %q", ref, got.ID, got.Label)
			}
		}
		final := env.waitFinal(t, other, s.ID)
		if final.Status != StatusSucceeded {
			t.Errorf("tracked operation ended %s", final.Status)
		}
		if _, err := other.Track(ctx, "not a url or id!"); err == nil {
			t.Error("Track of garbage succeeded")
		} else if e := ErrorOf(err); e.ErrorCode != string(string(lro.CodeInvalidResumeToken)) {
			t.Errorf("Track of garbage: %+v", e)
		}
	})
}

// A Location URL as Fabric writes it (api.fabric.microsoft.com) is polled through the API
// base; another host is refused before anything is sent.
func TestTrackerTrackRebasesFabricLocation(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		env := newEmulatorEnv(t)
		tr, _ := env.tracker(t, nil)
		ctx := context.Background()
		tr.CreateItem(ctx, emulator.DefaultWorkspaceID, ItemRequest{Type: "Notebook", DisplayName: "a"})
		s, err := tr.CreateItem(ctx, emulator.DefaultWorkspaceID, ItemRequest{Type: "Notebook", DisplayName: "b"})
		if err != nil {
			t.Fatal(err)
		}
		other, _ := env.tracker(t, nil)
		got, err := other.Track(ctx, "https://api.fabric.microsoft.com/v1/operations/"+s.ID)
		if err != nil {
			t.Fatalf("Track(Fabric Location): %v", err)
		}
		if got.ID != s.ID {
			t.Errorf("tracked id %q, want %q", got.ID, s.ID)
		}
		if final := env.waitFinal(t, other, s.ID); final.Status != StatusSucceeded {
			t.Errorf("tracked operation ended %s %+v", final.Status, final.Error)
		}
		if _, err := other.Track(ctx, "https://evil.example/v1/operations/"+s.ID); err == nil {
			t.Error("Track of another host succeeded")
		} else if e := ErrorOf(err); e.ErrorCode != codeUntrustedLocation {
			t.Errorf("Track of another host: %+v", e)
		}
	})
}

// failingStorage refuses every write, as a full localStorage does.
type failingStorage struct{ MemoryStorage }

func (*failingStorage) Set(string, string) error {
	return errors.New("QuotaExceededError: the quota has been exceeded")
}

func TestTrackerStorage(t *testing.T) {
	t.Run("a saved operation that cannot be resumed is kept and listed with its reason", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			env := newEmulatorEnv(t)
			store := &MemoryStorage{}
			key := StorageKey(env.url + "/v1")
			store.Set(key, `[{"id":"op-broken","label":"Create Notebook “Old”","token":"garbage!"}]`)
			tr, _ := env.tracker(t, store)
			ops := tr.Operations()
			if len(ops) != 1 || ops[0].ID != "op-broken" || ops[0].Error == nil || ops[0].Error.ErrorCode != codeCannotResume ||
				!strings.Contains(ops[0].Error.Message, string(lro.CodeInvalidResumeToken)) || ops[0].Label != "Create Notebook “Old”" {
				t.Fatalf("operations %+v: want the unresumable one listed with CannotResume and the reason", ops)
			}
			// A new operation is saved next to it, not instead of it.
			s, err := tr.CreateItem(context.Background(), emulator.DefaultWorkspaceID, ItemRequest{Type: "Notebook", DisplayName: "New"})
			if err != nil {
				t.Fatal(err)
			}
			saved, _ := store.Get(key)
			if !strings.Contains(saved, "op-broken") || !strings.Contains(saved, s.ID) {
				t.Errorf("saved %s: want both the unresumable and the new operation", saved)
			}
			// Remove forgets it for good.
			tr.Forget("op-broken")
			saved, _ = store.Get(key)
			if strings.Contains(saved, "op-broken") || len(tr.Operations()) != 1 {
				t.Errorf("after Forget: saved %s, operations %d", saved, len(tr.Operations()))
			}
		})
	})
	t.Run("two trackers on one API base keep each other's operations", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			env := newEmulatorEnv(t)
			env.emu.SetFaults()
			store := &MemoryStorage{}
			first, _ := env.tracker(t, store)
			second, _ := env.tracker(t, store)
			ctx := context.Background()
			a, err := first.CreateItem(ctx, emulator.DefaultWorkspaceID, ItemRequest{Type: "Notebook", DisplayName: "From one"})
			if err != nil {
				t.Fatal(err)
			}
			b, err := second.CreateItem(ctx, emulator.DefaultWorkspaceID, ItemRequest{Type: "Notebook", DisplayName: "From two"})
			if err != nil {
				t.Fatal(err)
			}
			c, err := first.CreateItem(ctx, emulator.DefaultWorkspaceID, ItemRequest{Type: "Notebook", DisplayName: "From one again"})
			if err != nil {
				t.Fatal(err)
			}
			saved, _ := store.Get(StorageKey(env.url + "/v1"))
			for _, id := range []string{a.ID, b.ID, c.ID} {
				if !strings.Contains(saved, id) {
					t.Errorf("saved %s lacks %s: one tracker overwrote the other", saved, id)
				}
			}
			reload, _ := env.tracker(t, store)
			if n := len(reload.Operations()); n != 3 {
				t.Errorf("a reload resumes %d operations, want 3", n)
			}
		})
	})
	t.Run("a failed save is reported", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			env := newEmulatorEnv(t)
			var reported []error
			sched := lro.NewScheduler(env.client(), lro.SchedulerOptions{})
			tr := NewTracker(sched, TrackerOptions{APIBase: env.url + "/v1", Storage: &failingStorage{},
				OnStorageError: func(err error) { reported = append(reported, err) }})
			defer tr.close()
			if _, err := tr.CreateItem(context.Background(), emulator.DefaultWorkspaceID, ItemRequest{Type: "Notebook", DisplayName: "Unsaved"}); err != nil {
				t.Fatal(err)
			}
			if err := tr.StorageError(); err == nil || !strings.Contains(err.Error(), "quota") {
				t.Errorf("StorageError() = %v, want the quota error", err)
			}
			if len(reported) == 0 {
				t.Error("OnStorageError was not told")
			}
		})
	})
}

// A poll refused with 401 TokenExpired (the one refresh did not help) keeps the operation,
// waiting for a token; RetryAll after the user's new token polls it to the end.
func TestTrackerTokenExpiredWaitsForRetry(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		env := newEmulatorEnv(t)
		tr, _ := env.tracker(t, nil)
		ctx := context.Background()
		env.emu.SetFaults(emulator.FaultRule{Kind: emulator.FaultTokenExpired, Method: "GET", PathPrefix: "/v1/operations", Count: 2})
		s, err := tr.CreateItem(ctx, emulator.DefaultWorkspaceID, ItemRequest{Type: "Notebook", DisplayName: "b"})
		if err != nil {
			t.Fatal(err)
		}
		if s.Done {
			// The first create answers 201 by default: make a second one, the 202.
			if s, err = tr.CreateItem(ctx, emulator.DefaultWorkspaceID, ItemRequest{Type: "Notebook", DisplayName: "c"}); err != nil {
				t.Fatal(err)
			}
		}
		// The polls go on in fake time until one is refused and the operation waits for a token.
		refused := make(chan Snapshot, 1)
		unsubscribe := tr.Subscribe(func(cur Snapshot) {
			if cur.ID == s.ID && cur.Error != nil && !cur.Done {
				select {
				case refused <- cur:
				default:
				}
			}
		})
		var waiting Snapshot
		select {
		case waiting = <-refused:
		case <-time.After(30 * time.Second):
			cur, _ := tr.Snapshot(s.ID)
			t.Fatalf("no 401 within 30 fake seconds (snapshot %+v %+v)", cur, cur.Error)
		}
		unsubscribe()
		if waiting.Error == nil || waiting.Error.ErrorCode != "TokenExpired" {
			t.Fatalf("snapshot %+v: want it waiting for a token after TokenExpired", waiting)
		}
		card := newCard(waiting, time.Now())
		if card.StatusWords != "Token expired: paste a new token in Settings and Apply" || card.Done {
			t.Errorf("card says %q (done %v)", card.StatusWords, card.Done)
		}
		if n := tr.RetryAll(); n != 1 {
			t.Errorf("RetryAll() = %d, want 1", n)
		}
		if final := env.waitFinal(t, tr, s.ID); final.Status != StatusSucceeded || final.Error != nil {
			t.Errorf("after a new token the operation ended %s %+v, want Succeeded", final.Status, final.Error)
		}
	})
}

// swapHandler lets a test "restart" the emulator behind one URL.
type swapHandler struct {
	mu sync.Mutex
	h  http.Handler
}

func (s *swapHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	h := s.h
	s.mu.Unlock()
	h.ServeHTTP(w, r)
}

func TestTrackerNewOperationWithAKnownID(t *testing.T) {
	tests := []struct {
		name          string
		finishFirst   bool   // the first operation has ended when the second one gets its id
		wantLabel     string // the label the operation has afterwards
		wantFinalName string // the item the operation with that id finally created ("": not checked)
	}{
		{name: "finished card is replaced by the new operation", finishFirst: true,
			wantLabel: "Create Notebook “Second”", wantFinalName: "Second"},
		{name: "running card is kept, no duplicate", finishFirst: false,
			// The id now names the restarted emulator's operation: its result is what it is.
			wantLabel: "Create Notebook “First”"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				newEmu := func() http.Handler {
					return emulator.New(emulator.Config{RetryAfter: time.Second, OperationDuration: 3 * time.Second, Seed: 7})
				}
				sw := &swapHandler{h: newEmu()}
				env := serveInProcess(sw)
				store := &MemoryStorage{}
				tr, _ := env.tracker(t, store)
				ctx := context.Background()
				create := func(name string) Snapshot {
					t.Helper()
					// Same seed, same sequence: a second item in each emulator gets a 202.
					if _, err := tr.CreateItem(ctx, emulator.DefaultWorkspaceID, ItemRequest{Type: "Notebook", DisplayName: name + " (201)"}); err != nil {
						t.Fatal(err)
					}
					s, err := tr.CreateItem(ctx, emulator.DefaultWorkspaceID, ItemRequest{Type: "Notebook", DisplayName: name})
					if err != nil {
						t.Fatal(err)
					}
					return s
				}
				first := create("First")
				if tt.finishFirst {
					env.waitFinal(t, tr, first.ID)
				}
				sw.mu.Lock()
				sw.h = newEmu() // the emulator restarts: it hands out the same ids again
				sw.mu.Unlock()
				second := create("Second")
				if second.ID != first.ID {
					t.Skipf("the emulator gave a new id (%s, then %s): nothing collides", first.ID, second.ID)
				}
				n := 0
				for _, s := range tr.Operations() {
					if s.ID == first.ID {
						n++
					}
				}
				if n != 1 {
					t.Fatalf("%d operations with id %s, want exactly 1", n, first.ID)
				}
				if second.Label != tt.wantLabel {
					t.Errorf("Create returned label %q, want %q", second.Label, tt.wantLabel)
				}
				final := env.waitFinal(t, tr, first.ID)
				if got := gjson.GetBytes(final.Result, "displayName").String(); (tt.wantFinalName != "" && got != tt.wantFinalName) || final.Label != tt.wantLabel {
					t.Errorf("final: label %q result %q; want %q and %q", final.Label, got, tt.wantLabel, tt.wantFinalName)
				}
				raw, _ := store.Get(StorageKey(env.url + "/v1"))
				if !strings.Contains(raw, tt.wantLabel) || strings.Count(raw, first.ID+`","label"`) != 1 {
					t.Errorf("saved operations %s: want one entry for %s labelled %q", raw, first.ID, tt.wantLabel)
				}
			})
		})
	}
}
