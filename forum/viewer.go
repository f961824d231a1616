package forum

// Role is a member's site-wide role.
type Role string

const (
	RoleAdmin     Role = "admin"
	RoleModerator Role = "moderator"
	RoleMember    Role = "member"
	// RoleGuest is nobody signed in. It is never stored.
	RoleGuest Role = "guest"
)

// ParseRole accepts the stored role names.
func ParseRole(s string) (Role, error) {
	switch r := Role(s); r {
	case RoleAdmin, RoleModerator, RoleMember:
		return r, nil
	}
	return "", Invalid("role", "must be admin, moderator or member")
}

// Viewer is who is asking: a signed-in member, or the zero value for a guest. Every domain call that
// depends on permissions takes one.
type Viewer struct {
	ActorID  int64
	Username string
	Role     Role
}

// Guest is the viewer nobody is signed in as.
var Guest = Viewer{Role: RoleGuest}

// SignedIn reports whether the viewer is a member.
func (v Viewer) SignedIn() bool { return v.ActorID != 0 }

// IsAdmin reports whether the viewer administers the site.
func (v Viewer) IsAdmin() bool { return v.Role == RoleAdmin }

// IsStaff reports whether the viewer may moderate everywhere.
func (v Viewer) IsStaff() bool { return v.Role == RoleAdmin || v.Role == RoleModerator }
