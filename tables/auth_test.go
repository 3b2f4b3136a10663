package tables

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
)

// fakeCredential hands out a fixed token and records the scopes asked
// for, standing in for azidentity's credential chain.
type fakeCredential struct {
	mu     sync.Mutex
	scopes []string
}

func (c *fakeCredential) GetToken(_ context.Context, opts policy.TokenRequestOptions) (azcore.AccessToken, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.scopes = append(c.scopes, opts.Scopes...)
	return azcore.AccessToken{Token: "fake-aad-token", ExpiresOn: time.Now().Add(time.Hour)}, nil
}

// TestTokenAccountSendsBearer checks the Azure AD wiring: both the
// aztables client and the tool's own pipeline send the token as a bearer
// for the storage scope, over TLS.
func TestTokenAccountSendsBearer(t *testing.T) {
	var mu sync.Mutex
	var auths []string
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		auths = append(auths, r.Method+" "+r.URL.Path+" "+r.Header.Get("Authorization"))
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json;odata=fullmetadata")
		if strings.HasPrefix(r.URL.Path, "/Tables") {
			w.Write([]byte(`{"value":[{"TableName":"Users"}]}`))
			return
		}
		w.Write([]byte(`{"value":[]}`))
	}))
	defer srv.Close()

	cred := &fakeCredential{}
	account, err := NewTokenAccount(srv.URL, cred)
	if err != nil {
		t.Fatal(err)
	}
	svc, err := Connect(account, Options{Transport: srv.Client(), MaxRetries: -1})
	if err != nil {
		t.Fatal(err)
	}
	names, err := svc.ListTables(context.Background())
	if err != nil || len(names) != 1 || names[0] != "Users" {
		t.Fatalf("ListTables = %v, %v", names, err)
	}
	if _, err := svc.CountEntities(context.Background(), "Users"); err != nil {
		t.Fatal(err)
	}
	if len(auths) != 2 {
		t.Fatalf("requests %v, want a table list and a query", auths)
	}
	for _, a := range auths {
		if !strings.HasSuffix(a, " Bearer fake-aad-token") {
			t.Errorf("request %q lacks the bearer token", a)
		}
	}
	for _, scope := range cred.scopes {
		if scope != StorageScope {
			t.Errorf("token asked for scope %q, want %q", scope, StorageScope)
		}
	}
	if !strings.Contains(account.String(), "Azure AD") {
		t.Errorf("String() = %q", account.String())
	}
}

func TestTokenAccountNeedsHTTPS(t *testing.T) {
	for _, u := range []string{"http://myaccount.table.core.windows.net", "https://myaccount.table.core.windows.net/?sv=1&sig=secret", "not a url"} {
		_, err := NewTokenAccount(u, &fakeCredential{})
		if err == nil {
			t.Errorf("NewTokenAccount(%q) succeeded", u)
			continue
		}
		if strings.Contains(err.Error(), "secret") {
			t.Errorf("error quotes the query string: %v", err)
		}
	}
}

func TestSASAccountForms(t *testing.T) {
	a, err := NewSASAccount("", "https://myaccount.table.core.windows.net/?sv=2019-02-02&ss=t&sig=abcdefghijklmnop")
	if err != nil {
		t.Fatal(err)
	}
	if a.Endpoint != "https://myaccount.table.core.windows.net" || a.Name != "myaccount" || a.sas != "sv=2019-02-02&ss=t&sig=abcdefghijklmnop" {
		t.Errorf("SAS URL parsed as %+v", a)
	}
	a, err = NewSASAccount("https://other.table.core.windows.net", "?sv=2019-02-02&sig=abcdefghijklmnop")
	if err != nil || a.Name != "other" || a.sas != "sv=2019-02-02&sig=abcdefghijklmnop" {
		t.Errorf("SAS token parsed as %+v, %v", a, err)
	}
	if _, err := NewSASAccount("", "sv=2019-02-02&sig=abcdefghijklmnop"); err == nil || !strings.Contains(err.Error(), "needs the account URL") {
		t.Errorf("token without URL: %v", err)
	}
	if _, err := NewSASAccount("https://a.table.core.windows.net", "sv=2019-02-02"); err == nil || !strings.Contains(err.Error(), "no sig") {
		t.Errorf("token without sig: %v", err)
	}
	if got := Redact("failed: sig=abcdefghijklmnop"); strings.Contains(got, "abcdefghijklmnop") {
		t.Errorf("Redact left the signature: %q", got)
	}
}

func TestPrefixNames(t *testing.T) {
	svc := &Service{}
	p, err := svc.WithPrefix("tenant1")
	if err != nil {
		t.Fatal(err)
	}
	if p.TableName("Users") != "tenant1Users" || svc.TableName("Users") != "Users" {
		t.Errorf("TableName = %q, %q", p.TableName("Users"), svc.TableName("Users"))
	}
	got := p.logicalNames([]string{"tenant1Users", "TENANT1Clients", "tenant2Users", "tenant1", "Users"})
	if strings.Join(got, ",") != "Users,Clients" {
		t.Errorf("logicalNames = %v", got)
	}
	for _, bad := range []string{"1tenant", "ten-ant", strings.Repeat("a", 61)} {
		if _, err := svc.WithPrefix(bad); err == nil {
			t.Errorf("WithPrefix(%q) succeeded", bad)
		}
	}
}
