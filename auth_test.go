package main

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/data/aztables"

	"github.com/authagonal/authagonal-tables/internal/azurite"
	"github.com/authagonal/authagonal-tables/manifest"
	"github.com/authagonal/authagonal-tables/tables"
)

// accountSAS returns an account SAS URL for the shared Azurite, signed
// with the development key, for the given permissions.
func accountSAS(t *testing.T, srv *azurite.Server, perms aztables.AccountSASPermissions) string {
	t.Helper()
	cred, err := aztables.NewSharedKeyCredential(tables.DevAccountName, tables.DevAccountKey)
	if err != nil {
		t.Fatal(err)
	}
	// Azurite serves plain HTTP, so the token must allow it; the SDK's
	// GetAccountSASURL allows HTTPS only.
	qps, err := aztables.AccountSASSignatureValues{
		Version:       aztables.SASVersion,
		Protocol:      aztables.SASProtocolHTTPSandHTTP,
		Permissions:   perms.String(),
		Services:      "t",
		ResourceTypes: aztables.AccountSASResourceTypes{Service: true, Container: true, Object: true}.String(),
		StartTime:     time.Now().Add(-time.Hour).UTC(),
		ExpiryTime:    time.Now().Add(time.Hour).UTC(),
	}.Sign(cred)
	if err != nil {
		t.Fatal(err)
	}
	return srv.Endpoint + "/?" + qps.Encode()
}

func TestCLISASBackupAndRestore(t *testing.T) {
	srv := azurite.Shared(t)
	seedTable(t, "CliSas", `{"PartitionKey":"p","RowKey":"1","V":"x"}`, `{"PartitionKey":"p","RowKey":"2","N@odata.type":"Edm.Int64","N":"7"}`)
	readOnly := accountSAS(t, srv, aztables.AccountSASPermissions{Read: true, List: true})
	u, err := url.Parse(readOnly)
	if err != nil {
		t.Fatal(err)
	}
	token := u.RawQuery
	sig := u.Query().Get("sig")

	// A whole SAS URL, and a token with --account-url, both back up.
	out := t.TempDir()
	r := runBinary(t, []string{"STORAGE_SAS_TOKEN=" + readOnly}, "backup", "--tables", "CliSas", "--output", out)
	wantCode(t, r, 0)
	r = runBinary(t, []string{"STORAGE_ACCOUNT_URL=" + srv.Endpoint, "STORAGE_SAS_TOKEN=" + token}, "--log-level", "debug", "backup", "--tables", "CliSas", "--output", t.TempDir())
	wantCode(t, r, 0)
	if strings.Contains(r.stdout+r.stderr, sig) {
		t.Errorf("the SAS signature was printed:\n%s", r.stderr)
	}
	dir := onlyBackup(t, out)
	m, err := manifest.Read(dir)
	if err != nil {
		t.Fatal(err)
	}
	if m.Tables["CliSas"].EntityCount != 2 {
		t.Errorf("backup through SAS holds %d entities, want 2", m.Tables["CliSas"].EntityCount)
	}

	// The read-only token cannot restore, and nothing is written.
	target, err := azurite.Start(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer target.Stop()
	targetRO := accountSAS(t, target, aztables.AccountSASPermissions{Read: true, List: true})
	r = runBinary(t, []string{"STORAGE_SAS_TOKEN=" + targetRO}, "restore", "--input", dir, "--max-retries", "0")
	if r.code == 0 || strings.Contains(r.stdout+r.stderr, u.Query().Get("sig")) {
		t.Errorf("restore with a read-only SAS: exit %d\n%s", r.code, r.stderr)
	}
	targetRW := accountSAS(t, target, aztables.AccountSASPermissions{Read: true, List: true, Write: true, Add: true, Create: true, Update: true, Delete: true})
	r = runBinary(t, []string{"STORAGE_SAS_TOKEN=" + targetRW}, "restore", "--input", dir)
	wantCode(t, r, 0)
	sameTable(t, srv, target, "CliSas")

	// Credentials that contradict each other are rejected.
	r = runBinary(t, []string{"STORAGE_CONNECTION_STRING=" + srv.ConnectionString(), "STORAGE_SAS_TOKEN=" + token}, "backup", "--dry-run")
	wantCode(t, r, 1)
	if !strings.Contains(r.stderr, "not both") {
		t.Errorf("stderr:\n%s", r.stderr)
	}
	r = runBinary(t, []string{"STORAGE_SAS_TOKEN=" + token}, "backup", "--dry-run")
	wantCode(t, r, 1)
	if !strings.Contains(r.stderr, "needs the account URL") {
		t.Errorf("stderr:\n%s", r.stderr)
	}
}

func TestCLITablePrefixAndAllTables(t *testing.T) {
	srv := azurite.Shared(t)
	conn := "STORAGE_CONNECTION_STRING=" + srv.ConnectionString()
	seedTable(t, "tenantaUsers", `{"PartitionKey":"u","RowKey":"1","Email":"a@example.com"}`)
	seedTable(t, "tenantaClients", `{"PartitionKey":"c","RowKey":"1","Name":"app"}`)
	seedTable(t, "tenantbUsers", `{"PartitionKey":"u","RowKey":"2","Email":"b@example.com"}`)

	out := t.TempDir()
	r := runBinary(t, []string{conn}, "backup", "--table-prefix", "tenanta", "--all-tables", "--output", out)
	wantCode(t, r, 0)
	dir := onlyBackup(t, out)
	m, err := manifest.Read(dir)
	if err != nil {
		t.Fatal(err)
	}
	if m.TablePrefix != "tenanta" || len(m.Tables) != 2 || m.Tables["Users"].EntityCount != 1 || m.Tables["Clients"].EntityCount != 1 {
		t.Fatalf("manifest prefix %q, tables %v", m.TablePrefix, m.TableNames())
	}

	// Restore into another prefix, an isolated copy beside the original.
	r = runBinary(t, []string{conn}, "restore", "--input", dir, "--target-prefix", "copyof")
	wantCode(t, r, 0)
	svc, err := srv.Service()
	if err != nil {
		t.Fatal(err)
	}
	for _, pair := range [][2]string{{"tenantaUsers", "copyofUsers"}, {"tenantaClients", "copyofClients"}} {
		report, err := compareTables(svc, pair[0], pair[1])
		if err != nil {
			t.Fatal(err)
		}
		if report != "" {
			t.Errorf("%s and %s differ: %s", pair[0], pair[1], report)
		}
	}
	// A prefix that is not a valid start of a table name is rejected.
	r = runBinary(t, []string{conn}, "backup", "--table-prefix", "1bad", "--dry-run")
	wantCode(t, r, 1)
	if !strings.Contains(r.stderr, "must start with a letter") {
		t.Errorf("stderr:\n%s", r.stderr)
	}
	r = runBinary(t, []string{conn}, "backup", "--all-tables", "--tables", "Users", "--dry-run")
	wantCode(t, r, 1)
	// Without a prefix, --all-tables takes every table, the prefixed ones
	// included.
	r = runBinary(t, []string{conn}, "backup", "--all-tables", "--dry-run")
	wantCode(t, r, 0)
	for _, name := range []string{"tenantaUsers", "tenantbUsers", "copyofClients"} {
		if !strings.Contains(r.stdout, name) {
			t.Errorf("--all-tables --dry-run does not list %s:\n%s", name, r.stdout)
		}
	}
}

// compareTables compares two tables of one account entity by entity and
// returns a description of the first difference, or "".
func compareTables(svc *tables.Service, a, b string) (string, error) {
	read := func(name string) (map[string]string, error) {
		out := map[string]string{}
		err := svc.Query(context.Background(), name, tables.Query{}, func(p tables.Page) error {
			for _, e := range p.Entities {
				e.Timestamp = nil
				out[e.Key().String()] = string(e.AppendLine(nil))
			}
			return nil
		})
		return out, err
	}
	ea, err := read(a)
	if err != nil {
		return "", err
	}
	eb, err := read(b)
	if err != nil {
		return "", err
	}
	if len(ea) != len(eb) {
		return "entity counts differ", nil
	}
	for k, v := range ea {
		if eb[k] != v {
			return "entity " + k + " differs", nil
		}
	}
	return "", nil
}

func TestCLIIncrementalRejectsOtherAccount(t *testing.T) {
	srv := azurite.Shared(t)
	seedTable(t, "CliOther", `{"PartitionKey":"p","RowKey":"1"}`)
	out := t.TempDir()
	wantCode(t, runBinary(t, []string{"STORAGE_CONNECTION_STRING=" + srv.ConnectionString()}, "backup", "--tables", "CliOther", "--output", out), 0)

	// Another Azurite has the same account name, devstoreaccount1, but
	// another endpoint: its data must not be chained to the first one's.
	other, err := azurite.Start(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer other.Stop()
	svc, err := other.Service()
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.CreateTable(context.Background(), "CliOther"); err != nil {
		t.Fatal(err)
	}
	r := runBinary(t, []string{"STORAGE_CONNECTION_STRING=" + other.ConnectionString()}, "backup", "--incremental", "--tables", "CliOther", "--output", out)
	wantCode(t, r, 1)
	if !strings.Contains(r.stderr, "give each account its own --output") {
		t.Errorf("stderr:\n%s", r.stderr)
	}
}
