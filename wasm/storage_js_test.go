//go:build js && wasm

package main

import (
	"runtime"
	"strings"
	"syscall/js"
	"testing"
)

// fakeLocalStorage installs a localStorage stand-in backed by a JS Map until the test ends,
// and returns the Map: what another tab would read and write.
func fakeLocalStorage(t *testing.T) js.Value {
	t.Helper()
	m := js.Global().Get("Map").New()
	ls := js.Global().Get("Object").New()
	get := js.FuncOf(func(_ js.Value, a []js.Value) any {
		if !m.Call("has", a[0]).Bool() {
			return js.Null()
		}
		return m.Call("get", a[0])
	})
	set := js.FuncOf(func(_ js.Value, a []js.Value) any { m.Call("set", a[0], a[1]); return nil })
	del := js.FuncOf(func(_ js.Value, a []js.Value) any { m.Call("delete", a[0]); return nil })
	ls.Set("getItem", get)
	ls.Set("setItem", set)
	ls.Set("removeItem", del)
	js.Global().Set("localStorage", ls)
	t.Cleanup(func() {
		js.Global().Delete("localStorage")
		get.Release()
		set.Release()
		del.Release()
	})
	return m
}

// webStorage answers a read of what it last saw from its Go copy, and still sees every
// change another tab makes.
func TestWebStorageSeesOtherTabs(t *testing.T) {
	m := fakeLocalStorage(t)
	s, ok := localStorage()
	if !ok {
		t.Fatal("no localStorage")
	}
	get := func(want string, wantOK bool) {
		t.Helper()
		if got, ok := s.Get("k"); got != want || ok != wantOK {
			t.Errorf("Get = %.40q, %v; want %.40q, %v", got, ok, want, wantOK)
		}
	}
	get("", false)
	if err := s.Set("k", "one"); err != nil {
		t.Fatal(err)
	}
	get("one", true)
	m.Call("set", "k", "two") // another tab writes
	get("two", true)
	get("two", true)
	m.Call("set", "k", "one") // and writes back an older value
	get("one", true)
	s.Remove("k")
	get("", false)
	m.Call("set", "k", "three")
	get("three", true)
	s.Set("other", "x") // another key does not confuse the first
	get("three", true)

	// A long list read again unchanged is not copied out of JS again.
	big := strings.Repeat(`{"id":"op","token":"…"},`, 40000) // about a megabyte
	if err := s.Set("k", big); err != nil {
		t.Fatal(err)
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for range 10 {
		if got, _ := s.Get("k"); len(got) != len(big) {
			t.Fatalf("Get returned %d bytes, want %d", len(got), len(big))
		}
	}
	runtime.ReadMemStats(&after)
	if n := after.TotalAlloc - before.TotalAlloc; n > 64<<10 {
		t.Errorf("10 reads of an unchanged %d-byte value allocated %d bytes: want it read from the Go copy", len(big), n)
	}
	m.Call("set", "k", big+"x")
	get(big+"x", true)
}
