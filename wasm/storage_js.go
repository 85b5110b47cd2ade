//go:build js && wasm

package main

import (
	"errors"
	"syscall/js"
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
