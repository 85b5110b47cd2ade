//go:build js && wasm

package main

import (
	"encoding/json"
	"errors"
	"sync"
	"syscall/js"

	"github.com/fabric-lro/fabric-lro/wasm/dashboard"
)

// promise returns a JS Promise settled by f, which runs in its own goroutine (a JS callback
// must never block), in a task of its own: a page that calls the API a thousand times in a
// loop spends only the calls' own cost in its loop, and the work of each call is a short
// task of its own (the page stays responsive).
func promise(f func() (any, error)) js.Value {
	var executor js.Func
	executor = js.FuncOf(func(_ js.Value, args []js.Value) any {
		resolve, reject := args[0], args[1]
		go func() {
			nextTask()
			v, err := f()
			if err != nil {
				reject.Invoke(jsError(err))
				return
			}
			resolve.Invoke(v)
		}()
		return nil
	})
	p := js.Global().Get("Promise").New(executor)
	executor.Release()
	return p
}

// nextTask waits for a task of its own: one message of a MessageChannel per call, so each
// waiting call runs alone in its own task (timers would run several in one task, and clamp
// chained ones to 4 ms). Without a document (Node) it waits for a setTimeout 0.
func nextTask() {
	ch := make(chan struct{})
	tasks.mu.Lock()
	if tasks.port.IsUndefined() {
		if js.Global().Get("document").Type() != js.TypeObject || js.Global().Get("MessageChannel").Type() != js.TypeFunction {
			tasks.mu.Unlock()
			var fn js.Func
			fn = js.FuncOf(func(js.Value, []js.Value) any { fn.Release(); close(ch); return nil })
			js.Global().Call("setTimeout", fn, 0)
			<-ch
			return
		}
		mc := js.Global().Get("MessageChannel").New()
		mc.Get("port1").Set("onmessage", js.FuncOf(func(js.Value, []js.Value) any {
			tasks.mu.Lock()
			next := tasks.waiting[0]
			tasks.waiting = tasks.waiting[1:]
			tasks.mu.Unlock()
			close(next)
			return nil
		}))
		tasks.port = mc.Get("port2")
	}
	tasks.waiting = append(tasks.waiting, ch)
	tasks.mu.Unlock()
	tasks.port.Call("postMessage", nil)
	<-ch
}

// tasks are the calls waiting for a task of their own (nextTask), first come first served.
var tasks struct {
	mu      sync.Mutex
	port    js.Value
	waiting []chan struct{}
}

// await waits for a JS promise (or plain value) from a goroutine that is not a JS callback.
func await(v js.Value) (js.Value, error) {
	if v.Type() != js.TypeObject || v.Get("then").Type() != js.TypeFunction {
		return v, nil
	}
	type outcome struct {
		v   js.Value
		err error
	}
	ch := make(chan outcome, 1)
	onOK := js.FuncOf(func(_ js.Value, args []js.Value) any {
		ch <- outcome{v: arg(args, 0)}
		return nil
	})
	onErr := js.FuncOf(func(_ js.Value, args []js.Value) any {
		ch <- outcome{err: errors.New(jsString(arg(args, 0)))}
		return nil
	})
	v.Call("then", onOK, onErr)
	o := <-ch
	onOK.Release()
	onErr.Release()
	return o.v, o.err
}

func arg(args []js.Value, i int) js.Value {
	if i < len(args) {
		return args[i]
	}
	return js.Undefined()
}

// jsString is how a thrown JS value reads: an Error's message, or the value as a string.
func jsString(v js.Value) string {
	if v.Type() == js.TypeObject && v.Get("message").Type() == js.TypeString {
		return v.Get("message").String()
	}
	if v.IsUndefined() || v.IsNull() {
		return "unknown error"
	}
	return js.Global().Call("String", v).String()
}

// jsError is err as a JS Error carrying Fabric's ErrorResponse fields: errorCode, message,
// requestId and moreDetails.
func jsError(err error) js.Value {
	e := dashboard.ErrorOf(err)
	msg := e.ErrorCode + ": " + e.Message
	if e.RequestID != "" {
		msg += " (requestId " + e.RequestID + ")"
	}
	jsErr := js.Global().Get("Error").New(msg)
	jsErr.Set("errorCode", e.ErrorCode)
	jsErr.Set("requestId", e.RequestID)
	details, _ := json.Marshal(e.MoreDetails)
	if e.MoreDetails == nil {
		details = []byte("[]")
	}
	jsErr.Set("moreDetails", fromJSON(details))
	return jsErr
}

// fromJSON parses JSON text into a JS value.
func fromJSON(b []byte) js.Value { return js.Global().Get("JSON").Call("parse", string(b)) }

// toJSON encodes v as a JS value through its JSON form; the Snapshot JSON contract holds.
func toJSON(v any) (js.Value, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return js.Undefined(), err
	}
	return fromJSON(b), nil
}

// jsonOf encodes a JS value (an object literal from the caller) as JSON text.
func jsonOf(v js.Value) string {
	if v.IsUndefined() || v.IsNull() {
		return ""
	}
	return js.Global().Get("JSON").Call("stringify", v).String()
}

// str reads a string property, "" when it is absent or not a string.
func str(v js.Value, name string) string {
	if v.Type() != js.TypeObject {
		return ""
	}
	p := v.Get(name)
	if p.Type() != js.TypeString {
		return ""
	}
	return p.String()
}
