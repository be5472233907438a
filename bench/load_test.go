package bench

import (
	"fmt"
	"os"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"
)

// results are what TestLoad measured.
type results struct {
	ack, click, removal []time.Duration
	failover            []time.Duration // removal delays of grants expiring as the leader is killed

	sweepSmall, sweepLarge time.Duration // per sweep

	memory       memory
	startup      time.Duration // with sz.Historical requests stored
	startupSmall time.Duration // with an empty store
	storeBytes   int64

	logErrors int // error lines in the bots' logs

	usageRequests, usagePages int // System Log requests of one usage poll; the pages of events it read
}

// TestLoad runs the real accessbot binary against the fake Slack and Okta
// and prints the performance table. Quick sizes unless ACCESSBOT_BENCH=full;
// only the full run checks the targets.
func TestLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("load test: not in -short mode")
	}
	if runtime.GOOS != "linux" {
		t.Skip("load test: reads the bot's memory and CPU time from /proc")
	}
	sz := benchSizes()
	accessbotBinary(t) // build before timing anything
	res := &results{}
	steps := []struct {
		name string
		fn   func(*testing.T, sizes, *results)
	}{
		{"clicks_and_acks", measureClicksAndAcks},
		{"flows_and_removals", measureFlows},
		{"failover", measureFailover},
		{"sweep", measureSweep},
		{"history", measureHistory},
		{"usage_poll", measureUsagePoll},
	}
	only := os.Getenv("ACCESSBOT_BENCH_STEPS") // e.g. "sweep,history": run only those (the table has gaps)
	for _, s := range steps {
		if only != "" && !slices.Contains(strings.Split(only, ","), s.name) {
			continue
		}
		start := time.Now()
		if !t.Run(s.name, func(t *testing.T) { s.fn(t, sz, res) }) {
			t.FailNow()
		}
		t.Logf("%s: %s", s.name, time.Since(start).Round(time.Millisecond))
	}
	rows := res.rows(sz)
	fmt.Fprint(os.Stdout, renderTable(sz, rows))
	if res.logErrors > 0 {
		t.Logf("the bots logged %d errors (ACCESSBOT_BENCH_LOGS=dir keeps their logs)", res.logErrors)
	}
	if sz.full && only == "" {
		for _, r := range rows {
			if !r.met {
				t.Errorf("target missed: %s: %s (target %s)", r.figure, r.measured, r.target)
			}
		}
	}
}

type row struct {
	figure, measured, target string
	met                      bool
}

func (res *results) rows(sz sizes) []row {
	ackP99 := percentile(res.ack, 99)
	clickP99 := percentile(res.click, 99)
	ratio := float64(res.sweepLarge) / float64(res.sweepSmall)
	removalP99 := percentile(res.removal, 99)
	failoverP99 := percentile(res.failover, 99)
	const mib = 1 << 20
	return []row{
		{
			figure:   fmt.Sprintf("Socket Mode ack latency, %s envelopes sent as fast as possible while the fake Okta takes 2 s per call: p50 / p99", count(sz.AckEnvelopes)),
			measured: ms(percentile(res.ack, 50)) + " / " + ms(ackP99),
			target:   "p99 < 10 ms", met: ackP99 < 10*time.Millisecond,
		},
		{
			figure:   fmt.Sprintf("approve click → the Okta call arriving at the fake: p50 / p99 (%s clicks, not waiting for a tick)", count(sz.ClickSamples)),
			measured: ms(percentile(res.click, 50)) + " / " + ms(clickP99),
			target:   "p99 < 50 ms", met: clickP99 < 50*time.Millisecond,
		},
		{
			figure:   fmt.Sprintf("expiry sweep with nothing due, %s stored grants ÷ the same with %s", count(sz.SweepLarge), count(sz.SweepSmall)),
			measured: fmt.Sprintf("%.2f (%s ÷ %s)", ratio, us(res.sweepLarge), us(res.sweepSmall)),
			target:   "< 3", met: ratio < 3,
		},
		{
			figure:   fmt.Sprintf("removal delay after expiry with check_interval: 1s, %s grants expiring in the same second: p99", count(sz.Expiring)),
			measured: fmt.Sprintf("%s (p50 %s, max %s)", ms(removalP99), ms(percentile(res.removal, 50)), ms(percentile(res.removal, 100))),
			target:   "< 2 s", met: removalP99 < 2*time.Second,
		},
		{
			figure: fmt.Sprintf("removal delay after expiry for %s grants expiring in the second the leader of 2 replicas on PostgreSQL is SIGKILLed, check_interval: 1s: p99",
				count(sz.FailoverGrants)),
			measured: fmt.Sprintf("%s (p50 %s, max %s)", ms(failoverP99), ms(percentile(res.failover, 50)), ms(percentile(res.failover, 100))),
			target:   "< 2 s (the failover bound: 2 × check_interval; a killed process's connections close at once, so no keepalive term)",
			met:      failoverP99 < 2*time.Second,
		},
		{
			figure: fmt.Sprintf("resident memory with %s historical requests in the store; start-up time with them", count(sz.Historical)),
			measured: fmt.Sprintf("%d MiB (peak %d MiB; %d MiB heap and stacks, %d MiB of the %d MiB store file mapped); %s (%s with an empty store)",
				res.memory.RSS/mib, res.memory.Peak/mib, res.memory.Anon/mib, res.memory.File/mib, res.storeBytes/mib, ms(res.startup), ms(res.startupSmall)),
			target: "≤ 100 MiB; ≤ 2 s", met: res.memory.Peak <= 100*mib && res.startup <= 2*time.Second,
		},
		res.usageRow(),
	}
}

func renderTable(sz sizes, rows []row) string {
	var b strings.Builder
	mode := "quick sizes: the harness works; the figures are not the targets' (ACCESSBOT_BENCH=full for those)"
	if sz.full {
		mode = "full sizes"
	}
	race := ""
	if raceEnabled {
		race = ", race detector on"
	}
	fmt.Fprintf(&b, "\naccessbot performance — %s; %s, %d CPUs, %s%s\n\n", mode, cpuModel(), runtime.NumCPU(), runtime.Version(), race)
	b.WriteString("| figure | measured | target | met |\n| --- | --- | --- | --- |\n")
	for _, r := range rows {
		met := "yes"
		if !r.met {
			met = "**no**"
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", r.figure, r.measured, r.target, met)
	}
	return b.String()
}

func cpuModel() string {
	data, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return runtime.GOARCH
	}
	for _, line := range strings.Split(string(data), "\n") {
		if name, ok := strings.CutPrefix(line, "model name"); ok {
			return strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(name), ":"))
		}
	}
	return runtime.GOARCH
}

// count writes n the way the table does: 1,000 or 1 M.
func count(n int) string {
	switch {
	case n >= 1_000_000 && n%1_000_000 == 0:
		return fmt.Sprintf("%d M", n/1_000_000)
	case n >= 1000:
		return fmt.Sprintf("%d,%03d", n/1000, n%1000)
	}
	return fmt.Sprint(n)
}

func us(d time.Duration) string { return fmt.Sprintf("%.1f µs", float64(d)/1e3) }
