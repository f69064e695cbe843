package bundle

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/vigie-sec/vigie/internal/evidence"
)

// FormatName is the manifest's format string.
const FormatName = "vigie-case-bundle/1"

// The names of the files Vigie itself writes in a bundle.
const (
	ManifestFile = "manifest.json"
	EventsFile   = "events.ndjson"
	AlertsFile   = "alerts.ndjson"
	AuditFile    = "audit.ndjson"
	ProofsFile   = "proofs.json"
)

// Manifest is the content of manifest.json.
type Manifest struct {
	Format     string              `json:"format"` // FormatName
	Incident   string              `json:"incident"`
	ExportedBy string              `json:"exported_by"`
	ExportedAt time.Time           `json:"exported_at"`
	Instance   Instance            `json:"instance"`
	Checkpoint evidence.Checkpoint `json:"checkpoint"`
	Previous   *Previous           `json:"previous,omitempty"`
	Files      []FileEntry         `json:"files"` // every file but manifest.json, in archive order
	// Signature is Ed25519 by the instance key over the canonical bytes
	// (see the package documentation), standard base64.
	Signature string `json:"signature"`

	// SHA256 is the SHA-256 of manifest.json as written or read: what
	// the next export's Previous names.
	SHA256 [sha256.Size]byte `json:"-"`
}

// Instance names the Vigie instance that exported a bundle.
type Instance struct {
	PublicKey string `json:"public_key"` // evidence.PublicKey text form
	KeyID     string `json:"key_id"`
}

// Previous names the export a bundle follows, as the caller says it.
type Previous struct {
	Manifest [sha256.Size]byte // SHA-256 of the previous manifest.json
	Changes  string            // a short summary of what changed since
}

type previousJSON struct {
	Manifest string `json:"manifest_sha256"`
	Changes  string `json:"changes"`
}

// MarshalJSON writes p as {"manifest_sha256": hex, "changes": text}.
func (p Previous) MarshalJSON() ([]byte, error) {
	return json.Marshal(previousJSON{hex.EncodeToString(p.Manifest[:]), p.Changes})
}

// UnmarshalJSON reads what MarshalJSON writes.
func (p *Previous) UnmarshalJSON(data []byte) error {
	var j previousJSON
	if err := strictUnmarshal(data, &j); err != nil {
		return err
	}
	sum, err := decodeSum(j.Manifest)
	if err != nil {
		return fmt.Errorf("manifest_sha256: %w", err)
	}
	*p = Previous{Manifest: sum, Changes: j.Changes}
	return nil
}

// FileEntry is one file listed in the manifest.
type FileEntry struct {
	Name   string
	SHA256 [sha256.Size]byte
	Size   int64
}

type fileEntryJSON struct {
	Name   string `json:"name"`
	SHA256 string `json:"sha256"`
	Size   int64  `json:"size"`
}

// MarshalJSON writes f as {"name", "sha256": hex, "size"}.
func (f FileEntry) MarshalJSON() ([]byte, error) {
	return json.Marshal(fileEntryJSON{f.Name, hex.EncodeToString(f.SHA256[:]), f.Size})
}

// UnmarshalJSON reads what MarshalJSON writes.
func (f *FileEntry) UnmarshalJSON(data []byte) error {
	var j fileEntryJSON
	if err := strictUnmarshal(data, &j); err != nil {
		return err
	}
	sum, err := decodeSum(j.SHA256)
	if err != nil {
		return fmt.Errorf("file %q: sha256: %w", j.Name, err)
	}
	*f = FileEntry{Name: j.Name, SHA256: sum, Size: j.Size}
	return nil
}

func decodeSum(s string) ([sha256.Size]byte, error) {
	var sum [sha256.Size]byte
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != len(sum) || hex.EncodeToString(b) != s {
		return sum, fmt.Errorf("%.80q is not %d lowercase hex digits", s, 2*len(sum))
	}
	copy(sum[:], b)
	return sum, nil
}

func strictUnmarshal(data []byte, v any) error {
	d := json.NewDecoder(bytes.NewReader(data))
	d.DisallowUnknownFields()
	if err := d.Decode(v); err != nil {
		return err
	}
	if d.More() {
		return errors.New("data after the JSON value")
	}
	return nil
}

// sign sets m.Signature and returns manifest.json's bytes.
func (m *Manifest) sign(key *evidence.Key) ([]byte, error) {
	m.Signature = ""
	unsigned, err := json.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("encoding the manifest: %w", err)
	}
	canon, err := canonical(unsigned, "signature")
	if err != nil {
		return nil, fmt.Errorf("BUG: canonical manifest: %w", err)
	}
	m.Signature = base64.StdEncoding.EncodeToString(key.Sign(canon))
	out, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encoding the manifest: %w", err)
	}
	out = append(out, '\n')
	m.SHA256 = sha256.Sum256(out)
	return out, nil
}

// parseManifest decodes manifest.json strictly and returns it with its
// canonical bytes.
func parseManifest(data []byte) (*Manifest, []byte, error) {
	canon, err := canonical(data, "signature")
	if err != nil {
		return nil, nil, err
	}
	var m Manifest
	if err := strictUnmarshal(data, &m); err != nil {
		return nil, nil, err
	}
	m.SHA256 = sha256.Sum256(data)
	return &m, canon, nil
}

// verifySignature checks the manifest's signature over canon with pub.
func (m *Manifest) verifySignature(canon []byte, pub evidence.PublicKey) error {
	sig, err := base64.StdEncoding.Strict().DecodeString(m.Signature)
	if err != nil || len(sig) != ed25519.SignatureSize {
		return fmt.Errorf("signature %.100q is not the base64 of %d bytes", m.Signature, ed25519.SignatureSize)
	}
	if !ed25519.Verify(ed25519.PublicKey(pub), canon, sig) {
		return fmt.Errorf("manifest signature does not verify with key %s (%s)", pub.KeyID(), pub)
	}
	return nil
}
