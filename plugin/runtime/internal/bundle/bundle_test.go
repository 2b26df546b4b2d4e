package bundle

import (
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeConfig writes config.json into a new bundle directory and returns the directory.
func writeConfig(t *testing.T, content string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "config.json"), []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestRead(t *testing.T) {
	tests := []struct {
		name        string
		config      string
		wantMeta    string
		wantOurs    bool
		wantProfile string
		hasProfile  bool
	}{
		{
			name:        "metadata and profile",
			config:      `{"ociVersion":"1.0.2","annotations":{"org.cijwt.metadata":"{\"team\":\"main\"}","org.cijwt.profile":"vault"}}`,
			wantMeta:    `{"team":"main"}`,
			wantOurs:    true,
			wantProfile: "vault",
			hasProfile:  true,
		},
		{
			name:     "metadata without a profile",
			config:   `{"annotations":{"org.cijwt.metadata":"{}"}}`,
			wantMeta: `{}`,
			wantOurs: true,
		},
		{
			name:   "other annotations only",
			config: `{"annotations":{"other":"x"}}`,
		},
		{
			name:   "no annotations",
			config: `{"ociVersion":"1.0.2","process":{"args":["sh"]}}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ann, err := Read(writeConfig(t, tt.config))
			if err != nil {
				t.Fatal(err)
			}
			if meta, ours := ann.Metadata(); meta != tt.wantMeta || ours != tt.wantOurs {
				t.Errorf("Metadata() = %q, %v; want %q, %v", meta, ours, tt.wantMeta, tt.wantOurs)
			}
			if p, ok := ann.Profile(); p != tt.wantProfile || ok != tt.hasProfile {
				t.Errorf("Profile() = %q, %v; want %q, %v", p, ok, tt.wantProfile, tt.hasProfile)
			}
		})
	}
}

func TestReadErrors(t *testing.T) {
	t.Run("no config.json", func(t *testing.T) {
		_, err := Read(t.TempDir())
		if !errors.Is(err, fs.ErrNotExist) {
			t.Fatalf("err = %v, want one wrapping fs.ErrNotExist", err)
		}
	})
	t.Run("not JSON", func(t *testing.T) {
		_, err := Read(writeConfig(t, `{"annotations": nope}`))
		var syntax *json.SyntaxError
		if !errors.As(err, &syntax) || !strings.Contains(err.Error(), "config.json is not valid JSON") {
			t.Fatalf("err = %v, want a *json.SyntaxError naming config.json", err)
		}
	})
	t.Run("annotation values that are not strings", func(t *testing.T) {
		_, err := Read(writeConfig(t, `{"annotations":{"org.cijwt.metadata":{"team":"main"}}}`))
		var typeErr *json.UnmarshalTypeError
		if !errors.As(err, &typeErr) {
			t.Fatalf("err = %v, want a *json.UnmarshalTypeError", err)
		}
	})
	t.Run("larger than the limit", func(t *testing.T) {
		// The annotation lies past maxConfigBytes: what is read of the file ends inside the padding.
		padding := strings.Repeat(" ", maxConfigBytes)
		_, err := Read(writeConfig(t, `{"x":"`+padding+`","annotations":{"org.cijwt.metadata":"{}"}}`))
		if !errors.Is(err, ErrTooLarge) {
			t.Fatalf("err = %v, want one wrapping ErrTooLarge", err)
		}
	})
	t.Run("exactly at the limit", func(t *testing.T) {
		head, tail := `{"annotations":{"org.cijwt.metadata":"{}"},"x":"`, `"}`
		padding := strings.Repeat(" ", maxConfigBytes-len(head)-len(tail))
		ann, err := Read(writeConfig(t, head+padding+tail))
		if _, ours := ann.Metadata(); err != nil || !ours {
			t.Fatalf("Read = %v, %v; want the annotation", ann, err)
		}
	})
}
