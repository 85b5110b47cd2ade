package tabs

import (
	"context"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/fabric-lro/fabric-lro/internal/hostpolicy"
	"github.com/fabric-lro/fabric-lro/lro"
	"github.com/fabric-lro/fabric-lro/wasm/dashboard"
)

// Config is one load() of the JS API: where its requests go, and how it joins the group of
// the other tabs and load() calls on the same API base.
type Config struct {
	// APIBase is the /v1 URL of Fabric or of the fabric-lro proxy, such as
	// http://127.0.0.1:8787/v1, without a trailing slash; it must be an absolute http(s) URL.
	APIBase string
	// Transport sends every request (the browser's fetch in the page).
	Transport lro.Transport
	// Token is the page's getToken (required). When it has no token, the member asks the
	// group for one, on demand and through the Channel only.
	Token lro.TokenFunc
	// RequestsPerSecond bounds the leader's requests over time, creates and polls alike; 0
	// means the scheduler's default (5). One Create click may send up to
	// [dashboard.MaxCount] creates at once.
	RequestsPerSecond float64
	// Tracker configures the engine this member runs while it leads (Storage, SaveDelay,
	// KeepFinished, OnStorageError); its APIBase is set to APIBase.
	Tracker dashboard.TrackerOptions
	// OnLead, if set, is called with that engine once this member leads (the page writes
	// its pending changes when it is hidden).
	OnLead func(*dashboard.Tracker)
	// Group connects the member to the others: it returns a Channel whose messages from the
	// others it gives to receive, and the group's Lock. Nil, or nil for either, and the
	// member leads alone (a browser without BroadcastChannel or Web Locks).
	Group func(receive func(msg []byte)) (Channel, Lock)
}

// readyWait bounds how long Open waits for the leading member's list (the list then fills
// in as it arrives).
const readyWait = 3 * time.Second

// Open checks cfg and joins the group: it leads at once if it is alone or the first, else
// it follows the leader and leads when the leader's tab goes. It returns once it knows the
// group's list (or after three seconds). The engine it runs while it leads stops when ctx
// is done (in the page: never).
//
// An APIBase that is not an absolute http(s) URL is an [lro.Error] with errorCode
// InvalidApiBase; no Token is InvalidTokenSource.
func Open(ctx context.Context, cfg Config) (*Member, error) {
	if _, _, ok := hostpolicy.ParseURL(cfg.APIBase); !ok {
		return nil, &lro.Error{ErrorCode: "InvalidApiBase", Message: "apiBase must be an absolute http(s) URL ending in /v1, such as http://127.0.0.1:8787/v1; got \"" + cfg.APIBase + "\""}
	}
	if cfg.Token == nil {
		return nil, &lro.Error{ErrorCode: "InvalidTokenSource", Message: "getToken must be an async function returning a bearer token"}
	}
	var client *lro.Client
	var follower *dashboard.Tracker // lists workspaces while another member leads
	m := newMember(options{id: newID(), token: cfg.Token,
		workspaces: func(ctx context.Context, next string) (dashboard.WorkspacePage, error) {
			return follower.Workspaces(ctx, next)
		},
		lead: func(shown []dashboard.Snapshot) engine {
			sched := lro.NewScheduler(client, lro.SchedulerOptions{Burst: dashboard.MaxCount, RequestsPerSecond: cfg.RequestsPerSecond})
			go sched.Run(ctx)
			trOpts := cfg.Tracker
			trOpts.APIBase = cfg.APIBase
			tr := resume(sched, trOpts, shown)
			if cfg.OnLead != nil {
				cfg.OnLead(tr)
			}
			return tr
		},
	})
	if cfg.Group != nil {
		channel, lock := cfg.Group(m.receive)
		m.mu.Lock() // post reads them with m.mu held, and messages may arrive already
		m.opts.channel, m.opts.lock = channel, lock
		m.mu.Unlock()
	}
	client = lro.NewClient(lro.Options{Transport: cfg.Transport, BaseURL: dashboard.BaseURL(cfg.APIBase), Token: m.tokenSource(cfg.Token)})
	follower = dashboard.NewTracker(lro.NewScheduler(client, lro.SchedulerOptions{}), dashboard.TrackerOptions{APIBase: cfg.APIBase})
	m.start()
	select {
	case <-m.ready:
	case <-time.After(readyWait):
	}
	return m, nil
}

// newID names a member in its group: random, so unique in the group, but no secret (every
// member of the origin reads every message). math/rand/v2 is seeded by the runtime from the
// browser's crypto.getRandomValues; crypto/rand would add about 50 KB (gzip) to app.wasm.
func newID() string {
	return strconv.FormatUint(rand.Uint64(), 36) + strconv.FormatUint(rand.Uint64(), 36)
}
