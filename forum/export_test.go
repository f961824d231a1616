package forum

// PasswordChecks exposes the count of argon2id verifications to the external tests.
func PasswordChecks() int64 { return passwordChecks.Load() }
