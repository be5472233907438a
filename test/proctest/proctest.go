// Package proctest helps the tests that run accessbot binaries as processes
// (bench/, test/crash): a port to give one, and whether one leads.
package proctest

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"testing"
)

// FreePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func FreePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// Leads reports whether the replica serving /metrics on port says it leads
// (accessbot_leader 1); false when it cannot be asked.
func Leads(client *http.Client, port int) bool {
	resp, err := client.Get(fmt.Sprintf("http://127.0.0.1:%d/metrics", port))
	if err != nil {
		return false
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		if sc.Text() == "accessbot_leader 1" {
			return true
		}
	}
	return false
}
