//go:build js && wasm && !workertest

package main

// testHooks passes begin's argument through; the workertest build
// (hooks_workertest_js.go) adds the faults the end-to-end tests inject.
func testHooks(arg string) string { return arg }
