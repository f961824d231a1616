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
	r.Handle("/static/*", staticFiles())
	r.Get("/", s.home)

	// Reading.
	r.Get("/latest", s.latest)
	r.Get("/c/{slug}", s.categoryPage)
	r.Get("/c/{slug}/feed", s.categoryFeed)
	r.Get("/t/{id}", s.threadPage)
	r.Get("/t/{id}/feed", s.threadFeed)
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

	// Administration.
	r.Get("/admin/categories", s.adminCategories)
	r.Post("/admin/categories", s.adminCreateCategory)
	r.Get("/admin/categories/{slug}", s.adminCategory)
	r.Post("/admin/categories/{slug}", s.adminUpdateCategory)
	r.Post("/admin/categories/{slug}/permissions", s.adminSetPermissions)
	r.Post("/admin/categories/{slug}/move", s.adminMoveCategory)

	// JSON API (docs/API.md).
	r.Route("/api/v1", func(r chi.Router) {
		r.Get("/categories", s.apiCategories)
		r.Get("/categories/{slug}/threads", s.apiCategoryThreads)
		r.Post("/categories/{slug}/threads", s.apiCreateThread)
		r.Get("/threads/{id}", s.apiThread)
		r.Post("/threads/{id}/posts", s.apiCreatePost)
		r.Get("/posts/{id}", s.apiGetPost)
		r.Patch("/posts/{id}", s.apiEditPost)
		r.Delete("/posts/{id}", s.apiDeletePost)
		r.Post("/posts/{id}/like", s.apiLike)
		r.Delete("/posts/{id}/like", s.apiLike)
	})
	return r
}
