//go:build js && wasm

package main

import (
	"syscall/js"

	"github.com/fabric-lro/fabric-lro/wasm/tabs"
)

// groupOf connects a tabs.Member to the other tabs (and load() calls) of this origin on the
// same API base (tabs.Config.Group): a BroadcastChannel and a Web Lock, both named after the
// API base. It returns nil, nil where the browser has either missing (an insecure origin has
// no navigator.locks; Node has neither): the member then leads alone.
func groupOf(apiBase string, receive func([]byte)) (tabs.Channel, tabs.Lock) {
	g := js.Global()
	locks := js.Undefined()
	if nav := g.Get("navigator"); nav.Truthy() {
		locks = nav.Get("locks")
	}
	if !locks.Truthy() || g.Get("BroadcastChannel").Type() != js.TypeFunction {
		return nil, nil
	}
	name := "fabric-lro " + apiBase
	bc := g.Get("BroadcastChannel").New(name)
	bc.Set("onmessage", js.FuncOf(func(_ js.Value, args []js.Value) any {
		if d := arg(args, 0).Get("data"); d.Type() == js.TypeString {
			receive([]byte(d.String()))
		}
		return nil
	}))
	return webChannel{bc}, webLock{locks: locks, name: name}
}

// webChannel is a BroadcastChannel: messages are JSON text.
type webChannel struct{ bc js.Value }

func (c webChannel) Post(msg []byte) { c.bc.Call("postMessage", string(msg)) }

// webLock is one Web Lock, held from when it is granted until the page goes away (the
// browser then grants it to the next tab waiting, also when this one crashed).
type webLock struct {
	locks js.Value
	name  string
}

func (l webLock) Request(granted func()) {
	l.locks.Call("request", l.name, js.FuncOf(func(js.Value, []js.Value) any {
		go granted()
		return js.Global().Get("Promise").New(js.FuncOf(func(js.Value, []js.Value) any { return nil })) // never settles
	}))
}
