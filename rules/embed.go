// Package rules embeds Vigie's starter Sigma rules (the .yml files of
// this folder), so that the binary carries them: "vigie demo" runs them
// without a checkout. Elsewhere they are read from the folder itself
// ("vigie serve --rules rules").
package rules

import "embed"

// FS holds the rule files under aws/, linux/ and windows/.
//
//go:embed aws/*.yml linux/*.yml windows/*.yml
var FS embed.FS
