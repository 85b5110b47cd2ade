//go:build js && wasm

// Command wasm is the fabric-lro browser module (web/app.wasm): the lro engine and the
// dashboard, driven from JavaScript through web/fabric-lro.js.
//
// On start it registers globalThis.__fabricLRO = {open(options)} and calls
// globalThis.__fabricLROReady(registry) if the loader set it; then it stays alive to serve
// calls. Nothing touches the DOM until mount() is called.
package main

import "syscall/js"

func main() {
	reg := registry()
	js.Global().Set("__fabricLRO", reg)
	if ready := js.Global().Get("__fabricLROReady"); ready.Type() == js.TypeFunction {
		ready.Invoke(reg)
	}
	select {} // serve JS calls until the page goes away
}
