package sessions_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/ratsmappe/ratsmappe"
	"github.com/ratsmappe/ratsmappe/access"
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
	h2, err := sessions.HashPassword("korrekt Pferd Batterie")
	must(t, err)
	if h2 == h {
		t.Errorf("two hashes of one password are equal: the salt is not random")
	}
	// Hashes with other parameters (say, raised later) still verify.
	parts := strings.Split(h, "$")
	for _, tc := range []struct {
		name, hash string
	}{
		{"absurd memory", "$argon2id$v=19$m=99999999,t=1,p=1$" + parts[4] + "$" + parts[5]},
		{"zero passes", "$argon2id$v=19$m=19456,t=0,p=1$" + parts[4] + "$" + parts[5]},
		{"zero lanes", "$argon2id$v=19$m=19456,t=2,p=0$" + parts[4] + "$" + parts[5]},
		{"memory below 8 × lanes", "$argon2id$v=19$m=7,t=2,p=1$" + parts[4] + "$" + parts[5]},
		{"other version", "$argon2id$v=16$m=19456,t=2,p=1$" + parts[4] + "$" + parts[5]},
		{"argon2i", "$argon2i$v=19$m=19456,t=2,p=1$" + parts[4] + "$" + parts[5]},
		{"trailing garbage in parameters", "$argon2id$v=19$m=19456,t=2,p=1x$" + parts[4] + "$" + parts[5]},
		{"short salt", "$argon2id$v=19$m=19456,t=2,p=1$AAAA$" + parts[5]},
		{"empty key", "$argon2id$v=19$m=19456,t=2,p=1$" + parts[4] + "$"},
		{"bad base64", "$argon2id$v=19$m=19456,t=2,p=1$" + parts[4] + "$!!!!"},
		{"too few fields", "$argon2id$v=19$" + parts[5]},
		{"empty", ""},
	} {
		if sessions.CheckPassword(tc.hash, "korrekt Pferd Batterie") {
			t.Errorf("%s: accepted", tc.name)
		}
	}
}

// FuzzCheckPassword: whatever the stored hash looks like, parsing it never
// panics and never accepts it. Only strings too short to be a well-formed
// hash are checked, so that the fuzzer exercises the parser instead of
// running argon2 with the parameters it invents.
func FuzzCheckPassword(f *testing.F) {
	h, _ := sessions.HashPassword("geheimes Passwort")
	f.Add(h, "geheimes Passwort")
	f.Add("$argon2id$v=19$m=19456,t=0,p=0$AAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAA", "x")
	f.Add("$argon2id$v=19$m=8,t=1,p=1$AAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAA", "")
	f.Fuzz(func(t *testing.T, hash, password string) {
		if hash == h {
			return
		}
		if len(hash) < 60 && sessions.CheckPassword(hash, password) {
			t.Errorf("CheckPassword(%q, %q) = true", hash, password)
		}
	})
}

func TestSignIn(t *testing.T) {
	st, _, clk := openStore(t)
	ctx := context.Background()
	a := &sessions.Account{Name: "Anna", DisplayName: "Anna Beispiel", Role: access.RoleMember}
	must(t, st.CreateAccount(ctx, a, "geheimes Passwort 1"))
	if err := st.CreateAccount(ctx, &sessions.Account{Name: "anna", Role: access.RoleClerk}, "geheimes Passwort 2"); ratsmappe.ErrorCode(err) != ratsmappe.ECONFLICT {
		t.Errorf("duplicate name (other case): %v", err)
	}
	for _, tc := range []struct {
		name string
		a    sessions.Account
		pw   string
	}{
		{"short password", sessions.Account{Name: "kurz", Role: access.RoleClerk}, "kurz"},
		{"long password", sessions.Account{Name: "lang", Role: access.RoleClerk}, strings.Repeat("x", sessions.MaxPasswordLength+1)},
		{"unknown role", sessions.Account{Name: "chef", Role: "boss"}, ""},
		{"blank in name", sessions.Account{Name: "an na", Role: access.RoleMember}, ""},
	} {
		if err := st.CreateAccount(ctx, &tc.a, tc.pw); ratsmappe.ErrorCode(err) != ratsmappe.EINVALID {
			t.Errorf("%s: %v, want invalid", tc.name, err)
		}
	}
	if err := st.CreateAccount(ctx, &sessions.Account{Name: "geist", Role: access.RoleMember, PersonID: 999}, ""); ratsmappe.ErrorCode(err) != ratsmappe.ENOTFOUND {
		t.Errorf("account of a missing person: %v", err)
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
	// Sign out one device from the list, then everywhere.
	t1, _ := st.StartSignIn(ctx, a.ID, "Tablet")
	t2, _ := st.StartSignIn(ctx, a.ID, "Laptop")
	t3, _ := st.StartSignIn(ctx, a.ID, "Telefon")
	list, err := st.FindSignIns(ctx, a.ID)
	must(t, err)
	if got, want := len(list), 3; got != want {
		t.Fatalf("%d sign-ins listed, want %d", got, want)
	}
	for _, si := range list {
		if si.ID == t1 || si.ID == t2 || si.ID == t3 {
			t.Fatalf("sign-in list shows a token")
		}
		if si.UserAgent == "Telefon" {
			must(t, st.EndSignInByID(ctx, a.ID, si.ID))
		}
	}
	if _, err := st.ResolveSignIn(ctx, t3, idle, abs); err != sessions.ErrSignedOut {
		t.Errorf("sign-in ended from the list still works: %v", err)
	}
	if _, err := st.ResolveSignIn(ctx, t1, idle, abs); err != nil {
		t.Errorf("ending one sign-in ended another: %v", err)
	}
	if err := st.EndSignInByID(ctx, a.ID+1, list[0].ID); ratsmappe.ErrorCode(err) != ratsmappe.ENOTFOUND {
		t.Errorf("ending another account's sign-in: %v", err)
	}
	must(t, st.EndAllSignIns(ctx, a.ID))
	for _, tk := range []string{t1, t2} {
		if _, err := st.ResolveSignIn(ctx, tk, idle, abs); err != sessions.ErrSignedOut {
			t.Errorf("sign-in survived signing out everywhere")
		}
	}
}

// A new password signs out every browser that knew the old one.
func TestSetPasswordEndsSignIns(t *testing.T) {
	st, _, _ := openStore(t)
	ctx := context.Background()
	a := &sessions.Account{Name: "anna", Role: access.RoleMember}
	must(t, st.CreateAccount(ctx, a, "altes Passwort 1"))
	tok, err := st.StartSignIn(ctx, a.ID, "")
	must(t, err)
	must(t, st.SetPassword(ctx, a.ID, "neues Passwort 2"))
	if _, err := st.ResolveSignIn(ctx, tok, 0, 0); err != sessions.ErrSignedOut {
		t.Errorf("sign-in survived the new password: %v", err)
	}
	if _, err := st.Authenticate(ctx, "anna", "altes Passwort 1"); err != sessions.ErrBadCredentials {
		t.Errorf("old password: %v", err)
	}
	if _, err := st.Authenticate(ctx, "anna", "neues Passwort 2"); err != nil {
		t.Errorf("new password: %v", err)
	}
	if err := st.SetPassword(ctx, 999, "neues Passwort 2"); ratsmappe.ErrorCode(err) != ratsmappe.ENOTFOUND {
		t.Errorf("password of a missing account: %v", err)
	}
}

// Expired sign-ins are swept; live ones stay.
func TestSweepSignIns(t *testing.T) {
	st, _, clk := openStore(t)
	ctx := context.Background()
	a := &sessions.Account{Name: "anna", Role: access.RoleMember}
	must(t, st.CreateAccount(ctx, a, ""))
	old, _ := st.StartSignIn(ctx, a.ID, "alt")
	clk.t = clk.t.Add(2 * time.Hour)
	live, _ := st.StartSignIn(ctx, a.ID, "neu")
	n, err := st.SweepSignIns(ctx, time.Hour, 24*time.Hour)
	must(t, err)
	if n != 1 {
		t.Errorf("swept %d sign-ins, want 1", n)
	}
	if _, err := st.ResolveSignIn(ctx, live, time.Hour, 24*time.Hour); err != nil {
		t.Errorf("live sign-in swept: %v", err)
	}
	if _, err := st.ResolveSignIn(ctx, old, 0, 0); err != sessions.ErrSignedOut {
		t.Errorf("swept sign-in resolves: %v", err)
	}
}

// Disabling an account ends its sign-ins and stops its tokens at once.
func TestDisableAccount(t *testing.T) {
	st, _, _ := openStore(t)
	ctx := context.Background()
	a := &sessions.Account{Name: "bernd", Role: access.RoleClerk}
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
	if list, _ := st.FindSignIns(ctx, a.ID); len(list) != 0 {
		t.Errorf("disabled account keeps %d sign-ins", len(list))
	}
	if _, err := st.StartSignIn(ctx, a.ID, ""); err != sessions.ErrBadCredentials {
		t.Errorf("new sign-in of a disabled account: %v", err)
	}
	if _, err := st.ResolveAPIToken(ctx, api); err != sessions.ErrSignedOut {
		t.Errorf("token of a disabled account: %v", err)
	}
	if _, err := st.Authenticate(ctx, "bernd", "geheimes Passwort 1"); err != sessions.ErrBadCredentials {
		t.Errorf("disabled account signed in: %v", err)
	}
	// Enabled again, the account can sign in; old sign-ins stay ended.
	must(t, st.EnableAccount(ctx, a.ID))
	if _, err := st.Authenticate(ctx, "bernd", "geheimes Passwort 1"); err != nil {
		t.Errorf("enabled account: %v", err)
	}
	if _, err := st.ResolveSignIn(ctx, tok, time.Hour, time.Hour); err != sessions.ErrSignedOut {
		t.Errorf("old sign-in came back with the account: %v", err)
	}
}

func TestAPITokenRevocation(t *testing.T) {
	st, _, _ := openStore(t)
	ctx := context.Background()
	a := &sessions.Account{Name: "skript", Role: access.RoleClerk}
	must(t, st.CreateAccount(ctx, a, ""))
	tok, secret, err := st.CreateAPIToken(ctx, a.ID, "Import")
	must(t, err)
	other, otherSecret, err := st.CreateAPIToken(ctx, a.ID, "Export")
	must(t, err)
	if got, err := st.ResolveAPIToken(ctx, secret); err != nil || got.ID != a.ID {
		t.Fatalf("fresh token: %v %v", got, err)
	}
	if err := st.RevokeAPIToken(ctx, a.ID+1, tok.ID); ratsmappe.ErrorCode(err) != ratsmappe.ENOTFOUND {
		t.Errorf("revoking another account's token: %v", err)
	}
	must(t, st.RevokeAPIToken(ctx, a.ID, tok.ID))
	if _, err := st.ResolveAPIToken(ctx, secret); err != sessions.ErrSignedOut {
		t.Errorf("revoked token: %v", err)
	}
	if _, err := st.ResolveAPIToken(ctx, otherSecret); err != nil {
		t.Errorf("revoking one token stopped another: %v", err)
	}
	list, err := st.FindAPITokens(ctx, a.ID)
	must(t, err)
	if len(list) != 2 || !list[0].Revoked || list[1].Revoked || list[1].ID != other.ID || list[0].LastUsed.IsZero() {
		t.Errorf("tokens = %+v %+v", list[0], list[1])
	}
	if _, _, err := st.CreateAPIToken(ctx, a.ID, " "); ratsmappe.ErrorCode(err) != ratsmappe.EINVALID {
		t.Errorf("token without a name: %v", err)
	}
	if _, _, err := st.CreateAPIToken(ctx, 999, "x"); ratsmappe.ErrorCode(err) != ratsmappe.ENOTFOUND {
		t.Errorf("token of a missing account: %v", err)
	}
	for _, forged := range []string{"", "rm_", secret + "x", strings.TrimPrefix(secret, "rm_")} {
		if _, err := st.ResolveAPIToken(ctx, forged); err != sessions.ErrSignedOut {
			t.Errorf("forged token %q: %v", forged, err)
		}
	}
	// An account without password cannot sign in with an empty one.
	if _, err := st.Authenticate(ctx, "skript", ""); err != sessions.ErrBadCredentials {
		t.Errorf("empty password: %v", err)
	}
}

// An OpenID Connect subject links to one account, and a link is never
// moved silently.
func TestOIDCLink(t *testing.T) {
	st, _, _ := openStore(t)
	ctx := context.Background()
	a := &sessions.Account{Name: "anna", Role: access.RoleMember}
	b := &sessions.Account{Name: "bernd", Role: access.RoleMember}
	must(t, st.CreateAccount(ctx, a, ""))
	must(t, st.CreateAccount(ctx, b, ""))
	const sub = "https://login.example|1234"
	if _, err := st.FindAccountByOIDC(ctx, sub); ratsmappe.ErrorCode(err) != ratsmappe.ENOTFOUND {
		t.Fatalf("unlinked subject: %v", err)
	}
	must(t, st.LinkOIDC(ctx, a.ID, sub))
	must(t, st.LinkOIDC(ctx, a.ID, sub)) // again: no error
	got, err := st.FindAccountByOIDC(ctx, sub)
	must(t, err)
	if got.ID != a.ID {
		t.Errorf("subject finds account %d, want %d", got.ID, a.ID)
	}
	if err := st.LinkOIDC(ctx, b.ID, sub); ratsmappe.ErrorCode(err) != ratsmappe.ECONFLICT {
		t.Errorf("linking a taken subject: %v", err)
	}
	if err := st.LinkOIDC(ctx, a.ID, "https://login.example|9999"); ratsmappe.ErrorCode(err) != ratsmappe.ECONFLICT {
		t.Errorf("relinking an account: %v", err)
	}
	if err := st.LinkOIDC(ctx, 999, "x|y"); ratsmappe.ErrorCode(err) != ratsmappe.ENOTFOUND {
		t.Errorf("linking a missing account: %v", err)
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
	if err := st.Audit(ctx, sessions.AuditEntry{Actor: "amt"}); ratsmappe.ErrorCode(err) != ratsmappe.EINVALID {
		t.Errorf("entry without action: %v", err)
	}
}

// Who read non-public document 42, and when.
func TestFindAuditEntriesFor(t *testing.T) {
	st, _, clk := openStore(t)
	ctx := context.Background()
	start := clk.t
	for i, e := range []sessions.AuditEntry{
		{AccountID: 1, Actor: "Anna", Action: "document.read_nonpublic", ObjectType: "document", ObjectID: 42},
		{AccountID: 2, Actor: "Bernd", Action: "document.read_nonpublic", ObjectType: "document", ObjectID: 43},
		{AccountID: 1, Actor: "Anna", Action: "document.read_nonpublic", ObjectType: "document", ObjectID: 42},
		{AccountID: 3, Actor: "Amt", Action: "meeting.publish", ObjectType: "meeting", ObjectID: 42},
	} {
		clk.t = start.Add(time.Duration(i) * time.Minute)
		must(t, st.Audit(ctx, e))
	}
	for _, tc := range []struct {
		name string
		f    sessions.AuditFilter
		want int
	}{
		{"all", sessions.AuditFilter{}, 4},
		{"reads of document 42", sessions.AuditFilter{Action: "document.read_nonpublic", ObjectType: "document", ObjectID: 42}, 2},
		{"by account 1", sessions.AuditFilter{AccountID: 1}, 2},
		{"objects 42 of any type", sessions.AuditFilter{ObjectID: 42}, 3},
		{"from the third minute", sessions.AuditFilter{From: start.Add(2 * time.Minute)}, 2},
		{"before the second minute", sessions.AuditFilter{To: start.Add(time.Minute)}, 1},
		{"one page", sessions.AuditFilter{Limit: 3, Offset: 2}, 2},
	} {
		es, err := st.FindAuditEntriesFor(ctx, tc.f)
		must(t, err)
		if got := len(es); got != tc.want {
			t.Errorf("%s: %d entries, want %d", tc.name, got, tc.want)
		}
		for i := 1; i < len(es); i++ {
			if es[i].At.After(es[i-1].At) {
				t.Errorf("%s: not newest first", tc.name)
			}
		}
	}
	es, err := st.FindAuditEntries(ctx, 1)
	must(t, err)
	if len(es) != 1 || es[0].Action != "meeting.publish" || !es[0].At.Equal(start.Add(3*time.Minute)) {
		t.Errorf("newest entry = %+v", es[0])
	}
}
