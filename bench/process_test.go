package bench

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// botProcess is the accessbot binary running `accessbot run` against a world.
type botProcess struct {
	t       testing.TB
	cmd     *exec.Cmd
	log     string // its stderr: the JSON log
	exited  chan struct{}
	err     error         // what Wait returned, once exited is closed
	startup time.Duration // from exec until the fake Slack saw its Socket Mode connection
}

// startBot runs the binary with the world's config and waits until it is
// connected to the fake Slack.
func startBot(t testing.TB, w *world) *botProcess {
	t.Helper()
	return startBotWith(t, w, w.writeConfig())
}

// startBotWith runs the binary with the config at cfg and waits until it
// is connected to the fake Slack.
func startBotWith(t testing.TB, w *world, cfg string) *botProcess {
	t.Helper()
	logDir := w.dir
	if d := os.Getenv("ACCESSBOT_BENCH_LOGS"); d != "" { // keep the bots' logs there
		logDir = d
	}
	logPath := filepath.Join(logDir, fmt.Sprintf("accessbot-%s-%d.log", strings.ReplaceAll(t.Name(), "/", "_"), time.Now().UnixNano()))
	logFile, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	defer logFile.Close()
	before := w.slack.ConnectionCount()
	cmd := exec.Command(accessbotBinary(t), "run", "--config", cfg)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	p := &botProcess{t: t, cmd: cmd, log: logPath, exited: make(chan struct{})}
	start := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatalf("start accessbot: %v", err)
	}
	go func() { p.err = cmd.Wait(); close(p.exited) }()
	t.Cleanup(p.kill)

	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	connected := make(chan error, 1)
	go func() { connected <- w.slack.WaitConnectionCount(ctx, before+1) }()
	select {
	case err := <-connected:
		if err != nil {
			t.Fatalf("accessbot did not connect: %v\n%s", err, p.tail())
		}
	case <-p.exited:
		t.Fatalf("accessbot exited at start-up: %v\n%s", p.err, p.tail())
	}
	p.startup = time.Since(start)
	return p
}

// stop asks the bot to stop (SIGTERM) and waits for it, killing it if it
// takes longer than a minute.
func (p *botProcess) stop() {
	p.t.Helper()
	select {
	case <-p.exited:
		return
	default:
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
		if p.err != nil {
			p.t.Errorf("accessbot stopped with %v\n%s", p.err, p.tail())
		}
	case <-time.After(time.Minute):
		p.t.Errorf("accessbot did not stop within a minute of SIGTERM; killed\n%s", p.tail())
		p.kill()
	}
}

func (p *botProcess) kill() {
	select {
	case <-p.exited:
	default:
		_ = p.cmd.Process.Kill()
		<-p.exited
	}
}

// tail returns the end of the bot's log, for failure messages.
func (p *botProcess) tail() string {
	data, _ := os.ReadFile(p.log)
	if len(data) > 8000 {
		data = data[len(data)-8000:]
	}
	return string(data)
}

// logLines counts the lines of the bot's log at the given level.
func (p *botProcess) logLines(level string) int {
	data, _ := os.ReadFile(p.log)
	return bytes.Count(data, []byte(`"level":"`+level+`"`))
}

// memory is what /proc/PID/status says of the process, in bytes.
type memory struct {
	RSS, Peak, Anon, File int64 // VmRSS, VmHWM, RssAnon, RssFile
}

func (p *botProcess) memory() memory {
	p.t.Helper()
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", p.cmd.Process.Pid))
	if err != nil {
		p.t.Fatalf("read memory of accessbot: %v", err)
	}
	defer f.Close()
	var m memory
	fields := map[string]*int64{"VmRSS:": &m.RSS, "VmHWM:": &m.Peak, "RssAnon:": &m.Anon, "RssFile:": &m.File}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		parts := strings.Fields(sc.Text())
		if len(parts) == 3 && parts[2] == "kB" {
			if dst, ok := fields[parts[0]]; ok {
				kb, _ := strconv.ParseInt(parts[1], 10, 64)
				*dst = kb << 10
			}
		}
	}
	return m
}
