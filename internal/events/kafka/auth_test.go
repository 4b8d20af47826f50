package kafka

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/sr/srfake"
)

func TestSASL(t *testing.T) {
	cluster := newCluster(t, kfake.SeedTopics(1, testTopic), kfake.EnableSASL(),
		kfake.Superuser(MechanismSCRAMSHA512, "scram512", "pw-512"),
		kfake.Superuser(MechanismSCRAMSHA256, "scram256", "pw-256"),
		kfake.Superuser(MechanismPlain, "plain", "pw-plain"))
	reg := newFakeRegistry(t)
	delivered := 0
	for _, tc := range []struct{ mech, user, pass string }{
		{"", "scram512", "pw-512"}, // SCRAM-SHA-512 is the default
		{MechanismSCRAMSHA256, "scram256", "pw-256"},
		{MechanismPlain, "plain", "pw-plain"},
	} {
		t.Run(tc.user, func(t *testing.T) {
			cfg := testConfig(t, cluster, reg)
			cfg.SecurityProtocol, cfg.SASLMechanism, cfg.SASLUsername, cfg.SASLPassword = ProtocolSASLPlaintext, tc.mech, tc.user, tc.pass
			evs, ctx := deliverAll(t, cfg, ""), testCtx(t)
			delivered += len(evs)
			tailLines(t, cfg, delivered)

			cfg.SASLPassword = "wrong-" + tc.pass
			bad := openSink(t, cfg)
			for what, err := range map[string]error{"Check": bad.Check(ctx), "Write": bad.Write(ctx, evs)} {
				switch {
				case err == nil:
					t.Errorf("%s with a wrong password succeeded", what)
				case strings.Contains(err.Error(), tc.pass):
					t.Errorf("%s error reveals the password: %v", what, err)
				case !strings.Contains(strings.ToLower(err.Error()), "authentication"):
					t.Errorf("%s error %q does not say authentication failed", what, err)
				}
			}
		})
	}
}

func TestMutualTLS(t *testing.T) {
	dir := t.TempDir()
	ca, caKey := writeCA(t, dir)
	serverCert := issue(t, ca, caKey, "broker", []net.IP{net.IPv4(127, 0, 0, 1)})
	writeKeyPair(t, dir, "user", issue(t, ca, caKey, "app-metrics-mobu", nil))
	pool := x509.NewCertPool()
	pool.AddCert(ca)
	cluster := newCluster(t, kfake.SeedTopics(1, testTopic), kfake.TLS(&tls.Config{
		Certificates: []tls.Certificate{serverCert}, ClientCAs: pool, ClientAuth: tls.RequireAndVerifyClientCert,
	}))
	cfg := testConfig(t, cluster, newFakeRegistry(t))
	cfg.SecurityProtocol = ProtocolSSL
	cfg.CAPath, cfg.CertPath, cfg.KeyPath = filepath.Join(dir, "ca.crt"), filepath.Join(dir, "user.crt"), filepath.Join(dir, "user.key")
	evs, ctx := deliverAll(t, cfg, " over mTLS"), testCtx(t)
	tailLines(t, cfg, len(evs))

	cfg.CertPath, cfg.KeyPath = "", "" // the broker requires a client certificate
	if err := openSink(t, cfg).Check(ctx); err == nil {
		t.Error("Check without a client certificate succeeded")
	}
}

// SASL_SSL: SCRAM over a TLS listener verified with the cluster CA; the
// protocol really uses TLS (a client trusting only the system roots, or
// speaking plaintext, cannot connect) and SASL (a wrong password fails).
func TestSASLOverTLS(t *testing.T) {
	dir := t.TempDir()
	ca, caKey := writeCA(t, dir)
	serverCert := issue(t, ca, caKey, "broker", []net.IP{net.IPv4(127, 0, 0, 1)})
	cluster := newCluster(t, kfake.SeedTopics(1, testTopic), kfake.TLS(&tls.Config{Certificates: []tls.Certificate{serverCert}}),
		kfake.EnableSASL(), kfake.Superuser(MechanismSCRAMSHA512, "app-metrics-mobu", "pw-512"))
	cfg := testConfig(t, cluster, newFakeRegistry(t))
	cfg.SecurityProtocol, cfg.CAPath = "sasl_ssl", filepath.Join(dir, "ca.crt") // case-insensitive, as Safir's
	cfg.SASLUsername, cfg.SASLPassword = "app-metrics-mobu", "pw-512"
	evs, ctx := deliverAll(t, cfg, " over SASL_SSL"), testCtx(t)
	tailLines(t, cfg, len(evs))

	wrong := cfg
	wrong.SASLPassword = "wrong"
	if err := openSink(t, wrong).Check(ctx); err == nil || !strings.Contains(strings.ToLower(err.Error()), "authentication") {
		t.Errorf("Check with a wrong password = %v, want an authentication failure", err)
	}
	// Each must fail for its own reason: the broker's certificate is not
	// trusted, or the TLS listener hangs up on a plaintext client.
	for _, tt := range []struct {
		name string
		bad  func(*Config)
		want []string // one of these in the error
	}{
		{"system roots only", func(c *Config) { c.CAPath = "" }, []string{"x509: certificate signed by unknown authority"}},
		{"no TLS", func(c *Config) { c.SecurityProtocol, c.CAPath = ProtocolSASLPlaintext, "" },
			[]string{"EOF", "connection reset", "broken pipe"}},
	} {
		c := cfg
		tt.bad(&c)
		c.WriteTimeout = 3 * time.Second
		err := openSink(t, c).Check(ctx)
		if err == nil || !slices.ContainsFunc(tt.want, func(w string) bool { return strings.Contains(err.Error(), w) }) {
			t.Errorf("%s: Check = %v, want an error with one of %q", tt.name, err, tt.want)
		}
	}
}

func TestTLSConfigErrors(t *testing.T) {
	dir := t.TempDir()
	ca, caKey := writeCA(t, dir)
	writeKeyPair(t, dir, "user", issue(t, ca, caKey, "mobu", nil))
	writeKeyPair(t, dir, "other", issue(t, ca, caKey, "other", nil))
	garbage := filepath.Join(dir, "garbage.pem")
	os.WriteFile(garbage, []byte("not PEM at all\n"), 0o600)
	missing := filepath.Join(dir, "missing.crt")
	p := func(name string) string { return filepath.Join(dir, name) }
	for _, tc := range []struct {
		name, protocol string
		ca, cert, key  string
		want           []string
	}{
		{name: "missing CA", ca: missing, want: []string{"CAPath " + missing + ": no such file or directory"}},
		{name: "garbage CA", ca: garbage, want: []string{"CAPath " + garbage + ": no PEM certificate found"}},
		{name: "no CA", want: []string{"CAPath is empty"}},
		{name: "cert without key", ca: p("ca.crt"), cert: p("user.crt"), want: []string{"CertPath " + p("user.crt") + " is set but KeyPath is empty"}},
		{name: "key without cert", ca: p("ca.crt"), key: p("user.key"), want: []string{"KeyPath " + p("user.key") + " is set but CertPath is empty"}},
		{name: "missing cert and garbage key", ca: p("ca.crt"), cert: missing, key: garbage,
			want: []string{"CertPath " + missing + ": no such file", "KeyPath " + garbage + ": no PEM private key found"}},
		{name: "key of another cert", ca: p("ca.crt"), cert: p("user.crt"), key: p("other.key"),
			want: []string{"CertPath " + p("user.crt") + " with KeyPath " + p("other.key") + ": tls: private key does not match public key"}},
		{name: "files without TLS", protocol: ProtocolPlaintext, ca: p("ca.crt"), want: []string{"CAPath set but SecurityProtocol PLAINTEXT does not use TLS"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			protocol := tc.protocol
			if protocol == "" {
				protocol = ProtocolSSL
			}
			cfg := Config{Brokers: []string{"127.0.0.1:9092"}, Encoding: EncodingJSON, SecurityProtocol: protocol,
				CAPath: tc.ca, CertPath: tc.cert, KeyPath: tc.key}
			err := cfg.Validate()
			if err == nil {
				t.Fatal("Validate accepted the configuration")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			if strings.Contains(err.Error(), "PRIVATE KEY") {
				t.Errorf("error shows key material: %v", err)
			}
			if _, err := Open(t.Context(), cfg); err == nil {
				t.Error("Open accepted the configuration")
			}
		})
	}
}

func TestValidateListsEveryProblem(t *testing.T) {
	cfg := Config{Brokers: []string{"no-port"}, SecurityProtocol: "SASL_CARRIER_PIGEON", TopicPrefix: "bad-prefix",
		Encoding: "avro", MaxMessageBytes: 10, SASLPassword: "hunter2"}
	err := cfg.Validate()
	if err == nil {
		t.Fatal("Validate accepted it")
	}
	for _, want := range []string{`Brokers "no-port" is not host:port`, `SecurityProtocol "SASL_CARRIER_PIGEON"`,
		`part "bad-prefix"`, "RegistryURL is empty", "MaxMessageBytes 10"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	cfg = Config{Brokers: []string{"h:1"}, SecurityProtocol: "sasl_ssl", SASLMechanism: "GSSAPI", SASLPassword: "hunter2",
		RegistryURL: "http://u:hunter2@reg:8081/", Encoding: "xml"}
	err = cfg.Validate()
	for _, want := range []string{`SASLMechanism "GSSAPI"`, "SASLUsername is empty", `Encoding "xml"`} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v lacks %q", err, want)
		}
	}
	if err != nil && strings.Contains(err.Error(), "hunter2") {
		t.Errorf("error reveals the password: %v", err)
	}
	ok := Config{Brokers: []string{"h:1"}, RegistryURL: "http://reg:8081"}
	if err := ok.Validate(); err != nil || ok.Topic() != testTopic {
		t.Errorf("defaults: Validate = %v, Topic = %s", err, ok.Topic())
	}
}

// Credentials in the registry URL become basic authentication and never
// appear in messages.
func TestRegistryCredentials(t *testing.T) {
	reg := srfake.New(srfake.WithAuth("Basic " + base64.StdEncoding.EncodeToString([]byte("mobu:s3cret"))))
	t.Cleanup(reg.Close)
	cluster := newCluster(t, kfake.SeedTopics(1, testTopic))
	cfg := testConfig(t, cluster, reg)
	cfg.RegistryURL = strings.Replace(reg.URL(), "http://", "http://mobu:s3cret@", 1)
	sink := openSink(t, cfg)
	ctx := testCtx(t)
	evs := allEvents()
	if err := sink.Write(ctx, evs); err != nil {
		t.Fatalf("Write with registry credentials: %v", err)
	}
	tailLines(t, cfg, len(evs))

	cfg.RegistryURL = strings.Replace(reg.URL(), "http://", "http://mobu:wrong@", 1)
	err := openSink(t, cfg).Write(ctx, evs)
	wantTransient(t, err, "HTTP 403", "not authorized") // srfake answers 403 where Confluent answers 401
	if strings.Contains(err.Error(), "wrong") {
		t.Errorf("error reveals the password: %v", err)
	}
}

func writeCA(t *testing.T, dir string) (*x509.Certificate, *ecdsa.PrivateKey) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	writePEM(t, filepath.Join(dir, "ca.crt"), "CERTIFICATE", der)
	return cert, key
}

func issue(t *testing.T, ca *x509.Certificate, caKey *ecdsa.PrivateKey, cn string, ips []net.IP) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IPAddresses: ips,
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

func writeKeyPair(t *testing.T, dir, name string, cert tls.Certificate) {
	t.Helper()
	keyDER, err := x509.MarshalPKCS8PrivateKey(cert.PrivateKey)
	if err != nil {
		t.Fatal(err)
	}
	writePEM(t, filepath.Join(dir, name+".crt"), "CERTIFICATE", cert.Certificate[0])
	writePEM(t, filepath.Join(dir, name+".key"), "PRIVATE KEY", keyDER)
}

func writePEM(t *testing.T, path, typ string, der []byte) {
	t.Helper()
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
}
