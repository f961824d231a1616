package web

import (
	"errors"
	"net/http"
	"net/url"

	"github.com/stoa-forum/stoa/forum"
)

// Staff's moderation of single accounts on other servers (when blocking the whole server would be
// too much): /admin/accounts lists those silenced, suspended or with their posts removed;
// /admin/accounts/{id} shows one, with what its server's rules do to it, and the actions. Reports
// about a remote account are forwarded to its server from the queue (forwardReport).

const remoteAccountsPageSize = 50

func (s *Server) adminRemoteAccounts(w http.ResponseWriter, r *http.Request) {
	v, ok := s.requireStaff(w, r)
	if !ok {
		return
	}
	before, err := idCursor(r, "before")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	list, err := s.forum.ModeratedAccounts(r.Context(), v, before, remoteAccountsPageSize+1)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	next := ""
	if len(list) > remoteAccountsPageSize {
		list = list[:remoteAccountsPageSize]
		next = "/admin/accounts?before=" + itoa(list[len(list)-1].ID)
	}
	s.render(w, r, http.StatusOK, adminRemoteAccountsPage(s.page(r, "Remote accounts"), list, next))
}

func (s *Server) adminRemoteAccount(w http.ResponseWriter, r *http.Request) {
	v, ok := s.requireStaff(w, r)
	if !ok {
		return
	}
	id, err := idParam(r, "id")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	acc, err := s.forum.RemoteAccountByID(r.Context(), v, id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	notice := ""
	if done := r.URL.Query().Get("done"); done != "" {
		notice = "Done: " + done + "."
	}
	s.render(w, r, http.StatusOK, adminRemoteAccountPage(s.page(r, acc.Username+"@"+acc.Domain), acc, notice))
}

// moderateRemoteAccount is POST /admin/accounts/{id}: silence, suspend, remove_posts or their
// opposites, with a reason for the log.
func (s *Server) moderateRemoteAccount(w http.ResponseWriter, r *http.Request) {
	v, ok := s.requireStaff(w, r)
	if !ok {
		return
	}
	id, err := idParam(r, "id")
	if err == nil {
		err = parseForm(w, r, maxFormBytes)
	}
	var action forum.RemoteAccountAction
	if err == nil {
		action, err = forum.ParseRemoteAccountAction(r.PostFormValue("action"))
	}
	if err == nil {
		err = s.forum.ModerateRemoteAccount(r.Context(), v, id, action, r.PostFormValue("reason"))
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	seeOther(w, r, "/admin/accounts/"+itoa(id)+"?"+url.Values{"done": {string(action)}}.Encode())
}

// forwardReport is POST /admin/reports/{id}/forward: the report goes to the reported account's
// server as a Flag from this forum (the reporter is not named).
func (s *Server) forwardReport(w http.ResponseWriter, r *http.Request) {
	v, ok := s.requireStaff(w, r)
	if !ok {
		return
	}
	id, err := idParam(r, "id")
	if err == nil {
		err = parseForm(w, r, maxFormBytes)
	}
	if err == nil {
		err = s.forum.ForwardReport(r.Context(), v, id, r.PostFormValue("comment"))
	}
	if errors.Is(err, forum.ErrAlreadyForwarded) {
		seeOther(w, r, "/admin/reports?done=forwarded")
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	seeOther(w, r, "/admin/reports?done=forwarded")
}
