package live_test

import (
	"errors"
	"maps"
	"testing"

	"github.com/ratsmappe/ratsmappe"
	"github.com/ratsmappe/ratsmappe/sessions/live"
)

func TestQuorum(t *testing.T) {
	for _, c := range []struct {
		name             string
		rule             live.QuorumRule
		members, present int
		required         int
		reached          bool
	}{
		{"majority of 40: 20 is not more than half", live.QuorumRule{}, 40, 20, 21, false},
		{"majority of 40: 21", live.QuorumRule{}, 40, 21, 21, true},
		{"majority of 41: 21", live.QuorumRule{Kind: live.QuorumMajority}, 41, 21, 21, true},
		{"majority of 41: 20", live.QuorumRule{Kind: live.QuorumMajority}, 41, 20, 21, false},
		{"statutory number overrides the members counted", live.QuorumRule{Statutory: 51}, 40, 25, 26, false},
		{"statutory 51, 26 present", live.QuorumRule{Statutory: 51}, 40, 26, 26, true},
		{"fixed 5 of 40", live.QuorumRule{Kind: live.QuorumFixed, Number: 5}, 40, 5, 5, true},
		{"fixed 5, 4 present", live.QuorumRule{Kind: live.QuorumFixed, Number: 5}, 40, 4, 5, false},
		{"a body without members is never quorate", live.QuorumRule{}, 0, 0, 1, false},
	} {
		got := live.Quorum(c.rule, c.members, c.present)
		if got.Required != c.required || got.Reached != c.reached || got.Present != c.present {
			t.Errorf("%s: got %+v, want required %d reached %v", c.name, got, c.required, c.reached)
		}
	}
}

func TestQuorumRuleValidate(t *testing.T) {
	for _, c := range []struct {
		rule live.QuorumRule
		ok   bool
	}{
		{live.QuorumRule{}, true},
		{live.QuorumRule{Kind: live.QuorumFixed, Number: 3}, true},
		{live.QuorumRule{Kind: live.QuorumFixed}, false},
		{live.QuorumRule{Kind: "half"}, false},
		{live.QuorumRule{Statutory: -1}, false},
	} {
		err := c.rule.Validate()
		if (err == nil) != c.ok || (err != nil && ratsmappe.ErrorCode(err) != ratsmappe.EINVALID) {
			t.Errorf("%+v: %v", c.rule, err)
		}
	}
}

// Members 1–4 have voting right; 10 and 11 are deputies; 20 is a guest.
func TestSeatsAndVoters(t *testing.T) {
	members := []int64{1, 2, 3, 4}
	for _, c := range []struct {
		name     string
		att      []live.Attendee
		excluded []int64
		seats    map[int64]int64 // seat → sitter
		voters   map[int64]int64 // voter → seat
	}{
		{"absent and excused take no seat",
			[]live.Attendee{{Person: 1, Status: live.Present}, {Person: 2, Status: live.Absent}, {Person: 3, Status: live.Excused}},
			nil, map[int64]int64{1: 1}, map[int64]int64{1: 1}},
		{"a deputy takes the seat of the member they sit for",
			[]live.Attendee{{Person: 1, Status: live.Present}, {Person: 10, Status: live.Present, SubstituteFor: 2}},
			nil, map[int64]int64{1: 1, 2: 10}, map[int64]int64{1: 1, 10: 2}},
		{"a deputy who is absent takes no seat",
			[]live.Attendee{{Person: 10, Status: live.Absent, SubstituteFor: 2}},
			nil, map[int64]int64{}, map[int64]int64{}},
		{"a guest and a deputy for a non-member take no seat",
			[]live.Attendee{{Person: 20, Status: live.Present}, {Person: 11, Status: live.Present, SubstituteFor: 20}},
			nil, map[int64]int64{}, map[int64]int64{}},
		{"an excluded member keeps the seat for the quorum of the meeting but does not vote",
			[]live.Attendee{{Person: 1, Status: live.Present}, {Person: 2, Status: live.Present}, {Person: 3, Status: live.Present}},
			[]int64{2}, map[int64]int64{1: 1, 2: 2, 3: 3}, map[int64]int64{1: 1, 3: 3}},
		{"an exclusion is personal: the deputy of an excluded member votes",
			[]live.Attendee{{Person: 10, Status: live.Present, SubstituteFor: 2}},
			[]int64{2}, map[int64]int64{2: 10}, map[int64]int64{10: 2}},
		{"an excluded deputy does not vote",
			[]live.Attendee{{Person: 10, Status: live.Present, SubstituteFor: 2}},
			[]int64{10}, map[int64]int64{2: 10}, map[int64]int64{}},
	} {
		seats := live.Seats(members, c.att)
		if !maps.Equal(seats, c.seats) {
			t.Errorf("%s: seats %v, want %v", c.name, seats, c.seats)
		}
		if v := live.Voters(seats, c.excluded); !maps.Equal(v, c.voters) {
			t.Errorf("%s: voters %v, want %v", c.name, v, c.voters)
		}
	}
}

func TestAdopted(t *testing.T) {
	for _, c := range []struct {
		rule      string
		c         live.Counts
		statutory int
		want      bool
	}{
		// simple: yes > no, abstentions do not count.
		{live.Simple, live.Counts{Yes: 10, No: 9, Abstain: 20}, 40, true},
		{live.Simple, live.Counts{Yes: 10, No: 10}, 40, false},
		{live.Simple, live.Counts{Abstain: 5}, 40, false},
		{live.Simple, live.Counts{Yes: 1}, 40, true},
		// absolute: yes > half of the statutory members, whoever is present.
		{live.Absolute, live.Counts{Yes: 20, No: 0}, 40, false},
		{live.Absolute, live.Counts{Yes: 21, No: 0}, 40, true},
		{live.Absolute, live.Counts{Yes: 21, No: 19}, 41, true},
		{live.Absolute, live.Counts{Yes: 20, No: 1}, 41, false},
		// two thirds of yes + no, abstentions do not count.
		{live.TwoThirds, live.Counts{Yes: 20, No: 10}, 40, true},
		{live.TwoThirds, live.Counts{Yes: 19, No: 10}, 40, false},
		{live.TwoThirds, live.Counts{Yes: 2, No: 1, Abstain: 30}, 40, true},
		{live.TwoThirds, live.Counts{Abstain: 3}, 40, false},
		{"unknown", live.Counts{Yes: 40}, 40, false},
	} {
		if got := live.Adopted(c.rule, c.c, c.statutory); got != c.want {
			t.Errorf("%s %+v of %d: adopted %v, want %v", c.rule, c.c, c.statutory, got, c.want)
		}
	}
}

func TestValidation(t *testing.T) {
	for _, err := range []error{live.ValidRule("most"), live.ValidKind("hands"), live.ValidChoice("maybe")} {
		var e *ratsmappe.Error
		if ratsmappe.ErrorCode(err) != ratsmappe.EINVALID || !errors.As(err, &e) || e.MessageEN == "" || e.Message == "" {
			t.Errorf("%v: want EINVALID in German and English", err)
		}
	}
	for _, err := range []error{live.ValidRule(live.TwoThirds), live.ValidKind(live.Secret), live.ValidChoice(live.Abstain)} {
		if err != nil {
			t.Error(err)
		}
	}
}
