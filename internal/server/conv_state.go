package server

import (
	"math"
	"strconv"
)

// fmtNum writes a value for a cell: whole numbers as they are, others with
// at most two decimals. static/js/visualizer.js has the same fmt.
func fmtNum(v float32) string {
	f := float64(v)
	if f == math.Trunc(f) && math.Abs(f) < 1e9 {
		if f == 0 {
			return "0"
		}
		return strconv.FormatFloat(f, 'f', 0, 64)
	}
	// Halves round away from zero, as JavaScript's toFixed does.
	r := math.Round(f*100) / 100
	if r == 0 {
		return "0"
	}
	return strconv.FormatFloat(r, 'f', -1, 64)
}
