//go:build js && wasm

// Command floorwasm is the size floor of the bench harness: the smallest Go WebAssembly page
// that uses the packages the dashboard must link, the way the dashboard uses them. It reads
// one field with github.com/tidwall/gjson (which links github.com/tidwall/pretty, and through
// it encoding/json, reflect and fmt), writes into a honnef.co/go/js/dom/v2 BasicElement, and
// parses and formats one time. bench builds it as ./build.sh builds web/app.wasm, beside
// bench/hellowasm, so that BENCHMARKS.md shows how much of web/app.wasm's size is fabric-lro's.
package main

import (
	"syscall/js"
	"time"

	"github.com/tidwall/gjson"
	"honnef.co/go/js/dom/v2"
)

func main() {
	doc := js.Global().Get("document")
	p := &dom.BasicElement{BasicNode: &dom.BasicNode{Value: doc.Call("createElement", "p")}}
	r := gjson.Get(js.Global().Get("location").Get("hash").String(), "status")
	at, _ := time.Parse(time.RFC3339, r.Get("lastUpdatedTimeUtc").String())
	p.SetTextContent(r.String() + " " + at.Format(time.RFC1123))
	doc.Get("body").Call("append", p.Underlying())
	select {} // stay alive, as the dashboard does
}
