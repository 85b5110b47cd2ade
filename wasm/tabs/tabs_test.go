package tabs

import (
	"context"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/fabric-lro/fabric-lro/emulator"
	"github.com/fabric-lro/fabric-lro/lro"
	"github.com/fabric-lro/fabric-lro/wasm/dashboard"
)

// TestTwoTabsOneEngine: the first tab leads and polls; the second follows. Operations created
// in either show in both, wait() resolves in both for all of them (a second load() used to
// never see the first one's operations), and every poll is the leader's: the second tab's
// token never polls and no poll comes before Retry-After (the emulator runs strict).
func TestTwoTabsOneEngine(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		g := newGroup(t, true)
		ctx := context.Background()
		a := g.join("A", "tok-A")
		b := g.join("B", "tok-B")

		fromA, err := a.CreateItem(ctx, emulator.DefaultWorkspaceID, notebook("From A"))
		if err != nil {
			t.Fatal(err)
		}
		fromB, err := b.CreateItem(ctx, emulator.DefaultWorkspaceID, notebook("From B"))
		if err != nil {
			t.Fatal(err)
		}
		if fromB.Label != "Create Notebook “From B”" || fromB.Done {
			t.Errorf("B's create resolved to %+v, want the running operation", fromB)
		}
		eventually(t, b, "B shows A's operation", has(fromA.ID, fromB.ID))
		eventually(t, a, "A shows B's operation", has(fromA.ID, fromB.ID))

		final := g.waitAll(b, fromA.ID, fromB.ID)
		for id, s := range final {
			if s.Status != dashboard.StatusSucceeded || len(s.Result) == 0 {
				t.Errorf("%s ended %s with result %s in B", id, s.Status, s.Result)
			}
		}
		if s, err := a.Wait(ctx, fromB.ID); err != nil || s.Status != dashboard.StatusSucceeded {
			t.Errorf("A's wait for B's operation: %+v, %v", s, err)
		}
		if got := g.requests("tok-B "); len(got) != 0 {
			t.Errorf("the follower sent %v; want every request from the leader", got)
		}
		if got := g.requests("tok-A POST"); len(got) != 2 {
			t.Errorf("creates %v, want 2", got)
		}
		if polls := g.requests("tok-A GET /v1/operations/"); len(polls) > 2*(3+2) {
			t.Errorf("%d polls for two operations of 3 s with Retry-After 1 s: want at most %d", len(polls), 2*(3+2))
		}
		for _, s := range b.Operations() {
			if s.Error != nil {
				t.Errorf("%s: %+v (an early poll gets 429 from the strict emulator)", s.Label, s.Error)
			}
		}
		if g.leaders[0] != "A" || len(g.leaders) != 1 {
			t.Errorf("engines started: %v, want A's alone", g.leaders)
		}
	})
}

// TestLeaderClosesMidOperation: the leading tab closes while operations run (some started in
// the follower); the follower leads, resumes them from what was saved and what it was shown,
// and finishes every one: nothing lost, nothing created twice.
func TestLeaderClosesMidOperation(t *testing.T) {
	for _, tc := range []struct {
		name    string
		persist bool
	}{
		{name: "saved in localStorage", persist: true},
		{name: "persist false: from the broadcast resume tokens", persist: false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				g := newGroup(t, tc.persist)
				ctx := context.Background()
				a := g.join("A", "tok-A")
				b := g.join("B", "tok-B")
				c := g.join("C", "tok-C")
				var ids []string
				for i, m := range []*Member{a, b, c, b} {
					s, err := m.CreateItem(ctx, emulator.DefaultWorkspaceID, notebook("Op "+string(rune('1'+i))))
					if err != nil {
						t.Fatal(err)
					}
					ids = append(ids, s.ID)
				}
				eventually(t, b, "B shows all", has(ids...))
				eventually(t, c, "C shows all", has(ids...))
				g.close("A") // the browser hands the lock to B, which leads before close returns
				final := g.waitAll(c, ids...)
				for _, id := range ids {
					if s := final[id]; s.Status != dashboard.StatusSucceeded {
						t.Errorf("%s ended %q in C: want Succeeded", id, s.Status)
					}
				}
				if got := len(g.requests("")) - len(g.requests("tok-A")) - len(g.requests("tok-B")); got != 0 {
					t.Errorf("C sent %d requests; want the new leader alone", got)
				}
				if posts := len(g.requests("tok-A POST")) + len(g.requests("tok-B POST")); posts != len(ids) {
					t.Errorf("%d creates sent for %d operations: want none sent again", posts, len(ids))
				}
				if n := len(c.Operations()); n != len(ids) {
					t.Errorf("C lists %d operations, want %d: %v", n, len(ids), labels(c.Operations()))
				}
				if g.leaders[1] != "B" || len(g.leaders) != 2 {
					t.Errorf("engines started: %v, want A's then B's", g.leaders)
				}
			})
		})
	}
}

// gate is an engine whose calls wait until released: a leader that has a call in hand.
type gate struct {
	engine
	entered chan string
	release chan struct{}
}

func (g *gate) CreateItem(ctx context.Context, ws string, item dashboard.ItemRequest) (dashboard.Snapshot, error) {
	g.entered <- "create"
	<-g.release
	return g.engine.CreateItem(ctx, ws, item)
}

func (g *gate) Track(ctx context.Context, ref string) (dashboard.Snapshot, error) {
	g.entered <- "track"
	<-g.release
	return g.engine.Track(ctx, ref)
}

// TestCallsToAClosedLeader: a create the closed leader had in hand fails with LeaderClosed
// (it may have reached Fabric: it is never sent twice); a track is sent to the new leader.
func TestCallsToAClosedLeader(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		g := newGroup(t, true)
		ctx := context.Background()
		held := &gate{entered: make(chan string, 2), release: make(chan struct{})}
		a := newMember(options{id: "A", channel: port{b: g.bus, id: "A"}, lock: lockFor{l: g.locks, id: "A"},
			lead: func([]dashboard.Snapshot) engine {
				client := lro.NewClient(lro.Options{Transport: g.transport(), BaseURL: fabricURL, Token: lro.StaticToken("tok-A")})
				held.engine = dashboard.NewTracker(lro.NewScheduler(client, lro.SchedulerOptions{}), dashboard.TrackerOptions{APIBase: fabricURL + "/v1"})
				return held
			}})
		g.bus.add("A", a.receive)
		a.start()
		defer close(held.release)
		b := g.join("B", "tok-B")

		type out struct {
			s   dashboard.Snapshot
			err error
		}
		created, tracked := make(chan out, 1), make(chan out, 1)
		go func() {
			s, err := b.CreateItem(ctx, emulator.DefaultWorkspaceID, notebook("Lost?"))
			created <- out{s, err}
		}()
		<-held.entered
		go func() {
			s, err := b.Track(ctx, "00000000-0000-0000-0000-0000000000aa")
			tracked <- out{s, err}
		}()
		<-held.entered
		g.close("A")
		c := <-created
		if c.err == nil || !strings.Contains(c.err.Error(), "LeaderClosed") {
			t.Errorf("create in the closed leader's hands: %+v, %v; want LeaderClosed", c.s, c.err)
		}
		tr := <-tracked
		if tr.err != nil || tr.s.ID != "00000000-0000-0000-0000-0000000000aa" {
			t.Errorf("track sent again to the new leader: %+v, %v", tr.s, tr.err)
		}
		if got := g.requests("tok-A POST"); len(got) != 0 {
			t.Errorf("creates sent: %v", got)
		}
	})
}

// TestLeaderWithoutTokenAsksTheGroup: a leader whose own getToken has nothing asks the group,
// and the follower's token is used; a follower is never asked while the leader has its own.
func TestLeaderWithoutTokenAsksTheGroup(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		g := newGroup(t, false)
		a := g.join("A", "")
		b := g.join("B", "tok-B")
		s, err := b.CreateItem(context.Background(), emulator.DefaultWorkspaceID, notebook("Borrowed"))
		if err != nil {
			t.Fatalf("create through a leader without a token: %v", err)
		}
		g.waitAll(a, s.ID)
		if got := g.requests(" "); len(got) != 0 {
			t.Errorf("requests without a token: %v", got)
		}
		if got := g.requests("tok-B "); len(got) == 0 {
			t.Error("no request carried the follower's token")
		}

		h := newGroup(t, false)
		h.join("A", "tok-A")
		h.join("B", "tok-B")
		h.bus.mu.Lock()
		defer h.bus.mu.Unlock()
		for _, p := range h.bus.posts {
			if strings.Contains(p, "tok-") {
				t.Errorf("a token crossed the channel although the leader has its own: %s", p)
			}
		}
	})
}

// TestForgetInOneTabRemovesEverywhere: dismissing in a follower removes the row in every
// member and from the saved list.
func TestForgetInOneTabRemovesEverywhere(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		g := newGroup(t, true)
		a := g.join("A", "tok-A")
		b := g.join("B", "tok-B")
		s, err := a.CreateItem(context.Background(), emulator.DefaultWorkspaceID, notebook("Dismissed"))
		if err != nil {
			t.Fatal(err)
		}
		eventually(t, b, "B shows it", has(s.ID))
		removed := make(chan []string, 1)
		defer a.OnRemove(func(ids ...string) { removed <- ids })()
		b.Forget(s.ID)
		if got := <-removed; !slices.Equal(got, []string{s.ID}) {
			t.Errorf("A was told %v removed, want %s", got, s.ID)
		}
		if n := len(a.Operations()); n != 0 {
			t.Errorf("A still lists %d", n)
		}
		if saved, _ := g.store.Get(dashboard.StorageKey(fabricURL + "/v1")); strings.Contains(saved, s.ID) {
			t.Errorf("still saved: %s", saved)
		}
	})
}

// TestFollowerIgnoresAClosedLeadersStragglers: once a new leader's state arrived, a message
// still in flight from the old one changes nothing; a snapshot seen twice is told once.
func TestFollowerIgnoresAClosedLeadersStragglers(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newMember(options{id: "F", channel: port{b: &bus{members: map[string]func([]byte){}, closed: map[string]bool{}}, id: "F"}, lock: lockFor{l: &locks{holder: "X"}, id: "F"}})
		f.start()
		told := make(chan string, 10)
		defer f.Subscribe(func(s dashboard.Snapshot) { told <- s.ID + " " + s.Status })()
		snap := func(id, status string) string {
			return `{"id":"` + id + `","kind":"operation","label":"` + id + `","status":"` + status + `","done":` + map[bool]string{true: "true", false: "false"}[status == "Succeeded"] + `}`
		}
		for _, msg := range []string{
			`{"k":"state","f":"old","s":[` + snap("op-1", "Running") + `]}`,
			`{"k":"snap","f":"old","s":[` + snap("op-1", "Running") + `]}`, // the same again: not told
			`{"k":"state","f":"new","s":[` + snap("op-1", "Running") + `,` + snap("op-2", "Running") + `]}`,
			`{"k":"snap","f":"old","s":[` + snap("op-1", "Failed") + `]}`, // a straggler: ignored
			`{"k":"gone","f":"old","ids":["op-2"]}`,                       // ignored too
			`{"k":"snap","f":"new","s":[` + snap("op-1", "Succeeded") + `]}`,
		} {
			f.receive([]byte(msg))
		}
		var got []string
		for len(got) < 3 {
			got = append(got, <-told)
		}
		want := []string{"op-1 Running", "op-2 Running", "op-1 Succeeded"}
		if !slices.Equal(got, want) {
			t.Errorf("told %v, want %v", got, want)
		}
		if s, err := f.Wait(context.Background(), "op-1"); err != nil || s.Status != "Succeeded" {
			t.Errorf("Wait: %+v, %v", s, err)
		}
		if n := len(f.Operations()); n != 2 {
			t.Errorf("lists %d, want 2 (op-2 is not gone: the old leader said so)", n)
		}
	})
}

// TestWaitForAnOperationNotSeenYet: wait() in a member for an operation another one started a
// moment ago (its snapshots still on the way) asks the leader, and resolves; an id nobody
// watches is OperationNotTracked.
func TestWaitForAnOperationNotSeenYet(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		g := newGroup(t, false)
		a := g.join("A", "tok-A")
		g.bus.mu.Lock()
		g.bus.noSnaps = map[string]bool{"B": true}
		g.bus.mu.Unlock()
		b := g.join("B", "tok-B")
		s, err := a.CreateItem(context.Background(), emulator.DefaultWorkspaceID, notebook("Elsewhere"))
		if err != nil {
			t.Fatal(err)
		}
		g.waitAll(a, s.ID)
		if _, ok := b.Snapshot(s.ID); ok {
			t.Fatal("B saw the operation although no snap reached it")
		}
		final, err := b.Wait(context.Background(), s.ID)
		if err != nil || final.Status != dashboard.StatusSucceeded {
			t.Errorf("B's wait: %+v, %v; want Succeeded", final, err)
		}
		if _, err := b.Wait(context.Background(), "no-such-operation"); err == nil || !strings.Contains(err.Error(), string(lro.CodeOperationNotTracked)) {
			t.Errorf("wait for an id nobody watches: %v, want %s", err, lro.CodeOperationNotTracked)
		}
	})
}

// TestHandoverKeepsThe429Pause: one operation's poll got a 429 (Retry-After 30 s), which
// paused the other's polls too, and the leader's tab closed; the next leader sends nothing to
// Fabric before those 30 s are over (the other operation's own Retry-After was 1 s).
func TestHandoverKeepsThe429Pause(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		g := newGroup(t, true)
		if err := g.emu.SetFaults(emulator.FaultRule{Kind: "429", Method: "GET", PathPrefix: "/v1/operations", Count: 1, RetryAfterSeconds: 30}); err != nil {
			t.Fatal(err)
		}
		a := g.join("A", "tok-A")
		b := g.join("B", "tok-B")
		var ids []string
		for _, name := range []string{"Throttled", "Paused"} {
			s, err := a.CreateItem(context.Background(), emulator.DefaultWorkspaceID, notebook(name))
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, s.ID)
		}
		throttled := func(ops []dashboard.Snapshot) bool {
			for _, s := range ops {
				if s.Waiting == nil || s.Waiting.Reason != lro.WaitThrottled {
					return false
				}
			}
			return len(ops) == 2
		}
		start := time.Now()
		eventually(t, b, "both operations wait out the 429 pause", throttled) // time moves on to the first polls
		if waited := time.Since(start); waited > 5*time.Second {
			t.Fatalf("no 429 pause until %v after the creates", waited)
		}
		until := b.Operations()[1].Waiting.Until
		g.close("A") // B leads before close returns: its engine's snapshots are in its list
		for _, s := range b.Operations() {
			if s.NextPollAt == nil || s.NextPollAt.Before(until) {
				t.Errorf("%s: the new leader polls it at %v, before the 429 pause ends at %v", s.Label, s.NextPollAt, until)
			}
		}
		g.waitAll(b, ids...)
		g.mu.Lock()
		defer g.mu.Unlock()
		for i, r := range g.seen {
			if strings.HasPrefix(r, "tok-B ") && g.at[i].Before(until) {
				t.Errorf("the new leader sent %s at %v, before the 429 pause ended at %v", r, g.at[i].Format(time.TimeOnly), until.Format(time.TimeOnly))
			}
		}
	})
}
