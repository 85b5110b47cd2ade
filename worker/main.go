//go:build !js

package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/fabric-lro/fabric-lro/proxy"
)

// defaultListen is the native proxy's address for ./build.sh serve.
const defaultListen = "127.0.0.1:8787"

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "fabric-lro proxy:", err)
		os.Exit(1)
	}
}

func run() error {
	logger := slog.New(slog.NewTextHandler(os.Stderr, nil))
	h, cfg, err := newHandler(os.Getenv, nil, logger)
	if err != nil {
		return err
	}
	addr := os.Getenv("LISTEN")
	if addr == "" {
		addr = defaultListen
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("LISTEN=%s: %w", addr, err)
	}
	upstream := cfg.Upstream
	if upstream == "" {
		upstream = proxy.DefaultUpstream
	}
	origins := strings.Join(cfg.AllowedOrigins, ", ")
	if origins == "" {
		origins = "none (set " + proxy.EnvAllowedOrigins + ")"
	}
	fmt.Fprintf(os.Stderr, "fabric-lro proxy on http://%s: /v1/... -> %s; allowed origins: %s\n", ln.Addr(), upstream, origins)

	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
		shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := srv.Shutdown(shutdown); err != nil && !errors.Is(err, http.ErrServerClosed) {
			return err
		}
		return nil
	}
}
