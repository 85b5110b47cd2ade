package domfake_test

import (
	"fmt"

	"github.com/fabric-lro/fabric-lro/wasm/dashboard/domfake"
)

// Build a node tree, fire an event, and read it back as a test would.
func ExampleNode() {
	doc := &domfake.Document{}
	root := doc.Root()
	button := doc.Create("button").(*domfake.Node)
	button.SetAttr("data-role", "go")
	button.SetText("Go")
	button.On("click", func() { button.SetText("Gone") })
	root.Append(button)

	root.Role("go").Click()
	fmt.Println(root.TextContent())
	// Output: Gone
}
