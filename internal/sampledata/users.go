package sampledata

import (
	"fmt"
	"math"
	"strings"
	"time"
	"unicode"
)

// user is a generated user that later steps refer to.
type user struct {
	id string
	// prefix is SandboxPrefix for a sandbox user, otherwise empty. It
	// starts every PartitionKey of the user's rows.
	prefix string
}

// addUser writes one user's profile and every row that belongs to the
// user: e-mail lookup, external logins, external ids, grants, MFA
// credentials and challenges, and app provisioning records.
func (g *generator) addUser() {
	s := g.src
	u := user{id: s.hexID()}
	// Self-registered users get the 36-character GUID form. Users created
	// by an administrator or a directory sync get the 32-character form.
	if s.chance(0.3) {
		u.id = s.guid()
	}
	if s.chance(0.05) {
		u.prefix = SandboxPrefix
	}

	first, last := pick(s, firstNames), pick(s, lastNames)
	email := g.uniqueEmail(first, last)
	created := s.timeBefore(BaseTime, 3*365*24*time.Hour)
	mfa := s.chance(0.25)
	external := s.chance(0.4)

	g.addProfile(u, first, last, email, created, mfa, external)
	g.put("UserEmails", newEntity(u.prefix+upper(email), "lookup").
		String("UserId", u.id).
		String("Email", email))
	if external {
		for range s.between(1, 2) {
			g.addLogin(u, first, created)
		}
	}
	if s.chance(0.2) {
		g.addExternalID(u, created)
	}
	for range pick(s, []int{0, 1, 1, 2, 2, 2, 3, 3, 4, 5}) {
		g.addGrant(u)
	}
	if mfa {
		g.addMfaCredentials(u, created)
	}
	if s.chance(0.03) {
		g.addMfaChallenge(u)
	}
	if s.chance(0.25) {
		g.addProvisions(u, created)
	}
	g.users = append(g.users, u)
}

func (g *generator) addProfile(u user, first, last, email string, created time.Time, mfa, external bool) {
	s := g.src
	b := newEntity(u.prefix+u.id, "profile").
		String("Email", email).
		String("NormalizedEmail", upper(email)).
		Bool("EmailConfirmed", s.chance(0.9))
	// Half of the users who sign in through an external provider never
	// set a password.
	if !external || s.chance(0.5) {
		b.String("PasswordHash", "PBKDF2v1$"+base64Std(s.bytes(49)))
	}

	b.String("SecurityStamp", securityStamp(s)).
		String("FirstName", first).
		String("LastName", last)
	if s.chance(0.3) {
		b.String("DisplayName", first+" "+last)
	}
	if s.chance(0.4) {
		phone := fmt.Sprintf("+45 %02d %02d %02d %02d", s.between(20, 99), s.between(0, 99), s.between(0, 99), s.between(0, 99))
		b.String("PhoneNumber", phone).
			Bool("PhoneNumberConfirmed", s.chance(0.7))
	}

	failed := pick(s, []int32{0, 0, 0, 0, 0, 1, 2, 3, 5})
	b.Int32("AccessFailedCount", failed).
		Bool("LockoutEnabled", true)
	if failed >= 5 {
		b.DateTime("LockoutEnd", s.timeAfter(BaseTime, 15*time.Minute))
	}

	b.Bool("MfaEnabled", mfa).
		Bool("IsActive", s.chance(0.93)).
		JSON("RolesJson", g.userRoles()).
		JSON("CustomAttributesJson", customAttributes(s)).
		String("Locale", pick(s, locales)).
		String("TimeZone", pick(s, timeZones)).
		DateTime("CreatedAt", created).
		DateTime("UpdatedAt", s.timeAfter(created, BaseTime.Sub(created)))
	if s.chance(0.8) {
		b.DateTime("LastLoginAt", s.timeAfter(created, BaseTime.Sub(created)))
	}
	g.put("Users", b)
}

// securityStamp returns 32 characters of base32, the form ASP.NET Identity
// uses for security stamps.
func securityStamp(s *source) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
	var b strings.Builder
	for range 32 {
		b.WriteByte(alphabet[s.rng.IntN(len(alphabet))])
	}
	return b.String()
}

func (g *generator) userRoles() []string {
	roles := []string{"user"}
	for _, r := range g.roleNames {
		if r != "user" && g.src.chance(0.04) {
			roles = append(roles, r)
		}
	}
	return roles
}

func customAttributes(s *source) map[string]string {
	attrs := map[string]string{}
	if s.chance(0.2) {
		return attrs
	}
	attrs["department"] = pick(s, departments)
	attrs["employeeId"] = fmt.Sprintf("E%06d", s.between(1, 999999))
	if s.chance(0.3) {
		attrs["costCenter"] = fmt.Sprintf("CC-%04d", s.between(1, 9999))
	}
	if s.chance(0.05) {
		attrs["nickname"] = `"Bobby" Tables; DROP TABLE Users;--`
	}
	if s.chance(0.05) {
		attrs["note"] = "line one\nline two\ttabbed \\ backslash"
	}
	return attrs
}

// uniqueEmail returns an address no earlier user has, in one of the forms
// people use. Most are lower case ASCII. A few keep the accents of the name
// or use an internationalised domain, as SMTPUTF8 allows.
func (g *generator) uniqueEmail(first, last string) string {
	s := g.src
	var local, domain string
	switch {
	case s.chance(0.03):
		local = strings.ToLower(strings.ReplaceAll(first+"."+last, " ", ""))
		domain = pick(s, unicodeDomains)
	case s.chance(0.6):
		local = emailPart(first) + "." + emailPart(last)
		domain = pick(s, companyDomains)
	case s.chance(0.5):
		local = emailPart(first) + emailPart(last)
		if s.chance(0.3) {
			local += "+" + pick(s, []string{"work", "news", "auth"})
		}
		domain = pick(s, consumerDomains)
	default:
		local = emailPart(first)[:1] + "." + emailPart(last) + fmt.Sprint(s.between(1, 99))
		domain = pick(s, consumerDomains)
	}
	email := local + "@" + domain
	if s.chance(0.1) {
		email = capitalise(local) + "@" + domain
	}
	for n := 2; g.emails[upper(email)]; n++ {
		email = fmt.Sprintf("%s%d@%s", local, n, domain)
	}
	g.emails[upper(email)] = true
	return email
}

// asciiFold maps the accented letters of the name lists to ASCII.
var asciiFold = strings.NewReplacer(
	"ë", "e", "é", "e", "è", "e", "ễ", "e", "ø", "o", "ö", "o", "ó", "o",
	"å", "a", "á", "a", "ü", "u", "ú", "u", "ñ", "n", "í", "i", "ç", "c",
	"ł", "l", "đ", "d", "č", "c", "ğ", "g", "š", "s", "ž", "z", "á", "a",
)

// emailPart turns a name into the local part of an address: lower case
// ASCII letters, digits, apostrophes and hyphens. It never returns an
// empty string.
func emailPart(name string) string {
	if romanised, ok := asciiLocalParts[name]; ok {
		return romanised
	}
	folded := asciiFold.Replace(strings.ToLower(name))
	var b strings.Builder
	for _, r := range folded {
		if r < unicode.MaxASCII && (unicode.IsLetter(r) || unicode.IsDigit(r) || r == '\'' || r == '-') {
			b.WriteRune(r)
		}
	}
	if b.Len() == 0 {
		return "user"
	}
	return b.String()
}

func capitalise(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

func upper(s string) string {
	return strings.ToUpper(s)
}

// addLogin links the user to an external identity provider: a lookup row
// keyed by provider and subject, and the reverse row under the user.
func (g *generator) addLogin(u user, first string, created time.Time) {
	s := g.src
	c := pick(s, connections)
	var subject, nameID string
	switch {
	case c.id == "google":
		subject = fmt.Sprintf("10%019d", s.rng.Uint64()%1e19)
	case c.kind == "oidc":
		subject = s.guid()
	case s.chance(0.5):
		subject = "_" + s.hexID()
	default:
		nameID = emailPart(first)
		subject = nameID + "@" + c.domain
	}
	// Users who share a first name at one SAML provider would share an
	// e-mail name ID, but the lookup row is keyed by it, so it must be
	// unique. The random subjects of the other forms do not collide.
	login := c.kind + ":" + c.id + "|" + subject
	for n := 2; g.logins[login]; n++ {
		subject = fmt.Sprintf("%s%d@%s", nameID, n, c.domain)
		login = c.kind + ":" + c.id + "|" + subject
	}
	g.logins[login] = true
	linked := s.timeAfter(created, BaseTime.Sub(created))

	g.put("UserLogins", newEntity(u.prefix+login, "lookup").
		String("UserId", u.id).
		String("ConnectionId", c.id).
		String("ProviderDisplayName", c.name).
		DateTime("LinkedAt", linked))
	reverse := newEntity(u.prefix+u.id, "login|"+login).
		String("ConnectionId", c.id).
		String("Subject", subject).
		DateTime("LinkedAt", linked)
	if s.chance(0.7) {
		reverse.DateTime("LastUsedAt", s.timeBefore(BaseTime, 30*24*time.Hour))
	}
	g.put("UserLogins", reverse)
}

// addExternalID records the id under which a directory connector
// identifies the user.
func (g *generator) addExternalID(u user, created time.Time) {
	s := g.src
	clientID := pick(s, scimClientIDs)
	var externalID string
	switch clientID {
	case "hr-sync":
		externalID = fmt.Sprintf("E%06d", s.between(1, 999999))
	case "okta-scim":
		externalID = "00u" + s.token(12)
	default:
		externalID = s.guid()
	}
	g.put("UserExternalIds", newEntity(u.prefix+clientID+"|"+externalID, "lookup").
		String("UserId", u.id).
		String("ClientId", clientID).
		String("ExternalId", externalID).
		DateTime("CreatedAt", s.timeAfter(created, 24*time.Hour)))
}

// grantShapes are the persisted grant types with the chance of each and the
// span in which their creation and lifetime fall. A zero lifetime means the
// grant does not expire.
var grantShapes = []struct {
	grantType string
	weight    int
	age       time.Duration
	lifetime  time.Duration
}{
	{"refresh_token", 10, 30 * 24 * time.Hour, 30 * 24 * time.Hour},
	{"authorization_code", 2, 20 * time.Minute, 5 * time.Minute},
	{"reference_token", 3, 2 * time.Hour, time.Hour},
	{"user_consent", 4, 365 * 24 * time.Hour, 0},
	{"device_code", 1, 30 * time.Minute, 10 * time.Minute},
}

// addGrant writes one persisted grant and its two indexes: by subject, and
// by expiry day for the cleanup job.
func (g *generator) addGrant(u user) {
	s := g.src
	shape := grantShapes[0]
	total := 0
	for _, gs := range grantShapes {
		total += gs.weight
	}
	for n, i := s.rng.IntN(total), 0; i < len(grantShapes); i++ {
		if n < grantShapes[i].weight {
			shape = grantShapes[i]
			break
		}
		n -= grantShapes[i].weight
	}

	c := g.interactiveClient()
	key := s.token(32)
	hash := sha256Hex(key)
	created := s.timeBefore(BaseTime, shape.age)
	lifetime := shape.lifetime
	if shape.grantType == "user_consent" && s.chance(0.3) {
		lifetime = 365 * 24 * time.Hour
	}

	b := newEntity(u.prefix+hash, "grant").
		String("Key", key).
		String("Type", shape.grantType).
		String("ClientId", c.id).
		String("SubjectId", u.id)
	if shape.grantType != "user_consent" {
		b.String("SessionId", s.hexID()[:16])
	}
	b.JSON("Data", grantData(s, shape.grantType, c.id, u.id, created, lifetime)).
		DateTime("CreatedAt", created)
	if lifetime > 0 {
		b.DateTime("ExpiresAt", created.Add(lifetime))
	}
	if shape.grantType == "authorization_code" && s.chance(0.5) {
		b.DateTime("ConsumedAt", s.timeAfter(created, time.Minute))
	}
	g.put("Grants", b)

	bySubject := newEntity(u.prefix+u.id, shape.grantType+"|"+hash).
		String("ClientId", c.id).
		DateTime("CreatedAt", created)
	if lifetime > 0 {
		bySubject.DateTime("ExpiresAt", created.Add(lifetime))
	}
	g.put("GrantsBySubject", bySubject)

	if lifetime > 0 {
		expires := created.Add(lifetime)
		// Two shards per day, chosen by the hash, spread the cleanup
		// queries over two partitions.
		shard := strings.IndexByte("0123456789abcdef", hash[0]) % 2
		g.put("GrantsByExpiry", newEntity(fmt.Sprintf("%s%s_%d", u.prefix, expires.Format("2006-01-02"), shard), hash).
			String("Type", shape.grantType).
			String("SubjectId", u.id).
			DateTime("ExpiresAt", expires))
	}
}

// grantData returns the serialised grant, the JSON document Authagonal keeps
// in the Data property.
func grantData(s *source, grantType, clientID, subjectID string, created time.Time, lifetime time.Duration) map[string]any {
	data := map[string]any{
		"clientId":     clientID,
		"subjectId":    subjectID,
		"creationTime": formatDateTime(created),
		"scopes":       []string{"openid", "profile", pick(s, scopes)},
	}
	if lifetime > 0 {
		data["lifetime"] = int(lifetime / time.Second)
	}
	switch grantType {
	case "authorization_code":
		data["redirectUri"] = "https://portal-web.example.com/signin-oidc"
		data["codeChallenge"] = s.token(32)
		data["codeChallengeMethod"] = "S256"
		data["nonce"] = s.token(16)
	case "refresh_token":
		data["version"] = 4
		data["accessTokenClaims"] = map[string]any{"amr": []string{"pwd", "mfa"}, "auth_time": created.Unix()}
	case "device_code":
		data["userCode"] = fmt.Sprintf("%04d-%04d", s.between(0, 9999), s.between(0, 9999))
		data["isAuthorized"] = s.chance(0.5)
	}
	return data
}

// addMfaCredentials writes a TOTP authenticator, one or two WebAuthn keys
// or both, and sometimes recovery codes. WebAuthn keys also get a row in
// MfaWebAuthnIndex, keyed by credential id, for sign-in without a user
// name.
func (g *generator) addMfaCredentials(u user, created time.Time) {
	s := g.src
	if s.chance(0.6) {
		g.put("MfaCredentials", newEntity(u.prefix+u.id, "totp|"+s.hexID()).
			String("Type", "totp").
			String("Name", pick(s, authenticatorNames)).
			String("SecretProtected", base64Std(s.bytes(40))).
			Int32("Digits", 6).
			Int32("PeriodSeconds", 30).
			String("Algorithm", "SHA1").
			// The last accepted time step, kept to reject a replayed code.
			Int64("LastUsedTimeStep", BaseTime.Unix()/30-int64(s.between(0, 100000))).
			DateTime("CreatedAt", s.timeAfter(created, 24*time.Hour)))
	}
	for range s.between(0, 2) {
		g.addWebAuthnCredential(u, created)
	}
	if s.chance(0.3) {
		codes := make([]string, 10)
		for i := range codes {
			codes[i] = sha256Base64(s.token(8))
		}
		g.put("MfaCredentials", newEntity(u.prefix+u.id, "recovery").
			String("Type", "recovery_codes").
			JSON("CodeHashesJson", codes).
			Int32("RemainingCount", int32(s.between(3, 10))).
			DateTime("CreatedAt", s.timeAfter(created, 24*time.Hour)))
	}
}

func (g *generator) addWebAuthnCredential(u user, created time.Time) {
	s := g.src
	credentialID := s.token(s.between(16, 64))

	// The WebAuthn signature counter is an unsigned 32-bit number, which
	// needs an Edm.Int64 because it overflows an Int32. Some counts here go
	// beyond 2^32 as well, so that a lost high bit would show.
	var signCount int64
	switch {
	case s.chance(0.3):
		signCount = 0
	case s.chance(0.4):
		signCount = math.MaxUint32 + 1 + s.rng.Int64N(1<<40)
	default:
		signCount = s.rng.Int64N(5000)
	}

	rowKey := "webauthn|" + credentialID
	b := newEntity(u.prefix+u.id, rowKey).
		String("Type", "webauthn").
		String("Name", pick(s, authenticatorNames)).
		String("CredentialId", credentialID).
		// A COSE EC2 public key is 77 bytes.
		Binary("PublicKey", s.bytes(77)).
		Int64("SignCount", signCount).
		Guid("AaGuid", pick(s, aaguids)).
		Binary("UserHandle", s.bytes(16)).
		JSON("TransportsJson", pick(s, [][]string{{"usb"}, {"internal", "hybrid"}, {"nfc", "usb"}, {}})).
		Bool("BackupEligible", s.chance(0.5)).
		DateTime("CreatedAt", s.timeAfter(created, 24*time.Hour))
	if s.chance(0.7) {
		b.DateTime("LastUsedAt", s.timeBefore(BaseTime, 30*24*time.Hour))
	}
	g.put("MfaCredentials", b)

	g.put("MfaWebAuthnIndex", newEntity(u.prefix+credentialID, "lookup").
		String("UserId", u.id).
		String("CredentialRowKey", rowKey))
}

func (g *generator) addMfaChallenge(u user) {
	s := g.src
	created := s.timeBefore(BaseTime, 10*time.Minute)
	g.put("MfaChallenges", newEntity(u.prefix+s.hexID(), "challenge").
		String("UserId", u.id).
		String("Type", pick(s, []string{"webauthn.assertion", "totp", "email_otp"})).
		String("Challenge", s.token(32)).
		String("ClientId", g.interactiveClient().id).
		String("UserAgent", pick(s, userAgents)).
		Int32("Attempts", int32(s.between(0, 3))).
		DateTime("CreatedAt", created).
		DateTime("ExpiresAt", created.Add(5*time.Minute)))
}

// addProvisions records the apps that the user was provisioned into.
func (g *generator) addProvisions(u user, created time.Time) {
	s := g.src
	seen := map[string]bool{}
	for range s.between(1, 3) {
		c := pick(s, g.clients)
		if !c.provisioned || seen[c.id] {
			continue
		}
		seen[c.id] = true
		status := pick(s, []string{"provisioned", "provisioned", "provisioned", "pending", "failed", "deprovisioned"})
		provisioned := s.timeAfter(created, 24*time.Hour)
		b := newEntity(u.prefix+u.id, c.id).
			String("AppId", c.id).
			String("Status", status).
			Int32("Attempts", int32(s.between(1, 4))).
			DateTime("ProvisionedAt", provisioned).
			DateTime("LastSyncAt", s.timeBefore(BaseTime, 7*24*time.Hour))
		if status != "pending" && status != "failed" {
			b.String("ExternalUserId", s.guid())
		}
		if status == "failed" {
			b.String("LastError", `HTTP 409 from app: {"detail":"userName already exists","status":"409"}`)
		}
		g.put("UserProvisions", b)
	}
}
