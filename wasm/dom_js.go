//go:build js && wasm

package main

import (
	"syscall/js"

	"honnef.co/go/js/dom/v2"

	"github.com/fabric-lro/fabric-lro/wasm/dashboard"
)

// page implements dashboard.DOM over the browser's document.
//
// Elements are dom/v2's *dom.BasicElement built directly around document.createElement's
// result, and only its concrete methods are called. Anything that converts an element to one
// of dom/v2's interfaces (dom.WrapElement, AppendChild(dom.Node), AddEventListener's event
// wrapper) links in its wrappers for every HTML element and event type: about 170 KB gzip,
// more than app.wasm's 1.25 MB budget allows next to the engine.
type page struct{ doc js.Value }

func newPage() page { return page{doc: js.Global().Get("document")} }

func wrap(v js.Value) node { return node{&dom.BasicElement{BasicNode: &dom.BasicNode{Value: v}}} }

func (p page) Create(tag string) dashboard.Node { return wrap(p.doc.Call("createElement", tag)) }

func (p page) CopyText(s string) {
	clip := js.Global().Get("navigator").Get("clipboard")
	if clip.Truthy() {
		var ignore js.Func
		ignore = js.FuncOf(func(js.Value, []js.Value) any { ignore.Release(); return nil })
		clip.Call("writeText", s).Call("catch", ignore)
	}
}

func (p page) TypingInField() bool {
	a := p.doc.Get("activeElement")
	for a.Truthy() && a.Get("shadowRoot").Truthy() && a.Get("shadowRoot").Get("activeElement").Truthy() {
		a = a.Get("shadowRoot").Get("activeElement") // the dashboard lives in a shadow root
	}
	if !a.Truthy() {
		return false
	}
	switch a.Get("tagName").String() {
	case "INPUT", "SELECT", "TEXTAREA":
		return true
	}
	return false
}

// node implements dashboard.Node over a DOM element.
type node struct{ e *dom.BasicElement }

func (n node) Append(child dashboard.Node) {
	n.e.Underlying().Call("appendChild", child.(node).e.Underlying())
}
func (n node) Prepend(child dashboard.Node) {
	n.e.Underlying().Call("prepend", child.(node).e.Underlying())
}
func (n node) Remove()                    { n.e.Underlying().Call("remove") }
func (n node) SetText(s string)           { n.e.SetTextContent(s) }
func (n node) SetAttr(name, value string) { n.e.SetAttribute(name, value) }
func (n node) RemoveAttr(name string)     { n.e.RemoveAttribute(name) }
func (n node) Value() string              { return n.e.Underlying().Get("value").String() }
func (n node) SetValue(s string)          { n.e.Underlying().Set("value", s) }
func (n node) Focus()                     { n.e.Underlying().Call("focus", map[string]any{"preventScroll": true}) }
func (n node) ScrollIntoView() {
	n.e.Underlying().Call("scrollIntoView", map[string]any{"block": "nearest"})
}

// On listens for event; the listener lives as long as the page (cards are few and kept).
func (n node) On(event string, fn func()) {
	n.e.Underlying().Call("addEventListener", event, js.FuncOf(func(_ js.Value, args []js.Value) any {
		if event == "submit" {
			arg(args, 0).Call("preventDefault")
		}
		fn()
		return nil
	}))
}
