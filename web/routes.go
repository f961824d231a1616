package web

import (
	"net/http"

	"github.com/go-chi/chi/v5"
)

// routes is the whole URL map of the pages and the API, in one readable table.
func (s *Server) routes() http.Handler {
	r := chi.NewRouter()
	s.router = r
	r.Use(securityHeaders)
	r.Use(s.refuseBytesNotText)
	// HEAD is answered as GET without the body (link checkers, feed readers, uptime monitors).
	r.Use(headAsGet)
	r.Use(s.catchUpAfterWrites)
	// Their pages are drawn for the viewer, as every other page: a signed-in member's 404 keeps
	// their header.
	r.NotFound(s.authenticate(http.HandlerFunc(s.notFound)).ServeHTTP)
	r.MethodNotAllowed(s.authenticate(http.HandlerFunc(s.methodNotAllowed)).ServeHTTP)

	// Files that are the same for everyone: no session lookup.
	r.Handle("/static/*", staticFiles())
	r.Get("/site.css", s.siteCSS)
	r.Get("/avatars/{name}", s.avatar)

	r.Group(func(r chi.Router) {
		r.Use(s.authenticate)

		r.Get("/", s.home)
		r.Get("/about", s.about)
		r.Get("/moderated-servers", s.moderatedServers)

		// Reading.
		r.Get("/latest", s.pageCached(s.latest))
		r.Get("/c/{slug}", s.pageCached(s.categoryPage))
		r.Get("/c/{slug}/feed", s.pageCached(s.categoryFeed))
		r.Get("/t/{id}", s.pageCached(s.threadPage))
		r.Get("/t/{id}/unread", s.threadUnread)
		r.Get("/t/{id}/feed", s.pageCached(s.threadFeed))
		r.Get("/p/{id}", s.postLink)
		r.Get("/p/{id}/history", s.postHistory)

		// Writing: forms that post and redirect (303).
		r.Get("/c/{slug}/new", s.newThreadForm)
		r.Post("/c/{slug}/new", s.createThread)
		r.Get("/t/{id}/reply", s.replyForm)
		r.Post("/t/{id}/reply", s.createReply)
		r.Get("/p/{id}/edit", s.editPostForm)
		r.Post("/p/{id}/edit", s.savePost)
		r.Post("/p/{id}/delete", s.postAction(deletePost))
		r.Post("/p/{id}/like", s.like)
		r.Post("/p/{id}/unlike", s.unlike)
		r.Post("/preview", s.preview)

		// Watching, notifications, search and reports.
		r.Post("/t/{id}/watch", s.watchThread)
		r.Post("/c/{slug}/watch", s.watchCategory)
		r.Get("/notifications", s.notifications)
		r.Post("/notifications/read-all", s.markAllNotificationsRead)
		r.Post("/notifications/{id}/read", s.markNotificationRead)
		r.Get("/search", s.search)
		r.Get("/p/{id}/report", s.reportPostForm)
		r.Post("/p/{id}/report", s.reportPost)
		r.Get("/u/{username}/report", s.reportAccountForm)
		r.Post("/u/{username}/report", s.reportAccount)

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
		r.Get("/confirm-email", s.confirmEmailForm)
		r.Post("/confirm-email", s.confirmEmail)

		// People and communities elsewhere: the lookup box, their pages here (/u/name@host) and
		// follows (remote_*.go). The pattern needs the @, so members' pages below are unaffected.
		r.Get("/remote", s.remoteLookupPage)
		r.Post("/remote", s.remoteLookup)
		r.Get("/u/{handle:[^/@]+@[^/]+}", s.remoteActorPage)
		r.Post("/u/{handle:[^/@]+@[^/]+}/follow", s.remoteFollow)
		r.Post("/u/{handle:[^/@]+@[^/]+}/unfollow", s.remoteUnfollow)

		// Members' pages, also where the /@name of Mastodon's convention leads (other servers
		// guess it for people here).
		r.Get("/@{username}", s.atProfile)
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
		r.Post("/settings/email/confirm", s.resendConfirmation)
		r.Get("/settings/notifications", s.notificationSettings)
		r.Post("/settings/notifications", s.saveNotificationSettings)
		r.Get("/settings/sessions", s.sessionsSettings)
		r.Post("/settings/sessions/revoke-others", s.revokeOtherSessions)
		r.Post("/settings/sessions/{id}/revoke", s.revokeSession)
		r.Get("/settings/tokens", s.tokensSettings)
		r.Post("/settings/tokens", s.createToken)
		r.Post("/settings/tokens/{id}/revoke", s.revokeToken)

		// Moderation.
		r.Post("/t/{id}/lock", s.threadAction(lockThread(true)))
		r.Post("/t/{id}/unlock", s.threadAction(lockThread(false)))
		r.Post("/t/{id}/pin", s.threadAction(pinThread(true)))
		r.Post("/t/{id}/unpin", s.threadAction(pinThread(false)))
		r.Post("/t/{id}/hide", s.threadAction(hideThread(true)))
		r.Post("/t/{id}/unhide", s.threadAction(hideThread(false)))
		r.Post("/t/{id}/move", s.threadAction(moveThread))
		r.Post("/p/{id}/hide", s.postAction(hidePost(true)))
		r.Post("/p/{id}/unhide", s.postAction(hidePost(false)))

		// Administration: staff; site settings, categories and the log for admins only.
		r.Get("/admin", s.adminOverview)
		r.Get("/admin/members", s.adminMembers)
		r.Get("/admin/members/{username}", s.adminMember)
		r.Post("/admin/members/{username}/role", s.adminSetRole)
		r.Post("/admin/members/{username}/ban", s.adminBan)
		r.Post("/admin/members/{username}/unban", s.adminUnban)
		r.Get("/admin/settings", s.adminSettings)
		r.Post("/admin/settings", s.saveAdminSettings)
		r.Get("/admin/log", s.adminLog)
		r.Get("/admin/reports", s.adminReports)
		r.Post("/admin/reports/{id}", s.resolveReport)
		r.Post("/admin/reports/{id}/forward", s.forwardReport)
		r.Get("/admin/search", s.adminSearch)
		r.Post("/admin/search", s.saveAdminSearch)
		r.Get("/admin/categories", s.adminCategories)
		r.Post("/admin/categories", s.adminCreateCategory)
		r.Get("/admin/categories/{slug}", s.adminCategory)
		r.Post("/admin/categories/{slug}", s.adminUpdateCategory)
		r.Post("/admin/categories/{slug}/permissions", s.adminSetPermissions)
		r.Post("/admin/categories/{slug}/move", s.adminMoveCategory)
		r.Get("/admin/deliveries", s.adminDeliveries)
		r.Get("/admin/deliveries/domains/{domain}", s.adminDeliveryDomain)
		r.Post("/admin/deliveries/domains/{domain}/retry", s.adminRetryDomain)
		r.Get("/admin/deliveries/posts/{id}", s.adminDeliveryPost)

		// Domain moderation (admins) and remote accounts (staff).
		r.Get("/admin/domains", s.adminDomains)
		r.Get("/admin/domains/preview", s.adminDomainPreview)
		r.Post("/admin/domains/preview", s.adminDomainPreview)
		r.Post("/admin/domains", s.adminBlockDomain)
		r.Post("/admin/domains/{domain}/unblock", s.adminUnblockDomain)
		r.Post("/admin/domains/allows", s.adminAllowDomain)
		r.Post("/admin/domains/allows/{domain}/remove", s.adminDisallowDomain)
		r.Get("/admin/domains/mode", s.adminAllowlistPreview)
		r.Post("/admin/domains/mode", s.adminSetFederationMode)
		r.Get("/admin/domains/import", s.adminImportForm)
		r.Post("/admin/domains/import", s.adminImport)
		r.Get("/admin/domains/export.csv", s.adminExportDomains)
		r.Get("/admin/domains/subscriptions", s.adminSubscriptions)
		r.Post("/admin/domains/subscriptions", s.adminSubscribe)
		r.Post("/admin/domains/subscriptions/{id}/{action}", s.subscriptionAction)
		r.Get("/admin/accounts", s.adminRemoteAccounts)
		r.Get("/admin/accounts/{id}", s.adminRemoteAccount)
		r.Post("/admin/accounts/{id}", s.moderateRemoteAccount)

		// JSON API (docs/API.md): bearer token or session.
		r.Get("/api/me", s.apiMe)
		r.Route("/api/v1", func(r chi.Router) {
			r.Get("/categories", s.apiCategories)
			r.Get("/categories/{slug}/threads", s.pageCached(s.apiCategoryThreads))
			r.Get("/latest", s.pageCached(s.apiLatest))
			r.Post("/categories/{slug}/threads", s.apiCreateThread)
			r.Get("/threads/{id}", s.pageCached(s.apiThread))
			r.Post("/threads/{id}/posts", s.apiCreatePost)
			r.Get("/posts/{id}", s.apiGetPost)
			r.Patch("/posts/{id}", s.apiEditPost)
			r.Delete("/posts/{id}", s.apiDeletePost)
			r.Post("/posts/{id}/like", s.apiLike)
			r.Delete("/posts/{id}/like", s.apiLike)
			r.Get("/search", s.apiSearch)
			r.Get("/notifications", s.apiNotifications)
			r.Post("/notifications/read", s.apiMarkAllNotificationsRead)
			r.Post("/notifications/{id}/read", s.apiMarkNotificationRead)
			// Remote actors and follows (api_remote.go).
			r.Get("/lookup", s.apiLookup)
			r.Get("/actors/{id}", s.apiRemoteActor)
			r.Get("/follows", s.apiFollows)
			r.Post("/follows", s.apiFollow)
			r.Delete("/follows/{id}", s.apiUnfollow)
		})
	})
	return r
}

// headAsGet routes a HEAD request to the GET handler of its path; net/http drops the body. chi's
// middleware.GetHead cannot be used here: this router is mounted under cmd/stoa's, whose route
// context (and its catch-all Mount, which matches HEAD) it would consult instead of this one.
func headAsGet(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodHead {
			if rctx := chi.RouteContext(r.Context()); rctx != nil {
				rctx.RouteMethod = http.MethodGet
			}
		}
		next.ServeHTTP(w, r)
	})
}
