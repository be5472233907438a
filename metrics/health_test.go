package metrics

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
)

func get(t *testing.T, h http.Handler, path string) (int, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
	return rec.Code, strings.TrimSpace(rec.Body.String())
}

func TestHealthz(t *testing.T) {
	h := New().Handler(func(context.Context) error { return errors.New("not ready") })
	if code, body := get(t, h, "/healthz"); code != http.StatusOK || body != "ok" {
		t.Fatalf("GET /healthz = %d %q, want 200 \"ok\" even when not ready", code, body)
	}
}

func TestReadyz(t *testing.T) {
	var reason atomic.Pointer[string]
	notYet := "slack: socket mode not connected"
	reason.Store(&notYet)
	h := New().Handler(func(ctx context.Context) error {
		if _, ok := ctx.Deadline(); !ok {
			t.Error("ready called without a deadline")
		}
		if r := reason.Load(); r != nil {
			return errors.New(*r)
		}
		return nil
	})

	if code, body := get(t, h, "/readyz"); code != http.StatusServiceUnavailable || body != notYet {
		t.Fatalf("GET /readyz = %d %q, want 503 %q", code, body, notYet)
	}
	reason.Store(nil)
	if code, body := get(t, h, "/readyz"); code != http.StatusOK || body != "ready" {
		t.Fatalf("GET /readyz = %d %q, want 200 \"ready\"", code, body)
	}

	if code, body := get(t, New().Handler(nil), "/readyz"); code != http.StatusOK || body != "ready" {
		t.Fatalf("GET /readyz with no check = %d %q, want 200 \"ready\"", code, body)
	}
}

func TestHandlerRoutes(t *testing.T) {
	h := New().Handler(nil)
	if code, _ := get(t, h, "/"); code != http.StatusNotFound {
		t.Errorf("GET / = %d, want 404", code)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/healthz", nil))
	if rec.Code != http.StatusMethodNotAllowed {
		t.Errorf("POST /healthz = %d, want 405", rec.Code)
	}
}
