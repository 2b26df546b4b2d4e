// Package marker is the wrapper's own record of the containers it has handed to the agent: one
// empty file per container, so that a later runc call on a container tells in one stat whether
// it is ci-jwt's, without reading its bundle or asking the agent.
//
// A marker is written before the agent is asked at create (write-ahead), and removed when the
// agent answers that it delivered nothing, or after the container's delete. So every container
// the agent delivered to has a marker; a marker without a delivery (the wrapper killed between
// the two) costs one DELETE that the agent answers 404. Markers are keyed by runc's --root and
// the container id, since ids are unique only within one root (one containerd namespace).
package marker

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
)

// Dir is the directory the markers are kept in.
type Dir string

// Beside is the marker directory of the agent at socket: "runtime" in the socket's directory
// (/run/ci-jwt/runtime by default), which only root and the agent's group can enter.
func Beside(socket string) Dir {
	return Dir(filepath.Join(filepath.Dir(socket), "runtime"))
}

// path names the marker of container id under runc root (as runc was given it, "" for its default).
func (d Dir) path(root, id string) string {
	sum := sha256.Sum256([]byte(root + "\x00" + id))
	return filepath.Join(string(d), hex.EncodeToString(sum[:]))
}

// Mark records that container id under root is being handed to the agent.
func (d Dir) Mark(root, id string) error {
	if err := os.MkdirAll(string(d), 0o700); err != nil {
		return err
	}
	f, err := os.OpenFile(d.path(root, id), os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	// For whoever lists the directory: which container the file stands for.
	_, werr := f.WriteString(root + "\n" + id + "\n")
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr != nil {
		os.Remove(f.Name())
	}
	return werr
}

// Marked says whether container id under root has a marker.
func (d Dir) Marked(root, id string) bool {
	_, err := os.Lstat(d.path(root, id))
	return err == nil
}

// Unmark removes the marker of container id under root; a missing one is no error.
func (d Dir) Unmark(root, id string) error {
	err := os.Remove(d.path(root, id))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return err
}
