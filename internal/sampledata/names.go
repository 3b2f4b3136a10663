package sampledata

// Word lists for the generated people and organisations. Names include
// non-ASCII letters, CJK characters and apostrophes because real
// directories do, and each of them takes a different path through JSON
// escaping and UTF-16 length counting.

var firstNames = []string{
	"Zoë", "Søren", "José", "李", "O'Neil", "Amélie", "Björn", "Chloé",
	"Siobhán", "Đorđe", "Ingrid", "Aoife", "Mateo", "Priya", "Yusuf", "Hana",
	"Olivia", "Liam", "Emma", "Noah", "Ava", "Lucas", "Mia", "Ethan",
	"Sofia", "Oliver", "Isabella", "Elijah", "Charlotte", "James", "Amara",
	"Kenji", "Fatima", "Dmitri", "Ana", "Łukasz", "Renée", "Joaquín", "Ngozi",
	"陈", "さくら", "Ольга", "Ελένη",
}

var lastNames = []string{
	"O'Brien", "D'Angelo", "Müller", "García", "Øster", "王", "Kowalczyk",
	"Núñez", "van der Berg", "Smith-Jones", "Nguyễn", "Johansson", "Okafor",
	"Smith", "Johnson", "Williams", "Brown", "Jones", "Miller", "Davis",
	"Wilson", "Anderson", "Taylor", "Thomas", "Moore", "Martin", "Jackson",
	"Lee", "Patel", "Khan", "Tanaka", "Rossi", "Dubois", "Novák", "Çelik",
	"MacLeod", "O'Sullivan", "Fernández", "Schröder", "Иванова", "Παπαδόπουλος",
}

// asciiLocalParts maps the names that have no ASCII spelling to the
// romanised form used in e-mail addresses, because real users of those
// names mostly pick a romanised address.
var asciiLocalParts = map[string]string{
	"李": "li", "王": "wang", "陈": "chen", "さくら": "sakura",
	"Ольга": "olga", "Ελένη": "eleni", "Иванова": "ivanova", "Παπαδόπουλος": "papadopoulos",
}

var companyDomains = []string{
	"contoso.com", "fabrikam.io", "northwind.example", "adatum.co.uk",
	"tailspin.dev", "woodgrove.bank",
}

var consumerDomains = []string{
	"gmail.com", "outlook.com", "proton.me", "yahoo.co.jp", "web.de", "icloud.com",
}

// unicodeDomains are internationalised domains, written in Unicode as users
// type them.
var unicodeDomains = []string{"bücher.example", "münchen.example", "例え.jp"}

var departments = []string{
	"Engineering", "Sales", "Support", "Finance", "Légal", "R&D", "Marketing",
	"Operations", "People & Culture",
}

var locales = []string{"en-US", "en-GB", "de-DE", "fr-FR", "ja-JP", "da-DK", "es-ES", "zh-CN"}

var timeZones = []string{
	"Europe/Copenhagen", "America/New_York", "Asia/Tokyo", "Europe/Madrid",
	"America/Los_Angeles", "UTC", "Asia/Shanghai",
}

var roleNames = []struct{ name, description string }{
	{"admin", "Full access to the administration console"},
	{"user", "Default role of every signed-in user"},
	{"auditor", "Read-only access to audit logs and reports"},
	{"helpdesk", "Can reset passwords and unlock accounts"},
	{"billing-admin", "Manages invoices, plans and payment methods"},
	{"developer", "Registers clients and reads signing key metadata"},
	{"scim-operator", "Manages SCIM provisioning tokens"},
	{"support-tier-2", "Escalated support: impersonation with approval"},
}

var scopes = []string{
	"openid", "profile", "email", "offline_access", "roles", "phone", "address",
	"api.read", "api.write", "billing", "reports:read", "scim",
}

var userAgents = []string{
	"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36",
	"Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15",
	"Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148",
	"Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0",
}

// authenticatorNames are friendly names that users give their security keys
// and authenticator apps.
var authenticatorNames = []string{
	"YubiKey 5C", "iPhone", "Work laptop (Touch ID)", "Pixel 8", "Søren's key",
	"Authenticator app", "Backup key 🔑", "Windows Hello",
}

// aaguids identify authenticator models in WebAuthn attestation. They are
// made up, except the all-zero one, which authenticators send when they
// give no attestation.
var aaguids = []string{
	"3c1a5b0e-7f2d-4e8a-9b61-0d4c2e7f8a13",
	"a7e29c44-15b8-4d3f-8e02-6b9f1c3d5e70",
	"5f0b8d21-c6e4-47a9-b3d8-2e1f7a9c0b46",
	"00000000-0000-0000-0000-000000000000",
}
