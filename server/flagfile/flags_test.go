package flagfile_test

import (
	"encoding/json"
	"testing"

	"github.com/slowpath/slowpath/server/flagfile"
)

func TestParseRejectsBadFiles(t *testing.T) {
	for _, tc := range []struct{ name, file string }{
		{"not JSON", `version: 2`},
		{"truncated", `{"version": 2, "theme": {"default": "light"}, "flags": [{"key": "a"`},
		{"no theme", `{"version": 2, "flags": []}`},
		{"themes over 100%", `{"theme": {"default": "light", "variants": [{"name": "dark", "weight": 60}, {"name": "sepia", "weight": 50}]}}`},
		{"unnamed variant", `{"theme": {"default": "light", "variants": [{"weight": 10}]}}`},
		{"negative weight", `{"theme": {"default": "light", "variants": [{"name": "dark", "weight": -1}]}}`},
		{"rollout over 100", `{"theme": {"default": "light"}, "flags": [{"key": "a", "rollout": 101}]}`},
		{"negative rollout", `{"theme": {"default": "light"}, "flags": [{"key": "a", "rollout": -1}]}`},
		{"empty key", `{"theme": {"default": "light"}, "flags": [{"key": ""}]}`},
		{"repeated key", `{"theme": {"default": "light"}, "flags": [{"key": "a"}, {"key": "a"}]}`},
		{"unknown segment", `{"theme": {"default": "light"}, "flags": [{"key": "a", "rules": [{"segment": "eu", "rollout": 5}]}]}`},
		{"rule over 100", `{"theme": {"default": "light"}, "segments": [{"key": "eu"}], "flags": [{"key": "a", "rules": [{"segment": "eu", "rollout": 200}]}]}`},
		{"repeated segment", `{"theme": {"default": "light"}, "segments": [{"key": "eu"}, {"key": "eu"}]}`},
		{"empty segment key", `{"theme": {"default": "light"}, "segments": [{"key": ""}]}`},
	} {
		if f, err := flagfile.Parse([]byte(tc.file)); err == nil {
			t.Errorf("%s: Parse accepted it: %+v", tc.name, f)
		}
	}
}

func TestParseKeepsEveryField(t *testing.T) {
	want := flagfile.Flags{
		Version: 2, UpdatedAt: "2026-03-02T16:41:09Z", UpdatedBy: "ops@example.com",
		Theme:    flagfile.Theme{Default: "light", Salt: "s", Variants: []flagfile.Variant{{Name: "dark", Weight: 30}}},
		Segments: []flagfile.Segment{{Key: "eu", Description: "EU", Users: []int64{7}, Countries: []string{"FR"}, Plans: []string{"pro"}}},
		Flags: []flagfile.Flag{{
			Key: "a", Description: "d", Owner: "o", Ticket: "PROD-1", CreatedAt: "2021-06-01T10:00:00Z",
			Tags: []string{"ui"}, Client: true, Enabled: true, Allow: []int64{42}, Rollout: 100, Salt: "a-2024",
			Rules:   []flagfile.Rule{{Segment: "eu", Rollout: 0}},
			History: []flagfile.Change{{At: "2022-01-01T00:00:00Z", By: "ana@example.com", Change: "rollout 0% -> 100%"}},
		}},
	}
	data, err := json.Marshal(&want)
	if err != nil {
		t.Fatal(err)
	}
	got, err := flagfile.Parse(data)
	if err != nil {
		t.Fatalf("Parse(%s): %v", data, err)
	}
	again, err := json.Marshal(got)
	if err != nil {
		t.Fatal(err)
	}
	if string(again) != string(data) {
		t.Errorf("Parse lost or changed a field:\n got %s\nwant %s", again, data)
	}
}
