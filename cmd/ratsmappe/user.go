package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/ratsmappe/ratsmappe"
	"github.com/ratsmappe/ratsmappe/access"
	"github.com/ratsmappe/ratsmappe/accounts"
	"github.com/ratsmappe/ratsmappe/sessions"
)

func runUser(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return errUsage
	}
	var cfg Config
	fs := flag.NewFlagSet("user "+args[0], flag.ContinueOnError)
	cfg.register(fs, "warn")
	role := fs.String("role", "member", "role: admin, clerk or member")
	display := fs.String("display-name", "", "name shown in the UI (default: NAME)")
	person := fs.Int64("person", 0, "id of the council member's person record, for a member")
	label := fs.String("label", "cli", "what the API token is for")
	asJSON := fs.Bool("json", false, "print JSON")
	if err := parse(fs, args[1:], stderr); err != nil {
		return err
	}
	open := func() (*App, error) { return openApp(ctx, cfg, newLogger(stderr, cfg.LogLevel), nil) }
	name := fs.Arg(0)
	needName := func() error {
		if fs.NArg() != 1 {
			fmt.Fprintf(stderr, "usage: ratsmappe user %s [flags] NAME\n", args[0])
			return errUsage
		}
		return nil
	}
	// withAccount opens the data directory and runs f on account NAME.
	withAccount := func(f func(app *App, a *accounts.Account) error) error {
		app, err := open()
		if err != nil {
			return err
		}
		defer app.Close()
		a, err := app.Accounts.FindAccountByName(ctx, name)
		if err != nil {
			return err
		}
		return f(app, a)
	}
	switch args[0] {
	case "add":
		if err := needName(); err != nil {
			return err
		}
		pw, err := readPassword(stdin)
		if err != nil {
			return err
		}
		app, err := open()
		if err != nil {
			return err
		}
		defer app.Close()
		a := &accounts.Account{Name: name, DisplayName: *display, Role: access.Role(*role), PersonID: *person}
		if err := app.Accounts.CreateAccount(ctx, a, pw); err != nil {
			return err
		}
		app.Sessions.Audit(ctx, sessions.AuditEntry{Actor: "cli", Action: "account.create", ObjectType: "account", ObjectID: a.ID, Details: string(a.Role)})
		fmt.Fprintf(stdout, "Konto %q (%s) angelegt.\n", a.Name, a.Role)
	case "token":
		if err := needName(); err != nil {
			return err
		}
		return withAccount(func(app *App, a *accounts.Account) error {
			tok, secret, err := app.Accounts.CreateAPIToken(ctx, a.ID, *label)
			if err != nil {
				return err
			}
			app.Sessions.Audit(ctx, sessions.AuditEntry{Actor: "cli", Action: "token.create", ObjectType: "account", ObjectID: a.ID, Details: *label})
			if *asJSON {
				return json.NewEncoder(stdout).Encode(map[string]any{"id": tok.ID, "account": a.Name, "token": secret})
			}
			_, err = fmt.Fprintln(stdout, secret)
			return err
		})
	case "revoke":
		if fs.NArg() != 2 {
			fmt.Fprintln(stderr, "usage: ratsmappe user revoke NAME TOKEN-ID")
			return errUsage
		}
		id, err := parseID(fs.Arg(1))
		if err != nil {
			return err
		}
		return withAccount(func(app *App, a *accounts.Account) error {
			return app.Accounts.RevokeAPIToken(ctx, a.ID, id)
		})
	case "disable", "enable", "signout":
		if err := needName(); err != nil {
			return err
		}
		return withAccount(func(app *App, a *accounts.Account) error {
			var err error
			switch args[0] {
			case "disable":
				err = app.Accounts.DisableAccount(ctx, a.ID)
			case "enable":
				err = app.Accounts.EnableAccount(ctx, a.ID)
			default:
				err = app.Accounts.EndAllSignIns(ctx, a.ID)
			}
			if err != nil {
				return err
			}
			app.Sessions.Audit(ctx, sessions.AuditEntry{Actor: "cli", Action: "account." + args[0], ObjectType: "account", ObjectID: a.ID})
			return nil
		})
	case "passwd":
		if err := needName(); err != nil {
			return err
		}
		pw, err := readPassword(stdin)
		if err != nil {
			return err
		}
		return withAccount(func(app *App, a *accounts.Account) error {
			return app.Accounts.SetPassword(ctx, a.ID, pw)
		})
	case "list":
		app, err := open()
		if err != nil {
			return err
		}
		defer app.Close()
		as, err := app.Accounts.FindAccounts(ctx)
		if err != nil {
			return err
		}
		for _, a := range as {
			state := ""
			if a.Disabled {
				state = " (gesperrt)"
			}
			fmt.Fprintf(stdout, "%-20s %-7s %s%s\n", a.Name, a.Role, a.DisplayName, state)
		}
	default:
		fmt.Fprintf(stderr, "ratsmappe user: unknown subcommand %q\n\n%s", args[0], usage)
		return errUsage
	}
	return nil
}

// readPassword reads the password from the first line of stdin.
func readPassword(stdin io.Reader) (string, error) {
	line, err := bufio.NewReader(stdin).ReadString('\n')
	if err != nil && err != io.EOF {
		return "", err
	}
	pw := strings.TrimRight(line, "\r\n")
	if pw == "" {
		return "", ratsmappe.Errorf(ratsmappe.EINVALID, "no password on standard input (e.g. echo '…' | ratsmappe user add …)")
	}
	return pw, nil
}
