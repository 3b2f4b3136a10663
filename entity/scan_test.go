package entity

import (
	"bytes"
	"encoding/json"
	"testing"
)

// FuzzReadObject checks the scanner against encoding/json: whatever
// readObject accepts is valid JSON, and every valid object of scalar values
// is accepted with the same raw values.
func FuzzReadObject(f *testing.F) {
	for _, seed := range []string{
		`{}`, ` { "a" : 1 , "b":"x\"y" } `, `{"a":-0.5e+10,"b":true,"c":false,"d":null}`,
		`{"a":"\u00e9\ud83d\ude00"}`, `{"a":01}`, `{"a":1.}`, `{"a":[1]}`, `{"a":{}}`, `{"a":1}x`,
		`{"a":"\x"}`, `{"a" 1}`, `{"a":1,}`, `{,}`, `{"a":tru}`, `{"a":"` + "\x01" + `"}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		fields, err := readObject(data)
		if err == nil && !json.Valid(data) {
			t.Fatalf("readObject accepted invalid JSON %q", data)
		}
		var object map[string]json.RawMessage
		if json.Unmarshal(data, &object) != nil || object == nil {
			return // not an object, or the literal null
		}
		scalar := true
		for _, v := range object {
			if v[0] == '{' || v[0] == '[' {
				scalar = false
			}
		}
		if !scalar {
			return
		}
		if err != nil {
			t.Fatalf("readObject rejected the valid object %q: %v", data, err)
		}
		for _, fl := range fields {
			if want, ok := object[fl.name]; ok && len(object) == len(fields) && !bytes.Equal(want, fl.value) {
				t.Fatalf("property %q = %s, encoding/json read %s", fl.name, fl.value, want)
			}
		}
	})
}

// FuzzAppendString checks that appendString writes what encoding/json
// writes with HTML escaping off.
func FuzzAppendString(f *testing.F) {
	for _, seed := range []string{"", "plain", "quote\"back\\slash", "\x00\x1f\n\r\t", "<&>", "\u2028\u2029", "Zoë 😀", "\xff"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(s); err != nil {
			t.Fatal(err)
		}
		want := bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
		if got := appendString(nil, s); !bytes.Equal(got, want) {
			t.Fatalf("appendString(%q) = %s, encoding/json writes %s", s, got, want)
		}
	})
}
