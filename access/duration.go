package access

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

var durationUnits = []struct {
	suffix string
	unit   time.Duration
}{
	{"w", 7 * 24 * time.Hour},
	{"d", 24 * time.Hour},
	{"h", time.Hour},
	{"m", time.Minute},
	{"s", time.Second},
}

// ParseDuration parses a duration written the way people write them in
// config and Slack: a whole number followed by s, m, h, d or w ("90m", "1d",
// "2w"), or several such parts ("1h30m"). It refuses zero and negative values.
func ParseDuration(s string) (time.Duration, error) {
	in := strings.ToLower(strings.TrimSpace(s))
	if in == "" {
		return 0, fmt.Errorf("empty duration: use a number and a unit (s, m, h, d, w), e.g. 4h")
	}
	var total time.Duration
	rest := in
	for rest != "" {
		i := 0
		for i < len(rest) && rest[i] >= '0' && rest[i] <= '9' {
			i++
		}
		if i == 0 {
			return 0, fmt.Errorf("%q is not a duration: use a number and a unit (s, m, h, d, w), e.g. 4h", s)
		}
		if i > 9 {
			return 0, fmt.Errorf("%q is too long a duration", s)
		}
		n, _ := strconv.Atoi(rest[:i])
		rest = rest[i:]
		unit := time.Duration(0)
		for _, u := range durationUnits {
			if strings.HasPrefix(rest, u.suffix) {
				unit = u.unit
				rest = rest[len(u.suffix):]
				break
			}
		}
		if unit == 0 {
			return 0, fmt.Errorf("%q is not a duration: use a number and a unit (s, m, h, d, w), e.g. 4h", s)
		}
		if time.Duration(n) > (1<<62)/unit || total > (1<<62) {
			return 0, fmt.Errorf("%q is too long a duration", s)
		}
		total += time.Duration(n) * unit
	}
	if total <= 0 {
		return 0, fmt.Errorf("%q is not a positive duration", s)
	}
	return total, nil
}

// FormatDuration writes d the way ParseDuration reads it, largest units
// first ("1d", "1h30m", "45s"). Sub-second remainders are dropped.
func FormatDuration(d time.Duration) string {
	if d < time.Second {
		return "0s"
	}
	var b strings.Builder
	for _, u := range durationUnits {
		if d >= u.unit {
			fmt.Fprintf(&b, "%d%s", d/u.unit, u.suffix)
			d %= u.unit
		}
	}
	return b.String()
}

// FormatDurations joins ds with ", " in FormatDuration's notation.
func FormatDurations(ds []time.Duration) string {
	out := make([]string, len(ds))
	for i, d := range ds {
		out[i] = FormatDuration(d)
	}
	return strings.Join(out, ", ")
}
