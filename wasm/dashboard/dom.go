package dashboard

import "github.com/fabric-lro/fabric-lro/wasm/dashboard/page"

// DOM is the page as the dashboard needs it; see page.DOM. package main implements it over
// honnef.co/go/js/dom/v2; package domfake implements it in memory for host tests.
type DOM = page.DOM

// Node is one element of the page; see page.Node.
type Node = page.Node

// el makes an element with attributes given as name, value pairs.
func el(d DOM, tag string, attrs ...string) Node {
	n := d.Create(tag)
	for i := 0; i+1 < len(attrs); i += 2 {
		n.SetAttr(attrs[i], attrs[i+1])
	}
	return n
}

// text makes an element holding text s.
func text(d DOM, tag, s string, attrs ...string) Node {
	n := el(d, tag, attrs...)
	n.SetText(s)
	return n
}

// appendAll appends children to parent and returns parent.
func appendAll(parent Node, children ...Node) Node {
	for _, c := range children {
		parent.Append(c)
	}
	return parent
}

// show hides or shows n with the hidden attribute.
func show(n Node, visible bool) {
	if visible {
		n.RemoveAttr("hidden")
	} else {
		n.SetAttr("hidden", "")
	}
}
