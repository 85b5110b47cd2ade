// Package domfake is an in-memory page implementing page.DOM (the dashboard's DOM), so that
// what the dashboard renders, and how it reacts to clicks and form submits, is tested
// without a browser.
package domfake

import (
	"strings"

	"github.com/fabric-lro/fabric-lro/wasm/dashboard/page"
)

// Document is a fake page. The zero value is ready to use.
type Document struct {
	// Clipboard is the last text given to CopyText.
	Clipboard string
	// Focused is the node that last received Focus.
	Focused *Node
	// Scrolled is the node last scrolled into view.
	Scrolled *Node
}

// Create makes a detached element.
func (d *Document) Create(tag string) page.Node {
	return &Node{Tag: tag, Attrs: map[string]string{}, doc: d}
}

// CopyText records s as the clipboard's content.
func (d *Document) CopyText(s string) { d.Clipboard = s }

// TypingInField reports whether the focused node is an input, select or textarea.
func (d *Document) TypingInField() bool {
	if d.Focused == nil {
		return false
	}
	switch d.Focused.Tag {
	case "input", "select", "textarea":
		return true
	}
	return false
}

// OnScreen says nothing: every row of the fake page counts as on screen.
func (d *Document) OnScreen(n page.Node, fn func(on bool)) (stop func()) { return func() {} }

// Root makes a detached element to mount a dashboard into.
func (d *Document) Root() *Node { return d.Create("div").(*Node) }

// Node is a fake element.
type Node struct {
	Tag      string            // the tag name, e.g. "button"
	Attrs    map[string]string // attributes by name
	Text     string            // own text, set by SetText
	Children []*Node           // child elements, in order
	Parent   *Node             // the parent, nil when detached

	value    string
	handlers map[string][]func()
	doc      *Document
}

// Append adds child as n's last child.
func (n *Node) Append(child page.Node) {
	c := child.(*Node)
	c.Remove()
	c.Parent = n
	n.Children = append(n.Children, c)
}

// Prepend adds child as n's first child.
func (n *Node) Prepend(child page.Node) {
	c := child.(*Node)
	c.Remove()
	c.Parent = n
	n.Children = append([]*Node{c}, n.Children...)
}

// After inserts sibling right after n, under n's parent.
func (n *Node) After(sibling page.Node) {
	c := sibling.(*Node)
	c.Remove()
	p := n.Parent
	if p == nil {
		return
	}
	for i, k := range p.Children {
		if k == n {
			c.Parent = p
			p.Children = append(p.Children[:i+1:i+1], append([]*Node{c}, p.Children[i+1:]...)...)
			return
		}
	}
}

// Remove detaches n from its parent.
func (n *Node) Remove() {
	if n.Parent == nil {
		return
	}
	kids := n.Parent.Children
	for i, c := range kids {
		if c == n {
			n.Parent.Children = append(kids[:i:i], kids[i+1:]...)
			break
		}
	}
	n.Parent = nil
}

// SetText replaces n's children with the text s.
func (n *Node) SetText(s string) { n.Text, n.Children = s, nil }

// SetAttr sets an attribute; "value" also sets the value.
func (n *Node) SetAttr(name, value string) {
	if name == "value" {
		n.value = value
	}
	n.Attrs[name] = value
}

// RemoveAttr removes an attribute.
func (n *Node) RemoveAttr(name string) { delete(n.Attrs, name) }

// Value is the value of an input or select.
func (n *Node) Value() string { return n.value }

// SetValue sets the value of an input or select.
func (n *Node) SetValue(s string) { n.value = s }

// ScrollIntoView records n as the node last scrolled into view (Document.Scrolled).
func (n *Node) ScrollIntoView() { n.doc.Scrolled = n }

// Focus records n as the focused node.
func (n *Node) Focus() { n.doc.Focused = n }

// On registers fn for events of the given type.
func (n *Node) On(event string, fn func()) {
	if n.handlers == nil {
		n.handlers = map[string][]func(){}
	}
	n.handlers[event] = append(n.handlers[event], fn)
}

// Fire runs the handlers registered for event, as a user's action would.
func (n *Node) Fire(event string) {
	for _, fn := range n.handlers[event] {
		fn()
	}
}

// Click fires "click".
func (n *Node) Click() { n.Fire("click") }

// Submit fires "submit".
func (n *Node) Submit() { n.Fire("submit") }

// Type sets the value as a user typing would, firing "input" and "change".
func (n *Node) Type(s string) {
	n.value = s
	n.Fire("input")
	n.Fire("change")
}

// TextContent is the text of n and all its descendants, like the DOM's textContent, with
// the text of sibling elements separated by a space.
func (n *Node) TextContent() string {
	var parts []string
	var walk func(*Node)
	walk = func(m *Node) {
		if m.Text != "" {
			parts = append(parts, m.Text)
		}
		for _, c := range m.Children {
			walk(c)
		}
	}
	walk(n)
	return strings.Join(parts, " ")
}

// Hidden reports whether n or one of its ancestors has the hidden attribute.
func (n *Node) Hidden() bool {
	for m := n; m != nil; m = m.Parent {
		if _, ok := m.Attrs["hidden"]; ok {
			return true
		}
	}
	return false
}

// HasClass reports whether n's class attribute holds class.
func (n *Node) HasClass(class string) bool {
	for _, c := range strings.Fields(n.Attrs["class"]) {
		if c == class {
			return true
		}
	}
	return false
}

// All returns n and its descendants for which match is true, in document order.
func (n *Node) All(match func(*Node) bool) []*Node {
	var out []*Node
	var walk func(*Node)
	walk = func(m *Node) {
		if match(m) {
			out = append(out, m)
		}
		for _, c := range m.Children {
			walk(c)
		}
	}
	walk(n)
	return out
}

// Role returns the first node under n whose data-role attribute is role, or nil.
func (n *Node) Role(role string) *Node {
	if all := n.Roles(role); len(all) > 0 {
		return all[0]
	}
	return nil
}

// Roles returns every node under n whose data-role attribute is role.
func (n *Node) Roles(role string) []*Node {
	return n.All(func(m *Node) bool { return m.Attrs["data-role"] == role })
}
