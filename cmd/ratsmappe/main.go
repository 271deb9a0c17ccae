// Command ratsmappe is the one binary of Ratsmappe, the paperless council
// session document system: `ratsmappe serve` runs the server, `ratsmappe
// doc …` manages documents from the command line, and `ratsmappe
// pdf-worker` is the sandboxed PDF parser the others start as a child
// process.
//
// Configuration comes from flags; every flag can also be set by an
// environment variable RATSMAPPE_<FLAG> (upper case, dashes as
// underscores), e.g. --data and RATSMAPPE_DATA.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := Run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

const usage = `ratsmappe — paperless council sessions

Usage:
  ratsmappe serve [--demo] [flags]        run the HTTP server (--demo: load the demo council into an empty data directory first)
  ratsmappe demo [--canary WORD] [--json] fill an empty data directory with a demo council
  ratsmappe doc add [flags] FILE|DIR...   add PDFs as new documents
  ratsmappe doc version [flags] ID FILE   add a new version of a document
  ratsmappe doc list [--json]             list documents
  ratsmappe doc show ID                   show a document and its versions
  ratsmappe doc get ID [--version N] [--original] > out.pdf
  ratsmappe doc text ID [--version N]     print page texts, separated by form feeds
  ratsmappe doc withdraw ID N             withdraw a version (it stays stored)
  ratsmappe user add --role admin|clerk|member NAME   (password on stdin)
  ratsmappe user token NAME               print a new API token for NAME
  ratsmappe user list|disable|enable|signout|passwd NAME
  ratsmappe import oparl [--concurrency N] [--since T|--full] [--allow-host H] [--deadline D] URL   import from an OParl endpoint (its System URL); a rerun continues or updates
  ratsmappe backup DIR                    consistent backup (database snapshot + every blob) into a new DIR
  ratsmappe restore [--data EMPTY] DIR    restore a backup into an empty data directory
  ratsmappe db copy --from sqlite:DATA|postgres://… --to sqlite:DATA|postgres://… [--scopes a,b]
                                          copy the database into an empty one (SQLite to PostgreSQL and back), verified by row counts and hashes; a rerun resumes
  ratsmappe gc [--grace D]                remove unreferenced blobs
  ratsmappe reindex                       rebuild the search index from the database (stop the server first when the index is embedded)
  ratsmappe pdf-worker                    (internal) sandboxed PDF worker

Run "ratsmappe COMMAND -h" for the flags of a command.
`

// Run runs the command line args and returns the process exit status.
func Run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	var err error
	switch args[0] {
	case "serve":
		err = runServe(ctx, args[1:], stdout, stderr)
	case "doc":
		err = runDoc(ctx, args[1:], stdin, stdout, stderr)
	case "demo":
		err = runDemo(ctx, args[1:], stdout, stderr)
	case "user":
		err = runUser(ctx, args[1:], stdin, stdout, stderr)
	case "import":
		err = runImport(ctx, args[1:], stdout, stderr)
	case "backup":
		err = runBackup(ctx, args[1:], stdout, stderr)
	case "restore":
		err = runRestore(ctx, args[1:], stdout, stderr)
	case "reindex":
		err = runReindex(ctx, args[1:], stdout, stderr)
	case "db":
		err = runDB(ctx, args[1:], stdout, stderr)
	case "gc":
		err = runGC(ctx, args[1:], stdout, stderr)
	case "pdf-worker":
		err = runPDFWorker(ctx, args[1:], stdin, stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "ratsmappe: unknown command %q\n\n%s", args[0], usage)
		return 2
	}
	if err != nil {
		if err == errUsage {
			return 2
		}
		fmt.Fprintf(stderr, "ratsmappe %s: %s\n", args[0], userMessage(err))
		return 1
	}
	return 0
}
