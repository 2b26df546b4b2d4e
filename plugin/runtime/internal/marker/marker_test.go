package marker

import (
	"os"
	"path/filepath"
	"testing"
)

func TestMarkers(t *testing.T) {
	d := Dir(filepath.Join(t.TempDir(), "runtime"))
	if d.Marked("/run/containerd/runc/default", "c1") {
		t.Fatal("a container is marked before Mark")
	}
	if err := d.Mark("/run/containerd/runc/default", "c1"); err != nil {
		t.Fatal(err)
	}
	if !d.Marked("/run/containerd/runc/default", "c1") {
		t.Fatal("Mark left no marker")
	}
	t.Run("an id is marked only under its own root", func(t *testing.T) {
		if d.Marked("/run/containerd/runc/concourse", "c1") || d.Marked("", "c1") {
			t.Fatal("the same id under another root is taken as marked")
		}
	})
	t.Run("the directory is the owner's alone", func(t *testing.T) {
		info, err := os.Stat(string(d))
		if err != nil || info.Mode().Perm() != 0o700 {
			t.Fatalf("marker directory: %v, %v; want mode 0700", info, err)
		}
	})
	if err := d.Unmark("/run/containerd/runc/default", "c1"); err != nil {
		t.Fatal(err)
	}
	if d.Marked("/run/containerd/runc/default", "c1") {
		t.Fatal("Unmark left the marker")
	}
	if err := d.Unmark("/run/containerd/runc/default", "c1"); err != nil {
		t.Fatalf("unmarking twice: %v", err)
	}
}

func TestBeside(t *testing.T) {
	if got := Beside("/run/ci-jwt/agent.sock"); got != "/run/ci-jwt/runtime" {
		t.Fatalf("Beside = %s", got)
	}
}

func TestMarkFailsWhereTheDirectoryCannotBeMade(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := Dir(filepath.Join(file, "runtime")).Mark("", "c1"); err == nil {
		t.Fatal("Mark under a regular file succeeded")
	}
}

func TestName(t *testing.T) {
	// FNV-1a 64 of "" + "\x00" + "": one round over the zero byte from the offset basis.
	if got := Name("", ""); got != "af63bd4c8601b7df" {
		t.Fatalf("Name(\"\", \"\") = %s", got)
	}
}

func TestAMarkerHoldingAnotherContainersKeyIsNotItsMarker(t *testing.T) {
	d := Dir(filepath.Join(t.TempDir(), "runtime"))
	if err := d.Mark("/run/containerd/runc/default", "c1"); err != nil {
		t.Fatal(err)
	}
	// Another key whose name is the same: put c1's file where c2's would be.
	if err := os.Rename(d.path("/run/containerd/runc/default", "c1"), d.path("/run/containerd/runc/default", "c2")); err != nil {
		t.Fatal(err)
	}
	if d.Marked("/run/containerd/runc/default", "c2") {
		t.Fatal("a file holding c1's key is taken for c2's marker")
	}
	if err := d.Unmark("/run/containerd/runc/default", "c2"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(d.path("/run/containerd/runc/default", "c2")); err != nil {
		t.Fatalf("Unmark of c2 removed a file holding c1's key: %v", err)
	}
}
