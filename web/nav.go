package web

import "strings"

// inSection reports whether the page at requestURI (path and query) belongs to the navigation
// section whose link is href: the same path, or a path below it ("/" matches only itself).
func inSection(requestURI, href string) bool {
	path, _, _ := strings.Cut(requestURI, "?")
	return path == href || (href != "/" && strings.HasPrefix(path, href+"/"))
}
