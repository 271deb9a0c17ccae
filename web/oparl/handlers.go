package oparl

import (
	"net/http"

	"github.com/ratsmappe/ratsmappe/sessions"
	"github.com/ratsmappe/ratsmappe/web/render"
)

// The handlers web/routes.go registers, one per route of /oparl/v1: the
// objects (object), the lists (list) and the files' bytes.

// Root answers GET /oparl/v1/ with a redirect to the System object.
func (s *Handler) Root(w http.ResponseWriter, r *http.Request) {
	http.Redirect(w, r, oparlBase(r)+"/system", http.StatusMovedPermanently)
}

// NotFound answers an unknown path under /oparl, whatever the method,
// with OParl's Error object, 404.
func NotFound(w http.ResponseWriter, r *http.Request) { render.Error(w, r, render.NotFound) }

// Options answers a CORS preflight request (the headers come from CORS).
func Options(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) }

// System answers GET /oparl/v1/system.
func (s *Handler) System(w http.ResponseWriter, r *http.Request) { s.object(w, r, s.oparlSystem) }

// Bodies answers GET /oparl/v1/body.
func (s *Handler) Bodies(w http.ResponseWriter, r *http.Request) {
	s.list(w, r, wholeList(s.oparlBodies))
}

// Body answers GET /oparl/v1/body/{id}.
func (s *Handler) Body(w http.ResponseWriter, r *http.Request) { s.object(w, r, s.oparlBody) }

// Organizations answers GET /oparl/v1/body/{id}/organization.
func (s *Handler) Organizations(w http.ResponseWriter, r *http.Request) {
	s.list(w, r, wholeList(s.oparlOrganizations))
}

// Persons answers GET /oparl/v1/body/{id}/person.
func (s *Handler) Persons(w http.ResponseWriter, r *http.Request) { s.list(w, r, s.oparlPersons) }

// Meetings answers GET /oparl/v1/body/{id}/meeting and
// /oparl/v1/organization/{id}/meeting.
func (s *Handler) Meetings(w http.ResponseWriter, r *http.Request) {
	s.list(w, r, s.oparlPublicList(sessions.ListMeetings))
}

// Papers answers GET /oparl/v1/body/{id}/paper.
func (s *Handler) Papers(w http.ResponseWriter, r *http.Request) {
	s.list(w, r, s.oparlPublicList(sessions.ListPapers))
}

// Memberships answers GET /oparl/v1/body/{id}/membership.
func (s *Handler) Memberships(w http.ResponseWriter, r *http.Request) {
	s.list(w, r, s.oparlMemberships)
}

// LegislativeTerms answers GET /oparl/v1/body/{id}/legislativeTerm.
func (s *Handler) LegislativeTerms(w http.ResponseWriter, r *http.Request) {
	s.list(w, r, wholeList(s.oparlLegislativeTerms))
}

// Locations answers GET /oparl/v1/body/{id}/location.
func (s *Handler) Locations(w http.ResponseWriter, r *http.Request) {
	s.list(w, r, s.oparlPublicList(sessions.ListLocations))
}

// AgendaItems answers GET /oparl/v1/body/{id}/agendaItem.
func (s *Handler) AgendaItems(w http.ResponseWriter, r *http.Request) {
	s.list(w, r, s.oparlPublicList(sessions.ListAgendaItems))
}

// Consultations answers GET /oparl/v1/body/{id}/consultation.
func (s *Handler) Consultations(w http.ResponseWriter, r *http.Request) {
	s.list(w, r, s.oparlPublicList(sessions.ListConsultations))
}

// Files answers GET /oparl/v1/body/{id}/file.
func (s *Handler) Files(w http.ResponseWriter, r *http.Request) {
	s.list(w, r, s.oparlPublicList(sessions.ListFiles))
}

// Organization answers GET /oparl/v1/organization/{id}.
func (s *Handler) Organization(w http.ResponseWriter, r *http.Request) {
	s.object(w, r, s.oparlOrganization)
}

// Person answers GET /oparl/v1/person/{id}.
func (s *Handler) Person(w http.ResponseWriter, r *http.Request) { s.object(w, r, s.oparlPerson) }

// Membership answers GET /oparl/v1/membership/{id}.
func (s *Handler) Membership(w http.ResponseWriter, r *http.Request) {
	s.object(w, r, s.oparlMembership)
}

// LegislativeTerm answers GET /oparl/v1/legislativeTerm/{id}.
func (s *Handler) LegislativeTerm(w http.ResponseWriter, r *http.Request) {
	s.object(w, r, s.oparlLegislativeTerm)
}

// Meeting answers GET /oparl/v1/meeting/{id}.
func (s *Handler) Meeting(w http.ResponseWriter, r *http.Request) { s.object(w, r, s.oparlMeeting) }

// AgendaItem answers GET /oparl/v1/agendaItem/{id}.
func (s *Handler) AgendaItem(w http.ResponseWriter, r *http.Request) {
	s.object(w, r, s.oparlAgendaItem)
}

// Paper answers GET /oparl/v1/paper/{id}.
func (s *Handler) Paper(w http.ResponseWriter, r *http.Request) { s.object(w, r, s.oparlPaper) }

// Consultation answers GET /oparl/v1/paper/{paper}/consultation/{id}.
func (s *Handler) Consultation(w http.ResponseWriter, r *http.Request) {
	s.object(w, r, s.oparlConsultation)
}

// Location answers GET /oparl/v1/location/{id}.
func (s *Handler) Location(w http.ResponseWriter, r *http.Request) {
	s.object(w, r, s.oparlLocation)
}

// File answers GET /oparl/v1/file/{id}.
func (s *Handler) File(w http.ResponseWriter, r *http.Request) { s.object(w, r, s.oparlFile) }

// FileAccess answers GET /oparl/v1/file/{id}/access: the PDF, inline
// (OParl forbids attachment there).
func (s *Handler) FileAccess(w http.ResponseWriter, r *http.Request) {
	s.oparlFileBytes(w, r, "inline")
}

// FileDownload answers GET /oparl/v1/file/{id}/download: the PDF as an
// attachment with its file name.
func (s *Handler) FileDownload(w http.ResponseWriter, r *http.Request) {
	s.oparlFileBytes(w, r, "attachment")
}

// Protocol answers GET /oparl/v1/meeting/{mid}/protocol/{id}: minutes
// as a File.
func (s *Handler) Protocol(w http.ResponseWriter, r *http.Request) {
	s.object(w, r, s.oparlProtocol)
}

// ProtocolAccess answers GET /oparl/v1/meeting/{mid}/protocol/{id}/access.
func (s *Handler) ProtocolAccess(w http.ResponseWriter, r *http.Request) {
	s.oparlProtocolBytes(w, r, "inline")
}

// ProtocolDownload answers GET
// /oparl/v1/meeting/{mid}/protocol/{id}/download.
func (s *Handler) ProtocolDownload(w http.ResponseWriter, r *http.Request) {
	s.oparlProtocolBytes(w, r, "attachment")
}
