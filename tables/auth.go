package tables

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
)

// StorageScope is the Azure AD scope of a token for Azure Storage.
const StorageScope = "https://storage.azure.com/.default"

// NewTokenAccount returns an Account that signs in with Azure AD tokens
// from cred, such as azidentity's default credential chain. The endpoint
// must be https, because a bearer token must not cross the network in the
// clear.
func NewTokenAccount(endpoint string, cred azcore.TokenCredential) (Account, error) {
	u, err := url.Parse(endpoint)
	if err != nil || u.Scheme != "https" || u.Host == "" || u.RawQuery != "" || u.User != nil {
		return Account{}, fmt.Errorf("invalid account URL %q: expected https://<account>.table.core.windows.net, with no query string", safeURL(endpoint))
	}
	a := Account{Name: accountFromEndpoint(endpoint), Endpoint: strings.TrimRight(u.String(), "/"), cred: cred}
	return a, nil
}

// NewSASAccount returns an Account that signs every request with a SAS
// token. sas may be a token ("sv=...&sig=...", with or without "?") or a
// whole SAS URL, whose query is the token; endpoint may then be empty.
func NewSASAccount(endpoint, sas string) (Account, error) {
	sas = strings.TrimSpace(sas)
	if strings.HasPrefix(sas, "https://") || strings.HasPrefix(sas, "http://") {
		u, err := url.Parse(sas)
		if err != nil || u.RawQuery == "" {
			return Account{}, fmt.Errorf("invalid SAS URL %q: expected https://<account>.table.core.windows.net/?sv=...&sig=...", safeURL(sas))
		}
		token := u.RawQuery
		addSecret(token)
		u.RawQuery = ""
		if endpoint == "" {
			endpoint = u.String()
		}
		sas = token
	}
	if endpoint == "" {
		return Account{}, fmt.Errorf("a SAS token needs the account URL: give --account-url https://<account>.table.core.windows.net, or a whole SAS URL")
	}
	if !strings.Contains(sas, "sig=") {
		return Account{}, fmt.Errorf("invalid SAS token: it has no sig parameter; copy the whole token, such as sv=...&sig=...")
	}
	return newAccount(accountFromEndpoint(endpoint), endpoint, "", sas)
}

// safeURL drops the query string of a URL, which may hold a SAS token,
// for messages.
func safeURL(s string) string {
	if i := strings.IndexByte(s, '?'); i >= 0 {
		return s[:i] + "?[REDACTED]"
	}
	return s
}
