package bench

import (
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"sync"
	"testing"
	"time"

	"github.com/accessbot/accessbot/store/postgres/pgtest"
)

// sizes are how big each measurement is. The full sizes are those of the
// targets; the quick ones only prove that the harness works.
type sizes struct {
	full            bool
	BenchTime       time.Duration // for each Go benchmark TestLoad runs
	Settle          time.Duration // the big-store bot runs this long before its memory is read
	AckEnvelopes    int           // Socket Mode envelopes in the burst
	AckRounds       int           // bursts sent to each of accessbot and the bare client
	ClickSamples    int           // approve clicks timed one at a time, alone
	ClicksDuring    int           // at most this many approve clicks timed one at a time during the mass removal
	MassRemoval     int           // grants due together for the mass removal
	MassLimit       int           // the fake Okta's limit of group-membership calls per MassWindow
	MassWindow      time.Duration // Okta's rate-limit window: a minute, shorter in the quick sizes
	Flows           int           // request → approve → provisioned, making the grants that expire
	FlowConcurrency int           // flows in flight at once
	Expiring        int           // grants expiring in the same second
	FailoverGrants  int           // grants expiring in the second the leader is killed
	Historical      int           // final requests in the store for the memory and start-up row
	SweepSmall      int           // stored grants for the small sweep
	SweepLarge      int           // stored grants for the large sweep
}

var (
	// The quick mass removal keeps the full one's proportions (a limit of
	// 1.2 calls per grant per window) in a window of 5 s, so that CI waits
	// seconds, not minutes.
	quickSizes = sizes{BenchTime: 100 * time.Millisecond, AckEnvelopes: 100, AckRounds: 2, ClickSamples: 10,
		ClicksDuring: 20, MassRemoval: 100, MassLimit: 120, MassWindow: 5 * time.Second,
		Flows: 40, FlowConcurrency: 8, Expiring: 30, FailoverGrants: 20, Historical: 2_000, SweepSmall: 1_000, SweepLarge: 5_000}
	fullSizes = sizes{full: true, BenchTime: 2 * time.Second, Settle: 2500 * time.Millisecond,
		AckEnvelopes: 1_000, AckRounds: 5, ClickSamples: 200, ClicksDuring: 100, MassRemoval: 1_000, MassLimit: 1_200, MassWindow: time.Minute,
		Flows: 1_000, FlowConcurrency: 64, Expiring: 1_000, FailoverGrants: 200,
		Historical: 1_000_000, SweepSmall: 1_000, SweepLarge: 1_000_000}
)

// benchSizes returns the full sizes when ACCESSBOT_BENCH=full.
func benchSizes() sizes {
	if os.Getenv("ACCESSBOT_BENCH") == "full" {
		return fullSizes
	}
	return quickSizes
}

var (
	binMu   sync.Mutex
	binDir  string
	binPath = map[string]string{} // package → built binary
)

func TestMain(m *testing.M) {
	if os.Getenv("GOGC") == "" {
		// The fakes keep every call and message they are sent, hundreds of
		// MiB by the end of a full run, and at Go's default target the test
		// process scanned it all over again every few MiB: CPU that is the
		// harness's, not the bot's, but that the bot shares two CPUs with.
		debug.SetGCPercent(400)
	}
	code := m.Run()
	pgtest.Stop() // the failover step's database
	if binDir != "" {
		_ = os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// accessbotBinary builds cmd/accessbot once per test process and returns its
// path. Under the race detector the binary gets it too, which reuses the
// packages the test build compiled. ACCESSBOT_BENCH_BINARY names a binary
// to measure instead (another version, to compare).
func accessbotBinary(tb testing.TB) string {
	tb.Helper()
	if bin := os.Getenv("ACCESSBOT_BENCH_BINARY"); bin != "" {
		return bin
	}
	return buildBinary(tb, "github.com/accessbot/accessbot/cmd/accessbot")
}

// bareackBinary builds the ack row's yardstick (bench/bareack) the way
// accessbotBinary builds the bot, so that the two compare like for like.
func bareackBinary(tb testing.TB) string {
	tb.Helper()
	return buildBinary(tb, "github.com/accessbot/accessbot/bench/bareack")
}

// buildBinary builds pkg once per test process and returns its path.
func buildBinary(tb testing.TB, pkg string) string {
	tb.Helper()
	binMu.Lock()
	defer binMu.Unlock()
	if path, ok := binPath[pkg]; ok {
		return path
	}
	if binDir == "" {
		dir, err := os.MkdirTemp("", "accessbot-bench-")
		if err != nil {
			tb.Fatalf("build %s: %v", pkg, err)
		}
		binDir = dir
	}
	path := filepath.Join(binDir, filepath.Base(pkg))
	args := []string{"build", "-o", path}
	if raceEnabled {
		args = append(args, "-race")
	}
	args = append(args, pkg)
	if out, err := exec.Command(goTool(), args...).CombinedOutput(); err != nil {
		tb.Fatalf("build %s: go build: %v\n%s", pkg, err, out)
	}
	binPath[pkg] = path
	return path
}

// goTool is the go command: go test puts its own GOROOT/bin first in PATH.
func goTool() string { return "go" }

// benchmark runs f as testing.Benchmark does, for about d.
func benchmark(d time.Duration, f func(b *testing.B)) testing.BenchmarkResult {
	bt := flag.Lookup("test.benchtime")
	old := bt.Value.String()
	_ = bt.Value.Set(d.String())
	defer func() { _ = bt.Value.Set(old) }()
	return testing.Benchmark(f)
}
