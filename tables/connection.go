package tables

import (
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"sort"
	"strings"
	"sync"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
)

// Well-known development storage account of Azurite and the storage
// emulator. Its key is public and the same on every machine.
const (
	DevAccountName = "devstoreaccount1"
	DevAccountKey  = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
	devTableURL    = "http://127.0.0.1:10002/devstoreaccount1"
)

// Account is a parsed connection string. Its String method and its fields
// that are exported never reveal the key or the SAS token.
type Account struct {
	// Name is the storage account name.
	Name string
	// Endpoint is the table service URL, without a query string.
	Endpoint string

	key  []byte
	sas  string
	cred azcore.TokenCredential
}

// String describes the account without secrets.
func (a Account) String() string {
	auth := "no credential"
	switch {
	case a.key != nil:
		auth = "shared key"
	case a.sas != "":
		auth = "SAS token"
	case a.cred != nil:
		auth = "Azure AD"
	}
	return fmt.Sprintf("account %q at %s (%s)", a.Name, a.Endpoint, auth)
}

// ErrConnectionString is wrapped by every connection string parse error.
var ErrConnectionString = errors.New("invalid connection string")

// ParseConnectionString parses an Azure Storage connection string:
// AccountName and AccountKey with DefaultEndpointsProtocol and
// EndpointSuffix or TableEndpoint; SharedAccessSignature with TableEndpoint
// or AccountName; or UseDevelopmentStorage=true for Azurite on its default
// port. Setting names are case-insensitive. Errors name settings, never
// their values, because the values may be secret.
func ParseConnectionString(s string) (Account, error) {
	settings, err := splitSettings(s)
	if err != nil {
		return Account{}, err
	}

	if v, ok := settings["usedevelopmentstorage"]; ok {
		if !strings.EqualFold(v, "true") {
			return Account{}, fmt.Errorf("%w: UseDevelopmentStorage must be true", ErrConnectionString)
		}
		endpoint := devTableURL
		if proxy, ok := settings["developmentstorageproxyuri"]; ok {
			endpoint = strings.TrimRight(proxy, "/") + ":10002/" + DevAccountName
		}
		return newAccount(DevAccountName, endpoint, DevAccountKey, "")
	}

	name := settings["accountname"]
	key, hasKey := settings["accountkey"]
	sas, hasSAS := settings["sharedaccesssignature"]
	endpoint := settings["tableendpoint"]

	switch {
	case hasKey && hasSAS:
		return Account{}, fmt.Errorf("%w: give either AccountKey or SharedAccessSignature, not both", ErrConnectionString)
	case !hasKey && !hasSAS:
		return Account{}, fmt.Errorf("%w: missing AccountKey or SharedAccessSignature", ErrConnectionString)
	case hasKey && name == "":
		return Account{}, fmt.Errorf("%w: missing AccountName", ErrConnectionString)
	}

	if endpoint == "" {
		if name == "" {
			return Account{}, fmt.Errorf("%w: missing AccountName or TableEndpoint", ErrConnectionString)
		}
		protocol := strings.ToLower(settings["defaultendpointsprotocol"])
		if protocol == "" {
			protocol = "https"
		}
		if protocol != "https" && protocol != "http" {
			return Account{}, fmt.Errorf("%w: DefaultEndpointsProtocol must be https or http", ErrConnectionString)
		}
		suffix := settings["endpointsuffix"]
		if suffix == "" {
			suffix = "core.windows.net"
		}
		endpoint = fmt.Sprintf("%s://%s.table.%s", protocol, name, suffix)
	}
	if name == "" {
		name = accountFromEndpoint(endpoint)
	}
	return newAccount(name, endpoint, key, sas)
}

func newAccount(name, endpoint, key, sas string) (Account, error) {
	u, err := url.Parse(endpoint)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return Account{}, fmt.Errorf("%w: TableEndpoint must be an http or https URL such as https://myaccount.table.core.windows.net", ErrConnectionString)
	}
	if u.RawQuery != "" || u.User != nil {
		return Account{}, fmt.Errorf("%w: TableEndpoint must not contain a query string or user information; put a SAS token in SharedAccessSignature", ErrConnectionString)
	}
	a := Account{Name: name, Endpoint: strings.TrimRight(u.String(), "/")}
	if key != "" {
		a.key, err = base64.StdEncoding.DecodeString(key)
		if err != nil || len(a.key) == 0 {
			return Account{}, fmt.Errorf("%w: AccountKey is not valid base64", ErrConnectionString)
		}
		addSecret(key)
	}
	if sas != "" {
		a.sas = strings.TrimPrefix(sas, "?")
		if _, err := url.ParseQuery(a.sas); err != nil {
			return Account{}, fmt.Errorf("%w: SharedAccessSignature is not a valid query string", ErrConnectionString)
		}
		addSecret(a.sas)
		if q, _ := url.ParseQuery(a.sas); q.Get("sig") != "" {
			addSecret(q.Get("sig"))
			addSecret(url.QueryEscape(q.Get("sig")))
		}
	}
	return a, nil
}

func splitSettings(s string) (map[string]string, error) {
	settings := map[string]string{}
	for _, part := range strings.Split(s, ";") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		k, v, ok := strings.Cut(part, "=")
		k = strings.TrimSpace(k)
		if !ok || k == "" {
			return nil, fmt.Errorf("%w: expected Name=Value pairs separated by semicolons, such as AccountName=myaccount;AccountKey=...", ErrConnectionString)
		}
		lower := strings.ToLower(k)
		if _, dup := settings[lower]; dup {
			return nil, fmt.Errorf("%w: setting %s appears twice", ErrConnectionString, k)
		}
		settings[lower] = strings.TrimSpace(v)
	}
	if len(settings) == 0 {
		return nil, fmt.Errorf("%w: it is empty; set --connection-string or STORAGE_CONNECTION_STRING", ErrConnectionString)
	}
	return settings, nil
}

// accountFromEndpoint guesses the account name from a table endpoint:
// the first host label for the service URL form, or the first path segment
// for the emulator's path-style form.
func accountFromEndpoint(endpoint string) string {
	u, err := url.Parse(endpoint)
	if err != nil {
		return ""
	}
	if seg, _, _ := strings.Cut(strings.Trim(u.Path, "/"), "/"); seg != "" {
		return seg
	}
	host, _, _ := strings.Cut(u.Hostname(), ".")
	return host
}

var (
	secretsMu sync.RWMutex
	secrets   []string
)

func addSecret(s string) {
	if len(s) < 8 {
		return
	}
	secretsMu.Lock()
	defer secretsMu.Unlock()
	secrets = append(secrets, s)
	sort.Slice(secrets, func(i, j int) bool { return len(secrets[i]) > len(secrets[j]) })
}

// Redact replaces every account key and SAS token parsed so far in s with
// "[REDACTED]". main passes every message through it before printing, as a
// last line of defence; the code that builds messages already leaves
// secrets out.
func Redact(s string) string {
	secretsMu.RLock()
	defer secretsMu.RUnlock()
	for _, secret := range secrets {
		s = strings.ReplaceAll(s, secret, "[REDACTED]")
	}
	return s
}
