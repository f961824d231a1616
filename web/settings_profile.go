package web

import (
	"fmt"
	"net/http"

	"github.com/stoa-forum/stoa/forum"
)

func (s *Server) settingsIndex(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.requireMember(w, r); !ok {
		return
	}
	http.Redirect(w, r, "/settings/profile", http.StatusSeeOther)
}

// profileView fills the profile settings page from what is stored.
func (s *Server) profileView(r *http.Request, v forum.Viewer) (profileSettingsView, error) {
	p, err := s.forum.Profile(r.Context(), v.Username)
	if err != nil {
		return profileSettingsView{}, err
	}
	return profileSettingsView{Username: p.Username, DisplayName: p.DisplayName, Bio: p.BioSource,
		Links: padLinks(p.Links), AvatarURL: p.AvatarURL}, nil
}

// padLinks returns exactly MaxProfileLinks rows for the form.
func padLinks(links []forum.ProfileLink) []forum.ProfileLink {
	out := make([]forum.ProfileLink, forum.MaxProfileLinks)
	copy(out, links)
	return out
}

func (s *Server) profileSettings(w http.ResponseWriter, r *http.Request) {
	v, ok := s.requireMember(w, r)
	if !ok {
		return
	}
	view, err := s.profileView(r, v)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if r.URL.Query().Get("saved") == "1" {
		view.Notice = "Saved."
	}
	s.render(w, r, http.StatusOK, profileSettingsPage(s.page(r, "Profile settings"), view))
}

func (s *Server) saveProfile(w http.ResponseWriter, r *http.Request) {
	v, ok := s.requireMember(w, r)
	if !ok {
		return
	}
	if err := parseForm(w, r, maxFormBytes); err != nil {
		s.fail(w, r, err)
		return
	}
	in := forum.ProfileInput{DisplayName: r.PostForm.Get("display_name"), Bio: r.PostForm.Get("bio")}
	for i := range forum.MaxProfileLinks {
		in.Links = append(in.Links, forum.ProfileLink{
			Name: r.PostForm.Get(fmt.Sprintf("link_name_%d", i)), Value: r.PostForm.Get(fmt.Sprintf("link_url_%d", i)),
		})
	}
	if err := s.forum.UpdateProfile(r.Context(), v, v.ActorID, in); err != nil {
		st, status, ok := formError(err)
		if !ok {
			s.fail(w, r, err)
			return
		}
		view, verr := s.profileView(r, v)
		if verr != nil {
			s.fail(w, r, verr)
			return
		}
		// Show what was typed, not what is stored: nothing typed is lost.
		view.DisplayName, view.Bio, view.Links, view.Form = in.DisplayName, in.Bio, in.Links, st
		s.render(w, r, status, profileSettingsPage(s.page(r, "Profile settings"), view))
		return
	}
	http.Redirect(w, r, "/settings/profile?saved=1", http.StatusSeeOther)
}
