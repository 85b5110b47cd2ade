//go:build js && wasm

// Command hellowasm is the load-time baseline of the bench harness: the smallest Go
// WebAssembly page that touches the DOM (it appends one paragraph). bench builds it as
// ./build.sh builds web/app.wasm and times its page against the dashboard's in Chromium.
package main

import "syscall/js"

func main() {
	doc := js.Global().Get("document")
	p := doc.Call("createElement", "p")
	p.Set("id", "hello")
	p.Set("textContent", "Hello from Go")
	doc.Get("body").Call("append", p)
	select {} // stay alive, as the dashboard does
}
