package web

import (
	"net/http"
	"strconv"

	"github.com/go-chi/chi/v5"

	"github.com/stoa-forum/stoa/forum"
)

// /admin/domains/subscriptions: the shared blocklists Stoa follows (fetched now on subscribing,
// then on a schedule), their priorities, their last fetch and its problem, and unsubscribing
// (which lifts the blocks only that list made).

type adminSubscriptionsView struct {
	Subscriptions []forum.BlocklistSubscription
	URL, Priority string
	State         formState
	Notice        string
}

func (s *Server) adminSubscriptions(w http.ResponseWriter, r *http.Request) {
	s.showSubscriptions(w, r, http.StatusOK, adminSubscriptionsView{Priority: strconv.Itoa(forum.DefaultBlocklistPriority),
		Notice: subscriptionNotice(r.URL.Query().Get("done"))})
}

func subscriptionNotice(done string) string {
	switch done {
	case "subscribed":
		return "Subscribed: the list is being fetched now."
	case "refresh":
		return "The list is being fetched now."
	case "priority":
		return "Priority changed."
	case "unsubscribed":
		return "Unsubscribed: the blocks only that list made are lifted."
	}
	return ""
}

func (s *Server) showSubscriptions(w http.ResponseWriter, r *http.Request, status int, view adminSubscriptionsView) {
	v, ok := s.requireAdmin(w, r)
	if !ok {
		return
	}
	subs, err := s.forum.BlocklistSubscriptions(r.Context(), v)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	view.Subscriptions = subs
	s.render(w, r, status, adminSubscriptionsPage(s.page(r, "Subscribed blocklists"), view))
}

func (s *Server) adminSubscribe(w http.ResponseWriter, r *http.Request) {
	v, ok := s.requireAdmin(w, r)
	if !ok {
		return
	}
	if err := parseForm(w, r, maxFormBytes); err != nil {
		s.fail(w, r, err)
		return
	}
	view := adminSubscriptionsView{URL: r.PostFormValue("url"), Priority: r.PostFormValue("priority")}
	priority, err := strconv.Atoi(view.Priority)
	if err != nil {
		err = forum.Invalid("priority", "must be a number from 0 to 255")
	} else {
		_, err = s.forum.SubscribeBlocklist(r.Context(), v, view.URL, priority)
	}
	if st, status, ok := formError(err); ok {
		view.State = st
		s.showSubscriptions(w, r, status, view)
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	seeOther(w, r, "/admin/domains/subscriptions?done=subscribed")
}

// subscriptionAction is an action on one subscribed list: remove, refresh or priority.
func (s *Server) subscriptionAction(w http.ResponseWriter, r *http.Request) {
	v, ok := s.requireAdmin(w, r)
	if !ok {
		return
	}
	if err := parseForm(w, r, maxFormBytes); err != nil {
		s.fail(w, r, err)
		return
	}
	id, err := strconv.ParseInt(chi.URLParam(r, "id"), 10, 64)
	if err != nil {
		s.fail(w, r, forum.ErrNotFound)
		return
	}
	ctx, action := r.Context(), chi.URLParam(r, "action")
	switch action {
	case "remove":
		_, err = s.forum.UnsubscribeBlocklist(ctx, v, id)
		action = "unsubscribed"
	case "refresh":
		err = s.forum.RefreshBlocklist(ctx, v, id)
	case "priority":
		var p int
		if p, err = strconv.Atoi(r.PostFormValue("priority")); err != nil {
			err = forum.Invalid("priority", "must be a number from 0 to 255")
		} else {
			_, err = s.forum.SetBlocklistPriority(ctx, v, id, p)
		}
	default:
		err = forum.ErrNotFound
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	seeOther(w, r, "/admin/domains/subscriptions?done="+action)
}
