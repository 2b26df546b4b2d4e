// Package bundle reads what the wrapper needs from an OCI bundle: the annotations of its
// config.json that carry a build's metadata and token profile.
package bundle

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
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
	data, err := readConfig(path)
	if err != nil {
		return nil, err
	}
	var spec struct {
		Annotations Annotations `json:"annotations"`
	}
	if err := json.Unmarshal(data, &spec); err != nil {
		return nil, fmt.Errorf("bundle: %s is not valid JSON: %w", path, err)
	}
	return spec.Annotations, nil
}

// readConfig reads a config.json of at most maxConfigBytes.
func readConfig(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("bundle: %w", err)
	}
	defer f.Close()
	// One byte past the limit tells a file that is too large from one that is exactly at it.
	data, err := io.ReadAll(io.LimitReader(f, maxConfigBytes+1))
	if err != nil {
		return nil, fmt.Errorf("bundle: %s: %w", path, err)
	}
	if len(data) > maxConfigBytes {
		return nil, fmt.Errorf("bundle: %s: %w", path, ErrTooLarge)
	}
	return data, nil
}

// TokenVariables are the names of the variables that carry a delivered token into a task.
var TokenVariables = []string{"CONCOURSE_CI_JWT", "CONCOURSE_CI_JWT_FILE"}

// TokenEnv is the token variables (NAME=value) that the agent put into the process of the
// bundle's config.json at create; none for a container ci-jwt did not deliver to.
func TokenEnv(dir string) ([]string, error) {
	data, err := readConfig(filepath.Join(dir, "config.json"))
	if err != nil {
		return nil, err
	}
	var spec struct {
		Process struct {
			Env []string `json:"env"`
		} `json:"process"`
	}
	if err := json.Unmarshal(data, &spec); err != nil {
		return nil, fmt.Errorf("bundle: %s is not valid JSON: %w", filepath.Join(dir, "config.json"), err)
	}
	var env []string
	for _, e := range spec.Process.Env {
		name, _, _ := strings.Cut(e, "=")
		for _, v := range TokenVariables {
			if name == v {
				env = append(env, e)
			}
		}
	}
	return env, nil
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
