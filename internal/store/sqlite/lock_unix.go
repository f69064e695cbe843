//go:build unix

package sqlite

import (
	"errors"
	"fmt"
	"os"
	"syscall"
)

// lockFile takes an exclusive lock on path+".lock", held until the
// returned file is closed. A store must have one writer: its zone map
// and next ID live in the memory of the process that writes.
func lockFile(path string) (*os.File, error) {
	f, err := os.OpenFile(path+".lock", os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("the store is open in another process or Store (lock %s.lock)", path)
		}
		return nil, fmt.Errorf("locking %s.lock: %w", path, err)
	}
	return f, nil
}
