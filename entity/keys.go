package entity

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"unicode/utf16"
)

// MaxKeyBytes is the largest PartitionKey or RowKey the Table service
// accepts: 1 KiB, counted in UTF-16 code units of two bytes each.
const MaxKeyBytes = 1024

// CheckWritable reports why the service would reject k, or nil. The Table
// service forbids '/', '\', '#', '?' and the control characters U+0000 to
// U+001F and U+007F to U+009F in keys, and limits each key to 1 KiB.
// Azurite accepts some of these keys that Azure rejects, so they are checked
// here for every service alike.
func (k Key) CheckWritable() error {
	if err := checkKey(PartitionKey, k.PartitionKey); err != nil {
		return err
	}
	return checkKey(RowKey, k.RowKey)
}

func checkKey(name, value string) error {
	for i, r := range value {
		switch {
		case r == '/' || r == '\\' || r == '#' || r == '?':
			return fmt.Errorf("%s %q: character %q at byte %d is not allowed in keys", name, value, r, i)
		case r <= 0x1F || (r >= 0x7F && r <= 0x9F):
			return fmt.Errorf("%s %q: control character U+%04X at byte %d is not allowed in keys", name, value, r, i)
		}
	}
	if n := 2 * len(utf16.Encode([]rune(value))); n > MaxKeyBytes {
		return fmt.Errorf("%s is %d bytes in UTF-16, more than the limit of %d", name, n, MaxKeyBytes)
	}
	return nil
}

// String formats the key for messages.
func (k Key) String() string {
	return fmt.Sprintf("PartitionKey %q, RowKey %q", k.PartitionKey, k.RowKey)
}

// Digest condenses the key to 16 bytes of SHA-256, so that a set of a
// million keys takes 16 bytes per key rather than the keys themselves.
func (k Key) Digest() [16]byte {
	h := sha256.New()
	var n [8]byte
	binary.LittleEndian.PutUint64(n[:], uint64(len(k.PartitionKey)))
	h.Write(n[:])
	h.Write([]byte(k.PartitionKey))
	h.Write([]byte(k.RowKey))
	var d [16]byte
	copy(d[:], h.Sum(nil))
	return d
}

// AppendKeyLine appends the key as a line of a key file,
// {"PartitionKey":"...","RowKey":"..."}, to dst.
func (k Key) AppendKeyLine(dst []byte) []byte {
	e := Entity{PartitionKey: k.PartitionKey, RowKey: k.RowKey}
	return e.AppendLine(dst)
}
