package sqldb

import "strings"

// IsUnique reports whether err is a unique constraint failure, as SQLite
// ("UNIQUE constraint failed") or PostgreSQL (SQLSTATE 23505) words it.
// It reads the error's text, so that stores need not import a driver.
func IsUnique(err error) bool {
	return hasText(err, "UNIQUE constraint failed", "(SQLSTATE 23505)")
}

// IsForeignKey reports whether err is a foreign key failure — a
// referenced row does not exist —, as SQLite ("FOREIGN KEY constraint
// failed") or PostgreSQL (SQLSTATE 23503) words it.
func IsForeignKey(err error) bool {
	return hasText(err, "FOREIGN KEY constraint failed", "(SQLSTATE 23503)")
}

func hasText(err error, sqlite, postgres string) bool {
	return err != nil && (strings.Contains(err.Error(), sqlite) || strings.Contains(err.Error(), postgres))
}
