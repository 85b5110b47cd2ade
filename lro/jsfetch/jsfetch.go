//go:build js && wasm

package jsfetch

import (
	"context"
	"errors"
	"syscall/js"

	"github.com/fabric-lro/fabric-lro/lro"
)

// Transport is an [lro.Transport] over the JavaScript fetch function.
type Transport struct {
	fetch js.Value
}

// New returns a Transport that calls globalThis.fetch (looked up now).
func New() *Transport { return &Transport{fetch: js.Global().Get("fetch")} }

// Do calls fetch(req.URL, {method, headers, body, redirect: "manual", signal}) and reads the
// whole body. Cancelling ctx aborts the fetch.
func (t *Transport) Do(ctx context.Context, req *lro.Request) (*lro.Response, error) {
	if t.fetch.Type() != js.TypeFunction {
		return nil, errors.New("jsfetch: globalThis.fetch is not a function")
	}
	headers := js.Global().Get("Headers").New()
	for k, vs := range req.Header {
		for _, v := range vs {
			headers.Call("append", k, v)
		}
	}
	init := js.Global().Get("Object").New()
	init.Set("method", req.Method)
	init.Set("headers", headers)
	init.Set("redirect", "manual")
	if req.Body != nil {
		body := js.Global().Get("Uint8Array").New(len(req.Body))
		js.CopyBytesToJS(body, req.Body)
		init.Set("body", body)
		if req.Header.Get("Content-Type") == "" {
			headers.Call("set", "Content-Type", "application/json")
		}
	}
	abort := js.Global().Get("AbortController").New()
	init.Set("signal", abort.Get("signal"))
	stop := context.AfterFunc(ctx, func() { abort.Call("abort") })
	defer stop()

	resp, err := await(ctx, t.fetch.Invoke(req.URL, init))
	if err != nil {
		return nil, err
	}
	if resp.Get("type").String() == "opaqueredirect" {
		return nil, errors.New("jsfetch: " + req.URL + " answered a redirect, which is not followed")
	}
	buf, err := await(ctx, resp.Call("arrayBuffer"))
	if err != nil {
		return nil, err
	}
	u8 := js.Global().Get("Uint8Array").New(buf)
	out := &lro.Response{StatusCode: resp.Get("status").Int(), Header: lro.Header{}, Body: make([]byte, u8.Get("length").Int())}
	js.CopyBytesToGo(out.Body, u8)
	each := js.FuncOf(func(_ js.Value, args []js.Value) any {
		out.Header.Add(args[1].String(), args[0].String())
		return nil
	})
	defer each.Release()
	resp.Get("headers").Call("forEach", each)
	return out, nil
}

// await waits for a JavaScript promise to settle.
func await(ctx context.Context, promise js.Value) (js.Value, error) {
	type result struct {
		v   js.Value
		err error
	}
	ch := make(chan result, 1)
	ok := js.FuncOf(func(_ js.Value, args []js.Value) any { ch <- result{v: arg0(args)}; return nil })
	fail := js.FuncOf(func(_ js.Value, args []js.Value) any {
		ch <- result{err: errors.New("jsfetch: " + js.Global().Get("String").Invoke(arg0(args)).String())}
		return nil
	})
	defer ok.Release()
	defer fail.Release()
	promise.Call("then", ok, fail)
	// Wait for the promise even after ctx is done: the callbacks must not be released before
	// it settles, and the AbortController (signalled when ctx is done) makes it settle.
	r := <-ch
	if r.err != nil && ctx.Err() != nil {
		return js.Undefined(), ctx.Err()
	}
	return r.v, r.err
}

func arg0(args []js.Value) js.Value {
	if len(args) == 0 {
		return js.Undefined()
	}
	return args[0]
}
