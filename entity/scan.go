package entity

import (
	"encoding/json"
	"fmt"
)

// readObject splits data, which must be exactly one JSON object of scalar
// values, into its fields in order, with each value as raw JSON. It is a
// small scanner of its own because encoding/json's token API took most of
// the time of a backup's verification. It checks the full JSON grammar of
// strings and numbers.
func readObject(data []byte) ([]field, error) {
	s := scanner{data: data}
	s.skipSpace()
	if !s.consume('{') {
		return nil, invalidf("not a JSON object")
	}
	fields := make([]field, 0, 16)
	s.skipSpace()
	if s.consume('}') {
		return fields, s.end()
	}
	for {
		s.skipSpace()
		rawName, err := s.scanString()
		if err != nil {
			return nil, invalidf("malformed JSON at byte %d: expected a property name: %v", s.pos, err)
		}
		name, err := decodeString(rawName)
		if err != nil {
			return nil, invalidf("malformed JSON at byte %d: %v", s.pos, err)
		}
		s.skipSpace()
		if !s.consume(':') {
			return nil, invalidf("malformed JSON at byte %d: expected ':' after property name %q", s.pos, name)
		}
		s.skipSpace()
		value, err := s.scanValue()
		if err != nil {
			return nil, invalidf("property %q: %v", name, err)
		}
		fields = append(fields, field{name: name, value: value})
		s.skipSpace()
		if s.consume(',') {
			continue
		}
		if s.consume('}') {
			return fields, s.end()
		}
		return nil, invalidf("malformed JSON at byte %d: expected ',' or '}'", s.pos)
	}
}

// decodeString returns the Go string of a raw JSON string.
func decodeString(raw []byte) (string, error) {
	inner := raw[1 : len(raw)-1]
	for _, c := range inner {
		if c == '\\' {
			var s string
			err := json.Unmarshal(raw, &s)
			return s, err
		}
	}
	return string(inner), nil
}

type scanner struct {
	data []byte
	pos  int
}

func (s *scanner) skipSpace() {
	for s.pos < len(s.data) {
		switch s.data[s.pos] {
		case ' ', '\t', '\n', '\r':
			s.pos++
		default:
			return
		}
	}
}

func (s *scanner) consume(c byte) bool {
	if s.pos < len(s.data) && s.data[s.pos] == c {
		s.pos++
		return true
	}
	return false
}

func (s *scanner) end() error {
	s.skipSpace()
	if s.pos != len(s.data) {
		return invalidf("data after the end of the JSON object at byte %d", s.pos)
	}
	return nil
}

// scanValue returns the raw bytes of the scalar value at the position.
func (s *scanner) scanValue() (json.RawMessage, error) {
	if s.pos >= len(s.data) {
		return nil, fmt.Errorf("malformed JSON: the line ends before the value")
	}
	switch c := s.data[s.pos]; {
	case c == '"':
		return s.scanString()
	case c == 't':
		return s.scanLiteral("true")
	case c == 'f':
		return s.scanLiteral("false")
	case c == 'n':
		return s.scanLiteral("null")
	case c == '-' || '0' <= c && c <= '9':
		return s.scanNumber()
	case c == '{':
		return nil, fmt.Errorf("is an object; entity properties hold only strings, numbers and booleans")
	case c == '[':
		return nil, fmt.Errorf("is an array; entity properties hold only strings, numbers and booleans")
	}
	return nil, fmt.Errorf("malformed JSON at byte %d: unexpected %q", s.pos, s.data[s.pos])
}

func (s *scanner) scanLiteral(word string) (json.RawMessage, error) {
	end := s.pos + len(word)
	if end > len(s.data) || string(s.data[s.pos:end]) != word {
		return nil, fmt.Errorf("malformed JSON at byte %d: expected %s", s.pos, word)
	}
	raw := s.data[s.pos:end]
	s.pos = end
	return raw, nil
}

// scanString scans a JSON string and returns it with its quotes. The
// input is already known to be valid UTF-8.
func (s *scanner) scanString() (json.RawMessage, error) {
	start := s.pos
	if !s.consume('"') {
		return nil, fmt.Errorf("expected '\"'")
	}
	for s.pos < len(s.data) {
		c := s.data[s.pos]
		switch {
		case c == '"':
			s.pos++
			return s.data[start:s.pos], nil
		case c == '\\':
			if s.pos+1 >= len(s.data) {
				return nil, fmt.Errorf("unterminated string")
			}
			switch s.data[s.pos+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				s.pos += 2
			case 'u':
				if s.pos+6 > len(s.data) {
					return nil, fmt.Errorf("invalid \\u escape")
				}
				if _, ok := hex4(s.data[s.pos+2 : s.pos+6]); !ok {
					return nil, fmt.Errorf("invalid escape %q", s.data[s.pos:s.pos+6])
				}
				s.pos += 6
			default:
				return nil, fmt.Errorf("invalid escape %q", s.data[s.pos:s.pos+2])
			}
		case c < 0x20:
			return nil, fmt.Errorf("control character %#02x in string", c)
		default:
			s.pos++
		}
	}
	return nil, fmt.Errorf("unterminated string")
}

// scanNumber scans a number in JSON's grammar:
// -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func (s *scanner) scanNumber() (json.RawMessage, error) {
	start := s.pos
	bad := func() (json.RawMessage, error) {
		return nil, fmt.Errorf("malformed JSON number at byte %d", start)
	}
	s.consume('-')
	switch {
	case s.consume('0'):
	case s.digits() == 0:
		return bad()
	}
	if s.consume('.') && s.digits() == 0 {
		return bad()
	}
	if s.consume('e') || s.consume('E') {
		if !s.consume('+') {
			s.consume('-')
		}
		if s.digits() == 0 {
			return bad()
		}
	}
	return s.data[start:s.pos], nil
}

func (s *scanner) digits() int {
	n := 0
	for s.pos < len(s.data) && '0' <= s.data[s.pos] && s.data[s.pos] <= '9' {
		s.pos++
		n++
	}
	return n
}
