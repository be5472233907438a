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
	ack, ackBare       []time.Duration // the same burst acked by accessbot and by bench/bareack
	click, clickDuring []time.Duration // approve click → Okta, alone and during the mass removal
	removal            []time.Duration // expiry → Okta, no rate limit
	failover           []time.Duration // removal delays of grants expiring as the leader is killed
	mass               massRemoval

	sweepSmall, sweepLarge time.Duration // per sweep

	memory       memory
	startup      time.Duration // with sz.Historical requests stored
	startupSmall time.Duration // with an empty store
	storeBytes   int64

	logErrors int // error lines in the bots' logs

	usageRequests, usagePages int // System Log requests of one usage poll; the pages of events it read
}

// massRemoval is what measureMassRemoval counted.
type massRemoval struct {
	n              int
	elapsed, floor time.Duration // from the grants' end to Okta receiving the last removal; what the budget allows
	calls, limited int           // group-membership calls meanwhile; of those, answered 429
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
		{"mass_removal", measureMassRemoval},
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
	ackP99, bareP99 := percentile(res.ack, 99), percentile(res.ackBare, 99)
	ackRatio := float64(ackP99) / float64(max(bareP99, time.Microsecond))
	clickP99, duringP99 := percentile(res.click, 99), percentile(res.clickDuring, 99)
	m := res.mass
	massRatio := m.elapsed.Seconds() / m.floor.Seconds()
	limitedShare := float64(m.limited) / float64(max(m.calls, 1))
	sweepRatio := float64(res.sweepLarge) / float64(res.sweepSmall)
	removalP99 := percentile(res.removal, 99)
	failoverP99 := percentile(res.failover, 99)
	const mib = 1 << 20
	window := "minute"
	if sz.MassWindow != time.Minute {
		window = sz.MassWindow.String()
	}
	return []row{
		{
			figure: fmt.Sprintf("ack latency p99 of accessbot ÷ the same burst acked by a bare slack-go Socket Mode client that acks at once (%s envelopes, %d in flight, Okta taking 2 s per call; %d bursts to each, alternating, p99 over all their acks)", count(sz.AckEnvelopes), ackSenders, sz.AckRounds),
			measured: fmt.Sprintf("%.2f (%s ÷ %s; p50 %s ÷ %s)", ackRatio, ms(ackP99), ms(bareP99),
				ms(percentile(res.ack, 50)), ms(percentile(res.ackBare, 50))),
			target: "≤ 1.5", met: ackRatio <= 1.5,
		},
		{
			figure: fmt.Sprintf("approve click → Okta receiving the grant's call, p99: alone (%s clicks); during the mass removal below (%s clicks, one at a time)", count(len(res.click)), count(len(res.clickDuring))),
			measured: fmt.Sprintf("%s alone (p50 %s); %s during (p50 %s)", ms(clickP99), ms(percentile(res.click, 50)),
				ms(duringP99), ms(percentile(res.clickDuring, 50))),
			target: "≤ 50 ms alone; ≤ 2 s during", met: clickP99 <= 50*time.Millisecond && duringP99 <= 2*time.Second,
		},
		{
			figure: fmt.Sprintf("mass removal of %s grants due together, the fake Okta enforcing a bucket of %s group-membership calls per %s (at the default share of 0.5 the floor is %s): time ÷ that floor; share of calls answered 429",
				count(m.n), count(sz.MassLimit), window, m.floor.Round(100*time.Millisecond)),
			measured: fmt.Sprintf("%.2f (%s); %.2f%% (%d of %s)", massRatio, m.elapsed.Round(100*time.Millisecond), 100*limitedShare, m.limited, count(m.calls)),
			target:   "≤ 1.1; < 1%", met: m.floor > 0 && massRatio <= 1.1 && limitedShare < 0.01,
		},
		{
			figure:   fmt.Sprintf("removal delay after expiry, %s grants due in the same second, no rate limit (check_interval: 1s): p99", count(sz.Expiring)),
			measured: fmt.Sprintf("%s (p50 %s, max %s)", ms(removalP99), ms(percentile(res.removal, 50)), ms(percentile(res.removal, 100))),
			target:   "< 2 s", met: removalP99 < 2*time.Second,
		},
		{
			figure:   fmt.Sprintf("expiry sweep with nothing due, %s grants ÷ %s", count(sz.SweepLarge), count(sz.SweepSmall)),
			measured: fmt.Sprintf("%.2f (%s ÷ %s)", sweepRatio, us(res.sweepLarge), us(res.sweepSmall)),
			target:   "< 3", met: sweepRatio < 3,
		},
		{
			figure: fmt.Sprintf("resident memory with %s historical requests; start-up time with them", count(sz.Historical)),
			measured: fmt.Sprintf("%d MiB (peak %d MiB; %d MiB heap and stacks, %d MiB of the %d MiB store file mapped); %s (%s with an empty store)",
				res.memory.RSS/mib, res.memory.Peak/mib, res.memory.Anon/mib, res.memory.File/mib, res.storeBytes/mib, ms(res.startup), ms(res.startupSmall)),
			target: "≤ 100 MiB; ≤ 2 s", met: res.memory.Peak <= 100*mib && res.startup <= 2*time.Second,
		},
		{
			figure: fmt.Sprintf("removal delay after expiry for %s grants expiring in the second the leader of 2 replicas on PostgreSQL is SIGKILLed, check_interval: 1s: p99",
				count(sz.FailoverGrants)),
			measured: fmt.Sprintf("%s (p50 %s, max %s)", ms(failoverP99), ms(percentile(res.failover, 50)), ms(percentile(res.failover, 100))),
			target:   "< 2 s (the failover bound: 2 × check_interval; a killed process's connections close at once, so no keepalive term)",
			met:      failoverP99 < 2*time.Second,
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
