// The go-jose v4 baseline for bench/run (go-jose is the library behind Concourse's own idtoken):
// mints and verifies the same claims ci-jwt mints for the sample build, with the fixtures' test
// keys, per algorithm.
//
//	GOMAXPROCS=1 go test -run '^$' -bench . -benchtime 5s -cpu 1
package gojose

import (
	"crypto"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

const (
	issuer   = "https://ci.example.com"
	audience = "vault"
)

var fixtures = filepath.Join("..", "..", "fixtures")

var keyFiles = map[jose.SignatureAlgorithm]string{
	jose.EdDSA: "test-ed25519-private.pem",
	jose.ES256: "test-p256-private.pem",
	jose.RS256: "test-rsa2048-private.pem",
}

type metadata struct {
	Team         string            `json:"team"`
	TeamID       string            `json:"teamid"`
	Pipeline     string            `json:"pipeline"`
	PipelineID   string            `json:"pipelineid"`
	InstanceVars map[string]string `json:"instance_vars"`
	Job          string            `json:"job"`
	JobID        string            `json:"jobid"`
	BuildID      string            `json:"buildid"`
	BuildName    string            `json:"build_name"`
	Task         string            `json:"task"`
	StepType     string            `json:"step_type"`
	Worker       string            `json:"worker"`
}

// buildClaims are the claims ci-jwt adds to the registered ones, as Concourse's idtoken adds its own.
type buildClaims struct {
	jwt.Claims
	Team         string            `json:"team"`
	TeamID       string            `json:"teamid"`
	Pipeline     string            `json:"pipeline"`
	PipelineID   string            `json:"pipelineid"`
	InstanceVars map[string]string `json:"instance_vars"`
	Job          string            `json:"job"`
	JobID        string            `json:"jobid"`
	Task         string            `json:"task"`
	BuildID      string            `json:"buildid"`
	BuildName    string            `json:"build_name"`
	StepType     string            `json:"step_type"`
	Worker       string            `json:"worker"`
}

func loadMetadata(b *testing.B) metadata {
	raw, err := os.ReadFile(filepath.Join(fixtures, "src", "main", "resources", "org", "cijwt", "fixtures", "metadata", "main.json"))
	if err != nil {
		b.Fatal(err)
	}
	var md metadata
	if err := json.Unmarshal(raw, &md); err != nil {
		b.Fatal(err)
	}
	return md
}

func loadKey(b *testing.B, alg jose.SignatureAlgorithm) crypto.Signer {
	raw, err := os.ReadFile(filepath.Join(fixtures, "src", "test", "resources", "org", "cijwt", "fixtures", "keys", keyFiles[alg]))
	if err != nil {
		b.Fatal(err)
	}
	block, _ := pem.Decode(raw)
	if block == nil {
		b.Fatalf("%s: no PEM block", keyFiles[alg])
	}
	var key any
	if strings.Contains(block.Type, "RSA") {
		key, err = x509.ParsePKCS1PrivateKey(block.Bytes)
	} else {
		key, err = x509.ParsePKCS8PrivateKey(block.Bytes)
	}
	if err != nil {
		b.Fatal(err)
	}
	return key.(crypto.Signer)
}

func claims(md metadata) buildClaims {
	now := time.Now()
	jti := make([]byte, 16)
	if _, err := rand.Read(jti); err != nil {
		panic(err)
	}
	return buildClaims{
		Claims: jwt.Claims{
			Issuer:    issuer,
			Subject:   md.Team + "/" + md.Pipeline,
			Audience:  jwt.Audience{audience},
			Expiry:    jwt.NewNumericDate(now.Add(10 * time.Minute)),
			NotBefore: jwt.NewNumericDate(now.Add(-30 * time.Second)),
			IssuedAt:  jwt.NewNumericDate(now),
			ID:        base64.RawURLEncoding.EncodeToString(jti),
		},
		Team: md.Team, TeamID: md.TeamID, Pipeline: md.Pipeline, PipelineID: md.PipelineID,
		InstanceVars: md.InstanceVars, Job: md.Job, JobID: md.JobID, Task: md.Task,
		BuildID: md.BuildID, BuildName: md.BuildName, StepType: md.StepType, Worker: md.Worker,
	}
}

func signer(b *testing.B, alg jose.SignatureAlgorithm, key crypto.Signer) jose.Signer {
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: key},
		(&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", "bench"))
	if err != nil {
		b.Fatal(err)
	}
	return s
}

func algorithms() []jose.SignatureAlgorithm {
	return []jose.SignatureAlgorithm{jose.EdDSA, jose.ES256, jose.RS256}
}

func BenchmarkMint(b *testing.B) {
	md := loadMetadata(b)
	for _, alg := range algorithms() {
		s := signer(b, alg, loadKey(b, alg))
		b.Run(string(alg), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				if _, err := jwt.Signed(s).Claims(claims(md)).Serialize(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkVerify(b *testing.B) {
	md := loadMetadata(b)
	for _, alg := range algorithms() {
		key := loadKey(b, alg)
		token, err := jwt.Signed(signer(b, alg, key)).Claims(claims(md)).Serialize()
		if err != nil {
			b.Fatal(err)
		}
		public := key.Public()
		b.Run(string(alg), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				parsed, err := jwt.ParseSigned(token, []jose.SignatureAlgorithm{alg})
				if err != nil {
					b.Fatal(err)
				}
				var out buildClaims
				if err := parsed.Claims(public, &out); err != nil {
					b.Fatal(err)
				}
				if err := out.Claims.ValidateWithLeeway(jwt.Expected{Issuer: issuer, AnyAudience: jwt.Audience{audience},
					Time: time.Now()}, time.Minute); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
