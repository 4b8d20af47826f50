package testgithub

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"testing"
)

// GenerateKey returns a new 2048-bit RSA key for an app under test.
func GenerateKey(t testing.TB) *rsa.PrivateKey {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatalf("testgithub: generating RSA key: %v", err)
	}
	return key
}

// PKCS1PEM encodes key as an "RSA PRIVATE KEY" PEM block, as GitHub
// downloads app keys.
func PKCS1PEM(key *rsa.PrivateKey) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)})
}

// PKCS8PEM encodes key as a "PRIVATE KEY" (PKCS#8) PEM block, as
// `openssl pkcs8 -topk8` converts it.
func PKCS8PEM(t testing.TB, key *rsa.PrivateKey) []byte {
	t.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatalf("testgithub: encoding PKCS#8 key: %v", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
}
