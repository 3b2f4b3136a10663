package main

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"strings"

	"filippo.io/age"
	"github.com/urfave/cli/v2"

	"github.com/authagonal/authagonal-tables/codec"
	"github.com/authagonal/authagonal-tables/keys"
	"github.com/authagonal/authagonal-tables/manifest"
)

// identityFlag is the age identity that decrypts an encrypted backup.
func identityFlag(usage string) cli.Flag {
	return &cli.StringFlag{
		Name:    "identity",
		Usage:   usage + "; a `FILE` of age identities (AGE-SECRET-KEY-1...) or an unencrypted OpenSSH private key",
		EnvVars: []string{"AUTHAGONAL_TABLES_IDENTITY"},
	}
}

// verifyKeyFlag is the public key that must have signed a backup.
func verifyKeyFlag() cli.Flag {
	return &cli.StringFlag{
		Name:    "verify-key",
		Usage:   "reject any backup whose _manifest.json is not signed by a key in this `FILE` of Ed25519 public keys (PEM, from keygen --signing; several blocks for a key rotation)",
		EnvVars: []string{"AUTHAGONAL_TABLES_VERIFY_KEY"},
	}
}

// encryptionFlags are the backup flags that encrypt and sign.
func encryptionFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringSliceFlag{
			Name:    "encrypt-to",
			Usage:   "encrypt every file to this age `RECIPIENT` (age1... or ssh-ed25519 ...); repeat it for more recipients, any one of which can decrypt",
			EnvVars: []string{"BACKUP_ENCRYPT_TO"},
		},
		&cli.StringFlag{
			Name:    "encrypt-to-file",
			Usage:   "encrypt to every recipient in `FILE`, one public key per line (# starts a comment)",
			EnvVars: []string{"BACKUP_ENCRYPT_TO_FILE"},
		},
		&cli.BoolFlag{
			Name:    "require-encryption",
			Usage:   "fail unless the backup is encrypted, so that a cron job whose recipient setting went missing never writes plaintext",
			EnvVars: []string{"BACKUP_REQUIRE_ENCRYPTION"},
		},
		identityFlag("with --incremental on encrypted backups, decrypts the earlier key sets to find deletes"),
		&cli.StringFlag{
			Name:    "sign-key",
			Usage:   "sign _manifest.json with this Ed25519 private key `FILE` (PEM, from keygen --signing); the signature covers every file through their hashes",
			EnvVars: []string{"BACKUP_SIGN_KEY"},
		},
	}
}

// backupKeys reads the encryption and signing flags of backup.
func backupKeys(c *cli.Context) (k codec.Keys, names []string, sign ed25519.PrivateKey, err error) {
	for _, arg := range c.StringSlice("encrypt-to") {
		// A comma-separated environment value arrives split already;
		// spaces around a key are a copy-and-paste accident.
		arg = strings.TrimSpace(arg)
		if arg == "" {
			continue
		}
		r, err := keys.ParseRecipient(arg)
		if err != nil {
			return k, nil, nil, fmt.Errorf("--encrypt-to: %w%s", err, fromEnvironment(c, "encrypt-to"))
		}
		k.Recipients = append(k.Recipients, r)
		names = append(names, publicKeyText(arg))
	}
	if path := c.String("encrypt-to-file"); path != "" {
		rs, lines, err := recipientsFile(path)
		if err != nil {
			return k, nil, nil, fmt.Errorf("--encrypt-to-file: %w", err)
		}
		k.Recipients = append(k.Recipients, rs...)
		names = append(names, lines...)
	}
	if c.Bool("require-encryption") && len(k.Recipients) == 0 {
		return k, nil, nil, errors.New("--require-encryption is set, but no recipient was given: set --encrypt-to or --encrypt-to-file (BACKUP_ENCRYPT_TO, BACKUP_ENCRYPT_TO_FILE); nothing was written")
	}
	if k.Identities, err = identities(c); err != nil {
		return k, nil, nil, err
	}
	if path := c.String("sign-key"); path != "" {
		if sign, err = keys.ReadSigningKey(path); err != nil {
			return k, nil, nil, fmt.Errorf("--sign-key: %w", err)
		}
	}
	return k, names, sign, nil
}

// recipientsFile reads a recipients file and returns the recipients with
// their public keys as written, for the manifest.
func recipientsFile(path string) ([]age.Recipient, []string, error) {
	rs, err := keys.ReadRecipientsFile(path)
	if err != nil {
		return nil, nil, err
	}
	names := make([]string, len(rs))
	for i, r := range rs {
		names[i] = recipientText(r)
	}
	return rs, names, nil
}

// recipientText is the public key of r as text, where the type has one.
func recipientText(r age.Recipient) string {
	if s, ok := r.(fmt.Stringer); ok {
		return s.String()
	}
	return fmt.Sprintf("%T", r)
}

// publicKeyText keeps the type and key of an SSH public key and drops its
// comment, which often names a person or a host.
func publicKeyText(s string) string {
	if f := strings.Fields(s); len(f) >= 2 && strings.HasPrefix(f[0], "ssh-") {
		return f[0] + " " + f[1]
	}
	return s
}

// identities reads the --identity flag; nil when it is not set.
func identities(c *cli.Context) ([]age.Identity, error) {
	path := c.String("identity")
	if path == "" {
		return nil, nil
	}
	ids, err := keys.ReadIdentityFile(path)
	if err != nil {
		return nil, fmt.Errorf("--identity: %w", err)
	}
	return ids, nil
}

// readKeys reads the --identity and --verify-key flags of verify and
// restore.
func readKeys(c *cli.Context) (codec.Keys, []ed25519.PublicKey, error) {
	ids, err := identities(c)
	if err != nil {
		return codec.Keys{}, nil, err
	}
	var pubs []ed25519.PublicKey
	if path := c.String("verify-key"); path != "" {
		if pubs, err = keys.ReadVerifyKeys(path); err != nil {
			return codec.Keys{}, nil, fmt.Errorf("--verify-key: %w", err)
		}
	}
	return codec.Keys{Identities: ids}, pubs, nil
}

func keygenCommand(env *environment) *cli.Command {
	return &cli.Command{
		Name:            "keygen",
		Usage:           "create an age identity for encryption, or an Ed25519 key pair for signing",
		HideHelpCommand: true,
		OnUsageError:    usageError,
		UsageText:       "authagonal-tables keygen --encryption FILE | --signing BASE",
		Description: `--encryption FILE writes a new age identity (the private key) to FILE, owner-only,
and prints its public key, the recipient, on stdout. Give the recipient to backup
--encrypt-to; keep FILE on the restore host, or offline, and give it to restore and
verify --identity. The file has the format of age-keygen, so age itself can decrypt
a backup file with it.

--signing BASE writes a new Ed25519 key pair: BASE.key, the private key (PKCS #8 PEM,
owner-only), for backup --sign-key, and BASE.pub, the public key (PKIX PEM), for
verify and restore --verify-key. openssl genpkey -algorithm ed25519 makes the same
kind of key.

keygen never replaces an existing file. See docs/security.md for where each key
belongs and how to rotate keys.

EXAMPLES:
  authagonal-tables keygen --encryption /secure/backup-identity.txt
  authagonal-tables keygen --signing /etc/authagonal-tables/manifest-signing

` + commandExitCodesNoPartial,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "encryption", Usage: "write a new age identity to `FILE` and print its recipient"},
			&cli.StringFlag{Name: "signing", Usage: "write a new Ed25519 key pair to `BASE`.key and BASE.pub"},
		},
		Action: func(c *cli.Context) error {
			if err := noArgs(c); err != nil {
				return err
			}
			enc, sig := c.String("encryption"), c.String("signing")
			if (enc == "") == (sig == "") {
				return errors.New("give exactly one of --encryption FILE or --signing BASE")
			}
			if enc != "" {
				recipient, err := keys.GenerateEncryption(enc)
				if err != nil {
					return err
				}
				env.log.Info().Str("file", enc).Msg("age identity written; keep it secret, and give the recipient below to backup --encrypt-to")
				fmt.Fprintln(env.stdout, recipient)
				return nil
			}
			priv, pub, err := keys.GenerateSigning(sig)
			if err != nil {
				return err
			}
			env.log.Info().Str("private", priv).Str("public", pub).Msg("signing key pair written; --sign-key takes the private key, --verify-key the public key")
			fmt.Fprintf(env.stdout, "%s\n%s\n", priv, pub)
			return nil
		},
	}
}

// signatureNote returns the report line on the signature: checked, or
// present but not checked. It returns "" for an unsigned backup.
func signatureNote(r *manifest.Report) string {
	switch r.Signature {
	case manifest.SignatureValid:
		return "signature: valid"
	case manifest.SignatureNotChecked:
		return "signature: present but not checked; pass --verify-key to check it"
	}
	return ""
}
