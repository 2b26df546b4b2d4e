// Package marker is the wrapper's own record of the containers it has handed to the agent: one
// small file per container, so that a later runc call on a container tells whether it is
// ci-jwt's without reading its bundle or asking the agent.
//
// A marker is written before the agent is asked at create (write-ahead), and removed when the
// agent answers that it delivered nothing, or after the container's delete. So every container
// the agent delivered to has a marker; a marker without a delivery (the wrapper killed between
// the two) costs one DELETE that the agent answers 404. Markers are keyed by runc's --root and
// the container id, since ids are unique only within one root (one containerd namespace).
//
// A marker's name is a hint, its content the proof: the name is the FNV-1a 64-bit hash of the
// root, a zero byte and the id, in hex (which the fast path computes in a few lines of C before
// the Go runtime starts, package fastpath, and where no file of that name exists, the container
// is certainly not marked); the file holds the root and the id, quoted, and a container is
// marked only when they are its own. Two containers whose keys share a hash (FNV is no defence
// against ids chosen to collide, and only whoever may create containers chooses ids) cost at
// worst one delete the agent is not told of, which it cleans up by itself (docs/runtime.md).
package marker

import (
	"bytes"
	"errors"
	"fmt"
	"hash/fnv"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
)

// Dir is the directory the markers are kept in.
type Dir string

// Beside is the marker directory of the agent at socket: "runtime" in the socket's directory
// (/run/ci-jwt/runtime by default), which only root and the agent's group can enter.
func Beside(socket string) Dir {
	return Dir(filepath.Join(filepath.Dir(socket), "runtime"))
}

// Name is the file name of the marker of container id under runc root (as runc was given it,
// "" for its default): the FNV-1a 64-bit hash of root, a zero byte and id, in 16 hex digits.
func Name(root, id string) string {
	h := fnv.New64a()
	h.Write([]byte(root))
	h.Write([]byte{0})
	h.Write([]byte(id))
	return fmt.Sprintf("%016x", h.Sum64())
}

// content is what the marker of container id under root holds: both, quoted, one a line.
func content(root, id string) []byte {
	return []byte(strconv.Quote(root) + "\n" + strconv.Quote(id) + "\n")
}

func (d Dir) path(root, id string) string {
	return filepath.Join(string(d), Name(root, id))
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
	_, werr := f.Write(content(root, id))
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr != nil {
		os.Remove(f.Name())
	}
	return werr
}

// Marked says whether container id under root has a marker: a file of its name that holds
// this root and id.
func (d Dir) Marked(root, id string) bool {
	got, err := os.ReadFile(d.path(root, id))
	return err == nil && bytes.Equal(got, content(root, id))
}

// Unmark removes the marker of container id under root; a missing one, or one that holds
// another container's key, is left and no error.
func (d Dir) Unmark(root, id string) error {
	if !d.Marked(root, id) {
		return nil
	}
	err := os.Remove(d.path(root, id))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return err
}
