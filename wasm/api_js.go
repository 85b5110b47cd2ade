//go:build js && wasm

package main

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"syscall/js"
	"time"

	"github.com/fabric-lro/fabric-lro/lro"
	"github.com/fabric-lro/fabric-lro/lro/jsfetch"
	"github.com/fabric-lro/fabric-lro/wasm/dashboard"
	"github.com/fabric-lro/fabric-lro/wasm/tabs"
)

// registry is the object set as globalThis.__fabricLRO: {open(options) -> Promise<api>}.
func registry() js.Value {
	reg := js.Global().Get("Object").New()
	reg.Set("open", js.FuncOf(func(_ js.Value, args []js.Value) any {
		opts := arg(args, 0)
		return promise(func() (any, error) {
			inst, err := open(opts)
			if err != nil {
				return nil, err
			}
			return inst.object(), nil
		})
	}))
	return reg
}

// instance is one load(): a member of the group of this origin's tabs and load() calls on
// one API base (see package tabs), which runs the engine while it leads.
type instance struct {
	apiBase string
	tracker *tabs.Member
	token   lro.TokenFunc // the page's getToken
	notify  bool          // tell a user who looks elsewhere that operations ended

	mu   sync.Mutex
	apps []*dashboard.App // the mounted dashboards, for tokenChanged
}

// open reads the options of load() ({apiBase, getToken, persist, requestsPerSecond,
// keepFinishedDays, notify}) and joins (or starts) the engine of this origin's tabs on
// that API base; tabs.Open checks them.
func open(opts js.Value) (*instance, error) {
	apiBase := strings.TrimRight(str(opts, "apiBase"), "/")
	var token lro.TokenFunc
	if getToken := opts.Get("getToken"); getToken.Type() == js.TypeFunction {
		token = tokenOf(getToken)
	}
	var store dashboard.Storage
	if p := opts.Get("persist"); p.IsUndefined() || p.Truthy() {
		if ls, ok := localStorage(); ok {
			store = ls
		}
	}
	m, err := tabs.Open(context.Background(), tabs.Config{ // the engine runs for the life of the page
		APIBase:           apiBase,
		Transport:         jsfetch.New(),
		Token:             token,
		RequestsPerSecond: positive(opts, "requestsPerSecond"),
		Tracker: dashboard.TrackerOptions{Storage: store, OnStorageError: logStorageError, SaveDelay: saveDelay(),
			KeepFinished: time.Duration(positive(opts, "keepFinishedDays") * float64(24*time.Hour))},
		OnLead: flushWhenHidden,
		Group:  func(receive func([]byte)) (tabs.Channel, tabs.Lock) { return groupOf(apiBase, receive) },
	})
	if err != nil {
		return nil, err
	}
	return &instance{apiBase: apiBase, tracker: m, token: token, notify: opts.Get("notify").Truthy()}, nil
}

// positive reads a number property, 0 when it is absent, not a number or not above 0.
func positive(v js.Value, name string) float64 {
	if p := v.Get(name); p.Type() == js.TypeNumber && p.Float() > 0 {
		return p.Float()
	}
	return 0
}

// tokenOf is the page's getToken({refresh}) as a token source: a string it resolves to, or
// the error it rejects (or throws) with.
func tokenOf(getToken js.Value) lro.TokenFunc {
	return func(ctx context.Context, refresh bool) (string, error) {
		arg := js.Global().Get("Object").New()
		arg.Set("refresh", refresh)
		p, err := invokeGetToken(getToken, arg)
		if err != nil {
			return "", err
		}
		v, err := await(p)
		if err != nil {
			return "", err
		}
		if v.Type() != js.TypeString || v.String() == "" {
			return "", errors.New("getToken returned no token")
		}
		return v.String(), nil
	}
}

// invokeGetToken calls getToken, turning a synchronous throw into an error.
func invokeGetToken(getToken js.Value, arg js.Value) (v js.Value, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("getToken threw: %v", r)
		}
	}()
	return getToken.Invoke(arg), nil
}

// method adds a JS method to obj.
func method(obj js.Value, name string, fn func(args []js.Value) any) {
	obj.Set(name, js.FuncOf(func(_ js.Value, args []js.Value) any { return fn(args) }))
}

// snapshotPromise resolves to the snapshot f returns, as the JS API's snapshot JSON.
func snapshotPromise(f func(ctx context.Context) (dashboard.Snapshot, error)) js.Value {
	return promise(func() (any, error) {
		s, err := f(context.Background())
		if err != nil {
			return nil, err
		}
		return toJSON(s)
	})
}

// object is the JS API of the instance (see web/fabric-lro.js).
func (in *instance) object() js.Value {
	obj := js.Global().Get("Object").New()
	t := in.tracker
	method(obj, "createItem", func(args []js.Value) any {
		ws, item := arg(args, 0), arg(args, 1)
		req := dashboard.ItemRequest{
			Type:        str(item, "type"),
			DisplayName: str(item, "displayName"),
			Description: str(item, "description"),
		}
		if item.Type() == js.TypeObject {
			if def := jsonOf(item.Get("definition")); def != "" {
				req.Definition = []byte(def)
			}
		}
		return snapshotPromise(func(ctx context.Context) (dashboard.Snapshot, error) {
			if ws.Type() != js.TypeString || ws.String() == "" || req.Type == "" || req.DisplayName == "" {
				return dashboard.Snapshot{}, &lro.Error{ErrorCode: "InvalidRequest", Message: "createItem(workspaceId, {type, displayName}) needs a workspace id, an item type and a display name"}
			}
			return t.CreateItem(ctx, ws.String(), req)
		})
	})
	method(obj, "runJob", func(args []js.Value) any {
		ws, item, jobType, label := arg(args, 0), arg(args, 1), arg(args, 2), str(arg(args, 3), "label")
		return snapshotPromise(func(ctx context.Context) (dashboard.Snapshot, error) {
			if ws.Type() != js.TypeString || item.Type() != js.TypeString || jobType.Type() != js.TypeString {
				return dashboard.Snapshot{}, &lro.Error{ErrorCode: "InvalidRequest", Message: "runJob(workspaceId, itemId, jobType, {label}) needs three strings"}
			}
			return t.RunJob(ctx, ws.String(), item.String(), jobType.String(), label)
		})
	})
	method(obj, "track", func(args []js.Value) any {
		ref := arg(args, 0)
		return snapshotPromise(func(ctx context.Context) (dashboard.Snapshot, error) {
			if ref.Type() != js.TypeString {
				return dashboard.Snapshot{}, &lro.Error{ErrorCode: "InvalidRequest", Message: "track(operationIdOrLocationUrl) needs a string"}
			}
			return t.Track(ctx, ref.String())
		})
	})
	method(obj, "wait", func(args []js.Value) any {
		id := jsStringArg(args, 0)
		return snapshotPromise(func(ctx context.Context) (dashboard.Snapshot, error) { return t.Wait(ctx, id) })
	})
	method(obj, "cancel", func(args []js.Value) any {
		id := jsStringArg(args, 0)
		return snapshotPromise(func(ctx context.Context) (dashboard.Snapshot, error) {
			if err := t.Cancel(ctx, id); err != nil {
				return dashboard.Snapshot{}, err
			}
			s, _ := t.Snapshot(id)
			return s, nil
		})
	})
	method(obj, "forget", func(args []js.Value) any {
		t.Forget(jsStringArg(args, 0))
		return nil
	})
	method(obj, "retry", func([]js.Value) any {
		return t.RetryAll() // operations waiting for a token (401) are polled again at once
	})
	method(obj, "tokenChanged", func([]js.Value) any {
		// The page has a token now (the user signed in): the workspace list loads, and the
		// operations waiting for a token are polled again.
		in.mu.Lock()
		apps := slices.Clone(in.apps)
		in.mu.Unlock()
		for _, app := range apps {
			go app.LoadWorkspaces(false)
		}
		return t.RetryAll()
	})
	method(obj, "operations", func([]js.Value) any {
		v, _ := toJSON(t.Operations())
		return v
	})
	method(obj, "subscribe", func(args []js.Value) any {
		fn := arg(args, 0)
		if fn.Type() != js.TypeFunction {
			return js.Global().Get("Function").New() // nothing to unsubscribe
		}
		unsub := t.Subscribe(func(s dashboard.Snapshot) {
			if v, err := toJSON(s); err == nil {
				invokeSafely("a subscribe callback", fn, v)
			}
		})
		var off js.Func
		off = js.FuncOf(func(js.Value, []js.Value) any {
			unsub()
			off.Release()
			return nil
		})
		return off
	})
	method(obj, "mount", func(args []js.Value) any {
		element := arg(args, 0)
		if !isElement(element) {
			return js.Global().Get("Promise").Call("reject", js.Global().Get("TypeError").New(
				"fabric-lro: mount(element) needs a DOM Element, such as document.getElementById(\"fabric-ops\"); got "+describeJS(element)))
		}
		in.mount(element, arg(args, 1))
		return js.Global().Get("Promise").Call("resolve")
	})
	obj.Set("apiBase", in.apiBase)
	return obj
}

func jsStringArg(args []js.Value, i int) string {
	if v := arg(args, i); v.Type() == js.TypeString {
		return v.String()
	}
	return ""
}

// isElement reports whether v is a DOM Element (an instance of Element where the page has
// one, else an object with nodeType 1 and appendChild).
func isElement(v js.Value) bool {
	if v.Type() != js.TypeObject {
		return false
	}
	if el := js.Global().Get("Element"); el.Type() == js.TypeFunction {
		return v.InstanceOf(el)
	}
	nt := v.Get("nodeType")
	return nt.Type() == js.TypeNumber && nt.Int() == 1 && v.Get("appendChild").Type() == js.TypeFunction
}

// describeJS names a JS value's type for an error message: "undefined", "null", "a string", "an object".
func describeJS(v js.Value) string {
	switch v.Type() {
	case js.TypeUndefined:
		return "undefined"
	case js.TypeNull:
		return "null"
	case js.TypeObject:
		return "an object that is not an Element"
	}
	return "a " + v.Type().String()
}

// invokeSafely calls the JS function fn; if it throws, the exception is reported (reportError
// where the page has it, else console.error) and the caller carries on: one bad callback must
// not stop the module or the other callbacks.
func invokeSafely(what string, fn js.Value, args ...any) {
	defer func() {
		if r := recover(); r != nil {
			var thrown any = js.Global().Get("String").Invoke(fmt.Sprint(r))
			if e, ok := r.(js.Error); ok {
				thrown = e.Value
			}
			if report := js.Global().Get("reportError"); report.Type() == js.TypeFunction {
				report.Invoke(thrown)
				return
			}
			js.Global().Get("console").Call("error", "fabric-lro: "+what+" threw:", thrown)
		}
	}()
	fn.Invoke(args...)
}

// mount renders the dashboard into element (fabric-lro.js puts it in a shadow root). page
// (optional): {forms: ["create", "track"], portalUrl}; index.html also turns on the settings
// panel: {settings: true, apiBase, token, onSettings(apiBase, token)}.
func (in *instance) mount(element, page js.Value) {
	if element.Type() != js.TypeObject {
		return
	}
	cfg := dashboard.Config{FormatTime: localeTime(), PortalURL: str(page, "portalUrl"), Probe: in.probe}
	if page.Type() == js.TypeObject {
		if f := page.Get("forms"); f.Type() == js.TypeObject && f.Get("length").Type() == js.TypeNumber {
			cfg.Forms = []string{}
			for i := range f.Get("length").Int() {
				if v := f.Index(i); v.Type() == js.TypeString {
					cfg.Forms = append(cfg.Forms, v.String())
				}
			}
		}
	}
	if page.Type() == js.TypeObject && page.Get("settings").Truthy() {
		token := str(page, "token")
		onSettings := page.Get("onSettings")
		cfg.Settings = true
		cfg.APIBase = in.apiBase
		if shown := str(page, "apiBase"); shown != "" {
			cfg.APIBase = shown // the page may show an API base it proposes but does not use yet
		}
		cfg.Token = token
		cfg.HasToken = func() bool { return token != "" }
		if signedIn := page.Get("hasToken"); signedIn.Type() == js.TypeFunction {
			// A page with sign-in has a token without one pasted in Settings.
			cfg.HasToken = func() bool { return token != "" || signedIn.Invoke().Truthy() }
		}
		cfg.TokenAdvice = str(page, "tokenAdvice")
		shown := token
		cfg.Probe = func(ctx context.Context, apiBase, typed string) dashboard.Probe {
			if apiBase != "" {
				typed = dashboard.ProbeToken(in.apiBase, apiBase, typed, shown)
			}
			return in.probe(ctx, apiBase, typed)
		}
		cfg.OnSettings = func(apiBase, tok string) {
			token = strings.TrimSpace(tok)
			shown = token
			if onSettings.Type() == js.TypeFunction {
				invokeSafely("onSettings", onSettings, apiBase, token)
			}
		}
	}
	pg := newPage()
	cfg.Frame = pg.Frame
	if in.notify {
		cfg.Notices = newNotices()
	}
	app := dashboard.NewApp(in.tracker, cfg)
	app.Mount(pg, wrap(element))
	in.mu.Lock()
	in.apps = append(in.apps, app)
	in.mu.Unlock()
	go func() {
		for range time.Tick(time.Second) {
			app.Tick()
		}
	}()
}

// localeTime formats times with the browser's Intl.DateTimeFormat, in the user's locale and
// time zone (Go's own clock in the browser has no zone).
func localeTime() func(time.Time) string {
	opts := js.Global().Get("Object").New()
	opts.Set("dateStyle", "medium")
	opts.Set("timeStyle", "medium")
	f := js.Global().Get("Intl").Get("DateTimeFormat").New(js.Undefined(), opts)
	date := js.Global().Get("Date")
	return func(t time.Time) string {
		return f.Call("format", date.New(float64(t.UnixMilli()))).String()
	}
}
