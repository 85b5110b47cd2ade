package dashboard

import (
	"fmt"
	"time"
)

// Notices is how the dashboard tells a user who is looking at another tab that operations
// ended: the page implements it over document.visibilityState, document.title and the
// Notification API ([Config.Notices]; the JS API's notify option).
type Notices interface {
	// Hidden reports whether the page is hidden (another tab, a minimised window).
	Hidden() bool
	// SetTitle puts prefix before the page's own title; "" gives the title back.
	SetTitle(prefix string)
	// Permission is the page's permission to notify: "default" (not asked yet), "granted",
	// "denied", or "unsupported".
	Permission() string
	// AskPermission asks the user for it; call it only from a click. done runs once the
	// user answered.
	AskPermission(done func())
	// Notify shows a notification, replacing the one shown with the same tag; onClick runs
	// when the user clicks it, once the page has been focused.
	Notify(title, body, tag string, onClick func())
	// OnVisible calls fn each time the page becomes visible again.
	OnVisible(fn func())
}

// endedCounts counts the operations that ended while the page was hidden.
type endedCounts struct {
	finished, failed int
	last, lastFailed string // row keys: the click on the notification shows one
}

// noticeTag is the tag of the dashboard's notification: each replaces the last, so a
// thousand operations ending make one notification, not a thousand.
const noticeTag = "fabric-lro"

// watchNotices follows the page's visibility: the count in the title ends when the user
// looks; a.mu is held.
func (a *App) watchNotices() {
	n := a.cfg.Notices
	if n == nil {
		return
	}
	n.OnVisible(func() {
		a.mu.Lock()
		defer a.mu.Unlock()
		a.ended = endedCounts{}
		n.SetTitle("")
	})
}

// noteEnd tells a user who is not looking that the operation of row key ended (was running,
// is now finished): the title counts what finished and what failed, and a notification names
// it (if the user allowed them); a.mu is held.
func (a *App) noteEnd(key string) {
	n, r := a.cfg.Notices, a.rows[key]
	if n == nil || r == nil || !n.Hidden() {
		return
	}
	e := &a.ended
	e.finished++
	e.last = key
	c := a.snapCard(r, time.Now())
	if c.State == stateFailed {
		e.failed++
		e.lastFailed = key
	}
	n.SetTitle(e.title())
	if n.Permission() != "granted" {
		return
	}
	title, body := c.Label, c.StatusWords
	if c.Error != nil {
		body += ": " + c.Error.ErrorCode + " · " + c.Error.Message
	}
	if e.finished > 1 {
		title = e.words()
		body = "Latest: " + c.Label + " · " + c.StatusWords
	}
	show := e.last
	if e.lastFailed != "" {
		show = e.lastFailed // what needs the user first
	}
	n.Notify(title, body, noticeTag, func() { a.revealRow(show) })
}

// title is the count put before the page's title: "(3 finished, 1 failed)".
func (e endedCounts) title() string {
	if e.failed > 0 {
		return fmt.Sprintf("(%d finished, %d failed)", e.finished, e.failed)
	}
	return fmt.Sprintf("(%d finished)", e.finished)
}

// words is a notification's title for several operations: "3 operations ended, 1 failed".
func (e endedCounts) words() string {
	w := fmt.Sprintf("%d operations ended", e.finished)
	if e.failed > 0 {
		w += fmt.Sprintf(", %d failed", e.failed)
	}
	return w
}

// revealRow scrolls the row of operation id into view and gives it keyboard focus (as a click
// on a notification does).
func (a *App) revealRow(id string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.rows[id] == nil {
		return
	}
	a.reveal = id
	a.touch(id)
	a.render()
}

// askToNotify asks the user whether the page may show notifications (the button "Notify me
// when operations end" calls it, from the click).
func (a *App) askToNotify() {
	if a.cfg.Notices == nil {
		return
	}
	a.cfg.Notices.AskPermission(func() {
		a.mu.Lock()
		defer a.mu.Unlock()
		a.render()
	})
}
