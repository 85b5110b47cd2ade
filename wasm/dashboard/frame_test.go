//go:build !js

package dashboard

import (
	"fmt"
	"strings"
	"testing"

	"github.com/fabric-lro/fabric-lro/wasm/dashboard/domfake"
)

// frames is a fake requestAnimationFrame: requests wait until the test runs them.
type frames struct{ queued []func() }

func (f *frames) request(fn func()) { f.queued = append(f.queued, fn) }

// next runs the frames requested so far, and reports how many there were.
func (f *frames) next() int {
	q := f.queued
	f.queued = nil
	for _, fn := range q {
		fn()
	}
	return len(q)
}

// notices is a fake page for Config.Notices.
type notices struct {
	hidden     bool
	title      string
	permission string
	asked      int
	shown      []string // title: body
	click      func()
	visible    func()
}

func (n *notices) Hidden() bool           { return n.hidden }
func (n *notices) SetTitle(prefix string) { n.title = prefix }
func (n *notices) Permission() string     { return n.permission }
func (n *notices) AskPermission(done func()) {
	n.asked++
	n.permission = "granted"
	done()
}
func (n *notices) Notify(title, body, tag string, onClick func()) {
	n.shown = append(n.shown, title+": "+body)
	n.click = onClick
}
func (n *notices) OnVisible(fn func()) { n.visible = fn }

func TestRenderOncePerFrame(t *testing.T) {
	eng := &fakeEngine{}
	var f frames
	app := NewApp(eng, Config{Frame: f.request, Forms: []string{}})
	doc := &domfake.Document{}
	root := doc.Root()
	app.Mount(doc, root)
	f.next()

	for i := range 500 {
		eng.publish(notebook(fmt.Sprintf("op-%03d", i), fmt.Sprintf("N %d", i), statusRunning))
	}
	if n := len(f.queued); n != 1 {
		t.Fatalf("500 snapshots requested %d frames: want one", n)
	}
	if n := len(root.Roles("card")); n != 0 {
		t.Fatalf("%d rows before the frame: want the page untouched until it", n)
	}
	// A frame does a bounded amount of work: 500 new rows take several, each asking for the next.
	framesRun := 0
	for f.next() > 0 {
		framesRun++
		if framesRun > 1000 {
			t.Fatal("the rows never all appeared")
		}
	}
	if n := len(root.Roles("card")); n != 500 {
		t.Fatalf("%d rows after the frames: want 500", n)
	}
	if got := root.Role("card").Role("label").TextContent(); !strings.Contains(got, "N 499") {
		t.Errorf("first row %q: want the newest on top", got)
	}
	if got := root.Role("summary").TextContent(); got != "500 running · 0 succeeded · 0 failed" {
		t.Errorf("summary %q", got)
	}
	eng.publish(notebook("op-007", "N 7", StatusSucceeded))
	for i := 0; f.next() > 0; i++ { // a frame redraws what fits in its budget; the rest follows
		if i > 1000 {
			t.Fatal("frames never stopped")
		}
	}
	var row *domfake.Node
	for _, c := range root.Roles("card") {
		if c.Attrs["data-id"] == "op-007" {
			row = c
		}
	}
	if row == nil || row.Attrs["data-state"] != stateSucceeded {
		t.Errorf("a row that changed was not drawn again in the next frame")
	}
}

func TestNoticesWhileHidden(t *testing.T) {
	eng := &fakeEngine{}
	n := &notices{permission: "default"}
	app := NewApp(eng, Config{Notices: n, Forms: []string{}})
	doc := &domfake.Document{}
	root := doc.Root()
	app.Mount(doc, root)
	if n.asked != 0 {
		t.Fatal("permission was asked on load: only a click may")
	}
	root.Role("notify").Click()
	if n.asked != 1 || !root.Role("notify").Hidden() {
		t.Fatalf("after the click: asked %d times, button hidden %v", n.asked, root.Role("notify").Hidden())
	}
	eng.publish(notebook("op-1", "A", statusRunning))
	eng.publish(notebook("op-2", "B fail", statusRunning))
	eng.publish(notebook("op-3", "C", StatusSucceeded)) // never seen running: not counted
	n.hidden = true
	eng.publish(notebook("op-1", "A", StatusSucceeded))
	failed := notebook("op-2", "B fail", statusFailed)
	eng.publish(failed)
	if n.title != "(2 finished, 1 failed)" {
		t.Errorf("title %q", n.title)
	}
	if len(n.shown) != 2 || !strings.HasPrefix(n.shown[1], "2 operations ended, 1 failed: ") {
		t.Errorf("notifications %q", n.shown)
	}
	n.click()
	if doc.Focused == nil || doc.Scrolled == nil || !strings.Contains(doc.Scrolled.TextContent(), "B fail") {
		t.Errorf("the click did not show the failed row")
	}
	n.hidden = false
	n.visible()
	if n.title != "" {
		t.Errorf("title %q once the user looks: want the page's own", n.title)
	}
	eng.publish(notebook("op-4", "D", statusRunning))
	eng.publish(notebook("op-4", "D", StatusSucceeded))
	if len(n.shown) != 2 || n.title != "" {
		t.Errorf("an end seen while visible notified or changed the title")
	}
}
