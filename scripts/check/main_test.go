package main

import "testing"

// TestApartNeverPrintsTheBound: a value that fails its bound never reads
// as the bound itself, and a value far from it keeps its usual digits.
func TestApartNeverPrintsTheBound(t *testing.T) {
	for _, tc := range []struct {
		v, bound         float64
		decimals         int
		wantV, wantBound string
	}{
		{0.496, 0.5, 2, "0.496", "0.500"},
		{0.31, 0.5, 2, "0.31", "0.50"},
		{25.4, 25, 0, "25.4", "25.0"},
		{90, 25, 0, "90", "25"},
		{2.01, 2, 1, "2.01", "2.00"},
	} {
		if v, b := apart(tc.v, tc.bound, tc.decimals); v != tc.wantV || b != tc.wantBound {
			t.Errorf("apart(%v, %v, %d) = %s, %s; want %s, %s", tc.v, tc.bound, tc.decimals, v, b, tc.wantV, tc.wantBound)
		}
	}
}
