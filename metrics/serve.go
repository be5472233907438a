package metrics

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net"
	"net/http"
	"time"

	"github.com/rs/zerolog"
)

// shutdownTimeout is how long Serve waits for requests in flight once ctx ends.
const shutdownTimeout = 5 * time.Second

// Serve serves h on the TCP address listen (":9090", "127.0.0.1:0") until ctx
// ends, then shuts down gracefully and returns nil. It returns an error at
// once when the address cannot be bound, and when the server fails. The
// server's timeouts keep slow or idle clients from holding connections.
func Serve(ctx context.Context, listen string, h http.Handler, logger zerolog.Logger) error {
	ln, err := Listen(listen)
	if err != nil {
		return err
	}
	return serve(ctx, ln, h, logger)
}

// Listen binds the TCP address listen (":9090", "127.0.0.1:0") for
// ServeListener, so the caller learns the bound address (ln.Addr(), with the
// port chosen for ":0") before serving, and a taken address fails at once.
func Listen(listen string) (net.Listener, error) {
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return nil, fmt.Errorf("metrics: listen on %s: %w", listen, err)
	}
	return ln, nil
}

// ServeListener is Serve on a listener from Listen; it closes ln when it
// returns.
func ServeListener(ctx context.Context, ln net.Listener, h http.Handler, logger zerolog.Logger) error {
	return serve(ctx, ln, h, logger)
}

// serve is Serve on a listener it closes.
func serve(ctx context.Context, ln net.Listener, h http.Handler, logger zerolog.Logger) error {
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       60 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          log.New(logger.With().Str("component", "http_server").Logger(), "", 0),
	}
	logger.Info().Str("addr", ln.Addr().String()).Msg("serving health and metrics")
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()

	select {
	case err := <-done:
		return fmt.Errorf("metrics: serve on %s: %w", ln.Addr(), err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	err := srv.Shutdown(sctx)
	if serr := <-done; !errors.Is(serr, http.ErrServerClosed) && err == nil {
		err = serr
	}
	if err != nil {
		return fmt.Errorf("metrics: shut down server on %s: %w", ln.Addr(), err)
	}
	return nil
}
