package provisioner

import "testing"

func TestParseRule(t *testing.T) {
	eng := map[string]any{"department": "Engineering", "title": "SRE", "login": "dan@example.com"}
	tests := []struct {
		expr       string
		parsed     bool
		matchesEng bool
	}{
		{`user.department=="Engineering"`, true, true},
		{`user.department == "Sales"`, true, false},
		{`user.department != "Sales"`, true, true},
		{`user.department == "Engineering" AND user.title == "Manager"`, true, false},
		{`user.department == "Sales" OR user.title == "SRE"`, true, true},
		{`user.department == "Engineering" && (user.title == "x" || user.title == "SRE")`, true, true},
		{`user.costCenter == ""`, true, true}, // absent attributes are empty
		{`user.title == "S\"RE"`, true, false},
		{`String.startsWith(user.login, "dan")`, false, false},
		{`isMemberOfAnyGroup("00g1")`, false, false},
		{`user.department == "Engineering" AND`, false, false},
		{`(user.department == "Engineering"`, false, false},
		{`user.department == Engineering`, false, false},
		{`user.manager.department == "x"`, false, false},
		{``, false, false},
	}
	for _, tt := range tests {
		e, ok := parseRule(tt.expr)
		if ok != tt.parsed {
			t.Errorf("parseRule(%q) ok = %v, want %v", tt.expr, ok, tt.parsed)
			continue
		}
		if ok && e.eval(eng) != tt.matchesEng {
			t.Errorf("%q on an engineer = %v, want %v", tt.expr, !tt.matchesEng, tt.matchesEng)
		}
	}
}
