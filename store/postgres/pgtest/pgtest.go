// Package pgtest gives tests a fresh, empty PostgreSQL database each.
//
// With ACCESSBOT_TEST_DATABASE_URL set (a postgres:// URL of a role that may
// create databases), each database is created on that server. Otherwise the
// first test that asks starts a throwaway cluster from the PostgreSQL
// binaries on the machine (initdb and postgres, found on PATH or in Debian's
// /usr/lib/postgresql/<version>/bin), in a temporary directory, listening on
// 127.0.0.1 on a free port and on a unix socket inside that directory; the
// rest of the test binary shares it. Call Main from TestMain so the cluster
// stops and its directory goes when the tests end.
//
// Without either, a test is skipped with a message saying how to get
// PostgreSQL, except when the CI environment variable is set: a store suite
// that did not run in CI is a failure, not a skip.
package pgtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// EnvURL names the environment variable that points the tests at an
// existing server instead of a throwaway cluster.
const EnvURL = "ACCESSBOT_TEST_DATABASE_URL"

// serverUser is who runs the throwaway cluster when the tests run as root:
// initdb and postgres refuse to run as root, and Debian's package creates
// this user.
const serverUser = "postgres"

// superuser is the role initdb creates in the throwaway cluster.
const superuser = "accessbot"

var (
	startOnce sync.Once
	shared    *Cluster
	startErr  error // why the cluster could not start
	skipMsg   string
	dbCounter atomic.Int64
)

// Main runs the tests and then stops the cluster they started, if any.
// Use it as TestMain(m) { pgtest.Main(m) }.
func Main(m *testing.M) {
	code := m.Run()
	Stop()
	os.Exit(code)
}

// Stop stops the cluster the tests started, if any, and removes its
// directory: for a TestMain that has more to clean up than Main does.
func Stop() {
	if shared != nil {
		if err := shared.Stop(); err != nil {
			fmt.Fprintf(os.Stderr, "pgtest: %v\n", err)
		}
	}
}

// URL returns the URL of a new, empty database for t, dropped when t ends
// (after the cleanups registered later, such as closing t's pools).
func URL(t testing.TB) string {
	t.Helper()
	base := os.Getenv(EnvURL)
	if base == "" {
		startOnce.Do(func() { shared, skipMsg, startErr = start() })
		if startErr != nil {
			t.Fatalf("pgtest: %v", startErr)
		}
		if skipMsg != "" {
			unavailable(t, skipMsg, os.Getenv("CI") != "")
		}
		base = shared.URL("postgres")
	}
	name := fmt.Sprintf("accessbot_test_%d_%d", os.Getpid(), dbCounter.Add(1))
	dbURL, err := withDatabase(base, name)
	if err != nil {
		t.Fatalf("pgtest: %s: %v", EnvURL, err)
	}
	if err := admin(base, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	t.Cleanup(func() {
		// FORCE ends the connections a test leaked (PostgreSQL 13+).
		if err := admin(base, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Logf("pgtest: %v", err)
		}
	})
	return dbURL
}

// unavailable skips t, or fails it in CI, where a suite that did not run
// is a failure.
func unavailable(t testing.TB, msg string, ci bool) {
	t.Helper()
	if ci {
		t.Fatalf("pgtest: %s (CI is set: the PostgreSQL tests must run in CI)", msg)
	}
	t.Skipf("pgtest: %s", msg)
}

// Shared returns the throwaway cluster of this test binary, starting it if
// needed, for tests that stop or restart the server. It skips (or fails in
// CI) like URL, and also when ACCESSBOT_TEST_DATABASE_URL points elsewhere,
// since such a server is not the test's to stop.
func Shared(t testing.TB) *Cluster {
	t.Helper()
	if os.Getenv(EnvURL) != "" {
		t.Skipf("pgtest: %s is set; this test needs a server it may restart", EnvURL)
	}
	URL(t) // starts the cluster, or skips/fails with the reason
	return shared
}

// admin runs one statement on the database of base, outside a transaction.
func admin(base, sql string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		return fmt.Errorf("connect to %s: %w", redact(base), err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, sql); err != nil {
		return fmt.Errorf("%s: %w", sql, err)
	}
	return nil
}

// withDatabase returns base with its database name replaced.
func withDatabase(base, name string) (string, error) {
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return "", fmt.Errorf("want a postgres:// URL, got %q", redact(base))
	}
	u.Path = "/" + name
	return u.String(), nil
}

// redact hides a password in a URL for messages.
func redact(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "(unparsable URL)"
	}
	return u.Redacted()
}

// Cluster is a throwaway PostgreSQL server in a temporary directory.
type Cluster struct {
	bin     string // directory of initdb and postgres
	dir     string // holds data/, the socket and the log
	port    int
	cred    *syscall.Credential // nil: run as ourselves
	mu      sync.Mutex          // guards cmd and exited
	cmd     *exec.Cmd
	exited  chan struct{}
	stopped bool
}

// URL returns the URL of database db on the cluster, over TCP.
func (c *Cluster) URL(db string) string {
	return fmt.Sprintf("postgres://%s@127.0.0.1:%d/%s?sslmode=disable", superuser, c.port, db)
}

// start finds the binaries and starts a cluster; a non-empty message means
// there are none to start (a skip, or a failure in CI).
func start() (*Cluster, string, error) {
	bin := findBin()
	if bin == "" {
		return nil, "no PostgreSQL server binaries (initdb, postgres) found on PATH or in /usr/lib/postgresql/*/bin; " +
			"install them (Debian/Ubuntu: apt-get install postgresql) or set " + EnvURL + " to a postgres:// URL of a role that may create databases", nil
	}
	c := &Cluster{bin: bin}
	if os.Geteuid() == 0 {
		u, err := user.Lookup(serverUser)
		if err != nil {
			return nil, "", fmt.Errorf("running as root, and PostgreSQL refuses to run as root; want user %q to run it as: %w", serverUser, err)
		}
		uid, _ := strconv.ParseUint(u.Uid, 10, 32)
		gid, _ := strconv.ParseUint(u.Gid, 10, 32)
		c.cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), NoSetGroups: true}
	}
	dir, err := os.MkdirTemp("", "accessbot-pg-")
	if err != nil {
		return nil, "", fmt.Errorf("make cluster directory: %w", err)
	}
	c.dir = dir
	if c.cred != nil {
		if err := os.Chown(dir, int(c.cred.Uid), int(c.cred.Gid)); err != nil {
			_ = os.RemoveAll(dir)
			return nil, "", fmt.Errorf("give %s to %s: %w", dir, serverUser, err)
		}
	}
	if err := c.initdb(); err != nil {
		_ = os.RemoveAll(dir)
		return nil, "", err
	}
	port, err := freePort()
	if err != nil {
		_ = os.RemoveAll(dir)
		return nil, "", err
	}
	c.port = port
	if err := c.Start(); err != nil {
		_ = os.RemoveAll(dir)
		return nil, "", err
	}
	return c, "", nil
}

// debianBins is where Debian's packages put each major version's server.
var debianBins = "/usr/lib/postgresql/*/bin"

// findBin returns the directory holding initdb and postgres: PATH first,
// then the newest of Debian's versioned directories.
func findBin() string {
	if p, err := exec.LookPath("initdb"); err == nil {
		d := filepath.Dir(p)
		if _, err := os.Stat(filepath.Join(d, "postgres")); err == nil {
			return d
		}
	}
	dirs, _ := filepath.Glob(debianBins)
	slices.SortFunc(dirs, func(a, b string) int { return versionOf(b) - versionOf(a) })
	for _, d := range dirs {
		_, e1 := os.Stat(filepath.Join(d, "initdb"))
		_, e2 := os.Stat(filepath.Join(d, "postgres"))
		if e1 == nil && e2 == nil {
			return d
		}
	}
	return ""
}

// versionOf returns the major version in /usr/lib/postgresql/<v>/bin.
func versionOf(dir string) int {
	v, _ := strconv.Atoi(filepath.Base(filepath.Dir(dir)))
	return v
}

// freePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func (c *Cluster) command(name string, args ...string) *exec.Cmd {
	cmd := exec.Command(filepath.Join(c.bin, name), args...)
	cmd.Dir = c.dir
	cmd.Env = append(os.Environ(), "LC_ALL=C", "TZ=UTC")
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: c.cred}
	return cmd
}

// initdb creates the cluster without waiting for fsync: it is thrown away.
func (c *Cluster) initdb() error {
	cmd := c.command("initdb", "--no-sync", "--auth=trust", "--username="+superuser,
		"--encoding=UTF8", "--locale=C", "--no-instructions", "-D", filepath.Join(c.dir, "data"))
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("initdb in %s: %w\n%s", c.dir, err, out)
	}
	return nil
}

// Start starts the server, unless it runs already, and waits until it
// accepts connections. The server dies with the test binary (SIGQUIT, its
// immediate shutdown).
func (c *Cluster) Start() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cmd != nil && !c.stopped {
		return nil
	}
	logPath := filepath.Join(c.dir, "server.log")
	logf, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("open server log: %w", err)
	}
	defer logf.Close()
	cmd := c.command("postgres", "-D", filepath.Join(c.dir, "data"),
		"-h", "127.0.0.1", "-p", strconv.Itoa(c.port), "-k", c.dir,
		// Durability is of no use to a throwaway cluster, and startup and
		// every commit are faster without it.
		"-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off",
		"-c", "max_connections=300", "-c", "log_min_messages=warning")
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr.Pdeathsig = syscall.SIGQUIT
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start postgres: %w", err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	c.cmd, c.exited, c.stopped = cmd, exited, false

	deadline := time.Now().Add(60 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		conn, err := pgx.Connect(ctx, c.URL("postgres"))
		if err == nil {
			_ = conn.Close(ctx)
			cancel()
			return nil
		}
		cancel()
		select {
		case <-exited:
			return fmt.Errorf("postgres exited while starting:\n%s", tail(logPath))
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			_ = cmd.Process.Kill()
			return fmt.Errorf("postgres did not accept connections within a minute: %w\n%s", err, tail(logPath))
		}
	}
}

// Stop shuts the server down fast (in-flight transactions are rolled
// back) and removes its directory. Restarting needs a new Cluster.
func (c *Cluster) Stop() error {
	err := c.Halt()
	if rmErr := os.RemoveAll(c.dir); rmErr != nil && err == nil {
		err = fmt.Errorf("remove %s: %w", c.dir, rmErr)
	}
	return err
}

// Halt stops the server (fast shutdown: clients are disconnected) and keeps
// its data, so Start can bring it back on the same port.
func (c *Cluster) Halt() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cmd == nil || c.stopped {
		return nil
	}
	c.stopped = true
	// SIGINT is PostgreSQL's fast shutdown.
	if err := c.cmd.Process.Signal(syscall.SIGINT); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("stop postgres: %w", err)
	}
	select {
	case <-c.exited:
		return nil
	case <-time.After(30 * time.Second):
		_ = c.cmd.Process.Kill()
		<-c.exited
		return errors.New("stop postgres: no exit within 30s after SIGINT; killed")
	}
}

// tail returns the end of a log file for an error message.
func tail(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Sprintf("(no log: %v)", err)
	}
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return strings.TrimSpace(string(bytes.ToValidUTF8(b, nil)))
}
