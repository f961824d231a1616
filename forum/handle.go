package forum

import (
	"strings"
)

// MaxHandleLen is the longest username or category slug.
const MaxHandleLen = 30

// reservedHandles cannot be taken by members or categories: they are path segments, well-known
// actor names, or names people would mistake for staff.
var reservedHandles = map[string]bool{
	"about": true, "actor": true, "admin": true, "administrator": true, "api": true, "c": true,
	"categories": true, "category": true, "feed": true, "feeds": true, "help": true, "inbox": true,
	"instance": true, "latest": true, "login": true, "logout": true, "me": true, "mod": true,
	"moderator": true, "moderators": true, "new": true, "nodeinfo": true, "notifications": true,
	"outbox": true, "p": true, "post": true, "posts": true, "register": true, "root": true,
	"search": true, "settings": true, "signup": true, "static": true, "staff": true, "stoa": true,
	"support": true, "system": true, "t": true, "thread": true, "threads": true, "u": true,
	"user": true, "users": true, "webfinger": true, "well_known": true, "www": true,
}

// NormalizeHandle lower-cases a handle; handles are unique case-insensitively.
func NormalizeHandle(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// ValidateHandle checks a username or category slug: 1-30 of [a-z0-9_] and not reserved. Thread
// actors' handles (thread-N) contain a hyphen, so they can never collide with these. Callers
// normalise first.
func ValidateHandle(field, h string) error {
	if h == "" {
		return Invalid(field, "is required")
	}
	if len(h) > MaxHandleLen {
		return Invalid(field, "must be at most %d characters", MaxHandleLen)
	}
	for _, r := range h {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_') {
			return Invalid(field, "may contain only lower-case letters, digits and underscores")
		}
	}
	if reservedHandles[h] {
		return Invalid(field, "%q is reserved", h)
	}
	return nil
}
