//go:build js && wasm && !workertest

package main

// testHooks answers nothing in the real build; the workertest build
// (hooks_workertest_js.go) adds the faults and answers the end-to-end tests use.
func testHooks(string) (answer string, ok bool) { return "", false }
