package oparl

import "encoding/json"

// Votes are the closed votes of an agenda item. Read, votes that do not
// fit are dropped whole, never failing the item: Ratsmappe's importer
// takes no votes.
type Votes []*Vote

func (vs *Votes) UnmarshalJSON(b []byte) error {
	var v []*Vote
	if json.Unmarshal(b, &v) != nil {
		v = nil
	}
	*vs = v
	return nil
}

// Vote is one closed vote on an agenda item, in Ratsmappe's extension
// property "ratsmappe:votes" of AgendaItem (docs/oparl-extension.md).
// OParl 1.1 has only the free-text AgendaItem.result; extra properties
// are allowed.
type Vote struct {
	Kind     string      `json:"kind"` // open, named, secret
	Rule     string      `json:"rule"` // simple, absolute, two_thirds
	Yes      int         `json:"yes"`
	No       int         `json:"no"`
	Abstain  int         `json:"abstain"`
	Adopted  bool        `json:"adopted"`
	Version  int         `json:"version"`            // 1, or the number of the newest correction
	Closed   string      `json:"closed"`             // when the vote was closed
	Named    []NamedVote `json:"named,omitempty"`    // named votes only
	Excluded []string    `json:"excluded,omitempty"` // persons (URLs) who did not take part: excluded from the item
}

// NamedVote is one member's choice in a named vote.
type NamedVote struct {
	Person string `json:"person"`         // the person who voted (URL)
	Seat   string `json:"seat,omitempty"` // the member a deputy voted for (URL), if not Person
	Choice string `json:"choice"`         // yes, no, abstain
}
