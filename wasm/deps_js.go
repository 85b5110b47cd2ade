//go:build js && wasm

package main

import _ "honnef.co/go/js/dom/v2"
