//go:build js && wasm

package main

import (
	"sync"
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
type page struct {
	doc js.Value

	mu       sync.Mutex
	frames   []func()           // to run at the next animation frame
	onFrame  js.Func            // requestAnimationFrame's callback
	observer js.Value           // the IntersectionObserver of OnScreen, made on first use
	watched  map[int]func(bool) // OnScreen callbacks, by the number set on their element
	watchSeq int
}

func newPage() *page { return &page{doc: js.Global().Get("document"), watched: map[int]func(bool){}} }

// element is a BasicElement and its BasicNode in one allocation: a thousand rows hold some
// 16,000 elements, and each object is work for every garbage collection, which marks the
// whole heap in one task.
type element struct {
	dom.BasicElement
	node dom.BasicNode
}

func wrap(v js.Value) node {
	e := &element{node: dom.BasicNode{Value: v}}
	e.BasicNode = &e.node
	return node{&e.BasicElement}
}

func (p *page) Create(tag string) dashboard.Node { return wrap(p.doc.Call("createElement", tag)) }

// Frame runs fn at the next animation frame (requestAnimationFrame), on its own goroutine.
func (p *page) Frame(fn func()) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.frames = append(p.frames, fn)
	if len(p.frames) > 1 {
		return
	}
	if p.onFrame.IsUndefined() {
		p.onFrame = js.FuncOf(func(js.Value, []js.Value) any {
			p.mu.Lock()
			fns := p.frames
			p.frames = nil
			p.mu.Unlock()
			go func() {
				for _, f := range fns {
					f()
				}
			}()
			return nil
		})
	}
	if raf := js.Global().Get("requestAnimationFrame"); raf.Type() == js.TypeFunction {
		raf.Invoke(p.onFrame)
	} else {
		js.Global().Call("setTimeout", p.onFrame, 16) // no frames (Node): about one a frame
	}
}

// watchKey is the property of an element that numbers its OnScreen callback.
const watchKey = "__flroWatch"

// OnScreen follows n with one IntersectionObserver for the page: a row within a screen's
// height of the viewport counts as on screen, so that scrolling finds it drawn.
func (p *page) OnScreen(n dashboard.Node, fn func(on bool)) (stop func()) {
	el := n.(node).e.Underlying()
	if js.Global().Get("IntersectionObserver").Type() != js.TypeFunction {
		return func() {} // cannot tell: every row counts as on screen
	}
	p.mu.Lock()
	if p.observer.IsUndefined() {
		cb := js.FuncOf(func(_ js.Value, args []js.Value) any {
			entries := arg(args, 0)
			type change struct {
				fn func(bool)
				on bool
			}
			var changes []change
			p.mu.Lock()
			for i := range entries.Length() {
				e := entries.Index(i)
				if k := e.Get("target").Get(watchKey); k.Type() == js.TypeNumber {
					if f := p.watched[k.Int()]; f != nil {
						changes = append(changes, change{f, e.Get("isIntersecting").Bool()})
					}
				}
			}
			p.mu.Unlock()
			go func() {
				for _, c := range changes {
					c.fn(c.on)
				}
			}()
			return nil
		})
		opts := js.Global().Get("Object").New()
		opts.Set("rootMargin", "100% 0px")
		p.observer = js.Global().Get("IntersectionObserver").New(cb, opts)
	}
	p.watchSeq++
	k := p.watchSeq
	p.watched[k] = fn
	p.mu.Unlock()
	el.Set(watchKey, k)
	p.observer.Call("observe", el)
	return func() {
		p.observer.Call("unobserve", el)
		p.mu.Lock()
		delete(p.watched, k)
		p.mu.Unlock()
	}
}

func (p *page) CopyText(s string) {
	clip := js.Global().Get("navigator").Get("clipboard")
	if clip.Truthy() {
		var ignore js.Func
		ignore = js.FuncOf(func(js.Value, []js.Value) any { ignore.Release(); return nil })
		clip.Call("writeText", s).Call("catch", ignore)
	}
}

func (p *page) TypingInField() bool {
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
func (n node) After(sibling dashboard.Node) {
	n.e.Underlying().Call("after", sibling.(node).e.Underlying())
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
