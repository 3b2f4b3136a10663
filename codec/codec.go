// Package codec reads and writes the JSON Lines files of a backup. A codec
// turns a stream of lines into the bytes of one file and back. The file's
// suffix selects the codec, so a reader needs no other information about
// how a backup folder was written.
package codec

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
)

// MaxLineBytes is the longest line a Reader accepts. The largest legal
// entity is about 1 MiB of UTF-16 data. In UTF-8 with JSON escapes (six
// bytes for a control character) its line can be several times longer, so
// the limit is 16 MiB.
const MaxLineBytes = 16 << 20

// Codec is one file format. Implementations must be safe for concurrent use.
type Codec interface {
	// Name is the stable identifier recorded in manifests, such as "jsonl.gz".
	Name() string
	// Suffix is the file name suffix, such as ".jsonl.gz".
	Suffix() string
	// NewWriter returns a Writer that encodes lines into w. Closing the
	// Writer flushes it but does not close w.
	NewWriter(w io.Writer) (Writer, error)
	// NewReader returns a Reader that decodes lines from r. Closing the
	// Reader does not close r.
	NewReader(r io.Reader) (Reader, error)
}

// Writer writes lines. Close must be called, and its error checked: it
// flushes buffered data and, for compressed formats, writes the trailer.
type Writer interface {
	// WriteLine writes line followed by a newline. line must not contain one.
	WriteLine(line []byte) error
	Close() error
}

// Reader reads lines. ReadLine returns io.EOF after the last complete line,
// and only after the whole stream, including any checksum, has been read and
// checked. A last line without its newline is an error, as is a line longer
// than MaxLineBytes.
type Reader interface {
	// ReadLine returns the next line without its newline. The slice is
	// valid until the next call.
	ReadLine() ([]byte, error)
	Close() error
}

var (
	mu     sync.RWMutex
	codecs = map[string]Codec{}
)

// Register makes c available by name and by file suffix. It panics if a
// codec with the same name or suffix is already registered.
func Register(c Codec) {
	mu.Lock()
	defer mu.Unlock()
	for _, other := range codecs {
		if other.Name() == c.Name() || other.Suffix() == c.Suffix() {
			panic(fmt.Sprintf("codec: %q registered twice", c.Name()))
		}
	}
	codecs[c.Name()] = c
}

// ByName returns the codec registered under name.
func ByName(name string) (Codec, error) {
	mu.RLock()
	defer mu.RUnlock()
	if c, ok := codecs[name]; ok {
		return c, nil
	}
	return nil, fmt.Errorf("unknown codec %q; known codecs: %s", name, strings.Join(namesLocked(), ", "))
}

// ForFile returns the codec whose suffix ends file name, preferring the
// longest suffix, so "Users.jsonl.gz" is gzip and "Users.jsonl" is plain.
func ForFile(name string) (Codec, bool) {
	mu.RLock()
	defer mu.RUnlock()
	var best Codec
	for _, c := range codecs {
		if strings.HasSuffix(name, c.Suffix()) && (best == nil || len(c.Suffix()) > len(best.Suffix())) {
			best = c
		}
	}
	return best, best != nil
}

// All returns every registered codec, sorted by name.
func All() []Codec {
	mu.RLock()
	defer mu.RUnlock()
	var all []Codec
	for _, name := range namesLocked() {
		all = append(all, codecs[name])
	}
	return all
}

func namesLocked() []string {
	names := make([]string, 0, len(codecs))
	for name := range codecs {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}
