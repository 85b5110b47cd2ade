package dashboard_test

import (
	"context"
	"fmt"

	"github.com/fabric-lro/fabric-lro/wasm/dashboard"
	"github.com/fabric-lro/fabric-lro/wasm/dashboard/domfake"
)

// An App renders into any dashboard.DOM: the browser's, or domfake's in tests. Without forms
// (Config.Forms empty), it is the list of operations alone, as a portal embeds it.
func ExampleApp_Mount() {
	eng := &listEngine{
		operations: []dashboard.Snapshot{{ID: "op-1", Kind: dashboard.KindOperation, Label: "Create Notebook “Q3”", Status: dashboard.StatusSucceeded, Done: true}},
	}
	app := dashboard.NewApp(eng, dashboard.Config{Forms: []string{}})
	doc := &domfake.Document{}
	root := doc.Root()
	app.Mount(doc, root)
	fmt.Println(root.Role("summary").TextContent())
	card := root.Role("card")
	fmt.Println(card.Role("label").TextContent(), "-", card.Role("status").TextContent())
	// Output:
	// 0 running · 1 succeeded · 0 failed
	// Create Notebook “Q3” - Succeeded
}

// listEngine is an Engine that knows some operations and starts nothing: enough for the
// dashboard to draw its list.
type listEngine struct {
	operations []dashboard.Snapshot
}

func (e *listEngine) CreateItem(context.Context, string, dashboard.ItemRequest) (dashboard.Snapshot, error) {
	return dashboard.Snapshot{}, nil
}

func (e *listEngine) RunJob(context.Context, string, string, string, string) (dashboard.Snapshot, error) {
	return dashboard.Snapshot{}, nil
}

func (e *listEngine) Track(context.Context, string) (dashboard.Snapshot, error) {
	return dashboard.Snapshot{}, nil
}

func (e *listEngine) Cancel(context.Context, string) error                    { return nil }
func (e *listEngine) Forget(...string)                                        {}
func (e *listEngine) Operations() []dashboard.Snapshot                        { return e.operations }
func (e *listEngine) Subscribe(func(dashboard.Snapshot)) (unsubscribe func()) { return func() {} }
func (e *listEngine) RetryAll() int                                           { return 0 }
func (e *listEngine) StorageError() error                                     { return nil }

func (e *listEngine) Workspaces(context.Context, string) (dashboard.WorkspacePage, error) {
	return dashboard.WorkspacePage{}, nil
}
