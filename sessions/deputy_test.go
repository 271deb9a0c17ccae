package sessions_test

import (
	"testing"
	"time"

	"github.com/ratsmappe/ratsmappe/access"
)

// A deputy seated in a meeting's running session (MeetingFacts.Deputies)
// sees that meeting as a member of its organization: non-public items,
// their attachments, the meeting's own non-public documents, approved
// minutes, and the papers consulted there — unless excluded themselves;
// the exclusion of the member they sit for does not reach them. The
// rule alone, on facts as the store hands them over.
func TestDeputySeesTheMeetingAsAMember(t *testing.T) {
	at := time.Date(2026, 3, 12, 17, 0, 0, 0, time.UTC)
	now := at.Add(time.Hour)
	const deputy, member, outsider = 7, 8, 9
	seated := access.MeetingFacts{OrganizationID: 1, Start: at, PublishedAt: at.Add(-72 * time.Hour), Deputies: []int64{deputy}}
	other := seated // another meeting of the same body: no seat there
	other.Deputies = nil
	nonPublic := access.AttachmentFacts{}
	viewer := func(person int64, role access.Role) access.Viewer {
		return access.Viewer{AccountID: person, PersonID: person, Role: role}
	}
	for _, tc := range []struct {
		name string
		v    access.Viewer
		m    access.MeetingFacts
		excl []int64
		want access.Access
	}{
		{"deputy in the running session", viewer(deputy, access.RoleMember), seated, nil, access.Full},
		{"deputy, the member they sit for excluded", viewer(deputy, access.RoleMember), seated, []int64{member}, access.Full},
		{"deputy excluded themselves", viewer(deputy, access.RoleMember), seated, []int64{deputy}, access.Stub},
		{"deputy, another meeting of the body", viewer(deputy, access.RoleMember), other, nil, access.Stub},
		{"someone else", viewer(outsider, access.RoleMember), seated, nil, access.Stub},
		{"deputy's person on a non-member account", viewer(deputy, access.RoleAnonymous), seated, nil, access.Stub},
	} {
		it := access.ItemFacts{Meeting: tc.m, Excluded: tc.excl}
		tc.m.Excluded = tc.excl
		if got := access.ItemAccess(tc.v, it, now); got != tc.want {
			t.Errorf("%s: item %v, want %v", tc.name, got, tc.want)
		}
		wantDoc := access.None
		if tc.want == access.Full {
			wantDoc = access.Full
		}
		if got := access.ItemAttachmentAccess(tc.v, it, nonPublic, now); got != wantDoc {
			t.Errorf("%s: item's attachment %v, want %v", tc.name, got, wantDoc)
		}
		if got := access.MeetingAttachmentAccess(tc.v, tc.m, nonPublic, now); got != wantDoc {
			t.Errorf("%s: meeting's attachment %v, want %v", tc.name, got, wantDoc)
		}
		minutes := access.MinutesFacts{Meeting: tc.m, Approved: true}
		if got := access.MinutesAccess(tc.v, minutes, now); got != wantDoc {
			t.Errorf("%s: approved minutes %v, want %v", tc.name, got, wantDoc)
		}
		paper := access.PaperFacts{Items: []access.ItemFacts{it}, Excluded: tc.excl}
		if got := access.PaperAttachmentAccess(tc.v, paper, nonPublic, now); got != wantDoc {
			t.Errorf("%s: paper's attachment %v, want %v", tc.name, got, wantDoc)
		}
	}
}
