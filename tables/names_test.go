package tables

import (
	"strings"
	"testing"
)

func TestValidateName(t *testing.T) {
	valid := []string{"Users", "abc", "A1b2C3", strings.Repeat("a", 63), "ScimGroupExternalIds"}
	for _, name := range valid {
		if err := ValidateName(name); err != nil {
			t.Errorf("ValidateName(%q) = %v", name, err)
		}
	}
	invalid := map[string]string{
		"ab":                    "3 to 63",
		strings.Repeat("a", 64): "3 to 63",
		"1abc":                  "start with a letter",
		"user-table":            "letters and digits",
		"users_1":               "letters and digits",
		"Us ers":                "letters and digits",
		"Tables":                "reserved",
		"../x":                  "start with a letter",
		"Usérs":                 "letters and digits",
	}
	for name, want := range invalid {
		err := ValidateName(name)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ValidateName(%q) = %v, want an error mentioning %q", name, err, want)
		}
	}
}

func TestParseList(t *testing.T) {
	got, err := ParseList(" Users, Clients ,,Grants")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(got, ",") != "Users,Clients,Grants" {
		t.Errorf("ParseList = %v", got)
	}
	for input, want := range map[string]string{
		"Users,users": "listed twice",
		"":            "empty table list",
		" , ":         "empty table list",
		"Users,1bad":  `"1bad"`,
	} {
		if _, err := ParseList(input); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseList(%q) = %v, want an error mentioning %q", input, err, want)
		}
	}
}

func TestDefaultSetValid(t *testing.T) {
	all := append(append(append([]string{}, Default...), Transient...), SigningKeys)
	if len(Default) != 19 {
		t.Errorf("default set has %d tables, want 19", len(Default))
	}
	for _, name := range all {
		if err := ValidateName(name); err != nil {
			t.Error(err)
		}
	}
}
