package web

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/ratsmappe/ratsmappe"
	"github.com/ratsmappe/ratsmappe/sessions"
	"github.com/ratsmappe/ratsmappe/sessions/alerts"
	"github.com/ratsmappe/ratsmappe/web/render"
)

// Citizen alerts (package sessions/alerts): the pages where anyone
// subscribes by e-mail to a committee or a saved search, confirms, and
// unsubscribes, and the RFC 8058 one-click unsubscribe of the API.
//
// The links in the mails open a page with a button and act only on its
// POST: mail scanners and link previews fetch every GET link of a mail,
// and must neither confirm nor end a subscription.

// Limits of the subscription form per client address, on top of the
// store's limit per e-mail address.
const (
	alertMaxPerClient = 10
	alertClientWindow = time.Hour
)

// alertPages serves the alert pages; nil store: every page is missing.
type alertPages struct {
	s       *Server
	clients *limiter
}

func newAlertPages(s *Server) *alertPages {
	return &alertPages{s: s, clients: newLimiter(alertMaxPerClient, alertClientWindow, time.Now)}
}

// alertView is the data of alerts.html; Mode picks what it shows.
type alertView struct {
	Mode          string // form, sent, confirm, confirmed, unsubscribe, unsubscribed
	Organizations []*sessions.Organization
	Organization  int64
	Query         string
	Email         string
	Target        string
	Token         string
}

// page starts an alert page: never cached (the token pages are personal),
// with a form token for the anonymous viewer.
func (a *alertPages) page(w http.ResponseWriter, r *http.Request, title string) *render.Page {
	w.Header().Set("Cache-Control", "no-store")
	p := render.NewPage(w, r, render.T(render.Language(r), title))
	p.CSRF = a.s.csrf.Token(w, r)
	p.Path = "/alerts"
	return p
}

// alertMessage is err's message in the page's language.
func alertMessage(lang string, err error) string {
	var e *ratsmappe.Error
	if errors.As(err, &e) && lang == "en" && e.MessageEN != "" {
		return e.MessageEN
	}
	return ratsmappe.ErrorMessage(err)
}

// form answers GET /alerts: the subscription form for ?organization= or
// ?q=, or with a choice of committees.
func (a *alertPages) form(w http.ResponseWriter, r *http.Request) {
	if a.s.cfg.Alerts == nil {
		render.Error(w, r, render.NotFound)
		return
	}
	v := alertView{Mode: "form", Query: strings.TrimSpace(r.URL.Query().Get("q"))}
	if id := r.URL.Query().Get("organization"); id != "" {
		n, err := strconv.ParseInt(id, 10, 64)
		if err != nil || n <= 0 {
			render.Error(w, r, render.NotFound)
			return
		}
		v.Organization = n
	}
	a.renderForm(w, r, http.StatusOK, v, "")
}

func (a *alertPages) renderForm(w http.ResponseWriter, r *http.Request, status int, v alertView, errText string) {
	ctx := r.Context()
	if v.Organization != 0 {
		o, err := a.s.cfg.Sessions.FindOrganizationByID(ctx, v.Organization)
		if err != nil {
			render.Error(w, r, err)
			return
		}
		v.Target = o.Name
	} else if v.Query == "" {
		orgs, err := a.s.cfg.Sessions.FindOrganizations(ctx, sessions.OrganizationFilter{})
		if err != nil {
			render.Error(w, r, err)
			return
		}
		for _, o := range orgs {
			if o.Classification != sessions.ClassFaction {
				v.Organizations = append(v.Organizations, o)
			}
		}
	}
	p := a.page(w, r, "alerts.title")
	p.Data, p.Error = v, errText
	render.HTML(w, r, status, "alerts", p)
}

// subscribe answers POST /alerts.
func (a *alertPages) subscribe(w http.ResponseWriter, r *http.Request) {
	if a.s.cfg.Alerts == nil {
		render.Error(w, r, render.NotFound)
		return
	}
	lang := render.Language(r)
	v := alertView{Mode: "form", Email: strings.TrimSpace(r.PostFormValue("email")), Query: strings.TrimSpace(r.PostFormValue("q"))}
	if id := r.PostFormValue("organization"); id != "" {
		v.Organization, _ = strconv.ParseInt(id, 10, 64)
		if v.Organization <= 0 {
			render.Error(w, r, render.NotFound)
			return
		}
	}
	ip := clientIP(r)
	if ok, wait := a.clients.Allowed(ip); !ok {
		w.Header().Set("Retry-After", strconvSeconds(wait))
		a.renderForm(w, r, http.StatusTooManyRequests, v, render.T(lang, "alerts.limited"))
		return
	}
	a.clients.Fail(ip)
	err := a.s.cfg.Alerts.Subscribe(r.Context(), alerts.Request{Email: v.Email, OrganizationID: v.Organization, Query: v.Query, Language: lang})
	switch ratsmappe.ErrorCode(err) {
	case "":
	case ratsmappe.EINVALID:
		a.renderForm(w, r, http.StatusBadRequest, v, alertMessage(lang, err))
		return
	default:
		render.Error(w, r, err)
		return
	}
	p := a.page(w, r, "alerts.sent.title")
	p.Data = alertView{Mode: "sent", Email: v.Email}
	render.HTML(w, r, http.StatusOK, "alerts", p)
}

// tokenPage answers GET /alerts/confirm/{token} and
// /alerts/unsubscribe/{token} (mode "confirm", "unsubscribe"): what the
// link is about, and the button.
func (a *alertPages) tokenPage(mode string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		a.subscription(w, r, mode, a.s.cfg.Alerts.Find)
	}
}

// confirm answers POST /alerts/confirm/{token}.
func (a *alertPages) confirm(w http.ResponseWriter, r *http.Request) {
	a.subscription(w, r, "confirmed", a.s.cfg.Alerts.Confirm)
}

// subscription shows the page mode of the subscription that find
// returns for the request's token.
func (a *alertPages) subscription(w http.ResponseWriter, r *http.Request, mode string,
	find func(context.Context, string) (*alerts.Subscription, error)) {
	if a.s.cfg.Alerts == nil {
		render.Error(w, r, render.NotFound)
		return
	}
	ctx := r.Context()
	token := chi.URLParam(r, "token")
	sub, err := find(ctx, token)
	if err != nil {
		render.Error(w, r, err)
		return
	}
	target, err := a.s.cfg.Alerts.Describe(ctx, sub)
	if err != nil {
		render.Error(w, r, err)
		return
	}
	p := a.page(w, r, "alerts."+mode+".title")
	p.Data = alertView{Mode: mode, Target: target, Email: sub.Email, Token: token}
	render.HTML(w, r, http.StatusOK, "alerts", p)
}

// unsubscribe answers POST /alerts/unsubscribe/{token}: the same page
// whether there was a subscription or not (a second click).
func (a *alertPages) unsubscribe(w http.ResponseWriter, r *http.Request) {
	if a.s.cfg.Alerts == nil {
		render.Error(w, r, render.NotFound)
		return
	}
	if _, err := a.s.cfg.Alerts.Unsubscribe(r.Context(), chi.URLParam(r, "token")); err != nil {
		render.Error(w, r, err)
		return
	}
	p := a.page(w, r, "alerts.unsubscribed.title")
	p.Data = alertView{Mode: "unsubscribed"}
	render.HTML(w, r, http.StatusOK, "alerts", p)
}

// oneClick answers POST /api/v1/alerts/unsubscribe/{token}, the
// List-Unsubscribe URI of every alert (RFC 8058): a mail client's POST
// with the body List-Unsubscribe=One-Click, no cookies, no form token.
// The token is the credential; an unknown one answers the same.
func (a *alertPages) oneClick(w http.ResponseWriter, r *http.Request) {
	if a.s.cfg.Alerts == nil {
		render.Error(w, r, render.NotFound)
		return
	}
	if r.PostFormValue("List-Unsubscribe") != "One-Click" {
		render.Error(w, r, &ratsmappe.Error{Code: ratsmappe.EINVALID, Reason: "not_one_click",
			Message: "Erwartet wird List-Unsubscribe=One-Click.", MessageEN: "Expected List-Unsubscribe=One-Click."})
		return
	}
	if _, err := a.s.cfg.Alerts.Unsubscribe(r.Context(), chi.URLParam(r, "token")); err != nil {
		render.Error(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	render.JSON(w, http.StatusOK, map[string]bool{"unsubscribed": true})
}
