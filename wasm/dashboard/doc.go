// Package dashboard is the browser dashboard's view model: the state of the page (settings,
// workspaces, the create form, one card per operation), the actions a user takes, the
// persistence of operations across reloads, and the rendering decisions, all in plain Go.
//
// Nothing here touches the DOM. The page is built through the narrow [DOM] and [Node]
// interfaces (declared in package page): package main (js && wasm) implements them with
// honnef.co/go/js/dom/v2, and package domfake implements them in memory so that rendering
// is tested on the host, by this package's own tests.
package dashboard
