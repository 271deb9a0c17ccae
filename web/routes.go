package web

import (
	"net/http"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/ratsmappe/ratsmappe/web/oparl"
	"github.com/ratsmappe/ratsmappe/web/render"
	"github.com/ratsmappe/ratsmappe/web/request"
)

// routes is the one route table of Ratsmappe: the middleware every
// request passes, then every route of every surface, top to bottom — the
// portal's pages and feeds, the office, the reader, the JSON API and
// OParl. Each group says how it answers errors (render.As): as a page,
// as JSON or as an OParl error object.
func (s *Server) routes(publicCache func(http.Handler) http.Handler, admission *admission) chi.Router {
	r := chi.NewRouter()
	r.Use(s.resolveClient)
	r.Use(s.requestValues)
	// Early, so that every answer — a 429 too — carries them.
	r.Use(securityHeaders)
	r.Use(middleware.RequestID)
	r.Use(middleware.Recoverer)
	// A body arrives, and a sign-in is checked, before the request takes
	// an admission slot: slow clients and forged cookies hold none, and
	// the admission knows whom it admits (admission.go, limits.go).
	r.Use(s.limitBodies)
	r.Use(s.authenticate)
	r.Use(admission.middleware)
	// HEAD is answered by the GET handler, without the body.
	r.Use(middleware.GetHead)
	r.Use(render.RememberLanguage)
	r.Use(http.NewCrossOriginProtection().Handler)
	r.Use(s.checkCSRF)
	r.Use(publicCache)

	// Operations.
	r.Handle("/static/*", render.Static())
	r.Get("/healthz", s.handleHealthz)
	r.Get("/readyz", s.handleReadyz)
	if s.cfg.Registry != nil {
		r.Handle("/metrics", promhttp.HandlerFor(s.cfg.Registry, promhttp.HandlerOpts{}))
	}
	r.NotFound(func(w http.ResponseWriter, r *http.Request) { render.Error(w, r, render.NotFound) })
	if s.cfg.Sessions == nil {
		return r
	}

	// Sign-in (auth.go, oidc.go).
	r.Group(func(r chi.Router) {
		r.Use(render.As(render.Pages))
		r.Get("/login", s.handleLoginPage)
		r.Post("/login", s.handleLogin)
		r.Post("/logout", s.handleLogout)
		if s.oidc != nil {
			r.Get("/login/oidc", s.handleOIDCStart)
			r.Get("/login/oidc/callback", s.handleOIDCCallback)
		}
	})

	// The portal: pages for citizens and members.
	r.Group(func(r chi.Router) {
		r.Use(render.As(render.Pages))
		r.Get("/", s.portal.Home)
		r.Get("/organizations", s.portal.Organizations)
		r.Get("/organizations/{id}", s.portal.Organization)
		r.Get("/papers/{id}", s.portal.Paper)
		r.Get("/documents/{id}", s.invite.RecordDocumentOpening(s.portal.Document))
		r.Get("/documents/{id}/diff", s.reader.DiffPage)
		r.Get("/meetings", s.portal.Meetings)
		r.Get("/meetings/{id}", s.invite.RecordOpening(s.portal.Meeting))
		r.Get("/meetings/{id}/display", s.portal.Display) // the chamber display (issue 16)
		r.Get("/meetings/{id}/overlay", s.portal.Overlay) // the livestream overlay (issue 16)
		r.Get("/persons/{id}", s.portal.Person)           // how a member voted (issue 16)
		r.Get("/search", s.portal.Search)
	})
	// --- Citizen alerts (alerts.go): subscribe, confirm, unsubscribe. ---
	alertsPages := newAlertPages(s)
	r.Group(func(r chi.Router) {
		r.Use(render.As(render.Pages))
		r.Get("/alerts", alertsPages.form)
		r.Post("/alerts", alertsPages.subscribe)
		r.Get("/alerts/confirm/{token}", alertsPages.tokenPage("confirm"))
		r.Post("/alerts/confirm/{token}", alertsPages.confirm)
		r.Get("/alerts/unsubscribe/{token}", alertsPages.tokenPage("unsubscribe"))
		r.Post("/alerts/unsubscribe/{token}", alertsPages.unsubscribe)
	})
	r.With(render.As(render.API)).Post("/api/v1/alerts/unsubscribe/{token}", alertsPages.oneClick)
	// --- end of citizen alerts. ---

	// The portal's feeds, calendars and files for other programs.
	r.Get("/calendar.ics", s.portal.Calendar)
	r.Get("/organizations/{id}/calendar.ics", s.portal.Calendar)
	r.Get("/feeds/documents.atom", s.portal.DocumentsFeed)
	r.Get("/organizations/{id}/documents.atom", s.portal.DocumentsFeed)
	r.Get("/sitemap.xml", s.portal.Sitemap)
	r.Get("/sitemaps/{file}", s.portal.SitemapFile)
	r.Get("/robots.txt", s.portal.Robots)
	r.Get("/files/{name}", s.handlePublicFile)

	// The office: the council office's pages (its API is below).
	r.Group(func(r chi.Router) {
		r.Use(render.As(render.Pages))
		r.Get("/office", s.office.StaffPage(s.office.HomePage))
		r.Get("/office/meetings/{id}", s.office.StaffPage(s.office.MeetingPage))
		r.Get("/office/calendar", s.office.StaffPage(s.office.CalendarPage))
		r.Get("/office/audit", s.office.StaffPage(s.office.AuditPage))
		r.Get("/office/meetings/{id}/invitation", s.office.StaffPage(s.invite.InvitationPage))
		r.Get("/office/members", s.office.StaffPage(s.invite.MembersPage))
	})

	// The reader: the members' tablet app (its API is below).
	r.Get("/reader", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/reader/", http.StatusMovedPermanently)
	})
	r.Get("/reader/", s.reader.Shell)
	r.Get("/reader/meetings/{id}", s.reader.Shell)
	r.Get("/reader/meetings/{id}/documents/{doc}", s.reader.Shell)
	r.Get("/reader/shell", s.reader.Shell) // what the service worker keeps
	r.Get("/reader/sw.js", s.reader.ServiceWorker)
	r.Get("/reader/files/*", s.reader.File)

	// The JSON API.
	r.Route("/api/v1", func(r chi.Router) {
		r.Use(render.As(render.API))
		r.Get("/openapi.json", s.apiOpenAPI)
		r.Get("/meetings", s.portal.APIMeetings)
		r.Get("/meetings/{id}", s.portal.APIMeeting)
		r.Get("/meetings/{id}/packet.pdf", s.invite.RecordOpening(s.reader.Packet))
		// A member's opening of a document of a meeting proves access
		// to its invitations (office/invitation.go).
		r.Get("/documents/{id}/versions/{n}/file", s.invite.RecordDocumentOpening(s.handleVersionFile))
		r.Get("/search", s.portal.APISearch)
		r.Get("/search/suggest", s.portal.APISuggest)

		// The office's API (clerk.go): staff only.
		r.Group(func(r chi.Router) {
			r.Use(s.office.StaffOnly)
			r.Post("/meetings", s.office.CreateMeeting)
			r.Patch("/meetings/{id}", withID(s.office.UpdateMeeting))
			r.Post("/meetings/{id}/publish", withID(s.office.Publish))
			r.Post("/meetings/{id}/unpublish", withID(s.office.Unpublish))
			r.Post("/meetings/{id}/items", withID(s.office.CreateItem))
			r.Put("/meetings/{id}/order", withID(s.office.Reorder))
			r.Post("/meetings/{id}/attachments", withID(s.office.AttachToMeeting))
			r.Post("/meetings/{id}/minutes", withID(s.office.CreateMinutes))
			r.Patch("/items/{id}", withID(s.office.UpdateItem))
			r.Post("/items/{id}/withdraw", s.office.WithdrawItem)
			r.Post("/items/{id}/attachments", withID(s.office.AttachToItem))
			r.Post("/items/{id}/exclusions", withID(s.office.AddExclusion))
			r.Delete("/items/{id}/exclusions/{person}", s.office.RemoveExclusion)
			r.Patch("/attachments/{id}", withID(s.office.UpdateAttachment))
			r.Post("/attachments/{id}/withdraw", s.office.WithdrawAttachment)
			r.Post("/minutes/{id}/state", withID(s.office.MinutesState))
			r.Post("/papers", s.office.CreatePaper)
			r.Post("/papers/{id}/consultations", withID(s.office.Consult))
			r.Delete("/papers/{id}/consultations/{consultation}", s.office.RemoveConsultation)
			r.Post("/papers/{id}/attachments", withID(s.office.AttachToPaper))
			r.Post("/documents", s.office.Upload)
			r.Post("/documents/{id}/versions", withID(s.office.UploadVersion))
			r.Post("/documents/{id}/versions/{n}/withdraw", s.office.WithdrawVersion)
			r.Get("/organizations", s.office.Organizations)
			r.Get("/audit", s.office.Audit)
			// The invitation (Ladung), its proof of delivery, the
			// consent register and the deadline rules (office/invitation.go).
			r.Post("/meetings/{id}/invitation", withID(s.invite.Issue))
			r.Post("/meetings/{id}/cancellation", withID(s.invite.Cancel))
			r.Get("/meetings/{id}/deliveries", withID(s.invite.Deliveries))
			r.Post("/meetings/{id}/deliveries/bounce", withID(s.invite.RecordBounce))
			r.Post("/bounces", s.invite.RecordBounceReport)
			r.Get("/meetings/{id}/postal.pdf", withID(s.invite.PostalList))
			r.Get("/members/{id}/consent", withID(s.invite.Consent))
			r.Put("/members/{id}/consent", withID(s.invite.SetConsent))
			r.Get("/organizations/{id}/invitation-rule", withID(s.invite.Rule))
			r.Put("/organizations/{id}/invitation-rule", withID(s.invite.SetRule))
		})

		// ---- The live session (web/live, issue 16) ----
		// The office runs the session; members cast their own ballots;
		// reads and the live stream ask the visibility rule.
		r.Group(func(r chi.Router) {
			r.Use(s.office.StaffOnly)
			r.Post("/meetings/{id}/start", withID(s.live.Start))
			r.Post("/meetings/{id}/end", withID(s.live.End))
			r.Put("/meetings/{id}/current", withID(s.live.SetCurrent))
			r.Put("/meetings/{id}/attendance/{person}", withID(s.live.SetAttendance))
			r.Put("/organizations/{id}/quorum", withID(s.live.SetQuorumRule))
			r.Post("/items/{id}/votes", withID(s.live.OpenVote))
			r.Post("/votes/{id}/close", withID(s.live.Close))
			r.Post("/votes/{id}/corrections", withID(s.live.Correct))
			r.Post("/items/{id}/speakers/{person}/start", withID(s.live.GiveFloor))
			r.Post("/meetings/{id}/speech/end", withID(s.live.EndSpeech))
			r.Put("/items/{id}/speaking-limit", withID(s.live.SetSpeakingLimit))
			r.Post("/meetings/{id}/minutes/draft", withID(s.live.DraftMinutes))
			r.Get("/minutes/{id}/source", withID(s.live.MinutesSource))
			r.Put("/minutes/{id}/source", withID(s.live.SetMinutesSource))
			r.Get("/organizations/{id}/allowance-rate", withID(s.live.AllowanceRate))
			r.Put("/organizations/{id}/allowance-rate", withID(s.live.SetAllowanceRate))
			r.Get("/allowances", s.live.Allowances)
		})
		r.Get("/meetings/{id}/attendance", withID(s.live.Attendance))
		r.Post("/meetings/{id}/checkin", withID(s.live.CheckIn))
		r.Get("/meetings/{id}/live", withID(s.live.Stream))
		r.Get("/items/{id}/votes", withID(s.live.ItemVotes))
		r.Get("/votes/{id}", withID(s.live.Vote))
		r.Put("/votes/{id}/ballot", withID(s.live.Ballot))
		r.Get("/persons/{id}/votes", withID(s.live.PersonVotes))
		r.Get("/items/{id}/speakers", withID(s.live.Speakers))
		r.Post("/items/{id}/speakers", withID(s.live.RequestToSpeak))
		r.Delete("/items/{id}/speakers/{person}", withID(s.live.WithdrawRequest))
		// ---- end of the live session ----

		// The reader's API (reader.go, annotations.go, diff.go).
		a := s.reader.Annotations()
		r.Get("/reader/me", s.reader.Me)
		// A member's read of the manifest (as of the meeting's page or
		// packet) is their opening of the meeting: the proof of access
		// of its invitations (office/invitation.go).
		r.Get("/reader/meetings/{id}/manifest", s.invite.RecordOpening(s.reader.Manifest))
		r.Get("/documents/{id}/diff", a.Diff)
		r.Group(func(r chi.Router) {
			r.Use(s.reader.SignedIn)
			r.Get("/annotations", a.List)
			r.Get("/annotations/changes", a.Changes)
			r.Get("/annotations/{uuid}", a.Get)
			r.Put("/annotations/{uuid}", a.Put)
			r.Delete("/annotations/{uuid}", a.Delete)
			r.Get("/reads", a.Reads)
			r.Get("/documents/{id}/versions/{n}/annotations.json", a.ExportJSON)
			r.Get("/documents/{id}/versions/{n}/annotations.pdf", a.ExportPDF)
			r.Get("/documents/{id}/read", a.GetRead)
			r.Put("/documents/{id}/read", a.PutRead)
			// What changed in the member's meetings (notices.go).
			r.Get("/notices", s.handleNotices)
			r.Post("/notices/read", s.handleNoticesRead)
			// Web Push for the member's devices (push.go).
			r.Get("/push/key", s.handlePushKey)
			r.Get("/push/subscriptions", s.handlePushDevices)
			r.Post("/push/subscriptions", s.handlePushSubscribe)
			r.Delete("/push/subscriptions", s.handlePushUnsubscribe)
		})
	})

	// OParl 1.1 (web/oparl), as the public sees it whoever asks.
	o := s.oparl
	r.Route("/oparl/v1", func(r chi.Router) {
		r.Use(render.As(render.OParl), oparl.CORS)
		r.Options("/*", oparl.Options)
		r.Get("/", o.Root)
		r.Get("/system", o.System)
		r.Get("/body", o.Bodies)
		r.Get("/body/{id}", o.Body)
		r.Get("/body/{id}/organization", o.Organizations)
		r.Get("/body/{id}/person", o.Persons)
		r.Get("/body/{id}/meeting", o.Meetings)
		r.Get("/body/{id}/paper", o.Papers)
		r.Get("/body/{id}/membership", o.Memberships)
		r.Get("/body/{id}/legislativeTerm", o.LegislativeTerms)
		r.Get("/body/{id}/location", o.Locations)
		r.Get("/body/{id}/agendaItem", o.AgendaItems)
		r.Get("/body/{id}/consultation", o.Consultations)
		r.Get("/body/{id}/file", o.Files)
		r.Get("/organization/{id}", o.Organization)
		r.Get("/organization/{id}/meeting", o.Meetings)
		r.Get("/person/{id}", o.Person)
		r.Get("/membership/{id}", o.Membership)
		r.Get("/legislativeTerm/{id}", o.LegislativeTerm)
		r.Get("/meeting/{id}", o.Meeting)
		r.Get("/meeting/{mid}/protocol/{id}", o.Protocol)
		r.Get("/meeting/{mid}/protocol/{id}/access", o.ProtocolAccess)
		r.Get("/meeting/{mid}/protocol/{id}/download", o.ProtocolDownload)
		r.Get("/agendaItem/{id}", o.AgendaItem)
		r.Get("/paper/{id}", o.Paper)
		r.Get("/paper/{paper}/consultation/{id}", o.Consultation)
		r.Get("/file/{id}", o.File)
		r.Get("/file/{id}/access", o.FileAccess)
		r.Get("/file/{id}/download", o.FileDownload)
		r.Get("/location/{id}", o.Location)
		r.NotFound(oparl.NotFound)
		// The OPTIONS route above matches every path, so chi would answer
		// any other method on an unknown path 405 with an empty body; an
		// unknown path is missing, whatever the method.
		r.MethodNotAllowed(oparl.NotFound)
	})
	r.With(render.As(render.OParl)).HandleFunc("/oparl", oparl.NotFound)
	r.With(render.As(render.OParl), oparl.CORS).HandleFunc("/oparl/*", oparl.NotFound)
	return r
}

// withID adapts a handler of the object named by the {id} parameter; a
// malformed id answers like a missing object.
func withID(h func(http.ResponseWriter, *http.Request, int64)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id, ok := request.IDParam(r, "id")
		if !ok {
			render.Error(w, r, render.NotFound)
			return
		}
		h(w, r, id)
	}
}
