package metrics

import (
	"context"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// readyTimeout bounds the readiness check, so a stuck dependency fails the
// probe instead of hanging it.
const readyTimeout = 5 * time.Second

// Handler serves the health endpoints and the metrics:
//
//	GET /healthz  200 "ok" while the process runs
//	GET /readyz   200 "ready" when ready returns nil (or ready is nil),
//	              else 503 with ready's error as the text
//	GET /metrics  the registry, in the Prometheus text or OpenMetrics format
//
// ready gets the request's context, with a timeout of a few seconds. Its
// error text is served as is, so it must not hold secrets. A failing
// collector leaves its series out of /metrics rather than failing the scrape.
func (m *Metrics) Handler(ready func(ctx context.Context) error) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		writeText(w, http.StatusOK, "ok")
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		if ready != nil {
			ctx, cancel := context.WithTimeout(r.Context(), readyTimeout)
			defer cancel()
			if err := ready(ctx); err != nil {
				writeText(w, http.StatusServiceUnavailable, err.Error())
				return
			}
		}
		writeText(w, http.StatusOK, "ready")
	})
	mux.Handle("GET /metrics", promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{
		ErrorHandling:     promhttp.ContinueOnError,
		Registry:          m.reg, // counts failed scrapes in promhttp_metric_handler_errors_total
		EnableOpenMetrics: true,
	}))
	return mux
}

func writeText(w http.ResponseWriter, status int, text string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(text + "\n"))
}
