//go:build js && wasm

package main

import (
	"errors"
	"sync"
	"syscall/js"
	"time"

	"github.com/fabric-lro/fabric-lro/wasm/dashboard"
)

// webStorage implements dashboard.Storage over localStorage or sessionStorage.
//
// It remembers the value it last read or wrote, as a JS string and as its Go copy. A Tracker
// reads its key before every write, to keep what other tabs saved; when the key still holds
// that value, the read answers with the Go copy instead of copying the string out of JS
// again. The test is js.Value.Equal, which compares reference ids: wasm_exec.js looks a
// string up by its content when it hands it to Go, so while Go holds one reference to a
// string, an equal string gets the same id. With a thousand operations the list is about a
// megabyte, and that copy was half of what the page allocated. The price: the JS heap keeps
// the last value alive, one list's worth.
type webStorage struct {
	s js.Value

	mu     sync.Mutex
	lastJS js.Value // the string last read or written (under any key)
	lastGo string   // its Go copy
}

// localStorage returns the page's localStorage, or false where there is none (Node, or a
// browser that blocks it).
func localStorage() (*webStorage, bool) {
	defer func() { recover() }() // reading localStorage throws when storage is blocked
	s := js.Global().Get("localStorage")
	return &webStorage{s: s}, s.Truthy()
}

func (w *webStorage) Get(key string) (string, bool) {
	v := w.s.Call("getItem", key)
	if v.Type() != js.TypeString {
		return "", false
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if v.Equal(w.lastJS) {
		return w.lastGo, true
	}
	w.lastJS, w.lastGo = v, v.String()
	return w.lastGo, true
}

func (w *webStorage) Set(key, value string) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = errors.New("localStorage refused to save the operations (quota exceeded or storage blocked)")
		}
	}()
	v := js.ValueOf(value)
	w.s.Call("setItem", key, v)
	w.mu.Lock()
	w.lastJS, w.lastGo = v, value
	w.mu.Unlock()
	return nil
}

func (w *webStorage) Remove(key string) { w.s.Call("removeItem", key) }

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
