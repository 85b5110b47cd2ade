//go:build js && wasm

package main

import (
	"context"
	"errors"
	"fmt"
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
