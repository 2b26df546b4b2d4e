// Package bundle reads what the wrapper needs from an OCI bundle: the annotations of its
// config.json that carry a build's metadata and token profile.
package bundle

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

const (
	// MetadataAnnotation carries the build metadata JSON; only containers that have it are ours.
	MetadataAnnotation = "org.cijwt.metadata"
	// ProfileAnnotation picks one of the operator's token profiles.
	ProfileAnnotation = "org.cijwt.profile"
	// maxConfigBytes bounds what is read of config.json: a larger file is not valid JSON to us.
	maxConfigBytes = 4 << 20
)

// ErrTooLarge is a config.json over the wrapper's limit: it cannot tell whether the container is ours.
var ErrTooLarge = fmt.Errorf("config.json is larger than %d MiB", maxConfigBytes>>20)

// Annotations are the annotations of a bundle's config.json.
type Annotations map[string]string

// Read reads the annotations of the config.json in dir.
func Read(dir string) (Annotations, error) {
	path := filepath.Join(dir, "config.json")
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("bundle: %w", err)
	}
	defer f.Close()
	var spec struct {
		Annotations Annotations `json:"annotations"`
	}
	// One byte past the limit tells a file that is too large from one that is exactly at it.
	data, err := io.ReadAll(io.LimitReader(f, maxConfigBytes+1))
	if err != nil {
		return nil, fmt.Errorf("bundle: %s: %w", path, err)
	}
	if len(data) > maxConfigBytes {
		return nil, fmt.Errorf("bundle: %s: %w", path, ErrTooLarge)
	}
	if err := json.Unmarshal(data, &spec); err != nil {
		return nil, fmt.Errorf("bundle: %s is not valid JSON: %w", path, err)
	}
	return spec.Annotations, nil
}

// Metadata is the build metadata annotation, and whether the container has one.
func (a Annotations) Metadata() (string, bool) {
	v, ok := a[MetadataAnnotation]
	return v, ok
}

// Profile is the token profile annotation, and whether the container has one.
func (a Annotations) Profile() (string, bool) {
	v, ok := a[ProfileAnnotation]
	return v, ok
}
