package geoiptest

import (
	"cmp"
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
)

// ReadCSV reads records from the simulator's geo.csv: a header line, then
// cidr,country,lat,lon,asn,org. The file gives no accuracy radius: records
// have radius 0, so distances are measured centre to centre.
func ReadCSV(r io.Reader) ([]Record, error) {
	rows, err := csv.NewReader(r).ReadAll()
	if err != nil {
		return nil, fmt.Errorf("reading geo.csv: %w", err)
	}
	var recs []Record
	for i, row := range rows {
		if i == 0 {
			continue
		}
		if len(row) != 6 {
			return nil, fmt.Errorf("geo.csv:%d: %d fields, want 6", i+1, len(row))
		}
		lat, err1 := strconv.ParseFloat(row[2], 64)
		lon, err2 := strconv.ParseFloat(row[3], 64)
		asn, err3 := strconv.ParseUint(row[4], 10, 32)
		if err := cmp.Or(err1, err2, err3); err != nil {
			return nil, fmt.Errorf("geo.csv:%d: %w", i+1, err)
		}
		recs = append(recs, Record{CIDR: row[0], Country: row[1], Lat: lat, Lon: lon, ASN: uint32(asn), Org: row[5]})
	}
	return recs, nil
}
