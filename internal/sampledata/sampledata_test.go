package sampledata

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"math"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/authagonal/authagonal-tables/entity"
	"github.com/authagonal/authagonal-tables/tables"
)

// smallSet is shared by the tests that only inspect a data set, so that
// each does not generate its own.
var smallSet = Generate(Options{Users: 300, Seed: 7})

func TestGenerateLinesParse(t *testing.T) {
	for table, entities := range smallSet {
		for _, e := range entities {
			line := e.AppendLine(nil)
			parsed, err := entity.Parse(line)
			if err != nil {
				t.Errorf("table %s: entity.Parse rejected a generated line: %v\n%.300s", table, err, line)
				continue
			}
			if !reflect.DeepEqual(parsed, e) {
				t.Errorf("table %s: %s: parsed line differs from the generated entity\n%.300s", table, e.Key(), line)
			}
		}
	}
}

func TestGenerateDeterministic(t *testing.T) {
	first := lines(Generate(Options{Users: 200, Seed: 42}))
	second := lines(Generate(Options{Users: 200, Seed: 42}))
	other := lines(Generate(Options{Users: 200, Seed: 43}))

	if !bytes.Equal(first, second) {
		t.Error("two data sets generated with seed 42 differ")
	}
	if bytes.Equal(first, other) {
		t.Error("seeds 42 and 43 generated the same data set")
	}
}

// lines returns every entity of set as a line, tables in Tables order.
func lines(set map[string][]*entity.Entity) []byte {
	var buf []byte
	for _, table := range Tables() {
		for _, e := range set[table] {
			buf = append(buf, table...)
			buf = append(buf, ' ')
			buf = e.AppendLine(buf)
			buf = append(buf, '\n')
		}
	}
	return buf
}

func TestGenerateDefaultSize(t *testing.T) {
	set := Generate(Options{})

	if n := len(set["Users"]); n != DefaultUsers {
		t.Errorf("Users has %d entities, expected DefaultUsers = %d", n, DefaultUsers)
	}
	if n := Count(set); n < 18_000 || n > 22_000 {
		t.Errorf("default data set has %d entities, expected about 20,000", n)
	}
}

func TestGenerateTables(t *testing.T) {
	set := Generate(Options{Users: 50})

	for _, name := range Tables() {
		if err := tables.ValidateName(name); err != nil {
			t.Errorf("table name: %v", err)
		}
		if len(set[name]) == 0 {
			t.Errorf("table %s is empty", name)
		}
	}
	if len(set) != len(Tables()) {
		t.Errorf("Generate returned %d tables, Tables lists %d", len(set), len(Tables()))
	}
	if n := len(set["Users"]); n != 50 {
		t.Errorf("Users has %d entities for Options.Users = 50", n)
	}
}

func TestGenerateKeys(t *testing.T) {
	for table, entities := range smallSet {
		seen := make(map[entity.Key]bool)
		for _, e := range entities {
			if seen[e.Key()] {
				t.Errorf("table %s: duplicate key %s", table, e.Key())
			}
			seen[e.Key()] = true
			if err := e.Key().CheckWritable(); err != nil {
				t.Errorf("table %s: %v", table, err)
			}
		}
	}
}

// The limits checked are those of Azure Table Storage. An entity has at
// most 1 MiB and 252 properties, a string at most 32,768 UTF-16 code
// units, a binary value at most 64 KiB and a property name at most 255
// characters. Azurite 3.35.0 measures the entity size on the JSON body
// instead, so both measures are checked.
func TestGenerateWithinServiceLimits(t *testing.T) {
	for table, entities := range smallSet {
		for _, e := range entities {
			if n := azureEntitySize(t, e); n > 1<<20 {
				t.Errorf("table %s: %s: %d bytes by Azure's count, more than 1 MiB", table, e.Key(), n)
			}
			if n := len(e.AppendWireBody(nil)); n > 1<<20 {
				t.Errorf("table %s: %s: JSON body of %d bytes, more than 1 MiB", table, e.Key(), n)
			}
			if n := len(e.Properties); n > MaxProperties {
				t.Errorf("table %s: %s: %d properties, more than %d", table, e.Key(), n, MaxProperties)
			}
			for _, p := range e.Properties {
				checkPropertyLimits(t, table, e.Key(), p)
			}
		}
	}
}

func checkPropertyLimits(t *testing.T, table string, key entity.Key, p entity.Property) {
	t.Helper()
	if len([]rune(p.Name)) > MaxPropertyNameLength {
		t.Errorf("table %s: %s: property name of %d characters", table, key, len([]rune(p.Name)))
	}
	switch p.Type {
	case entity.String:
		if n := utf16Units(t, p.Value); n > MaxStringUnits {
			t.Errorf("table %s: %s: property %s has %d UTF-16 code units, more than %d", table, key, p.Name, n, MaxStringUnits)
		}
	case entity.Binary:
		if n := len(decodeBinary(t, p.Value)); n > MaxBinaryBytes {
			t.Errorf("table %s: %s: property %s has %d bytes, more than %d", table, key, p.Name, n, MaxBinaryBytes)
		}
	}
}

// azureEntitySize returns an entity's size as Azure counts it: 4 bytes,
// plus 2 bytes per UTF-16 code unit of each key, plus for each property 8
// bytes, 2 bytes per character of its name and the size of its value.
func azureEntitySize(t *testing.T, e *entity.Entity) int {
	size := 4 + 2*len(utf16.Encode([]rune(e.PartitionKey))) + 2*len(utf16.Encode([]rune(e.RowKey)))
	for _, p := range e.Properties {
		size += 8 + 2*len(utf16.Encode([]rune(p.Name)))
		switch p.Type {
		case entity.String:
			size += 4 + 2*utf16Units(t, p.Value)
		case entity.Binary:
			size += 4 + len(decodeBinary(t, p.Value))
		case entity.Boolean:
			size++
		case entity.Int32:
			size += 4
		case entity.Guid:
			size += 16
		default: // Int64, Double, DateTime
			size += 8
		}
	}
	return size
}

func utf16Units(t *testing.T, raw json.RawMessage) int {
	t.Helper()
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		t.Fatalf("decode string %.60s: %v", raw, err)
	}
	return len(utf16.Encode([]rune(s)))
}

func decodeBinary(t *testing.T, raw json.RawMessage) []byte {
	t.Helper()
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		t.Fatalf("decode binary %.60s: %v", raw, err)
	}
	b, err := base64.StdEncoding.Strict().DecodeString(s)
	if err != nil {
		t.Fatalf("binary %.60s is not standard padded base64: %v", raw, err)
	}
	return b
}

var dateTimePattern = regexp.MustCompile(`^"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{7}Z"$`)

func TestGenerateDateTimesHaveSevenDigits(t *testing.T) {
	for table, entities := range smallSet {
		for _, e := range entities {
			for _, p := range e.Properties {
				if p.Type == entity.DateTime && !dateTimePattern.Match(p.Value) {
					t.Errorf("table %s: %s: property %s is %s, expected 7 fractional digits", table, e.Key(), p.Name, p.Value)
				}
			}
		}
	}
}

func TestEdmTypesCoversAllTypes(t *testing.T) {
	found := make(map[string]bool)
	for _, e := range smallSet[EdmTypes] {
		for _, p := range e.Properties {
			found[p.Type] = true
		}
	}
	for _, typ := range []string{
		entity.String, entity.Int32, entity.Int64, entity.Double,
		entity.Boolean, entity.DateTime, entity.Guid, entity.Binary,
	} {
		if !found[typ] {
			t.Errorf("EdmTypes has no %s property", typ)
		}
	}
}

// TestEdmTypesLines checks the exact line of the edge values whose
// encoding a backup must keep byte for byte.
func TestEdmTypesLines(t *testing.T) {
	tests := []struct{ partitionKey, rowKey, line string }{
		{"int64", "min", `{"PartitionKey":"int64","RowKey":"min","Value@odata.type":"Edm.Int64","Value":"-9223372036854775808"}`},
		{"int64", "max", `{"PartitionKey":"int64","RowKey":"max","Value@odata.type":"Edm.Int64","Value":"9223372036854775807"}`},
		{"int64", "2^53+1", `{"PartitionKey":"int64","RowKey":"2^53+1","Value@odata.type":"Edm.Int64","Value":"9007199254740993"}`},
		{"int64", "fits-int32", `{"PartitionKey":"int64","RowKey":"fits-int32","Value@odata.type":"Edm.Int64","Value":"42"}`},
		{"int32", "max", `{"PartitionKey":"int32","RowKey":"max","Value":2147483647}`},
		{"double", "integral", `{"PartitionKey":"double","RowKey":"integral","Value@odata.type":"Edm.Double","Value":5.0}`},
		{"double", "NaN", `{"PartitionKey":"double","RowKey":"NaN","Value@odata.type":"Edm.Double","Value":"NaN"}`},
		{"double", "Infinity", `{"PartitionKey":"double","RowKey":"Infinity","Value@odata.type":"Edm.Double","Value":"Infinity"}`},
		{"double", "-Infinity", `{"PartitionKey":"double","RowKey":"-Infinity","Value@odata.type":"Edm.Double","Value":"-Infinity"}`},
		{"datetime", "precise", `{"PartitionKey":"datetime","RowKey":"precise","Value@odata.type":"Edm.DateTime","Value":"2013-08-02T17:37:43.0090043Z"}`},
		{"guid", "zero", `{"PartitionKey":"guid","RowKey":"zero","Value@odata.type":"Edm.Guid","Value":"00000000-0000-0000-0000-000000000000"}`},
		{"binary", "one-zero-byte", `{"PartitionKey":"binary","RowKey":"one-zero-byte","Value@odata.type":"Edm.Binary","Value":"AA=="}`},
		{"boolean", "true", `{"PartitionKey":"boolean","RowKey":"true","Value":true}`},
		{"string", "date-like", `{"PartitionKey":"string","RowKey":"date-like","Value":"2026-03-29T12:00:00Z"}`},
		{"string", "number-like", `{"PartitionKey":"string","RowKey":"number-like","Value":"0123"}`},
		{"string", "bool-like", `{"PartitionKey":"string","RowKey":"bool-like","Value":"true"}`},
	}
	for _, tt := range tests {
		t.Run(tt.partitionKey+"/"+tt.rowKey, func(t *testing.T) {
			e := find(t, smallSet[EdmTypes], tt.partitionKey, tt.rowKey)
			if got := string(e.AppendLine(nil)); got != tt.line {
				t.Errorf("line\n got %s\nwant %s", got, tt.line)
			}
		})
	}
}

func TestEdmTypesLimits(t *testing.T) {
	maxString := find(t, smallSet[EdmTypes], "string", "max-length")
	if n := utf16Units(t, maxString.Properties[0].Value); n != MaxStringUnits {
		t.Errorf("string/max-length has %d UTF-16 code units, expected %d", n, MaxStringUnits)
	}

	maxBinary := find(t, smallSet[EdmTypes], "binary", "max-size")
	if n := len(decodeBinary(t, maxBinary.Properties[0].Value)); n != MaxBinaryBytes {
		t.Errorf("binary/max-size has %d bytes, expected %d", n, MaxBinaryBytes)
	}

	wide := find(t, smallSet[EdmTypes], "mixed", "max-properties")
	if n := len(wide.Properties); n != MaxProperties {
		t.Errorf("mixed/max-properties has %d properties, expected %d", n, MaxProperties)
	}

	longKey := find(t, smallSet[EdmTypes], "keys", strings.Repeat("k", entity.MaxKeyBytes/2))
	if err := longKey.Key().CheckWritable(); err != nil {
		t.Errorf("longest key: %v", err)
	}
}

func find(t *testing.T, entities []*entity.Entity, partitionKey, rowKey string) *entity.Entity {
	t.Helper()
	for _, e := range entities {
		if e.PartitionKey == partitionKey && e.RowKey == rowKey {
			return e
		}
	}
	t.Fatalf("no entity with PartitionKey %q, RowKey %q", partitionKey, rowKey)
	return nil
}

var (
	hexUserID  = regexp.MustCompile(`^[0-9a-f]{32}$`)
	guidUserID = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)
)

func TestUsersShape(t *testing.T) {
	var hexIDs, guidIDs, sandbox, nonASCII, apostrophes, withLogin, withoutLogin, withoutPassword int
	for _, e := range smallSet["Users"] {
		id, inSandbox := strings.CutPrefix(e.PartitionKey, SandboxPrefix)
		switch {
		case hexUserID.MatchString(id):
			hexIDs++
		case guidUserID.MatchString(id):
			guidIDs++
		default:
			t.Errorf("user id %q is neither 32 hex digits nor a GUID", id)
		}
		if inSandbox {
			sandbox++
		}
		if e.RowKey != "profile" {
			t.Errorf("user %s has RowKey %q, expected \"profile\"", id, e.RowKey)
		}

		email, normalized := stringProperty(e, "Email"), stringProperty(e, "NormalizedEmail")
		if normalized != strings.ToUpper(email) {
			t.Errorf("user %s: NormalizedEmail %q is not the upper case of Email %q", id, normalized, email)
		}
		if hash, ok := e.Property("PasswordHash"); !ok {
			withoutPassword++
		} else if !strings.HasPrefix(stringValue(hash), "PBKDF2v1$") {
			t.Errorf("user %s: PasswordHash %s lacks the PBKDF2v1$ prefix", id, hash.Value)
		}
		name := stringProperty(e, "FirstName") + stringProperty(e, "LastName")
		if strings.ContainsFunc(name, func(r rune) bool { return r > 0x7f }) {
			nonASCII++
		}
		if strings.Contains(name, "'") {
			apostrophes++
		}
		if _, ok := e.Property("LastLoginAt"); ok {
			withLogin++
		} else {
			withoutLogin++
		}
		if failed, _ := e.Property("AccessFailedCount"); failed.Type != entity.Int32 {
			t.Errorf("user %s: AccessFailedCount is %s, expected Edm.Int32", id, failed.Type)
		}
		for _, name := range []string{"RolesJson", "CustomAttributesJson"} {
			if !json.Valid([]byte(stringProperty(e, name))) {
				t.Errorf("user %s: %s is not JSON: %s", id, name, stringProperty(e, name))
			}
		}
	}

	counts := map[string]int{
		"users with a 32-digit id": hexIDs, "users with a GUID id": guidIDs,
		"sandbox users": sandbox, "users with a non-ASCII name": nonASCII,
		"users with an apostrophe in the name": apostrophes, "users without a password": withoutPassword,
		"users with LastLoginAt": withLogin, "users without LastLoginAt": withoutLogin,
	}
	for what, n := range counts {
		if n == 0 {
			t.Errorf("no %s among %d users", what, len(smallSet["Users"]))
		}
	}
}

// TestSandboxRowsArePrefixed checks that every row that names a sandbox
// user, in any table, has a PartitionKey with the sandbox prefix.
func TestSandboxRowsArePrefixed(t *testing.T) {
	sandboxUsers := make(map[string]bool)
	for _, e := range smallSet["Users"] {
		if id, ok := strings.CutPrefix(e.PartitionKey, SandboxPrefix); ok {
			sandboxUsers[id] = true
		}
	}
	for table, entities := range smallSet {
		for _, e := range entities {
			for _, name := range []string{"UserId", "SubjectId"} {
				if sandboxUsers[stringProperty(e, name)] && !strings.HasPrefix(e.PartitionKey, SandboxPrefix) {
					t.Errorf("table %s: %s belongs to sandbox user %s but lacks the prefix %q", table, e.Key(), stringProperty(e, name), SandboxPrefix)
				}
			}
		}
	}
}

var expiryPartition = regexp.MustCompile(`^(sandbox-1\|)?\d{4}-\d{2}-\d{2}_[01]$`)

func TestGrantsShape(t *testing.T) {
	for _, e := range smallSet["Grants"] {
		hash := strings.TrimPrefix(e.PartitionKey, SandboxPrefix)
		if want := sha256Hex(stringProperty(e, "Key")); hash != want {
			t.Errorf("grant %s: PartitionKey is not the SHA-256 of Key, expected %s", e.PartitionKey, want)
		}
		if !json.Valid([]byte(stringProperty(e, "Data"))) {
			t.Errorf("grant %s: Data is not JSON", e.PartitionKey)
		}
	}
	for _, e := range smallSet["GrantsByExpiry"] {
		if !expiryPartition.MatchString(e.PartitionKey) {
			t.Errorf("GrantsByExpiry PartitionKey %q, expected yyyy-MM-dd_0 or yyyy-MM-dd_1", e.PartitionKey)
		}
	}
	if a, b := len(smallSet["Grants"]), len(smallSet["GrantsBySubject"]); a != b {
		t.Errorf("%d grants but %d GrantsBySubject rows", a, b)
	}
}

func TestSignCountBeyond32Bits(t *testing.T) {
	large := 0
	for _, e := range smallSet["MfaCredentials"] {
		p, ok := e.Property("SignCount")
		if !ok {
			continue
		}
		if p.Type != entity.Int64 {
			t.Errorf("%s: SignCount is %s, expected Edm.Int64", e.Key(), p.Type)
		}
		n, err := strconv.ParseInt(stringValue(p), 10, 64)
		if err != nil {
			t.Errorf("%s: SignCount %s: %v", e.Key(), p.Value, err)
		}
		if n > math.MaxUint32 {
			large++
		}
	}
	if large == 0 {
		t.Error("no SignCount above 2^32")
	}
}

func stringProperty(e *entity.Entity, name string) string {
	p, ok := e.Property(name)
	if !ok {
		return ""
	}
	return stringValue(p)
}

func stringValue(p entity.Property) string {
	var s string
	_ = json.Unmarshal(p.Value, &s)
	return s
}

func TestFormatDouble(t *testing.T) {
	tests := []struct {
		value float64
		want  string
	}{
		{5, "5.0"},
		{0, "0.0"},
		{math.Copysign(0, -1), "-0.0"},
		{0.1, "0.1"},
		{-273.15, "-273.15"},
		{1e20, "100000000000000000000.0"},
		{1e21, "1e+21"},
		{1.5e-8, "1.5e-8"},
		{math.MaxFloat64, "1.7976931348623157e+308"},
		{math.SmallestNonzeroFloat64, "5e-324"},
		{math.NaN(), `"NaN"`},
		{math.Inf(1), `"Infinity"`},
		{math.Inf(-1), `"-Infinity"`},
	}
	for _, tt := range tests {
		if got := string(formatDouble(tt.value)); got != tt.want {
			t.Errorf("formatDouble(%v) = %s, want %s", tt.value, got, tt.want)
		}
	}
}

func TestJSONString(t *testing.T) {
	tests := []struct{ in, want string }{
		{"plain", `"plain"`},
		{`quote " backslash \`, `"quote \" backslash \\"`},
		{"\b\f\n\r\t", `"\b\f\n\r\t"`},
		{"\x00\x1f\x7f", `"\u0000\u001f` + "\x7f" + `"`},
		{"<&>", `"<&>"`},
		{"line\u2028paragraph\u2029", `"line\u2028paragraph\u2029"`},
		{"Zoë 李 😀", `"Zoë 李 😀"`},
	}
	for _, tt := range tests {
		got := jsonString(tt.in)
		if string(got) != tt.want {
			t.Errorf("jsonString(%q) = %s, want %s", tt.in, got, tt.want)
		}
		var back string
		if err := json.Unmarshal(got, &back); err != nil || back != tt.in {
			t.Errorf("jsonString(%q) = %s decodes to %q, %v", tt.in, got, back, err)
		}
	}
}

func TestPlanBatchesLimits(t *testing.T) {
	const endpoint = "http://127.0.0.1:10002/devstoreaccount1"
	for table, entities := range smallSet {
		plans := planBatches(endpoint, table, entities)
		planned := 0
		for _, p := range plans {
			planned += len(p.entities)
			if n := len(p.entities); n == 0 || n > tables.MaxBatchOperations {
				t.Errorf("table %s: batch of %d operations", table, n)
			}
			b := tables.NewBatch(table)
			for _, e := range p.entities {
				if e.PartitionKey != p.entities[0].PartitionKey {
					t.Errorf("table %s: batch mixes PartitionKeys %q and %q", table, p.entities[0].PartitionKey, e.PartitionKey)
				}
				b.Add(endpoint, tables.Operation{Action: tables.Upsert, Entity: e})
			}
			if b.Size() > tables.MaxBatchBytes {
				t.Errorf("table %s: batch of %d bytes, more than %d", table, b.Size(), tables.MaxBatchBytes)
			}
		}
		if planned != len(entities) {
			t.Errorf("table %s: %d entities planned, %d generated", table, planned, len(entities))
		}
	}
}

// TestPlanBatchesSplits checks both limits with a partition too large for
// one batch by count and one too large by bytes.
func TestPlanBatchesSplits(t *testing.T) {
	const endpoint = "http://127.0.0.1:10002/devstoreaccount1"
	var many, large []*entity.Entity
	for i := range 250 {
		many = append(many, newEntity("many", strconv.Itoa(i)).Int32("N", int32(i)).e)
	}
	blob := bytes.Repeat([]byte{0xff}, MaxBinaryBytes)
	for i := range 60 {
		large = append(large, newEntity("large", strconv.Itoa(i)).Binary("Blob", blob).e)
	}

	if got := len(planBatches(endpoint, "Split", many)); got != 3 {
		t.Errorf("250 small entities: %d batches, expected 3", got)
	}
	// Each entity adds about 88 KB of base64, so about 47 fit in 4 MiB.
	if got := len(planBatches(endpoint, "Split", large)); got != 2 {
		t.Errorf("60 entities of 64 KiB: %d batches, expected 2", got)
	}
}
