//go:build js && wasm

package main

import (
	"context"
	"fmt"
	"slices"
	"syscall/js"

	"github.com/fabric-lro/fabric-lro/lro"
	"github.com/fabric-lro/fabric-lro/wasm/dashboard"
)

// object is the JS API of the instance (see web/fabric-lro.js).
func (in *instance) object() js.Value {
	obj := js.Global().Get("Object").New()
	in.startMethods(obj)
	in.listMethods(obj)
	in.tokenMethods(obj)
	method(obj, "mount", in.mountMethod)
	obj.Set("apiBase", in.apiBase)
	return obj
}

// method adds a JS method to obj.
func method(obj js.Value, name string, fn func(args []js.Value) any) {
	obj.Set(name, js.FuncOf(func(_ js.Value, args []js.Value) any { return fn(args) }))
}

// startMethods are the calls that start watching an operation: createItem, runJob, track.
// Each resolves to the operation's first snapshot.
func (in *instance) startMethods(obj js.Value) {
	t := in.tracker
	method(obj, "createItem", func(args []js.Value) any {
		ws, req := arg(args, 0), itemRequest(arg(args, 1))
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
}

// itemRequest reads createItem's {type, displayName, description, definition}.
func itemRequest(item js.Value) dashboard.ItemRequest {
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
	return req
}

// listMethods are the calls on the list of operations: wait, cancel, forget, operations,
// subscribe.
func (in *instance) listMethods(obj js.Value) {
	t := in.tracker
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
	method(obj, "operations", func([]js.Value) any {
		v, _ := toJSON(t.Operations())
		return v
	})
	method(obj, "subscribe", in.subscribe)
}

// subscribe calls the JS function args[0] with every new snapshot, and returns the function
// that stops it.
func (in *instance) subscribe(args []js.Value) any {
	fn := arg(args, 0)
	if fn.Type() != js.TypeFunction {
		return js.Global().Get("Function").New() // nothing to unsubscribe
	}
	unsub := in.tracker.Subscribe(func(s dashboard.Snapshot) {
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
}

// tokenMethods are the calls for a page whose token changed: retry, tokenChanged. Each
// returns how many operations were waiting for a token.
func (in *instance) tokenMethods(obj js.Value) {
	t := in.tracker
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

func jsStringArg(args []js.Value, i int) string {
	if v := arg(args, i); v.Type() == js.TypeString {
		return v.String()
	}
	return ""
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
