// Package migrations owns Stoa's database schema: numbered .sql files embedded in the binary and the
// runner that applies them, followed by River's own migrations through rivermigrate.
//
// Each file is NNNN_name.sql, applied once, in its own transaction, in numeric order; a comment at its
// top says why it exists. The applied versions are recorded in schema_migrations. A binary refuses to
// serve a database whose schema is newer than the newest file it embeds (see Check), because an old
// binary writing to a new schema is how data gets corrupted during a rollback.
//
// This package imports pgx and River's migrator only; queries of the forum itself live in package forum.
package migrations
