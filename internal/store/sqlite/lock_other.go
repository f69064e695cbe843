//go:build !unix

package sqlite

import "os"

// lockFile does nothing where flock is missing: keeping one process per
// store is then up to the operator.
func lockFile(path string) (*os.File, error) {
	return nil, nil
}
