package dashboard

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/fabric-lro/fabric-lro/lro"
	"github.com/fabric-lro/fabric-lro/wasm/dashboard/domfake"
)

// Invalid input gets its message next to its field, keeps what was typed, and sends nothing;
// fixing it clears the message.
func TestFormValidation(t *testing.T) {
	tests := []struct {
		name  string
		setup func(root *domfake.Node)
		field string
		want  string
	}{
		{name: "empty name", setup: func(root *domfake.Node) { root.Role("name").SetValue("  ") },
			field: "name", want: "Give the item a display name."},
		{name: "name too long", setup: func(root *domfake.Node) { root.Role("name").SetValue(strings.Repeat("n", 124)) },
			field: "name", want: "A display name has at most 123 characters."},
		{name: "count out of range", setup: func(root *domfake.Node) { root.Role("count").SetValue("0") },
			field: "count", want: "A number from 1 to 20."},
		{name: "count not a number", setup: func(root *domfake.Node) { root.Role("count").SetValue("two") },
			field: "count", want: "A number from 1 to 20."},
		{name: "a type Create Item does not take", setup: func(root *domfake.Node) { root.Role("type").SetValue("Dashboard") },
			field: "type", want: "Choose an item type from the list."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				eng := &fakeEngine{created: func(int, ItemRequest) (Snapshot, error) {
					return notebook("op-1", "x", StatusSucceeded), nil
				}}
				_, _, root := newPage(t, eng, false)
				root.Role("name").SetValue("My notebook")
				tt.setup(root)
				typed := root.Role("name").Value()
				root.Role("create-form").Submit()
				synctest.Wait()
				msg := root.Role("error-" + tt.field)
				if msg.Hidden() || msg.TextContent() != tt.want {
					t.Errorf("message next to %s: %q (hidden %v), want %q", tt.field, msg.TextContent(), msg.Hidden(), tt.want)
				}
				if got := root.Role(tt.field).Attrs["aria-invalid"]; got != "true" {
					t.Errorf("the %s field is not marked invalid", tt.field)
				}
				if got := root.Role("name").Value(); got != typed {
					t.Errorf("the display name became %q; want what was typed (%q) kept", got, typed)
				}
				if len(eng.creates) != 0 || len(root.Roles("card")) != 0 {
					t.Errorf("%d creates, %d rows: want nothing sent", len(eng.creates), len(root.Roles("card")))
				}
				// Fixed: the message goes, and the create is sent.
				root.Role("name").SetValue("My notebook")
				root.Role("count").SetValue("1")
				root.Role("type").SetValue("Notebook")
				root.Role("create-form").Submit()
				synctest.Wait()
				if !msg.Hidden() || root.Role(tt.field).Attrs["aria-invalid"] != "" {
					t.Errorf("after fixing it, the message still shows: %q", msg.TextContent())
				}
				if len(eng.creates) != 1 {
					t.Errorf("%d creates after fixing the input, want 1", len(eng.creates))
				}
			})
		})
	}
}

func TestWorkspacePickerPaginates(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		eng := &fakeEngine{pages: []WorkspacePage{
			{Workspaces: []Workspace{{ID: "a", DisplayName: "A"}, {ID: "b", DisplayName: "B"}}, ContinuationToken: "p2"},
			{Workspaces: []Workspace{{ID: "c", DisplayName: "C"}}},
		}}
		_, _, root := newPage(t, eng, false)
		options := func() (out []string) {
			for _, o := range root.Role("workspace").Children {
				out = append(out, o.Attrs["value"])
			}
			return out
		}
		if got := options(); !slices.Equal(got, []string{"a", "b"}) {
			t.Fatalf("first page options %v", got)
		}
		more := root.Role("workspaces-more")
		if more.Hidden() {
			t.Fatal("Load more hidden while a continuation token exists")
		}
		if got := root.Role("workspaces-status").TextContent(); got != "2 workspaces (more available)" {
			t.Errorf("status %q", got)
		}
		more.Click()
		synctest.Wait()
		if got := options(); !slices.Equal(got, []string{"a", "b", "c"}) {
			t.Fatalf("after Load more, options %v", got)
		}
		if !more.Hidden() {
			t.Error("Load more still shown on the last page")
		}
		root.Role("workspace").Type("c")
		root.Role("count").SetValue("1")
		eng.created = func(int, ItemRequest) (Snapshot, error) {
			return notebook("op-1", "x", StatusSucceeded), nil
		}
		root.Role("create-form").Submit()
		synctest.Wait()
		if !slices.Equal(eng.createWS, []string{"c"}) {
			t.Errorf("created in workspaces %q, want the picked one (c)", eng.createWS)
		}
	})
}

// A workspace list that failed says why next to the picker, and the message clears once
// the list loads.
func TestWorkspaceListError(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		eng := &fakeEngine{wsErr: &lro.Error{ErrorCode: "TokenExpired", Message: "Access token has expired, resubmit with a new access token", RequestID: "rq-w"}}
		_, _, root := newPage(t, eng, false)
		want := "Could not list workspaces: TokenExpired: Access token has expired, resubmit with a new access token (requestId rq-w)"
		if got := root.Role("workspaces-status").TextContent(); got != want {
			t.Errorf("status %q, want %q", got, want)
		}
		root.Role("name").SetValue("x")
		root.Role("create-form").Submit()
		synctest.Wait()
		if got := root.Role("error-workspace").TextContent(); got != "Choose a workspace first (the list loads once a token is set)." {
			t.Errorf("workspace message %q", got)
		}
		eng.wsErr = nil
		root.Role("workspaces-reload").Click()
		synctest.Wait()
		if got := root.Role("workspaces-status").TextContent(); got != "1 workspaces" || !root.Role("error-workspace").Hidden() {
			t.Errorf("after a good reload: status %q, workspace message shown %v; want both cleared", got, !root.Role("error-workspace").Hidden())
		}
	})
}

func TestTrackExistingOperation(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		eng := &fakeEngine{}
		_, _, root := newPage(t, eng, false)
		in := root.Role("track-input")
		in.SetValue("  http://proxy/v1/operations/abc  ")
		root.Role("track-form").Submit()
		synctest.Wait()
		if !slices.Equal(eng.tracked, []string{"http://proxy/v1/operations/abc"}) {
			t.Errorf("tracked %q", eng.tracked)
		}
		cardByID(t, root, "tracked-1")
		if in.Value() != "" {
			t.Errorf("track input not cleared after it was accepted: %q", in.Value())
		}
		in.SetValue("http://proxy/v1/operations/unknown")
		root.Role("track-form").Submit()
		synctest.Wait()
		row := root.Roles("card")[0]
		if row.Attrs["data-state"] != "failed" || row.Role("error-code").TextContent() != "EntityNotFound" || row.Role("retry").Hidden() {
			t.Errorf("an unknown operation: row state %q, error %q; want a failed row with Retry", row.Attrs["data-state"], row.Role("error-code").TextContent())
		}
		in.SetValue("")
		root.Role("track-form").Submit()
		synctest.Wait()
		if got := root.Role("error-track").TextContent(); got != "Paste an operation id or a Location URL to track." {
			t.Errorf("track message %q", got)
		}
	})
}

func TestTrackAcceptsOnlyAnOperation(t *testing.T) {
	tests := []struct {
		name    string
		input   string
		tracked bool
	}{
		{name: "operation id", input: "3c060079-0d2f-474f-8341-0342561b6c4e", tracked: true},
		{name: "Location URL", input: "https://api.fabric.microsoft.com/v1/operations/3c060079-0d2f-474f-8341-0342561b6c4e", tracked: true},
		{name: "resume token", input: `{"v":"1","kind":"operation"}`, tracked: true},
		{name: "a word", input: "not-an-operation"},
		{name: "a path", input: "/v1/operations/x"},
		{name: "another scheme", input: "ftp://example.com/op"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				eng := &fakeEngine{}
				_, _, root := newPage(t, eng, false)
				root.Role("track-input").SetValue(tt.input)
				root.Role("track-form").Submit()
				synctest.Wait()
				cards := len(root.Roles("card"))
				msg := root.Role("error-track")
				if tt.tracked {
					if len(eng.tracked) != 1 || cards != 1 || !msg.Hidden() {
						t.Errorf("tracked %q, %d rows, message %q; want it tracked", eng.tracked, cards, msg.TextContent())
					}
					return
				}
				if len(eng.tracked) != 0 || cards != 0 || msg.Hidden() || !strings.HasPrefix(msg.TextContent(), "Not tracked: “"+tt.input+"” is not an operation id") {
					t.Errorf("tracked %q, %d rows, message %q; want a message and no row", eng.tracked, cards, msg.TextContent())
				}
				if got := root.Role("track-input").Value(); got != tt.input {
					t.Errorf("the rejected input became %q; want it kept", got)
				}
			})
		})
	}
}

// Settings are open while there is no token, and folded away once one is applied.
func TestSettingsPanel(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var applied []string
		token := ""
		eng := &fakeEngine{pages: []WorkspacePage{{}}}
		app := NewApp(eng, Config{
			Settings: true,
			APIBase:  "http://proxy/v1", HasToken: func() bool { return token != "" },
			OnSettings: func(apiBase, tok string) { applied = append(applied, apiBase, tok); token = tok },
		})
		doc := &domfake.Document{}
		root := doc.Root()
		app.Mount(doc, root)
		synctest.Wait()
		details := root.Role("settings").Parent
		if _, open := details.Attrs["open"]; !open || details.Tag != "details" {
			t.Errorf("settings without a token: <%s> open=%v, want an open <details>", details.Tag, open)
		}
		if got := root.Role("workspaces-status").TextContent(); !strings.Contains(got, "NoToken") {
			t.Errorf("workspace status without a token %q", got)
		}
		if got := root.Role("api-base").Value(); got != "http://proxy/v1" {
			t.Errorf("api base %q", got)
		}
		if got := root.Role("token").Attrs["type"]; got != "password" {
			t.Errorf("token input type %q, want password", got)
		}
		root.Role("token").SetValue("new-token")
		root.Role("settings").Submit()
		synctest.Wait()
		if !slices.Equal(applied, []string{"http://proxy/v1", "new-token"}) {
			t.Errorf("applied %q", applied)
		}
		if _, open := details.Attrs["open"]; open {
			t.Error("settings still open after a token was applied: want them folded away")
		}
		if got := root.Role("settings-state").TextContent(); got != "API http://proxy/v1 · token set" {
			t.Errorf("folded settings say %q", got)
		}
		if got := root.Role("workspaces-status").TextContent(); strings.Contains(got, "NoToken") {
			t.Errorf("the NoToken message stays after a token was applied: %q", got)
		}

		// Without settings (the JS API's mount) the panel is absent.
		_, _, root2 := newPage(t, &fakeEngine{}, false)
		if root2.Role("settings") != nil {
			t.Error("settings panel shown without Config.Settings")
		}
	})
}

// A portal mounts only the forms it wants: the list alone, fed from its own buttons.
func TestFormsOption(t *testing.T) {
	tests := []struct {
		forms []string
		want  map[string]bool
	}{
		{forms: nil, want: map[string]bool{"create-form": true, "track-form": true}},
		{forms: []string{}, want: map[string]bool{"create-form": false, "track-form": false}},
		{forms: []string{formTrack}, want: map[string]bool{"create-form": false, "track-form": true}},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.forms), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				eng := &fakeEngine{pages: []WorkspacePage{{}}, existing: []Snapshot{notebook("op-1", "A", StatusSucceeded)}}
				app := NewApp(eng, Config{Forms: tt.forms})
				doc := &domfake.Document{}
				root := doc.Root()
				app.Mount(doc, root)
				synctest.Wait()
				for role, want := range tt.want {
					if got := root.Role(role) != nil; got != want {
						t.Errorf("%s shown %v, want %v", role, got, want)
					}
				}
				if len(root.Roles("card")) != 1 || root.Role("summary") == nil {
					t.Error("the list is not shown")
				}
			})
		})
	}
}

func TestItemTypesGroupedAsThePortal(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		_, _, root := newPage(t, &fakeEngine{}, false)
		sel := root.Role("type")
		var groups []string
		seen := map[string]bool{}
		for _, g := range sel.Children {
			if g.Tag != "optgroup" {
				t.Fatalf("item types not grouped: <%s>", g.Tag)
			}
			groups = append(groups, g.Attrs["label"])
			for _, o := range g.Children {
				seen[o.Attrs["value"]] = true
			}
		}
		if groups[0] != "Data Engineering" || len(groups) < 5 {
			t.Errorf("groups %q", groups)
		}
		for _, typ := range []string{"Dashboard", "SQLEndpoint", "PaginatedReport", "Datamart", "MirroredWarehouse"} {
			if seen[typ] {
				t.Errorf("the form offers %s, which Create Item does not take", typ)
			}
		}
		if sel.Value() != "Notebook" || !seen["DataPipeline"] {
			t.Errorf("selected %q, pipelines offered %v", sel.Value(), seen["DataPipeline"])
		}
		for typ, want := range map[string]string{"DataPipeline": "Pipeline", "Reflex": "Activator", "KQLDashboard": "Real-Time Dashboard", "SemanticModel": "Semantic model", "FooBar": "Foo bar"} {
			if got := typeName(typ); got != want {
				t.Errorf("TypeName(%s) = %q, want %q", typ, got, want)
			}
		}
	})
}

func TestApplyingSettingsRetriesOperationsWaitingForAToken(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		eng := &fakeEngine{pages: []WorkspacePage{{}}}
		var applied []string
		app := NewApp(eng, Config{
			Settings: true,
			APIBase:  "http://proxy/v1", Token: "old",
			OnSettings: func(apiBase, token string) { applied = append(applied, token) },
		})
		doc := &domfake.Document{}
		root := doc.Root()
		app.Mount(doc, root)
		synctest.Wait()
		s := notebook("op-1", "A", statusRunning)
		next := start.Add(20 * time.Second)
		s.NextPollAt = &next
		s.Error = &ErrorInfo{ErrorCode: "TokenExpired", Message: "The token has expired."}
		eng.publish(s)
		if got := cardByID(t, root, "op-1").Role("status").TextContent(); got != "Token expired: paste a new token in Settings and Apply · next check in 20 s" {
			t.Errorf("row status %q", got)
		}
		root.Role("token").SetValue("new")
		root.Role("settings").Submit()
		synctest.Wait()
		if eng.retries != 1 || !slices.Equal(applied, []string{"new"}) {
			t.Errorf("after Apply: %d RetryAll calls, applied %q; want the token applied, then one RetryAll", eng.retries, applied)
		}
	})
}

// Test connection probes what is typed in Settings and says what answers; a create that got
// no answer names the likely cause, and does not claim it may have taken effect when it
// could not have reached Fabric: whether lro's message states the facts alone or still
// carries the advice it used to.
func TestConnectionCauses(t *testing.T) {
	for _, tt := range []struct {
		name string
		err  *lro.Error // how lro says that the create got no answer
	}{
		{name: "facts alone", err: &lro.Error{ErrorCode: "NetworkError", Message: "could not reach 127.0.0.1:8787"}},
		{name: "wrapped in StartNotRetried", err: &lro.Error{ErrorCode: string(lro.CodeStartNotRetried),
			Message: "the POST was not retried: it may have taken effect (fabric: NetworkError: could not reach 127.0.0.1:8787)",
			Err:     &lro.Error{ErrorCode: "NetworkError", Message: "could not reach 127.0.0.1:8787", Retryable: true}}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				var probed []string
				probe := Probe{PageOrigin: "http://127.0.0.1:8080", Listening: true}
				eng := &fakeEngine{pages: []WorkspacePage{{Workspaces: []Workspace{{ID: "ws-1"}}}}, created: func(int, ItemRequest) (Snapshot, error) {
					return Snapshot{}, tt.err
				}}
				app := NewApp(eng, Config{
					Settings: true,
					APIBase:  "http://127.0.0.1:8787/v1", Token: "tok",
					Probe: func(_ context.Context, apiBase, token string) Probe {
						probed = append(probed, apiBase+" "+token)
						p := probe
						p.APIBase = apiBase
						if apiBase == "" {
							p.APIBase = "http://127.0.0.1:8787/v1"
						}
						return p
					},
				})
				doc := &domfake.Document{}
				root := doc.Root()
				app.Mount(doc, root)
				synctest.Wait()
				root.Role("api-base").SetValue("http://127.0.0.1:8787")
				root.Role("test-connection").Click()
				synctest.Wait()
				conn := root.Role("connection")
				if conn.Attrs["data-cause"] != causeNotProxyPath || !strings.Contains(conn.TextContent(), "ending in /v1") {
					t.Errorf("Test connection without /v1 says %q (%s)", conn.TextContent(), conn.Attrs["data-cause"])
				}
				if !slices.Equal(probed, []string{"http://127.0.0.1:8787 tok"}) {
					t.Errorf("probed %q, want what is typed in Settings", probed)
				}

				root.Role("name").SetValue("Blocked")
				root.Role("count").SetValue("1")
				root.Role("create-form").Submit()
				synctest.Wait()
				row := root.Roles("card")[0]
				msg := row.Role("error-message").TextContent()
				if !strings.Contains(msg, "ALLOWED_ORIGINS") || strings.Contains(msg, "may have taken effect") || !strings.Contains(msg, "nothing was created") {
					t.Errorf("a create the origin check stopped says %q", msg)
				}
			})
		})
	}
}
