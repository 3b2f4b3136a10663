package entity_test

import (
	"testing"

	"github.com/authagonal/authagonal-tables/entity"
)

// benchUserLine is a Users entity of the size and shape Authagonal writes.
const benchUserLine = `{"PartitionKey":"4f1c2b8a9d0e4c7fb1a2c3d4e5f60718","RowKey":"profile",` +
	`"Timestamp@odata.type":"Edm.DateTime","Timestamp":"2026-12-04T01:59:58.1234567Z",` +
	`"Email":"zoe.obrien@example.com","NormalizedEmail":"ZOE.OBRIEN@EXAMPLE.COM",` +
	`"PasswordHash":"PBKDF2v1$AQAAAAEAACcQAAAAEKq3vC1mZ8yGQ0v3m2k1q9XoQ0l0Zb6Yv3c4d5e6f7g8h9i0j1k2l3m4n5o6p7q8r9s0==",` +
	`"EmailConfirmed":true,"FirstName":"Zoë","LastName":"O'Brien","AccessFailedCount":0,` +
	`"LockoutEnabled":true,"MfaEnabled":false,"IsActive":true,"RolesJson":"[\"admin\",\"user\"]",` +
	`"CustomAttributesJson":"{\"department\":\"R&D\",\"costCenter\":\"4711\"}",` +
	`"CreatedAt@odata.type":"Edm.DateTime","CreatedAt":"2024-05-01T08:30:00.0000000Z",` +
	`"LastLoginAt@odata.type":"Edm.DateTime","LastLoginAt":"2026-12-03T22:14:09.5550000Z",` +
	`"SignCount@odata.type":"Edm.Int64","SignCount":"9007199254740993","Score@odata.type":"Edm.Double","Score":5.0}`

func BenchmarkParse(b *testing.B) {
	line := []byte(benchUserLine)
	b.SetBytes(int64(len(line)))
	for b.Loop() {
		if _, err := entity.Parse(line); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkAppendLine(b *testing.B) {
	e, err := entity.Parse([]byte(benchUserLine))
	if err != nil {
		b.Fatal(err)
	}
	var buf []byte
	b.SetBytes(int64(len(benchUserLine)))
	for b.Loop() {
		buf = e.AppendLine(buf[:0])
	}
}
