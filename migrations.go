package ratsmappe

import (
	"embed"
	"io/fs"
)

// MigrationsIn returns the "migrations" folder of a package's embedded
// files as the file system internal/sqldb.Migrate reads: every package
// that keeps tables embeds its forward-only SQL files with
// //go:embed migrations/*.sql and hands them to internal/schema this way.
// These are the SQLite migrations; the runner reads only the folder's
// *.sql files, not its subfolders.
func MigrationsIn(embedded embed.FS) fs.FS { return sub(embedded, "migrations") }

// PostgresMigrationsIn returns the "migrations/postgres" folder of a
// package's embedded files: the PostgreSQL spelling of its migrations,
// one file for each SQLite file and under the same name, embedded with
// //go:embed migrations/*.sql migrations/postgres/*.sql.
func PostgresMigrationsIn(embedded embed.FS) fs.FS { return sub(embedded, "migrations/postgres") }

func sub(embedded embed.FS, dir string) fs.FS {
	sub, err := fs.Sub(embedded, dir)
	if err != nil {
		panic(err) // the embedded directory always exists
	}
	return sub
}
