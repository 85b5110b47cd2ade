//go:build js && wasm

package main

import (
	"errors"
	"syscall/js"
	"time"

	"github.com/fabric-lro/fabric-lro/wasm/dashboard"
)

// webStorage implements dashboard.Storage over localStorage or sessionStorage.
type webStorage struct{ s js.Value }

// localStorage returns the page's localStorage, or false where there is none (Node, or a
// browser that blocks it).
func localStorage() (webStorage, bool) {
	defer func() { recover() }() // reading localStorage throws when storage is blocked
	s := js.Global().Get("localStorage")
	return webStorage{s}, s.Truthy()
}

func (w webStorage) Get(key string) (string, bool) {
	v := w.s.Call("getItem", key)
	if v.Type() != js.TypeString {
		return "", false
	}
	return v.String(), true
}

func (w webStorage) Set(key, value string) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = errors.New("localStorage refused to save the operations (quota exceeded or storage blocked)")
		}
	}()
	w.s.Call("setItem", key, value)
	return nil
}

func (w webStorage) Remove(key string) { w.s.Call("removeItem", key) }

// saveDelay is how long a Tracker gathers changes before it writes them: a second in a page
// (which flushes when it is hidden or unloaded, see flushWhenHidden), none where there is no
// document to say so (Node).
func saveDelay() time.Duration {
	if js.Global().Get("document").Type() != js.TypeObject {
		return 0
	}
	return time.Second
}

// flushWhenHidden writes tr's pending changes when the page is hidden or unloaded, so that a
// reload or a closed tab resumes from the last state seen (tr gathers its writes for a
// second, TrackerOptions.SaveDelay).
func flushWhenHidden(tr *dashboard.Tracker) {
	doc := js.Global().Get("document")
	if doc.Type() != js.TypeObject {
		return
	}
	flush := js.FuncOf(func(js.Value, []js.Value) any {
		if doc.Get("visibilityState").String() == "hidden" {
			tr.Flush()
		}
		return nil
	})
	doc.Call("addEventListener", "visibilitychange", flush)
	js.Global().Call("addEventListener", "pagehide", js.FuncOf(func(js.Value, []js.Value) any {
		tr.Flush()
		return nil
	}))
}

// logStorageError says on the console that operations could not be saved in localStorage
// (TrackerOptions.OnStorageError).
func logStorageError(err error) {
	e := dashboard.ErrorOf(err)
	js.Global().Get("console").Call("error", "fabric-lro: operations could not be saved in localStorage (they will not resume after a reload): "+e.ErrorCode+": "+e.Message)
}
