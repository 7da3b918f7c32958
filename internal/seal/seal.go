// Package seal encrypts channel values at rest: service tokens, webhook URLs that carry keys,
// passwords, addresses. A Box seals a value with AES-256-GCM under a key derived by HKDF-SHA256
// from the server secret (the one that signs badge URLs and webhooks), and binds it to the
// channel it belongs to, so that a sealed value copied onto another channel does not open.
//
// A sealed value is text, so that it fits where the plaintext was (a TEXT column, a string
// attribute): "ov-sealed:1:" + the key's ID (8 hex digits) + ":" + base64url(nonce ‖ ciphertext).
// The key ID lets a server with another secret say so, instead of "message authentication
// failed". The package imports nothing of ours.
package seal

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"
)

// Prefix starts every sealed value. No plaintext channel value starts with it: none of the
// kinds' targets (addresses, numbers, ARNs, URLs, JSON objects, channel IDs) can.
const Prefix = "ov-sealed:1:"

// info names the derived key's use, so that the same server secret never yields this key for
// anything else (webhook signatures, badge signatures derive their own).
const info = "overdue channel values v1"

// Box seals and opens channel values under one server secret. It is safe for concurrent use.
// The zero Box is not usable; make one with New or Deferred.
type Box struct {
	load func() ([]byte, error)

	once  sync.Once
	aead  cipher.AEAD
	keyID string
	err   error
}

// New returns a Box over the server secret. The secret is what the server keeps (32 random
// bytes as hex, or an operator's string of at least 16 characters); the key is derived from it.
func New(secret []byte) (*Box, error) {
	b := Deferred(func() ([]byte, error) { return secret, nil })
	if err := b.init(); err != nil {
		return nil, err
	}
	return b, nil
}

// Deferred returns a Box that loads the server secret the first time it seals or opens a value,
// so that processes that never touch a channel never need the secret (and never create it).
func Deferred(load func() ([]byte, error)) *Box {
	return &Box{load: load}
}

func (b *Box) init() error {
	b.once.Do(func() {
		secret, err := b.load()
		if err != nil {
			b.err = fmt.Errorf("load the server secret: %w", err)
			return
		}
		if len(secret) < 16 {
			b.err = fmt.Errorf("the server secret is %d bytes: want at least 16", len(secret))
			return
		}
		key, err := hkdf.Key(sha256.New, secret, nil, info, 32)
		if err != nil {
			b.err = fmt.Errorf("derive the channel key: %w", err)
			return
		}
		block, err := aes.NewCipher(key)
		if err != nil {
			b.err = fmt.Errorf("channel key: %w", err)
			return
		}
		if b.aead, err = cipher.NewGCM(block); err != nil {
			b.err = fmt.Errorf("channel key: %w", err)
			return
		}
		mac := hmac.New(sha256.New, key)
		mac.Write([]byte("key id"))
		b.keyID = hex.EncodeToString(mac.Sum(nil)[:4])
	})
	return b.err
}

// KeyID is the ID of the key derived from the secret: 8 hex digits recorded in every value it
// seals. It reveals nothing of the key.
func (b *Box) KeyID() (string, error) {
	if err := b.init(); err != nil {
		return "", err
	}
	return b.keyID, nil
}

// Seal encrypts plain for the channel id. Sealing the same value twice gives different text (a
// random nonce each time).
func (b *Box) Seal(id, plain string) (string, error) {
	if err := b.init(); err != nil {
		return "", err
	}
	nonce := make([]byte, b.aead.NonceSize(), b.aead.NonceSize()+len(plain)+b.aead.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		return "", fmt.Errorf("seal channel %s: %w", id, err)
	}
	out := b.aead.Seal(nonce, nonce, []byte(plain), additional(id))
	return Prefix + b.keyID + ":" + base64.RawURLEncoding.EncodeToString(out), nil
}

// ErrOtherKey is the cause of an OpenError when the value was sealed under another server
// secret than this Box's.
var ErrOtherKey = errors.New("sealed under another server secret")

// OpenError says why a sealed value did not open. It never carries the value.
type OpenError struct {
	ID     string // the channel
	KeyID  string // the key the value names, if it could be read
	Reason error
}

// Error names the channel and what to do.
func (e *OpenError) Error() string {
	if errors.Is(e.Reason, ErrOtherKey) {
		return fmt.Sprintf("channel %s: the value was %s (key %s): restore the secret it was sealed with, or delete and re-create the channel", e.ID, ErrOtherKey, e.KeyID)
	}
	return fmt.Sprintf("channel %s: the sealed value does not open: %v", e.ID, e.Reason)
}

// Unwrap returns the reason.
func (e *OpenError) Unwrap() error { return e.Reason }

// Open decrypts a value Seal made for the channel id. It is an *OpenError when the value is
// damaged, belongs to another channel, or was sealed under another secret.
func (b *Box) Open(id, sealed string) (string, error) {
	if err := b.init(); err != nil {
		return "", err
	}
	rest, ok := strings.CutPrefix(sealed, Prefix)
	if !ok {
		return "", &OpenError{ID: id, Reason: errors.New("not a sealed value")}
	}
	keyID, text, ok := strings.Cut(rest, ":")
	if !ok {
		return "", &OpenError{ID: id, Reason: errors.New("no key ID")}
	}
	if keyID != b.keyID {
		return "", &OpenError{ID: id, KeyID: keyID, Reason: ErrOtherKey}
	}
	raw, err := base64.RawURLEncoding.DecodeString(text)
	if err != nil || len(raw) < b.aead.NonceSize()+b.aead.Overhead() {
		return "", &OpenError{ID: id, KeyID: keyID, Reason: errors.New("damaged")}
	}
	n := b.aead.NonceSize()
	plain, err := b.aead.Open(nil, raw[:n], raw[n:], additional(id))
	if err != nil {
		return "", &OpenError{ID: id, KeyID: keyID, Reason: errors.New("damaged, or sealed for another channel")}
	}
	return string(plain), nil
}

// IsSealed reports whether v is a sealed value rather than plaintext.
func IsSealed(v string) bool { return strings.HasPrefix(v, Prefix) }

// additional binds a sealed value to its channel.
func additional(id string) []byte { return []byte("channel " + id) }
