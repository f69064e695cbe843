package bundle

// Limits bound what Verify and Read accept from an untrusted bundle. A
// zero field takes its default. In YAML:
//
//	max_archive_bytes: 4294967296
//	max_total_bytes: 17179869184
//	max_files: 10000
//	max_file_bytes: 4294967296
//	max_line_bytes: 67108864
type Limits struct {
	MaxArchive int64 `yaml:"max_archive_bytes"` // size of the bundle file; default 4 GiB
	MaxTotal   int64 `yaml:"max_total_bytes"`   // uncompressed bytes of all entries; default 16 GiB
	MaxFiles   int   `yaml:"max_files"`         // number of entries; default 10000
	MaxFile    int64 `yaml:"max_file_bytes"`    // uncompressed bytes of one entry; default 4 GiB
	// MaxLine bounds what is held in memory at once: one NDJSON line,
	// one entry of proofs.json, manifest.json. Default 64 MiB. Read,
	// which holds the whole bundle, is bounded by MaxTotal instead.
	MaxLine int64 `yaml:"max_line_bytes"`
}

// Defaults of Limits.
const (
	DefaultMaxArchive = 4 << 30
	DefaultMaxTotal   = 16 << 30
	DefaultMaxFiles   = 10000
	DefaultMaxFile    = 4 << 30
	DefaultMaxLine    = 64 << 20
)

// withDefaults returns l with its zero fields set to their defaults.
func (l Limits) withDefaults() Limits {
	if l.MaxArchive <= 0 {
		l.MaxArchive = DefaultMaxArchive
	}
	if l.MaxTotal <= 0 {
		l.MaxTotal = DefaultMaxTotal
	}
	if l.MaxFiles <= 0 {
		l.MaxFiles = DefaultMaxFiles
	}
	if l.MaxFile <= 0 {
		l.MaxFile = DefaultMaxFile
	}
	if l.MaxLine <= 0 {
		l.MaxLine = DefaultMaxLine
	}
	return l
}
