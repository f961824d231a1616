package web

import (
	"net/http"

	"github.com/go-chi/chi/v5"
)

// routes is the whole URL map of the pages and the API, in one readable table.
func (s *Server) routes() http.Handler {
	r := chi.NewRouter()
	r.Use(securityHeaders)
	r.NotFound(s.notFound)
	r.MethodNotAllowed(s.methodNotAllowed)

	// Files that are the same for everyone: no session lookup.
	r.Handle("/static/*", staticFiles())
	r.Get("/site.css", s.siteCSS)
	r.Get("/avatars/{name}", s.avatar)

	r.Group(func(r chi.Router) {
		r.Use(s.authenticate)

		r.Get("/", s.home)
		r.Get("/about", s.about)

		// Accounts.
		r.Get("/login", s.loginForm)
		r.Post("/login", s.login)
		r.Post("/logout", s.logout)
		r.Get("/register", s.registerForm)
		r.Post("/register", s.register)
		r.Get("/password-reset", s.resetRequestForm)
		r.Post("/password-reset", s.resetRequest)
		r.Get("/password-reset/confirm", s.resetForm)
		r.Post("/password-reset/confirm", s.reset)

		// Members' pages.
		r.Get("/u/{username}", s.memberThreads)
		r.Get("/u/{username}/posts", s.memberPosts)

		// The signed-in member's settings.
		r.Get("/settings", s.settingsIndex)
		r.Get("/settings/profile", s.profileSettings)
		r.Post("/settings/profile", s.saveProfile)
		r.Post("/settings/avatar", s.uploadAvatar)
		r.Post("/settings/avatar/remove", s.removeAvatar)
		r.Get("/settings/password", s.passwordSettings)
		r.Post("/settings/password", s.changePassword)
		r.Get("/settings/email", s.emailSettings)
		r.Post("/settings/email", s.changeEmail)
		r.Get("/settings/sessions", s.sessionsSettings)
		r.Post("/settings/sessions/revoke-others", s.revokeOtherSessions)
		r.Post("/settings/sessions/{id}/revoke", s.revokeSession)
		r.Get("/settings/tokens", s.tokensSettings)
		r.Post("/settings/tokens", s.createToken)
		r.Post("/settings/tokens/{id}/revoke", s.revokeToken)

		// Administration: staff; site settings and the log for admins only.
		r.Get("/admin", s.adminOverview)
		r.Get("/admin/members", s.adminMembers)
		r.Get("/admin/members/{username}", s.adminMember)
		r.Post("/admin/members/{username}/role", s.adminSetRole)
		r.Post("/admin/members/{username}/ban", s.adminBan)
		r.Post("/admin/members/{username}/unban", s.adminUnban)
		r.Get("/admin/settings", s.adminSettings)
		r.Post("/admin/settings", s.saveAdminSettings)
		r.Get("/admin/log", s.adminLog)

		// JSON API (bearer token or session).
		r.Get("/api/me", s.apiMe)
	})
	return r
}
