package ratsmappe

import (
	"embed"
	"io/fs"
)

// MigrationsIn returns the "migrations" folder of a package's embedded
// files as the file system documents/sqlite.Migrate reads: every package
// that keeps tables embeds its forward-only SQL files with
// //go:embed migrations/*.sql and hands them to internal/schema this way.
func MigrationsIn(embedded embed.FS) fs.FS {
	sub, err := fs.Sub(embedded, "migrations")
	if err != nil {
		panic(err) // the embedded directory always exists
	}
	return sub
}
