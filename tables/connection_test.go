package tables

import (
	"errors"
	"strings"
	"testing"
)

func TestParseConnectionString(t *testing.T) {
	const key = "c2VjcmV0LWtleS1mb3ItdGVzdHM=" // base64 of "secret-key-for-tests"
	tests := []struct {
		name         string
		input        string
		wantName     string
		wantEndpoint string
	}{
		{"azure", "DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=" + key + ";EndpointSuffix=core.windows.net",
			"acct", "https://acct.table.core.windows.net"},
		{"defaults", "AccountName=acct;AccountKey=" + key, "acct", "https://acct.table.core.windows.net"},
		{"sovereign cloud", "AccountName=acct;AccountKey=" + key + ";EndpointSuffix=core.chinacloudapi.cn",
			"acct", "https://acct.table.core.chinacloudapi.cn"},
		{"table endpoint", "AccountName=devstoreaccount1;AccountKey=" + key + ";TableEndpoint=http://127.0.0.1:10002/devstoreaccount1/",
			"devstoreaccount1", "http://127.0.0.1:10002/devstoreaccount1"},
		{"cosmos", "DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=" + key + ";TableEndpoint=https://acct.table.cosmos.azure.com:443/;",
			"acct", "https://acct.table.cosmos.azure.com:443"},
		{"development storage", "UseDevelopmentStorage=true", DevAccountName, "http://127.0.0.1:10002/devstoreaccount1"},
		{"case-insensitive names", "accountname=acct;ACCOUNTKEY=" + key, "acct", "https://acct.table.core.windows.net"},
		{"sas with endpoint", "SharedAccessSignature=sv=2019-02-02&sig=abcdefghijk;TableEndpoint=https://acct.table.core.windows.net",
			"acct", "https://acct.table.core.windows.net"},
		{"sas with account", "AccountName=acct;SharedAccessSignature=?sv=2019-02-02&sig=abcdefghijk",
			"acct", "https://acct.table.core.windows.net"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := ParseConnectionString(tt.input)
			if err != nil {
				t.Fatal(err)
			}
			if a.Name != tt.wantName {
				t.Errorf("Name = %q, want %q", a.Name, tt.wantName)
			}
			if a.Endpoint != tt.wantEndpoint {
				t.Errorf("Endpoint = %q, want %q", a.Endpoint, tt.wantEndpoint)
			}
		})
	}
}

func TestParseConnectionStringInvalid(t *testing.T) {
	const secret = "VE9QU0VDUkVUS0VZMTIz" // base64 of "TOPSECRETKEY123"
	tests := []struct {
		name  string
		input string
		want  string
	}{
		{"empty", "", "empty"},
		{"no pairs", "not a connection string", "Name=Value"},
		{"no credential", "AccountName=acct", "missing AccountKey"},
		{"key and sas", "AccountName=acct;AccountKey=" + secret + ";SharedAccessSignature=sig=" + secret, "not both"},
		{"key without name", "AccountKey=" + secret, "missing AccountName"},
		{"bad base64 key", "AccountName=acct;AccountKey=" + secret + "!!", "not valid base64"},
		{"bad protocol", "AccountName=acct;AccountKey=" + secret + ";DefaultEndpointsProtocol=ftp", "https or http"},
		{"bad endpoint", "AccountName=acct;AccountKey=" + secret + ";TableEndpoint=acct.table.core.windows.net", "http or https URL"},
		{"endpoint with query", "AccountName=acct;AccountKey=" + secret + ";TableEndpoint=https://acct.table.core.windows.net/?sig=" + secret, "query string"},
		{"duplicate setting", "AccountName=a;AccountName=b;AccountKey=" + secret, "appears twice"},
		{"development storage false", "UseDevelopmentStorage=false", "must be true"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseConnectionString(tt.input)
			if err == nil {
				t.Fatal("no error")
			}
			if !errors.Is(err, ErrConnectionString) {
				t.Errorf("error %v does not wrap ErrConnectionString", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not mention %q", err, tt.want)
			}
			if strings.Contains(err.Error(), secret) {
				t.Errorf("error %q contains the secret", err)
			}
		})
	}
}

func TestAccountStringHidesSecrets(t *testing.T) {
	const key = "c2VjcmV0LWtleS1mb3ItdGVzdHM="
	a, err := ParseConnectionString("AccountName=acct;AccountKey=" + key)
	if err != nil {
		t.Fatal(err)
	}
	if s := a.String(); strings.Contains(s, key) || !strings.Contains(s, "shared key") {
		t.Errorf("String() = %q", s)
	}
	if got := Redact("request failed with key " + key); strings.Contains(got, key) {
		t.Errorf("Redact left the key in %q", got)
	}
}

func TestRedactSAS(t *testing.T) {
	const sig = "c2lnbmF0dXJlLWZvci10ZXN0cw%3D%3D"
	if _, err := ParseConnectionString("AccountName=acct;SharedAccessSignature=sv=2019-02-02&sig=" + sig); err != nil {
		t.Fatal(err)
	}
	for _, leak := range []string{"sig=" + sig, "c2lnbmF0dXJlLWZvci10ZXN0cw=="} {
		if got := Redact("GET /Tables?" + leak); strings.Contains(got, "c2lnbmF0dXJl") {
			t.Errorf("Redact(%q) = %q", leak, got)
		}
	}
}
