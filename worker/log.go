package main

import (
	"context"
	"log/slog"
	"strconv"
	"strings"
)

// lineHandler is the Worker's slog.Handler: one "key=value" line per record,
// without the time (the Workers runtime stamps every console line itself),
// handed to sink (console.log). slog.TextHandler writing to os.Stderr costs
// about a third of a request's CPU in WebAssembly: the time's formatting,
// its generic value handling, and wasm_exec.js's byte-by-byte stderr.
type lineHandler struct {
	sink  func(string)
	attrs []slog.Attr // from WithAttrs
	group string      // prefix from WithGroup, with its dot
}

// Enabled reports Info and above.
func (h *lineHandler) Enabled(_ context.Context, l slog.Level) bool { return l >= slog.LevelInfo }

// Handle formats r as one line: level=INFO msg="..." key=value ...
func (h *lineHandler) Handle(_ context.Context, r slog.Record) error {
	var b strings.Builder
	b.WriteString("level=")
	b.WriteString(r.Level.String())
	b.WriteString(" msg=")
	writeValue(&b, r.Message)
	for _, a := range h.attrs {
		writeAttr(&b, "", a)
	}
	r.Attrs(func(a slog.Attr) bool {
		writeAttr(&b, h.group, a)
		return true
	})
	h.sink(b.String())
	return nil
}

// WithAttrs returns a handler that adds attrs to every line.
func (h *lineHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	c := *h
	c.attrs = append(append([]slog.Attr(nil), h.attrs...), attrs...)
	for i := len(h.attrs); i < len(c.attrs); i++ {
		c.attrs[i].Key = h.group + c.attrs[i].Key
	}
	return &c
}

// WithGroup returns a handler that prefixes later keys with name and a dot.
func (h *lineHandler) WithGroup(name string) slog.Handler {
	if name == "" {
		return h
	}
	c := *h
	c.group = h.group + name + "."
	return &c
}

func writeAttr(b *strings.Builder, group string, a slog.Attr) {
	a.Value = a.Value.Resolve()
	if a.Equal(slog.Attr{}) {
		return
	}
	if a.Value.Kind() == slog.KindGroup {
		g := group + a.Key + "."
		if a.Key == "" {
			g = group
		}
		for _, ga := range a.Value.Group() {
			writeAttr(b, g, ga)
		}
		return
	}
	b.WriteByte(' ')
	b.WriteString(group)
	b.WriteString(a.Key)
	b.WriteByte('=')
	switch a.Value.Kind() {
	case slog.KindInt64:
		b.WriteString(strconv.FormatInt(a.Value.Int64(), 10))
	default:
		writeValue(b, a.Value.String())
	}
}

// writeValue writes s bare when it is a plain word, quoted otherwise.
func writeValue(b *strings.Builder, s string) {
	if s == "" || strings.ContainsAny(s, " \"=\\") || strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		b.WriteString(strconv.Quote(s))
		return
	}
	b.WriteString(s)
}
