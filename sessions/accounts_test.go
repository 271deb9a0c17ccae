package sessions_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/ratsmappe/ratsmappe"
	"github.com/ratsmappe/ratsmappe/sessions"
)

func TestPasswords(t *testing.T) {
	h, err := sessions.HashPassword("korrekt Pferd Batterie")
	must(t, err)
	if !strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Errorf("hash = %s", h)
	}
	if !sessions.CheckPassword(h, "korrekt Pferd Batterie") {
		t.Errorf("right password refused")
	}
	for _, bad := range []string{"", "korrekt pferd batterie", "korrekt Pferd Batterie "} {
		if sessions.CheckPassword(h, bad) {
			t.Errorf("%q accepted", bad)
		}
	}
	if sessions.CheckPassword("$argon2id$v=19$m=99999999,t=1,p=1$AAAA$AAAA", "x") {
		t.Errorf("absurd parameters accepted")
	}
}

func TestSignIn(t *testing.T) {
	st, _, clk := openStore(t)
	ctx := context.Background()
	a := &sessions.Account{Name: "Anna", DisplayName: "Anna Beispiel", Role: sessions.RoleMember}
	must(t, st.CreateAccount(ctx, a, "geheimes Passwort 1"))
	if err := st.CreateAccount(ctx, &sessions.Account{Name: "anna", Role: sessions.RoleClerk}, "geheimes Passwort 2"); ratsmappe.ErrorCode(err) != ratsmappe.ECONFLICT {
		t.Errorf("duplicate name (other case): %v", err)
	}
	if err := st.CreateAccount(ctx, &sessions.Account{Name: "kurz", Role: sessions.RoleClerk}, "kurz"); ratsmappe.ErrorCode(err) != ratsmappe.EINVALID {
		t.Errorf("short password: %v", err)
	}

	// Wrong password, unknown name and right password.
	for _, tc := range []struct{ name, pw string }{{"anna", "falsch"}, {"niemand", "geheimes Passwort 1"}} {
		if _, err := st.Authenticate(ctx, tc.name, tc.pw); err != sessions.ErrBadCredentials {
			t.Errorf("%s/%s: %v, want bad credentials", tc.name, tc.pw, err)
		}
	}
	got, err := st.Authenticate(ctx, "ANNA", "geheimes Passwort 1")
	must(t, err)
	if got.ID != a.ID {
		t.Fatalf("authenticated as %d", got.ID)
	}

	idle, abs := time.Hour, 24*time.Hour
	tok, err := st.StartSignIn(ctx, a.ID, "Safari on iPad")
	must(t, err)
	if _, err := st.ResolveSignIn(ctx, tok, idle, abs); err != nil {
		t.Fatalf("fresh sign-in: %v", err)
	}
	if _, err := st.ResolveSignIn(ctx, tok+"x", idle, abs); err != sessions.ErrSignedOut {
		t.Errorf("forged token: %v", err)
	}
	// Idle timeout: used every 50 minutes it stays; an idle hour ends it.
	for i := 0; i < 5; i++ {
		clk.t = clk.t.Add(50 * time.Minute)
		if _, err := st.ResolveSignIn(ctx, tok, idle, abs); err != nil {
			t.Fatalf("active sign-in ended after %d × 50 min: %v", i+1, err)
		}
	}
	clk.t = clk.t.Add(61 * time.Minute)
	if _, err := st.ResolveSignIn(ctx, tok, idle, abs); err != sessions.ErrSignedOut {
		t.Errorf("idle sign-in: %v", err)
	}
	// Absolute lifetime.
	tok, _ = st.StartSignIn(ctx, a.ID, "")
	for i := 0; i < 30; i++ {
		clk.t = clk.t.Add(50 * time.Minute)
		st.ResolveSignIn(ctx, tok, idle, abs)
	}
	if _, err := st.ResolveSignIn(ctx, tok, idle, abs); err != sessions.ErrSignedOut {
		t.Errorf("sign-in older than the absolute lifetime: %v", err)
	}
	// Sign out everywhere.
	t1, _ := st.StartSignIn(ctx, a.ID, "Tablet")
	t2, _ := st.StartSignIn(ctx, a.ID, "Laptop")
	must(t, st.EndAllSignIns(ctx, a.ID))
	for _, tk := range []string{t1, t2} {
		if _, err := st.ResolveSignIn(ctx, tk, idle, abs); err != sessions.ErrSignedOut {
			t.Errorf("sign-in survived signing out everywhere")
		}
	}
}

// Disabling an account ends its sign-ins and stops its tokens at once.
func TestDisableAccount(t *testing.T) {
	st, _, _ := openStore(t)
	ctx := context.Background()
	a := &sessions.Account{Name: "bernd", Role: sessions.RoleClerk}
	must(t, st.CreateAccount(ctx, a, "geheimes Passwort 1"))
	tok, err := st.StartSignIn(ctx, a.ID, "")
	must(t, err)
	_, api, err := st.CreateAPIToken(ctx, a.ID, "Skript")
	must(t, err)
	if !strings.HasPrefix(api, "rm_") {
		t.Errorf("token %q lacks its prefix", api)
	}
	if _, err := st.ResolveAPIToken(ctx, api); err != nil {
		t.Fatalf("token: %v", err)
	}
	must(t, st.DisableAccount(ctx, a.ID))
	if _, err := st.ResolveSignIn(ctx, tok, time.Hour, time.Hour); err != sessions.ErrSignedOut {
		t.Errorf("sign-in of a disabled account: %v", err)
	}
	if _, err := st.ResolveAPIToken(ctx, api); err != sessions.ErrSignedOut {
		t.Errorf("token of a disabled account: %v", err)
	}
	if _, err := st.Authenticate(ctx, "bernd", "geheimes Passwort 1"); err != sessions.ErrBadCredentials {
		t.Errorf("disabled account signed in: %v", err)
	}
}

func TestAPITokenRevocation(t *testing.T) {
	st, _, _ := openStore(t)
	ctx := context.Background()
	a := &sessions.Account{Name: "skript", Role: sessions.RoleClerk}
	must(t, st.CreateAccount(ctx, a, ""))
	tok, secret, err := st.CreateAPIToken(ctx, a.ID, "Import")
	must(t, err)
	must(t, st.RevokeAPIToken(ctx, a.ID, tok.ID))
	if _, err := st.ResolveAPIToken(ctx, secret); err != sessions.ErrSignedOut {
		t.Errorf("revoked token: %v", err)
	}
	// An account without password cannot sign in with an empty one.
	if _, err := st.Authenticate(ctx, "skript", ""); err != sessions.ErrBadCredentials {
		t.Errorf("empty password: %v", err)
	}
}

func TestAuditLogIsAppendOnly(t *testing.T) {
	st, db, _ := openStore(t)
	ctx := context.Background()
	must(t, st.Audit(ctx, sessions.AuditEntry{Actor: "amt", Action: "meeting.publish", ObjectType: "meeting", ObjectID: 3}))
	es, err := st.FindAuditEntries(ctx, 10)
	must(t, err)
	if len(es) != 1 || es[0].Action != "meeting.publish" {
		t.Fatalf("entries = %+v", es)
	}
	if _, err := db.Exec(`UPDATE audit_log SET actor = 'jemand'`); err == nil {
		t.Errorf("audit log entry changed")
	}
	if _, err := db.Exec(`DELETE FROM audit_log`); err == nil {
		t.Errorf("audit log entry deleted")
	}
}
