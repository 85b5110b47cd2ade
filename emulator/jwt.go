package emulator

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"math/big"
	"strings"
)

// b64url is the unpadded base64url encoding of JWTs (RFC 7515, section 2).
var b64url = base64.RawURLEncoding

// jwtHeader is the JOSE header of the tokens the identity provider signs.
type jwtHeader struct {
	Alg string `json:"alg"`
	Typ string `json:"typ"`
	Kid string `json:"kid"`
}

// signJWT encodes claims as a JWS compact serialisation signed with RS256 (RSASSA-PKCS1-v1_5
// with SHA-256, RFC 7518 section 3.3), the algorithm Entra ID signs its tokens with.
func signJWT(key *rsa.PrivateKey, kid string, claims any) (string, error) {
	h, err := json.Marshal(jwtHeader{Alg: "RS256", Typ: "JWT", Kid: kid})
	if err != nil {
		return "", err
	}
	c, err := json.Marshal(claims)
	if err != nil {
		return "", err
	}
	signing := b64url.EncodeToString(h) + "." + b64url.EncodeToString(c)
	sum := sha256.Sum256([]byte(signing))
	sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, sum[:])
	if err != nil {
		return "", err
	}
	return signing + "." + b64url.EncodeToString(sig), nil
}

// errNotJWT and errBadSignature say why verifyJWT refused a token.
var (
	errNotJWT       = errors.New("not a JWT (three base64url parts, RS256)")
	errBadSignature = errors.New("the signature does not verify with the identity provider's key")
)

// verifyJWT checks token's RS256 signature with pub and decodes its claims into v. It checks
// nothing else: audience, issuer and expiry are the caller's.
func verifyJWT(pub *rsa.PublicKey, kid, token string, v any) error {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return errNotJWT
	}
	hb, err := b64url.DecodeString(parts[0])
	if err != nil {
		return errNotJWT
	}
	var h jwtHeader
	if json.Unmarshal(hb, &h) != nil || h.Alg != "RS256" {
		return errNotJWT
	}
	if h.Kid != kid {
		return errBadSignature
	}
	sig, err := b64url.DecodeString(parts[2])
	if err != nil {
		return errNotJWT
	}
	sum := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if rsa.VerifyPKCS1v15(pub, crypto.SHA256, sum[:], sig) != nil {
		return errBadSignature
	}
	cb, err := b64url.DecodeString(parts[1])
	if err != nil {
		return errNotJWT
	}
	if json.Unmarshal(cb, v) != nil {
		return errNotJWT
	}
	return nil
}

// jwk is one RSA public key of a JWKS document (RFC 7517), as Entra publishes them.
type jwk struct {
	Kty string `json:"kty"`
	Use string `json:"use"`
	Alg string `json:"alg"`
	Kid string `json:"kid"`
	N   string `json:"n"`
	E   string `json:"e"`
}

// publicJWK describes pub as a JWK with key id kid.
func publicJWK(pub *rsa.PublicKey, kid string) jwk {
	return jwk{Kty: "RSA", Use: "sig", Alg: "RS256", Kid: kid,
		N: b64url.EncodeToString(pub.N.Bytes()), E: b64url.EncodeToString(big.NewInt(int64(pub.E)).Bytes())}
}

// keyID is a stable key id for pub: the start of the base64url SHA-256 of its modulus.
func keyID(pub *rsa.PublicKey) string {
	sum := sha256.Sum256(pub.N.Bytes())
	return b64url.EncodeToString(sum[:])[:16]
}
