package emulator

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"fmt"
	"math/big"
	"net"
	"time"
)

// TestCertificate is a self-signed certificate for serving the identity provider over HTTPS
// on a local address (MSAL.js refuses an http authority).
type TestCertificate struct {
	// Certificate is the certificate and its private key, for tls.Config.Certificates.
	Certificate tls.Certificate
	// SPKIHash is the base64 SHA-256 of the certificate's SubjectPublicKeyInfo: what
	// Chromium's --ignore-certificate-errors-spki-list takes to trust this one key only.
	SPKIHash string
	// X509 is the parsed certificate, for a Go client's RootCAs.
	X509 *x509.Certificate
}

// NewTestCertificate makes a new ECDSA P-256 key and a certificate for it, valid for a day,
// for the given hosts (IP addresses or DNS names; none means 127.0.0.1 and localhost).
func NewTestCertificate(hosts ...string) (*TestCertificate, error) {
	if len(hosts) == 0 {
		hosts = []string{"127.0.0.1", "localhost"}
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("emulator: test certificate key: %w", err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 120))
	if err != nil {
		return nil, err
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: "fabric-emulator identity provider", Organization: []string{"fabric-lro test"}},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	for _, h := range hosts {
		if ip := net.ParseIP(h); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, h)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, fmt.Errorf("emulator: test certificate: %w", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(cert.RawSubjectPublicKeyInfo)
	return &TestCertificate{
		Certificate: tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: cert},
		SPKIHash:    base64.StdEncoding.EncodeToString(sum[:]),
		X509:        cert,
	}, nil
}
