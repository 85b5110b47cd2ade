//go:build js && wasm

package main

import (
	"syscall/js"

	"github.com/fabric-lro/fabric-lro/wasm/dashboard"
)

// notices implements dashboard.Notices over document.visibilityState, document.title and
// the Notification API.
type notices struct {
	doc   js.Value
	title string // the page's own title, while a count is shown before it
	shown bool
	last  js.Value // the notification shown last (closed when the user looks)
}

func newNotices() *notices { return &notices{doc: js.Global().Get("document")} }

func (n *notices) Hidden() bool { return n.doc.Get("visibilityState").String() == "hidden" }

func (n *notices) SetTitle(prefix string) {
	if !n.shown {
		n.title = n.doc.Get("title").String()
	}
	if prefix == "" {
		if n.shown {
			n.doc.Set("title", n.title)
		}
		n.shown = false
		return
	}
	n.shown = true
	n.doc.Set("title", prefix+" "+n.title)
}

func (n *notices) Permission() string {
	N := js.Global().Get("Notification")
	if N.Type() != js.TypeFunction {
		return "unsupported"
	}
	return N.Get("permission").String()
}

func (n *notices) AskPermission(done func()) {
	N := js.Global().Get("Notification")
	if N.Type() != js.TypeFunction {
		return
	}
	var then js.Func
	then = js.FuncOf(func(js.Value, []js.Value) any {
		then.Release()
		go done()
		return nil
	})
	if p := N.Call("requestPermission"); p.Type() == js.TypeObject && p.Get("then").Type() == js.TypeFunction {
		p.Call("then", then, then)
	}
}

func (n *notices) Notify(title, body, tag string, onClick func()) {
	N := js.Global().Get("Notification")
	if N.Type() != js.TypeFunction {
		return
	}
	opts := js.Global().Get("Object").New()
	opts.Set("body", body)
	opts.Set("tag", tag)
	defer func() { recover() }() // a browser that only notifies from a service worker throws
	note := N.New(title, opts)
	var click js.Func
	click = js.FuncOf(func(js.Value, []js.Value) any {
		click.Release()
		js.Global().Call("focus")
		note.Call("close")
		go onClick()
		return nil
	})
	note.Set("onclick", click)
	n.last = note
}

func (n *notices) OnVisible(fn func()) {
	n.doc.Call("addEventListener", "visibilitychange", js.FuncOf(func(js.Value, []js.Value) any {
		if !n.Hidden() {
			if n.last.Type() == js.TypeObject {
				n.last.Call("close") // the user looks: the notification is read
				n.last = js.Undefined()
			}
			go fn()
		}
		return nil
	}))
}

var _ dashboard.Notices = (*notices)(nil)
