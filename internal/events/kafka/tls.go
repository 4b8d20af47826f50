package kafka

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
)

// loadTLS reads the TLS files of a defaulted configuration. It returns nil
// when the protocol does not use TLS. Errors name the Config field and the
// path, never the file's contents.
func (c Config) loadTLS() (*tls.Config, []error) {
	if !c.usesTLS() {
		return nil, c.unusedTLSFiles()
	}
	conf := &tls.Config{MinVersion: tls.VersionTLS12}
	var errs []error
	switch {
	case c.CAPath != "":
		pool, err := loadCA(c.CAPath)
		if err != nil {
			errs = append(errs, err)
		}
		conf.RootCAs = pool
	case c.SecurityProtocol == ProtocolSSL:
		errs = append(errs, errors.New("CAPath is empty: SSL needs the cluster CA certificate (ca.crt)"))
	}
	switch {
	case c.CertPath != "" && c.KeyPath == "":
		errs = append(errs, fmt.Errorf("CertPath %s is set but KeyPath is empty: the client certificate needs its key", c.CertPath))
	case c.CertPath == "" && c.KeyPath != "":
		errs = append(errs, fmt.Errorf("KeyPath %s is set but CertPath is empty: the client key needs its certificate", c.KeyPath))
	case c.CertPath != "":
		cert, err := loadKeyPair(c.CertPath, c.KeyPath)
		if err != nil {
			errs = append(errs, err)
		} else {
			conf.Certificates = []tls.Certificate{cert}
		}
	}
	return conf, errs
}

// unusedTLSFiles reports TLS files configured for a protocol without TLS.
func (c Config) unusedTLSFiles() []error {
	var set []string
	for _, f := range [][2]string{{"CAPath", c.CAPath}, {"CertPath", c.CertPath}, {"KeyPath", c.KeyPath}} {
		if f[1] != "" {
			set = append(set, f[0])
		}
	}
	if len(set) == 0 {
		return nil
	}
	return []error{fmt.Errorf("%s set but SecurityProtocol %s does not use TLS (use %s or %s)",
		strings.Join(set, ", "), c.SecurityProtocol, ProtocolSSL, ProtocolSASLSSL)}
}

func loadCA(path string) (*x509.CertPool, error) {
	data, err := readFile("CAPath", path)
	if err != nil {
		return nil, err
	}
	var n int
	pool := x509.NewCertPool()
	for rest := data; ; {
		var block *pem.Block
		if block, rest = pem.Decode(rest); block == nil {
			break
		}
		if block.Type != "CERTIFICATE" {
			continue
		}
		cert, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("CAPath %s: certificate %d: %w", path, n+1, err)
		}
		pool.AddCert(cert)
		n++
	}
	if n == 0 {
		return nil, fmt.Errorf("CAPath %s: no PEM certificate found", path)
	}
	return pool, nil
}

func loadKeyPair(certPath, keyPath string) (tls.Certificate, error) {
	certPEM, certErr := readPEM("CertPath", certPath, "certificate", func(t string) bool { return t == "CERTIFICATE" })
	keyPEM, keyErr := readPEM("KeyPath", keyPath, "private key", func(t string) bool { return strings.HasSuffix(t, "PRIVATE KEY") })
	if err := errors.Join(certErr, keyErr); err != nil {
		return tls.Certificate{}, err
	}
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("CertPath %s with KeyPath %s: %w", certPath, keyPath, err)
	}
	return cert, nil
}

// readPEM reads a file that must hold a PEM block of a matching type.
func readPEM(field, path, what string, match func(string) bool) ([]byte, error) {
	data, err := readFile(field, path)
	if err != nil {
		return nil, err
	}
	if !hasBlock(data, match) {
		return nil, fmt.Errorf("%s %s: no PEM %s found", field, path, what)
	}
	return data, nil
}

func hasBlock(data []byte, match func(string) bool) bool {
	for rest := data; ; {
		var block *pem.Block
		if block, rest = pem.Decode(rest); block == nil {
			return false
		}
		if match(block.Type) {
			return true
		}
	}
}

// readFile reads a configured file, naming the field and the path on error
// (without repeating the path inside the os error).
func readFile(field, path string) ([]byte, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return nil, fmt.Errorf("%s %s: %w", field, path, err)
	}
	return data, nil
}
