package main

import (
	"github.com/vigie-sec/vigie/internal/behave"
	"github.com/vigie-sec/vigie/internal/behave/catalog"
)

// newBehaviour builds the detectors named in dc.Detectors, and extra ones
// given by the caller (the IOC matcher). It returns nil when there are
// none.
func newBehaviour(dc *detectionConfig, extra ...behave.Detector) (set *behave.Set, note string, err error) {
	ds, note, err := catalog.Build(dc.Detectors, dc.GeoIP, dc.GeoIPASN, &dc.Behaviour)
	if err != nil {
		return nil, "", err
	}
	ds = append(ds, extra...)
	if len(ds) == 0 {
		return nil, "", nil
	}
	return behave.NewSet(ds...), note, nil
}
