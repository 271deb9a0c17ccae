package web

import (
	"net/http"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/ratsmappe/ratsmappe/web/render"
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
		r.Get("/", s.pageHome)
		r.Get("/organizations", s.pageOrganizations)
		r.Get("/organizations/{id}", s.pageOrganization)
		r.Get("/papers/{id}", s.pagePaper)
		r.Get("/documents/{id}", s.pageDocument)
		r.Get("/documents/{id}/diff", s.pageDiff)
		r.Get("/meetings", s.pageMeetings)
		r.Get("/meetings/{id}", s.pageMeeting)
		r.Get("/search", s.pageSearch)
	})
	// The portal's feeds, calendars and files for other programs.
	r.Get("/calendar.ics", s.handleCalendar)
	r.Get("/organizations/{id}/calendar.ics", s.handleCalendar)
	r.Get("/feeds/documents.atom", s.handleDocumentsFeed)
	r.Get("/organizations/{id}/documents.atom", s.handleDocumentsFeed)
	r.Get("/sitemap.xml", s.handleSitemap)
	r.Get("/files/{name}", s.handlePublicFile)

	// The office: the council office's pages (its API is below).
	r.Group(func(r chi.Router) {
		r.Use(render.As(render.Pages))
		r.Get("/office", s.staffPage(s.pageOffice))
		r.Get("/office/meetings/{id}", s.staffPage(s.pageOfficeMeeting))
		r.Get("/office/calendar", s.staffPage(s.pageOfficeCalendar))
		r.Get("/office/audit", s.staffPage(s.pageOfficeAudit))
	})

	// The reader: the members' tablet app (its API is below).
	r.Get("/reader", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/reader/", http.StatusMovedPermanently)
	})
	r.Get("/reader/", s.readerShell)
	r.Get("/reader/meetings/{id}", s.readerShell)
	r.Get("/reader/meetings/{id}/documents/{doc}", s.readerShell)
	r.Get("/reader/shell", s.readerShell) // what the service worker keeps
	r.Get("/reader/sw.js", s.readerFiles.serveWorker)
	r.Get("/reader/files/*", s.readerFiles.serveFile)

	// The JSON API.
	r.Route("/api/v1", func(r chi.Router) {
		r.Use(render.As(render.API))
		r.Get("/openapi.json", s.apiOpenAPI)
		r.Get("/meetings", s.apiMeetings)
		r.Get("/meetings/{id}", s.apiMeeting)
		r.Get("/meetings/{id}/packet.pdf", s.apiPacket)
		r.Get("/documents/{id}/versions/{n}/file", s.handleVersionFile)
		r.Get("/search", s.apiSearch)
		r.Get("/search/suggest", s.apiSuggest)

		// The office's API (clerk.go): staff only.
		r.Group(func(r chi.Router) {
			r.Use(s.staffOnly)
			r.Post("/meetings", s.apiCreateMeeting)
			r.Patch("/meetings/{id}", s.withID(s.apiUpdateMeeting))
			r.Post("/meetings/{id}/publish", s.withID(s.apiPublish))
			r.Post("/meetings/{id}/unpublish", s.withID(s.apiUnpublish))
			r.Post("/meetings/{id}/items", s.withID(s.apiCreateItem))
			r.Put("/meetings/{id}/order", s.withID(s.apiReorder))
			r.Post("/meetings/{id}/attachments", s.withID(s.apiAttachToMeeting))
			r.Post("/meetings/{id}/minutes", s.withID(s.apiCreateMinutes))
			r.Patch("/items/{id}", s.withID(s.apiUpdateItem))
			r.Post("/items/{id}/withdraw", s.apiWithdrawItem)
			r.Post("/items/{id}/attachments", s.withID(s.apiAttachToItem))
			r.Post("/items/{id}/exclusions", s.withID(s.apiAddExclusion))
			r.Delete("/items/{id}/exclusions/{person}", s.apiRemoveExclusion)
			r.Patch("/attachments/{id}", s.withID(s.apiUpdateAttachment))
			r.Post("/attachments/{id}/withdraw", s.apiWithdrawAttachment)
			r.Post("/minutes/{id}/state", s.withID(s.apiMinutesState))
			r.Post("/papers", s.apiCreatePaper)
			r.Post("/papers/{id}/consultations", s.withID(s.apiConsult))
			r.Post("/papers/{id}/attachments", s.withID(s.apiAttachToPaper))
			r.Post("/documents", s.apiUpload)
			r.Post("/documents/{id}/versions", s.withID(s.apiUploadVersion))
			r.Post("/documents/{id}/versions/{n}/withdraw", s.apiWithdrawVersion)
			r.Get("/organizations", s.apiOrganizations)
			r.Get("/audit", s.apiAudit)
		})

		// The reader's API (reader.go, annotations.go, diff.go).
		a := s.annotationsAPI()
		r.Get("/reader/me", s.apiReaderMe)
		r.Get("/reader/meetings/{id}/manifest", s.apiReaderManifest)
		r.Get("/documents/{id}/diff", a.apiDiff)
		r.Group(func(r chi.Router) {
			r.Use(s.signedIn)
			r.Get("/annotations", a.list)
			r.Get("/annotations/changes", a.changes)
			r.Get("/annotations/{uuid}", a.get)
			r.Put("/annotations/{uuid}", a.put)
			r.Delete("/annotations/{uuid}", a.delete)
			r.Get("/reads", a.reads)
			r.Get("/documents/{id}/versions/{n}/annotations.json", a.exportJSON)
			r.Get("/documents/{id}/versions/{n}/annotations.pdf", a.exportPDF)
			r.Get("/documents/{id}/read", a.getRead)
			r.Put("/documents/{id}/read", a.putRead)
		})
	})

	// OParl 1.1 (oparl*.go).
	r.Route("/oparl/v1", func(r chi.Router) {
		r.Use(render.As(render.OParl), oparlCORS)
		r.Options("/*", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })
		r.Get("/", func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, oparlBase(r)+"/system", http.StatusMovedPermanently)
		})
		r.Get("/system", s.oparlObject(s.oparlSystem))
		r.Get("/meeting/{mid}/protocol/{id}", s.oparlObject(s.oparlProtocol))
		r.Get("/meeting/{mid}/protocol/{id}/access", s.oparlProtocolBytes("inline"))
		r.Get("/meeting/{mid}/protocol/{id}/download", s.oparlProtocolBytes("attachment"))
		r.Get("/body", s.oparlList(s.oparlBodies))
		r.Get("/body/{id}", s.oparlObject(s.oparlBody))
		r.Get("/body/{id}/organization", s.oparlList(s.oparlOrganizations))
		r.Get("/body/{id}/person", s.oparlList(s.oparlPersons))
		r.Get("/body/{id}/meeting", s.oparlList(s.oparlMeetings))
		r.Get("/body/{id}/paper", s.oparlList(s.oparlPapers))
		r.Get("/body/{id}/membership", s.oparlList(s.oparlMemberships))
		r.Get("/body/{id}/legislativeTerm", s.oparlList(s.oparlLegislativeTerms))
		r.Get("/body/{id}/location", s.oparlList(s.oparlLocations))
		r.Get("/body/{id}/agendaItem", s.oparlList(s.oparlAgendaItems))
		r.Get("/body/{id}/consultation", s.oparlList(s.oparlConsultations))
		r.Get("/body/{id}/file", s.oparlList(s.oparlFiles))
		r.Get("/organization/{id}", s.oparlObject(s.oparlOrganization))
		r.Get("/organization/{id}/meeting", s.oparlList(s.oparlMeetings))
		r.Get("/person/{id}", s.oparlObject(s.oparlPerson))
		r.Get("/membership/{id}", s.oparlObject(s.oparlMembership))
		r.Get("/legislativeTerm/{id}", s.oparlObject(s.oparlLegislativeTerm))
		r.Get("/meeting/{id}", s.oparlObject(s.oparlMeeting))
		r.Get("/agendaItem/{id}", s.oparlObject(s.oparlAgendaItem))
		r.Get("/paper/{id}", s.oparlObject(s.oparlPaper))
		r.Get("/paper/{paper}/consultation/{id}", s.oparlObject(s.oparlConsultation))
		r.Get("/file/{id}", s.oparlObject(s.oparlFile))
		r.Get("/file/{id}/access", s.oparlFileBytes("inline"))
		r.Get("/file/{id}/download", s.oparlFileBytes("attachment"))
		r.Get("/location/{id}", s.oparlObject(s.oparlLocation))
		r.NotFound(oparlNotFound)
		// The OPTIONS route above matches every path, so chi would answer
		// any other method on an unknown path 405 with an empty body; an
		// unknown path is missing, whatever the method.
		r.MethodNotAllowed(oparlNotFound)
	})
	r.With(render.As(render.OParl)).HandleFunc("/oparl", oparlNotFound)
	r.With(render.As(render.OParl), oparlCORS).HandleFunc("/oparl/*", oparlNotFound)
	return r
}

// oparlNotFound answers an unknown path under /oparl with OParl's Error
// object, 404.
func oparlNotFound(w http.ResponseWriter, r *http.Request) { render.Error(w, r, render.NotFound) }
