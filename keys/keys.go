// Package keys loads and creates the keys that protect a backup: age
// recipients and identities, which encrypt and decrypt its files, and
// Ed25519 key pairs, which sign and check its manifest.
//
// Errors name the file or the argument and never include key material.
package keys

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"filippo.io/age"
	"filippo.io/age/agessh"
)

// maxKeyFile caps the size of a key or recipients file. A file of a
// thousand keys is under 100 KiB; anything larger is the wrong file.
const maxKeyFile = 1 << 20

// ParseRecipient parses one recipient: an age public key ("age1...") or an
// SSH public key ("ssh-ed25519 ..." or "ssh-rsa ...").
func ParseRecipient(s string) (age.Recipient, error) {
	s = strings.TrimSpace(s)
	switch {
	case strings.HasPrefix(s, "age1"):
		rs, err := age.ParseRecipients(strings.NewReader(s))
		if err != nil {
			return nil, fmt.Errorf("recipient %q is not a valid age public key: %v", shorten(s), stripLine(err))
		}
		return rs[0], nil
	case strings.HasPrefix(s, "ssh-"):
		r, err := agessh.ParseRecipient(s)
		if err != nil {
			return nil, fmt.Errorf("recipient %q is not a valid SSH public key: %v", shorten(s), err)
		}
		return r, nil
	case strings.HasPrefix(s, "AGE-SECRET-KEY-"), strings.Contains(s, "PRIVATE KEY"):
		// Never echo it: this is a private key given where a public one
		// belongs.
		return nil, errors.New("a recipient was given a private key; give the public key (age1... or ssh-ed25519 ...), and keep the private key on the restore host only")
	}
	return nil, fmt.Errorf("recipient %q is not an age public key (age1...) or an SSH public key (ssh-ed25519 ...)", shorten(s))
}

// ReadRecipientsFile reads a recipients file: one recipient per line, with
// empty lines and lines starting with # ignored, as age's -R option reads
// it.
func ReadRecipientsFile(path string) ([]age.Recipient, error) {
	data, err := readSmall(path)
	if err != nil {
		return nil, err
	}
	var rs []age.Recipient
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, maxKeyFile)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		r, err := ParseRecipient(line)
		if err != nil {
			return nil, fmt.Errorf("%s: line %d: %w", path, n, err)
		}
		rs = append(rs, r)
	}
	if len(rs) == 0 {
		return nil, fmt.Errorf("%s: no recipient in the file; write one public key (age1...) per line", path)
	}
	return rs, nil
}

// ReadIdentityFile reads an age identity file, as age-keygen and keygen
// write it, or an unencrypted OpenSSH private key (Ed25519 or RSA).
func ReadIdentityFile(path string) ([]age.Identity, error) {
	data, err := readSmall(path)
	if err != nil {
		return nil, err
	}
	if bytes.Contains(data, []byte("-----BEGIN")) {
		id, err := agessh.ParseIdentity(data)
		if err != nil {
			return nil, fmt.Errorf("%s: not a usable SSH private key (a key protected by a passphrase is not supported): %v", path, err)
		}
		return []age.Identity{id}, nil
	}
	ids, err := age.ParseIdentities(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("%s: not an age identity file (lines of AGE-SECRET-KEY-1...): %v", path, stripLine(err))
	}
	return ids, nil
}

// readSmall reads a key file, refusing folders, devices and files over
// maxKeyFile.
func readSmall(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read key file: %w", err)
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("read key file: %w", err)
	}
	if !info.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: not a regular file", path)
	}
	data, err := io.ReadAll(io.LimitReader(f, maxKeyFile+1))
	if err != nil {
		return nil, fmt.Errorf("read key file %s: %w", path, err)
	}
	if len(data) > maxKeyFile {
		return nil, fmt.Errorf("%s: larger than %d bytes; this is not a key file", path, maxKeyFile)
	}
	return data, nil
}

// shorten keeps an argument short in an error message.
func shorten(s string) string {
	if len(s) > 24 {
		return s[:24] + "..."
	}
	return s
}

// stripLine removes the text of the offending line that some age errors
// quote, which could be a private key.
func stripLine(err error) string {
	msg := err.Error()
	if i := strings.Index(msg, "AGE-SECRET-KEY-"); i >= 0 {
		return msg[:i] + "[redacted]"
	}
	return msg
}
