package main

import (
	"path/filepath"
	"sort"
	"strings"

	"github.com/vigie-sec/vigie/internal/detect"
	"github.com/vigie-sec/vigie/internal/sigma"
)

// pair is one rule that both engines load.
type pair struct {
	vigie *sigma.Rule
	peer  *peerRule
	// unsupported lists what sigma-go cannot evaluate in the rule (see
	// peerUnsupported); empty when it evaluates all of it.
	unsupported []string
}

// pairing is the SigmaHQ rule set as both engines load it.
type pairing struct {
	vigie *detect.RuleSet
	thor  *thorConfig
	pairs []pair
	// peerParsed counts the rule files sigma-go parses without error.
	peerParsed, files int
	// left counts, by reason, the rules Vigie evaluates that are not
	// compared.
	left map[string]int
}

// loadPairing loads the SigmaHQ folders with Vigie (detect.Load) and each
// rule file with sigma-go, and pairs the rules both load: detection rules
// Vigie evaluates (status ok) that sigma-go parses, that are the first
// document of their file (sigma.ParseRule reads no other), without a
// Sigma v1 aggregation (sigma-go needs a count implementation, Vigie turns
// them into correlations) and whose log source thor.yml maps.
func loadPairing(shared string) (*pairing, error) {
	folders := rulePaths(shared)
	rs, err := detect.Load(detect.Config{}, folders...)
	if err != nil {
		return nil, err
	}
	thor, err := readThor(filepath.Join(shared, "sigma", "tests", "thor.yml"))
	if err != nil {
		return nil, err
	}
	files, err := ruleFiles(folders)
	if err != nil {
		return nil, err
	}
	p := &pairing{vigie: rs, thor: thor, files: len(files), left: map[string]int{}}
	ok := map[*sigma.Rule]bool{}
	for _, st := range rs.Matcher.Status() {
		ok[st.Rule] = st.OK
	}
	byFile := map[string][]*sigma.Rule{}
	for _, r := range rs.Rules {
		byFile[r.File] = append(byFile[r.File], r)
	}
	for _, path := range files {
		pr, perr := parsePeerRule(path)
		if perr == nil {
			p.peerParsed++
		}
		for i, r := range byFile[path] {
			if r.Kind != sigma.KindDetection || r.Correlation != nil || !ok[r] {
				continue // not evaluated by Vigie's matcher on its own
			}
			switch {
			case perr != nil:
				p.left["sigma-go cannot parse the file: "+shortError(perr)]++
				continue
			case i > 0 || pr.ID != r.ID:
				p.left["not the first document of its file"]++
				continue
			case hasAggregation(pr):
				p.left["v1 aggregation"]++
				continue
			}
			peer := newPeerRule(thor, r.ID, path, pr)
			if len(peer.alts) == 0 {
				p.left["log source not in thor.yml: "+describeLogsource(r.Logsource)]++
				continue
			}
			p.pairs = append(p.pairs, pair{vigie: r, peer: peer, unsupported: peerUnsupported(pr)})
		}
	}
	return p, nil
}

// runnable returns the pairs sigma-go evaluates without error: the rules
// both engines load and evaluate, over which speed is compared.
func (p *pairing) runnable() []pair {
	var out []pair
	for _, pr := range p.pairs {
		if len(pr.unsupported) == 0 {
			out = append(out, pr)
		}
	}
	return out
}

// describeLogsource names a log source by its product (for grouping),
// "product:linux".
func describeLogsource(ls sigma.Logsource) string {
	if ls.Product != "" {
		return "product:" + ls.Product
	}
	if ls.Category != "" {
		return "category:" + ls.Category
	}
	return "service:" + ls.Service
}

// shortError keeps the kind of a parser error, without positions and
// values, for counting.
func shortError(err error) string {
	s := err.Error()
	switch {
	case strings.Contains(s, "time.Duration"):
		return "timeframe is decoded as a time.Duration from the detection map"
	case strings.Contains(s, "cannot unmarshal"):
		return "YAML shape"
	}
	if len(s) > 60 {
		s = s[:60]
	}
	return s
}

// sortedCounts returns the keys of m, largest count first.
func sortedCounts(m map[string]int) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if m[keys[i]] != m[keys[j]] {
			return m[keys[i]] > m[keys[j]]
		}
		return keys[i] < keys[j]
	})
	return keys
}

// printCounts writes m as "  count  key" lines, largest first.
func printCounts(logf func(format string, args ...any), m map[string]int) {
	for _, k := range sortedCounts(m) {
		logf("  %5d  %s", m[k], k)
	}
}
