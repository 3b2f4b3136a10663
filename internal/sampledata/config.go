package sampledata

import (
	"fmt"
	"strings"
	"time"
)

// client is an OAuth client that users get grants for.
type client struct {
	id          string
	interactive bool
	// provisioned clients are apps that users are provisioned into.
	provisioned bool
}

// connection is an external identity provider that users sign in with.
type connection struct {
	// kind is "oidc" or "saml", the prefix of the UserLogins keys.
	kind string
	id   string
	name string
	// domain is the e-mail domain routed to the connection, or empty for
	// a consumer provider.
	domain string
}

func (g *generator) addRoles() {
	s := g.src
	for _, r := range roleNames {
		created := s.timeBefore(BaseTime, 3*365*24*time.Hour)
		b := newEntity(s.hexID(), "role").
			String("Name", r.name).
			String("NormalizedName", upper(r.name)).
			String("Description", r.description).
			Bool("IsSystem", r.name == "admin" || r.name == "user").
			JSON("PermissionsJson", permissionsFor(r.name)).
			DateTime("CreatedAt", created)
		if s.chance(0.5) {
			b.DateTime("UpdatedAt", s.timeAfter(created, 90*24*time.Hour))
		}
		g.put("Roles", b)
		g.roleNames = append(g.roleNames, r.name)
	}
}

func permissionsFor(role string) []string {
	switch role {
	case "admin":
		return []string{"users:*", "clients:*", "keys:*", "audit:read", "settings:*"}
	case "user":
		return []string{}
	case "auditor":
		return []string{"audit:read", "reports:read"}
	case "helpdesk":
		return []string{"users:read", "users:reset-password", "users:unlock"}
	}
	return []string{role + ":*"}
}

// clientIDs are the fixed first-party clients. Tenant apps and machine
// clients are added after them.
var clientIDs = []struct {
	id          string
	name        string
	interactive bool
	provisioned bool
}{
	{"portal-web", "Customer Portal", true, false},
	{"admin-console", "Admin Console", true, false},
	{"mobile-ios", "Authagonal for iOS", true, false},
	{"mobile-android", "Authagonal for Android", true, false},
	{"cli", "Command-line tool", true, false},
	{"support-desk", "Support Desk", true, true},
	{"partner-portal", "Partner Portal — Ålborg & Co", true, true},
	{"billing-api", "Billing API", false, false},
	{"reports-service", "Reports Service", false, false},
	{"hr-sync", "HR Directory Sync", false, true},
}

func (g *generator) addClients() {
	for _, c := range clientIDs {
		g.addClient(c.id, c.name, c.interactive, c.provisioned)
	}
	for i := 1; i <= 12; i++ {
		g.addClient(fmt.Sprintf("m2m-worker-%02d", i), fmt.Sprintf("Worker %d", i), false, false)
	}
	for range 12 {
		id := "tenant-app-" + g.src.hexID()[:8]
		g.addClient(id, "Tenant app "+id[len(id)-4:], true, g.src.chance(0.5))
	}
	// The sandbox environment has copies of the main apps.
	for _, id := range []string{"portal-web", "mobile-ios"} {
		g.addClient(SandboxPrefix+id, "Sandbox "+id, true, false)
	}
}

// addClient writes one Clients row with about 30 properties, the shape of an
// Authagonal client configuration.
func (g *generator) addClient(id, name string, interactive, provisioned bool) {
	s := g.src
	created := s.timeBefore(BaseTime, 2*365*24*time.Hour)
	host := fmt.Sprintf("https://%s.example.com", id)
	if strings.HasPrefix(id, SandboxPrefix) {
		host = "https://sandbox.example.com"
	}

	grantTypes := []string{"client_credentials"}
	if interactive {
		grantTypes = []string{"authorization_code", "refresh_token"}
		if s.chance(0.2) {
			grantTypes = append(grantTypes, "urn:ietf:params:oauth:grant-type:device_code")
		}
	}
	confidential := !interactive || s.chance(0.4)
	clientType := "public"
	if confidential {
		clientType = "confidential"
	}

	b := newEntity(id, "config").
		String("ClientId", id).
		String("ClientName", name).
		String("Description", fmt.Sprintf("%s (owner: team %s)", name, pick(s, departments))).
		Bool("Enabled", s.chance(0.95)).
		String("ClientType", clientType).
		Bool("RequireClientSecret", confidential).
		Bool("RequirePkce", interactive).
		Bool("AllowPlainTextPkce", false).
		Bool("AllowOfflineAccess", interactive).
		Bool("RequireConsent", interactive && s.chance(0.3)).
		Bool("AllowRememberConsent", true).
		Bool("AlwaysIncludeUserClaimsInIdToken", s.chance(0.2)).
		Bool("AllowAccessTokensViaBrowser", false).
		Int32("AccessTokenLifetime", int32(pick(s, []int{300, 900, 3600, 3600, 7200}))).
		Int32("IdentityTokenLifetime", 300).
		Int32("AuthorizationCodeLifetime", 300).
		Int32("AbsoluteRefreshTokenLifetime", 2592000).
		Int32("SlidingRefreshTokenLifetime", 1296000).
		Int32("RefreshTokenUsage", int32(s.between(0, 1))).
		Int32("RefreshTokenExpiration", int32(s.between(0, 1))).
		Int32("AccessTokenType", int32(s.between(0, 1))).
		JSON("AllowedGrantTypesJson", grantTypes).
		JSON("AllowedScopesJson", g.scopeSubset()).
		JSON("AllowedCorsOriginsJson", []string{host})
	if confidential {
		b.JSON("ClientSecretsJson", g.clientSecrets(created))
	}
	if interactive {
		b.JSON("RedirectUrisJson", []string{host + "/signin-oidc", host + "/callback?from=login&lang=da"}).
			JSON("PostLogoutRedirectUrisJson", []string{host + "/"}).
			String("ClientUri", host)
		if s.chance(0.5) {
			b.String("LogoUri", host+"/logo.svg")
		}
		if s.chance(0.3) {
			b.String("FrontChannelLogoutUri", host+"/signout-oidc")
		}
	}
	if s.chance(0.3) {
		b.String("BackChannelLogoutUri", host+"/bff/backchannel")
	}
	b.Bool("ProvisioningEnabled", provisioned).
		DateTime("CreatedAt", created).
		DateTime("UpdatedAt", s.timeAfter(created, 200*24*time.Hour))

	g.put("Clients", b)
	g.clients = append(g.clients, client{id: id, interactive: interactive, provisioned: provisioned})
}

func (g *generator) scopeSubset() []string {
	var out []string
	for _, scope := range scopes {
		if scope == "openid" || g.src.chance(0.4) {
			out = append(out, scope)
		}
	}
	return out
}

type clientSecret struct {
	Type        string `json:"type"`
	Value       string `json:"value"`
	Description string `json:"description,omitempty"`
	Expiration  string `json:"expiration,omitempty"`
}

// clientSecrets returns one or two secret hashes, as a client rotates
// its secret. The hashes are SHA-256 of random bytes, never a real secret.
func (g *generator) clientSecrets(created time.Time) []clientSecret {
	s := g.src
	secrets := []clientSecret{{Type: "SharedSecret", Value: sha256Base64(s.token(32)), Description: "primary"}}
	if s.chance(0.3) {
		secrets = append(secrets, clientSecret{
			Type: "SharedSecret", Value: sha256Base64(s.token(32)), Description: "rotation — \"next\"",
			Expiration: formatDateTime(s.timeAfter(created, 365*24*time.Hour)),
		})
	}
	return secrets
}

// interactiveClient returns a client that users sign in to.
func (g *generator) interactiveClient() client {
	for {
		c := pick(g.src, g.clients)
		if c.interactive {
			return c
		}
	}
}

var connections = []connection{
	{"oidc", "google", "Google", ""},
	{"oidc", "entra-contoso", "Contoso (Microsoft Entra ID)", "contoso.com"},
	{"oidc", "okta-fabrikam", "Fabrikam Okta", "fabrikam.io"},
	{"saml", "adfs-adatum", "Adatum AD FS", "adatum.co.uk"},
	{"saml", "saml-northwind", "Northwind SAML", "northwind.example"},
	{"saml", "shib-woodgrove", "Woodgrove Shibboleth", "woodgrove.bank"},
}

// addIdentityProviders writes the SAML and OIDC connections and the SSO
// domains that route to them.
func (g *generator) addIdentityProviders() {
	for _, c := range connections {
		if c.kind == "saml" {
			g.samlProvider(c)
		} else {
			g.oidcProvider(c)
		}
		if c.domain == "" {
			continue
		}
		g.put("SsoDomains", newEntity(c.domain, "config").
			String("Domain", c.domain).
			String("ProviderType", c.kind).
			String("ConnectionId", c.id).
			Bool("Enabled", true).
			Bool("AutoProvision", g.src.chance(0.5)).
			JSON("DefaultRolesJson", []string{"user"}).
			DateTime("CreatedAt", g.src.timeBefore(BaseTime, 400*24*time.Hour)))
	}
}

func (g *generator) samlProvider(c connection) {
	s := g.src
	created := s.timeBefore(BaseTime, 400*24*time.Hour)
	b := newEntity(c.id, "config").
		String("ConnectionId", c.id).
		String("DisplayName", c.name).
		String("EntityId", "https://auth.example.com/saml/"+c.id).
		String("IdpEntityId", "https://idp."+c.domain+"/adfs/services/trust").
		String("SsoUrl", "https://idp."+c.domain+"/adfs/ls/").
		String("MetadataUrl", "https://idp."+c.domain+"/FederationMetadata/2007-06/FederationMetadata.xml").
		// A DER certificate is about 800 bytes. These are random bytes of
		// that size, not a parseable certificate.
		String("SigningCertificate", base64Std(s.bytes(s.between(760, 900)))).
		Bool("SignAuthnRequests", s.chance(0.5)).
		Bool("WantAssertionsSigned", true).
		String("NameIdFormat", "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress").
		JSON("AllowedDomainsJson", []string{c.domain}).
		JSON("AttributeMappingsJson", map[string]string{
			"http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname": "FirstName",
			"http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname":   "LastName",
			"department": "CustomAttributes.department",
		}).
		Bool("Enabled", true).
		DateTime("CreatedAt", created)
	if s.chance(0.5) {
		b.String("SloUrl", "https://idp."+c.domain+"/adfs/ls/?wa=wsignout1.0")
	}
	g.put("SamlProviders", b)
}

func (g *generator) oidcProvider(c connection) {
	s := g.src
	authority := "https://accounts.google.com"
	if c.domain != "" {
		authority = "https://login." + c.domain + "/" + s.guid() + "/v2.0"
	}
	g.put("OidcProviders", newEntity(c.id, "config").
		String("ConnectionId", c.id).
		String("DisplayName", c.name).
		String("Authority", authority).
		String("MetadataUrl", authority+"/.well-known/openid-configuration").
		String("ClientId", s.guid()).
		String("ClientSecret", s.token(30)).
		String("ResponseType", "code").
		Bool("UsePkce", true).
		JSON("ScopesJson", []string{"openid", "profile", "email"}).
		JSON("AllowedDomainsJson", nonEmpty(c.domain)).
		JSON("ClaimMappingsJson", map[string]string{"given_name": "FirstName", "family_name": "LastName"}).
		Bool("Enabled", true).
		DateTime("CreatedAt", s.timeBefore(BaseTime, 400*24*time.Hour)))
}

func nonEmpty(values ...string) []string {
	out := []string{}
	for _, v := range values {
		if v != "" {
			out = append(out, v)
		}
	}
	return out
}

// scimClientIDs are the directory connectors that provision users and
// groups over SCIM.
var scimClientIDs = []string{"hr-sync", "okta-scim", "entra-scim"}

func (g *generator) addScimTokens() {
	s := g.src
	for _, clientID := range scimClientIDs {
		for i := range s.between(1, 3) {
			created := s.timeBefore(BaseTime, 300*24*time.Hour)
			b := newEntity(clientID, s.hexID()).
				String("ClientId", clientID).
				String("TokenHash", sha256Base64(s.token(32))).
				String("Description", fmt.Sprintf("%s token #%d", clientID, i+1)).
				Bool("IsRevoked", i > 0 && s.chance(0.5)).
				DateTime("CreatedAt", created)
			if s.chance(0.6) {
				b.DateTime("ExpiresAt", s.timeAfter(BaseTime, 365*24*time.Hour))
			}
			if s.chance(0.7) {
				b.DateTime("LastUsedAt", s.timeBefore(BaseTime, 7*24*time.Hour))
			}
			g.put("ScimTokens", b)
		}
	}
}

// maxGroupMembers caps the member list of one SCIM group. Each member adds
// 35 characters to MembersJson, so 800 members stay under the service's
// limit of 32,768 UTF-16 characters for one string property.
const maxGroupMembers = 800

var groupNames = []string{"All Staff", "Engineering", "Sales — EMEA", "Support", "Admins", "Contractors"}

// addScimGroups writes the groups of each SCIM client with members drawn from
// the users. The first group of the first client is the largest property
// of the data set.
func (g *generator) addScimGroups() {
	s := g.src
	for ci, clientID := range scimClientIDs {
		for gi, name := range groupNames {
			var members []string
			for _, u := range g.users {
				if len(members) == maxGroupMembers {
					break
				}
				if u.prefix == "" && ((ci == 0 && gi == 0) || s.chance(0.05)) {
					members = append(members, u.id)
				}
			}
			externalID := s.guid()
			groupID := s.hexID()
			created := s.timeBefore(BaseTime, 300*24*time.Hour)
			g.put("ScimGroups", newEntity(groupID, "group").
				String("ClientId", clientID).
				String("DisplayName", name).
				String("ExternalId", externalID).
				JSON("MembersJson", members).
				Int32("MemberCount", int32(len(members))).
				DateTime("CreatedAt", created).
				DateTime("UpdatedAt", s.timeAfter(created, 30*24*time.Hour)))
			g.put("ScimGroupExternalIds", newEntity(clientID+"|"+externalID, "lookup").
				String("GroupId", groupID).
				String("ClientId", clientID))
		}
	}
}

// addSigningKeys writes an active and a retired RSA key, the next RSA key and
// an EC key. The key material is random bytes in the shape of a JWK, not a
// usable key.
func (g *generator) addSigningKeys() {
	s := g.src
	keys := []struct {
		alg, status string
		age         time.Duration
	}{
		{"RS256", "retired", 200 * 24 * time.Hour},
		{"RS256", "active", 80 * 24 * time.Hour},
		{"RS256", "next", 2 * 24 * time.Hour},
		{"ES256", "active", 80 * 24 * time.Hour},
	}
	for _, k := range keys {
		kid := s.token(12)
		created := BaseTime.Add(-k.age)
		b := newEntity("keys", kid).
			String("KeyId", kid).
			String("Algorithm", k.alg).
			String("Use", "sig").
			String("Status", k.status).
			Bool("IsActive", k.status == "active").
			String("KeyMaterialJson", string(marshalJSON(g.jwk(kid, k.alg)))).
			DateTime("CreatedAt", created).
			DateTime("NotBefore", created).
			DateTime("ExpiresAt", created.Add(365*24*time.Hour))
		if k.status == "retired" {
			b.DateTime("RetiredAt", created.Add(120*24*time.Hour))
		}
		g.put("SigningKeys", b)
	}
}

// jwk returns a private JWK with members of the right sizes for alg.
func (g *generator) jwk(kid, alg string) map[string]string {
	s := g.src
	if alg == "ES256" {
		return map[string]string{
			"kty": "EC", "crv": "P-256", "kid": kid, "alg": alg, "use": "sig",
			"x": s.token(32), "y": s.token(32), "d": s.token(32),
		}
	}
	return map[string]string{
		"kty": "RSA", "kid": kid, "alg": alg, "use": "sig", "e": "AQAB",
		"n": s.token(256), "d": s.token(256),
		"p": s.token(128), "q": s.token(128),
		"dp": s.token(128), "dq": s.token(128), "qi": s.token(128),
	}
}

// addTransientRows writes a few rows of SamlReplayCache and OidcStateStore,
// the short-lived protocol state.
func (g *generator) addTransientRows() {
	s := g.src
	for range 5 {
		g.put("SamlReplayCache", newEntity("_"+s.guid(), "replay").
			String("ConnectionId", pick(s, []string{"adfs-adatum", "saml-northwind"})).
			DateTime("ReceivedAt", s.timeBefore(BaseTime, 5*time.Minute)).
			DateTime("ExpiresAt", s.timeAfter(BaseTime, 10*time.Minute)))
	}
	for range 6 {
		state := s.token(32)
		g.put("OidcStateStore", newEntity(state, "state").
			JSON("Data", map[string]string{
				"connectionId": pick(s, []string{"google", "entra-contoso", "okta-fabrikam"}),
				"nonce":        s.token(16),
				"codeVerifier": s.token(32),
				"returnUrl":    "/connect/authorize/callback?client_id=portal-web&scope=openid%20profile&state=" + s.token(8),
			}).
			DateTime("CreatedAt", s.timeBefore(BaseTime, 5*time.Minute)).
			DateTime("ExpiresAt", s.timeAfter(BaseTime, 15*time.Minute)))
	}
}
