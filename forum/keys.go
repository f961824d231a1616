package forum

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"strconv"
	"sync"

	"github.com/jackc/pgx/v5"
)

// KeyGenerator makes an actor's key pair.
type KeyGenerator interface {
	GenerateKey() (*rsa.PrivateKey, error)
}

// RSAKeyGenerator makes RSA-2048 keys, the only kind every fediverse server verifies.
type RSAKeyGenerator struct{}

// GenerateKey implements KeyGenerator.
func (RSAKeyGenerator) GenerateKey() (*rsa.PrivateKey, error) {
	return rsa.GenerateKey(rand.Reader, 2048)
}

// SigningKey is a local actor's key, ready to sign with.
type SigningKey struct {
	ActorID      int64
	PublicKeyPEM string
	Private      *rsa.PrivateKey
}

// keyCache keeps parsed private keys: parsing one costs ~0.16 ms, more than a tenth of an RSA
// signature, and the delivery path signs a thousand times a second. It holds at most
// maxParsedKeys: every thread that federates has an actor with a key, and a forum with a million
// threads must not keep a million keys (each with its OpenSSL copy, internal/rsasign) for the life
// of the process. Past the bound a quarter of the keys, taken at random, are dropped: those in use
// are parsed again on their next signature, the rest are collected.
type keyCache struct {
	mu   sync.RWMutex
	keys map[int64]SigningKey
}

// maxParsedKeys bounds keyCache: the actors signing at any one time (categories, active threads,
// members posting) are far fewer.
const maxParsedKeys = 4096

func (c *keyCache) get(id int64) (SigningKey, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	k, ok := c.keys[id]
	return k, ok
}

func (c *keyCache) put(k SigningKey) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.keys) >= maxParsedKeys {
		drop := maxParsedKeys / 4
		for id := range c.keys { // map order is random enough for this
			if drop == 0 {
				break
			}
			delete(c.keys, id)
			drop--
		}
	}
	c.keys[k.ActorID] = k
}

func (f *Forum) createKey(ctx context.Context, tx pgx.Tx, actorID int64) error {
	priv, err := f.keys.GenerateKey()
	if err != nil {
		return fmt.Errorf("generate key: %w", err)
	}
	pubDER, err := x509.MarshalPKIXPublicKey(&priv.PublicKey)
	if err != nil {
		return fmt.Errorf("marshal public key: %w", err)
	}
	privDER, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return fmt.Errorf("marshal private key: %w", err)
	}
	sealed, err := f.secrets.sealBytes(privDER, keyContext(actorID))
	if err != nil {
		return fmt.Errorf("seal private key: %w", err)
	}
	pubPEM := string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER}))
	_, err = tx.Exec(ctx, `INSERT INTO actor_keys (actor_id, public_key_pem, private_key_sealed) VALUES ($1, $2, $3)
		ON CONFLICT (actor_id) DO NOTHING`, actorID, pubPEM, sealed)
	return err
}

// keyContext binds a sealed key to its actor: a sealed key copied onto another actor's row does not open.
func keyContext(actorID int64) []byte { return []byte("actor-key:" + strconv.FormatInt(actorID, 10)) }

// PublicKeyPEM returns a local actor's public key, making the pair first if the actor has none
// (thread actors and seeded members get theirs on first need).
func (f *Forum) PublicKeyPEM(ctx context.Context, actorID int64) (string, error) {
	k, err := f.SigningKey(ctx, actorID)
	if err != nil {
		return "", err
	}
	return k.PublicKeyPEM, nil
}

// SigningKey returns a local actor's key pair, parsed once and cached for the life of the process.
func (f *Forum) SigningKey(ctx context.Context, actorID int64) (SigningKey, error) {
	if k, ok := f.parsedKeys.get(actorID); ok {
		return k, nil
	}
	var pubPEM string
	var sealed []byte
	err := f.db.QueryRow(ctx, `SELECT public_key_pem, private_key_sealed FROM actor_keys WHERE actor_id = $1`, actorID).
		Scan(&pubPEM, &sealed)
	if errors.Is(err, pgx.ErrNoRows) {
		if err := f.inTx(ctx, func(tx pgx.Tx) error {
			var local bool
			if err := tx.QueryRow(ctx, `SELECT domain IS NULL FROM actors WHERE id = $1`, actorID).Scan(&local); err != nil {
				return notFound(err, "actor")
			}
			if !local {
				return fmt.Errorf("actor %d is remote: %w", actorID, ErrForbidden)
			}
			return f.createKey(ctx, tx, actorID)
		}); err != nil {
			return SigningKey{}, err
		}
		err = f.db.QueryRow(ctx, `SELECT public_key_pem, private_key_sealed FROM actor_keys WHERE actor_id = $1`, actorID).
			Scan(&pubPEM, &sealed)
	}
	if err != nil {
		return SigningKey{}, fmt.Errorf("load key of actor %d: %w", actorID, err)
	}
	der, err := f.secrets.openBytes(sealed, keyContext(actorID))
	if err != nil {
		return SigningKey{}, fmt.Errorf("key of actor %d: %w", actorID, err)
	}
	parsed, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return SigningKey{}, fmt.Errorf("parse key of actor %d: %w", actorID, err)
	}
	priv, ok := parsed.(*rsa.PrivateKey)
	if !ok {
		return SigningKey{}, fmt.Errorf("key of actor %d is %T, not RSA", actorID, parsed)
	}
	k := SigningKey{ActorID: actorID, PublicKeyPEM: pubPEM, Private: priv}
	f.parsedKeys.put(k)
	return k, nil
}
