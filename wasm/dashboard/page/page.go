// Package page declares the page as the dashboard needs it (DOM and Node), apart from
// package dashboard so that both it and the in-memory page of package domfake can use
// them without importing each other, and the dashboard's own tests can use domfake.
package page

// DOM is the page as the dashboard needs it: it makes elements and copies text to the
// clipboard. package main implements it over honnef.co/go/js/dom/v2; package domfake
// implements it in memory for host tests.
type DOM interface {
	// Create makes a detached element with the given tag name.
	Create(tag string) Node
	// CopyText puts s on the clipboard (best effort: browsers may refuse).
	CopyText(s string)
	// TypingInField reports whether keyboard focus is in a text field, select or textarea
	// (the user may be typing: focus is not moved away from it).
	TypingInField() bool
	// OnScreen calls fn(true) when n comes into or near the viewport and fn(false) when it
	// leaves (IntersectionObserver), until the returned function is called. fn may run on
	// any goroutine, and not during the call.
	OnScreen(n Node, fn func(on bool)) (stop func())
}

// Node is one element. The renderer creates each element once and then only changes its
// text, attributes and value, so focus and scroll position survive updates.
type Node interface {
	// Append adds child as the last child.
	Append(child Node)
	// Prepend adds child as the first child.
	Prepend(child Node)
	// After inserts sibling right after this node, under the same parent.
	After(sibling Node)
	// Remove detaches the node from its parent.
	Remove()
	// SetText replaces the node's content with the text s.
	SetText(s string)
	// SetAttr sets an attribute ("class", "hidden", "aria-*", "data-*", "value", ...).
	SetAttr(name, value string)
	// RemoveAttr removes an attribute.
	RemoveAttr(name string)
	// Value is the current value of an input, select or textarea.
	Value() string
	// SetValue sets the current value of an input, select or textarea.
	SetValue(s string)
	// On calls fn on each event of the given type ("click", "submit", "change", "input").
	// A "submit" event's default action (navigation) is always prevented.
	On(event string, fn func())
	// Focus moves keyboard focus to the node.
	Focus()
	// ScrollIntoView scrolls the page as little as needed to show the node
	// (scrollIntoView({block: "nearest"})).
	ScrollIntoView()
}
