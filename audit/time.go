package audit

import (
	"strings"
	"time"

	"github.com/accessbot/accessbot/access"
)

// dateLayout is a calendar day, taken as midnight UTC.
const dateLayout = "2006-01-02"

// ParseTime parses the value of a --since or --until flag: an RFC 3339 time
// ("2024-05-01T15:04:05Z", fractions of a second allowed), a date taken as
// midnight UTC ("2024-05-01"), or a duration that far before now ("7d",
// "24h", "1h30m"; units s, m, h, d, w as in access.ParseDuration). An
// unparsable value is an access.EINVALID error saying which forms work.
func ParseTime(s string, now time.Time) (time.Time, error) {
	in := strings.TrimSpace(s)
	if t, err := time.Parse(time.RFC3339, in); err == nil {
		return t, nil
	}
	if t, err := time.Parse(dateLayout, in); err == nil {
		return t, nil
	}
	if d, err := access.ParseDuration(in); err == nil {
		return now.Add(-d), nil
	}
	return time.Time{}, access.Errorf(access.EINVALID,
		"%q is not a time: use RFC 3339 (2024-05-01T15:04:05Z), a date (2024-05-01) or how long before now (7d, 24h).", s)
}
