package accounts_test

import (
	"context"
	"database/sql"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/ratsmappe/ratsmappe"
	"github.com/ratsmappe/ratsmappe/access"
	"github.com/ratsmappe/ratsmappe/accounts"
	"github.com/ratsmappe/ratsmappe/documents"
	"github.com/ratsmappe/ratsmappe/internal/dbtest"
	"github.com/ratsmappe/ratsmappe/internal/pgtest"
	"github.com/ratsmappe/ratsmappe/internal/sqldb"
	"github.com/ratsmappe/ratsmappe/sessions"
)

// clock is a settable time for the store.
type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func TestMain(m *testing.M) { pgtest.Main(m) }

// openStore opens a Store on db, a new database of dbtest.Each, migrated
// like the real binary does it. The tables are created by sessions'
// migrations (see the package comment), so those run first, as in cmd.
func openStore(t *testing.T, db *sql.DB) (*accounts.Store, *sql.DB, *clock) {
	t.Helper()
	dbtest.Migrate(t, db, "documents", documents.Migrations(), documents.PostgresMigrations())
	dbtest.Migrate(t, db, "sessions", sessions.Migrations(), sessions.PostgresMigrations())
	c := &clock{t: time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)}
	return accounts.NewStore(db, c.now), db, c
}

// councilOf returns the council's store on db, with a body for the
// persons that accounts are linked to.
func councilOf(t *testing.T, db *sql.DB) (*sessions.Store, *sessions.Body) {
	t.Helper()
	council := sessions.NewStore(db, nil)
	body := &sessions.Body{Name: "Stadt"}
	must(t, council.CreateBody(context.Background(), body))
	return council, body
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestPasswords(t *testing.T) {
	h, err := accounts.HashPassword("korrekt Pferd Batterie")
	must(t, err)
	if !strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Errorf("hash = %s", h)
	}
	if !accounts.CheckPassword(h, "korrekt Pferd Batterie") {
		t.Errorf("right password refused")
	}
	for _, bad := range []string{"", "korrekt pferd batterie", "korrekt Pferd Batterie "} {
		if accounts.CheckPassword(h, bad) {
			t.Errorf("%q accepted", bad)
		}
	}
	h2, err := accounts.HashPassword("korrekt Pferd Batterie")
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
		if accounts.CheckPassword(tc.hash, "korrekt Pferd Batterie") {
			t.Errorf("%s: accepted", tc.name)
		}
	}
}

// FuzzCheckPassword: whatever the stored hash looks like, parsing it never
// panics and never accepts it. Only strings too short to be a well-formed
// hash are checked, so that the fuzzer exercises the parser instead of
// running argon2 with the parameters it invents.
func FuzzCheckPassword(f *testing.F) {
	h, _ := accounts.HashPassword("geheimes Passwort")
	f.Add(h, "geheimes Passwort")
	f.Add("$argon2id$v=19$m=19456,t=0,p=0$AAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAA", "x")
	f.Add("$argon2id$v=19$m=8,t=1,p=1$AAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAA", "")
	f.Fuzz(func(t *testing.T, hash, password string) {
		if hash == h {
			return
		}
		if len(hash) < 60 && accounts.CheckPassword(hash, password) {
			t.Errorf("CheckPassword(%q, %q) = true", hash, password)
		}
	})
}

func TestSignIn(t *testing.T) { dbtest.Each(t, testSignIn) }

func testSignIn(t *testing.T, db *sql.DB) {
	st, _, clk := openStore(t, db)
	ctx := context.Background()
	a := &accounts.Account{Name: "Anna", DisplayName: "Anna Beispiel", Role: access.RoleMember}
	must(t, st.CreateAccount(ctx, a, "geheimes Passwort 1"))
	if err := st.CreateAccount(ctx, &accounts.Account{Name: "anna", Role: access.RoleClerk}, "geheimes Passwort 2"); ratsmappe.ErrorCode(err) != ratsmappe.ECONFLICT {
		t.Errorf("duplicate name (other case): %v", err)
	}
	for _, tc := range []struct {
		name string
		a    accounts.Account
		pw   string
	}{
		{"short password", accounts.Account{Name: "kurz", Role: access.RoleClerk}, "kurz"},
		{"long password", accounts.Account{Name: "lang", Role: access.RoleClerk}, strings.Repeat("x", accounts.MaxPasswordLength+1)},
		{"unknown role", accounts.Account{Name: "chef", Role: "boss"}, ""},
		{"blank in name", accounts.Account{Name: "an na", Role: access.RoleMember}, ""},
	} {
		if err := st.CreateAccount(ctx, &tc.a, tc.pw); ratsmappe.ErrorCode(err) != ratsmappe.EINVALID {
			t.Errorf("%s: %v, want invalid", tc.name, err)
		}
	}
	if err := st.CreateAccount(ctx, &accounts.Account{Name: "geist", Role: access.RoleMember, PersonID: 999}, ""); ratsmappe.ErrorCode(err) != ratsmappe.ENOTFOUND {
		t.Errorf("account of a missing person: %v", err)
	}

	// Wrong password, unknown name and right password.
	for _, tc := range []struct{ name, pw string }{{"anna", "falsch"}, {"niemand", "geheimes Passwort 1"}} {
		if _, err := st.Authenticate(ctx, tc.name, tc.pw); err != accounts.ErrBadCredentials {
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
	if _, err := st.ResolveSignIn(ctx, tok+"x", idle, abs); err != accounts.ErrSignedOut {
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
	if _, err := st.ResolveSignIn(ctx, tok, idle, abs); err != accounts.ErrSignedOut {
		t.Errorf("idle sign-in: %v", err)
	}
	// Absolute lifetime.
	tok, _ = st.StartSignIn(ctx, a.ID, "")
	for i := 0; i < 30; i++ {
		clk.t = clk.t.Add(50 * time.Minute)
		st.ResolveSignIn(ctx, tok, idle, abs)
	}
	if _, err := st.ResolveSignIn(ctx, tok, idle, abs); err != accounts.ErrSignedOut {
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
	if _, err := st.ResolveSignIn(ctx, t3, idle, abs); err != accounts.ErrSignedOut {
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
		if _, err := st.ResolveSignIn(ctx, tk, idle, abs); err != accounts.ErrSignedOut {
			t.Errorf("sign-in survived signing out everywhere")
		}
	}
}

// A new password signs out every browser that knew the old one.
func TestSetPasswordEndsSignIns(t *testing.T) { dbtest.Each(t, testSetPasswordEndsSignIns) }

func testSetPasswordEndsSignIns(t *testing.T, db *sql.DB) {
	st, _, _ := openStore(t, db)
	ctx := context.Background()
	a := &accounts.Account{Name: "anna", Role: access.RoleMember}
	must(t, st.CreateAccount(ctx, a, "altes Passwort 1"))
	tok, err := st.StartSignIn(ctx, a.ID, "")
	must(t, err)
	must(t, st.SetPassword(ctx, a.ID, "neues Passwort 2"))
	if _, err := st.ResolveSignIn(ctx, tok, 0, 0); err != accounts.ErrSignedOut {
		t.Errorf("sign-in survived the new password: %v", err)
	}
	if _, err := st.Authenticate(ctx, "anna", "altes Passwort 1"); err != accounts.ErrBadCredentials {
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
func TestSweepSignIns(t *testing.T) { dbtest.Each(t, testSweepSignIns) }

func testSweepSignIns(t *testing.T, db *sql.DB) {
	st, _, clk := openStore(t, db)
	ctx := context.Background()
	a := &accounts.Account{Name: "anna", Role: access.RoleMember}
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
	if _, err := st.ResolveSignIn(ctx, old, 0, 0); err != accounts.ErrSignedOut {
		t.Errorf("swept sign-in resolves: %v", err)
	}
}

// Disabling an account ends its sign-ins and stops its tokens at once.
func TestDisableAccount(t *testing.T) { dbtest.Each(t, testDisableAccount) }

func testDisableAccount(t *testing.T, db *sql.DB) {
	st, _, _ := openStore(t, db)
	ctx := context.Background()
	a := &accounts.Account{Name: "bernd", Role: access.RoleClerk}
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
	if _, err := st.ResolveSignIn(ctx, tok, time.Hour, time.Hour); err != accounts.ErrSignedOut {
		t.Errorf("sign-in of a disabled account: %v", err)
	}
	if list, _ := st.FindSignIns(ctx, a.ID); len(list) != 0 {
		t.Errorf("disabled account keeps %d sign-ins", len(list))
	}
	if _, err := st.StartSignIn(ctx, a.ID, ""); err != accounts.ErrBadCredentials {
		t.Errorf("new sign-in of a disabled account: %v", err)
	}
	if _, err := st.ResolveAPIToken(ctx, api); err != accounts.ErrSignedOut {
		t.Errorf("token of a disabled account: %v", err)
	}
	if _, err := st.Authenticate(ctx, "bernd", "geheimes Passwort 1"); err != accounts.ErrBadCredentials {
		t.Errorf("disabled account signed in: %v", err)
	}
	// Enabled again, the account can sign in; old sign-ins stay ended.
	must(t, st.EnableAccount(ctx, a.ID))
	if _, err := st.Authenticate(ctx, "bernd", "geheimes Passwort 1"); err != nil {
		t.Errorf("enabled account: %v", err)
	}
	if _, err := st.ResolveSignIn(ctx, tok, time.Hour, time.Hour); err != accounts.ErrSignedOut {
		t.Errorf("old sign-in came back with the account: %v", err)
	}
}

func TestAPITokenRevocation(t *testing.T) { dbtest.Each(t, testAPITokenRevocation) }

func testAPITokenRevocation(t *testing.T, db *sql.DB) {
	st, _, _ := openStore(t, db)
	ctx := context.Background()
	a := &accounts.Account{Name: "skript", Role: access.RoleClerk}
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
	if _, err := st.ResolveAPIToken(ctx, secret); err != accounts.ErrSignedOut {
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
		if _, err := st.ResolveAPIToken(ctx, forged); err != accounts.ErrSignedOut {
			t.Errorf("forged token %q: %v", forged, err)
		}
	}
	// An account without password cannot sign in with an empty one.
	if _, err := st.Authenticate(ctx, "skript", ""); err != accounts.ErrBadCredentials {
		t.Errorf("empty password: %v", err)
	}
}

// An OpenID Connect subject links to one account, and a link is never
// moved silently.
func TestOIDCLink(t *testing.T) { dbtest.Each(t, testOIDCLink) }

func testOIDCLink(t *testing.T, db *sql.DB) {
	st, _, _ := openStore(t, db)
	ctx := context.Background()
	a := &accounts.Account{Name: "anna", Role: access.RoleMember}
	b := &accounts.Account{Name: "bernd", Role: access.RoleMember}
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

// The accounts of faction peers who see shared notes: enabled member
// accounts of the given persons — not staff, not disabled accounts, not
// accounts of other persons.
func TestMemberAccounts(t *testing.T) { dbtest.Each(t, testMemberAccounts) }

func testMemberAccounts(t *testing.T, db *sql.DB) {
	st, db, _ := openStore(t, db)
	ctx := context.Background()
	council, body := councilOf(t, db)
	ids := map[string]int64{}
	account := func(name string, role access.Role, person bool) *accounts.Account {
		a := &accounts.Account{Name: name, DisplayName: name + " B", Role: role}
		if person {
			p := &sessions.Person{BodyID: body.ID, FamilyName: name}
			must(t, council.CreatePerson(ctx, p))
			a.PersonID = p.ID
		}
		must(t, st.CreateAccount(ctx, a, ""))
		ids[name] = a.ID
		return a
	}
	anna, bert := account("anna", access.RoleMember, true), account("bert", access.RoleMember, true)
	clerk, off := account("clerk", access.RoleClerk, true), account("off", access.RoleMember, true)
	account("other", access.RoleMember, true)
	account("none", access.RoleMember, false)
	must(t, st.DisableAccount(ctx, off.ID))
	got, err := st.MemberAccounts(ctx, []int64{anna.PersonID, bert.PersonID, clerk.PersonID, off.PersonID})
	must(t, err)
	if want := map[int64]string{anna.ID: "anna B", bert.ID: "bert B"}; !reflect.DeepEqual(got, want) {
		t.Errorf("member accounts: %v, want %v (ids %v)", got, want, ids)
	}
	if got, _ := st.MemberAccounts(ctx, nil); len(got) != 0 {
		t.Errorf("of no persons: %v", got)
	}
	// The account's part of its Viewer; sessions adds the memberships.
	if v := anna.Viewer(); v.AccountID != anna.ID || v.PersonID != anna.PersonID || v.Role != access.RoleMember || v.Name != "anna B" {
		t.Errorf("viewer of anna: %+v", v)
	}
}

// A token's last use is written at most once a minute: a member's devices
// syncing with a token must not make every request a database write.
func TestAPITokenLastUsedOncePerMinute(t *testing.T) {
	dbtest.Each(t, testAPITokenLastUsedOncePerMinute)
}

func testAPITokenLastUsedOncePerMinute(t *testing.T, db *sql.DB) {
	st, _, c := openStore(t, db)
	ctx := context.Background()
	a, secret := memberWithToken(t, st)
	lastUsed := func() time.Time {
		t.Helper()
		list, err := st.FindAPITokens(ctx, a.ID)
		must(t, err)
		return list[0].LastUsed
	}
	resolve := func() {
		t.Helper()
		if _, err := st.ResolveAPIToken(ctx, secret); err != nil {
			t.Fatal(err)
		}
	}
	resolve()
	first := lastUsed()
	if !first.Equal(c.t) {
		t.Fatalf("first use: last_used = %v, want %v", first, c.t)
	}
	c.t = c.t.Add(30 * time.Second)
	resolve()
	if got := lastUsed(); !got.Equal(first) {
		t.Errorf("30 s later: last_used = %v, want it unchanged (%v)", got, first)
	}
	c.t = c.t.Add(45 * time.Second)
	resolve()
	if got := lastUsed(); !got.Equal(c.t) {
		t.Errorf("75 s later: last_used = %v, want %v", got, c.t)
	}
}

// A member's request is answered while another transaction holds the
// write lock (on SQLite a background worker catching up after an import
// holds the database's one writer lock; on PostgreSQL the rows):
// recording that a token or a sign-in was used is bookkeeping that does
// not wait for the lock. The requests' deadline is shorter than SQLite's
// busy timeout (10 s), so one that waited for the lock would fail. Once
// the lock is free, the next request records the use.
func TestResolveWhileLocked(t *testing.T) { dbtest.Each(t, testResolveWhileLocked) }

func testResolveWhileLocked(t *testing.T, db *sql.DB) {
	st, _, c := openStore(t, db)
	ctx := context.Background()
	a, secret := memberWithToken(t, st)
	signIn, err := st.StartSignIn(ctx, a.ID, "Tablet")
	must(t, err)
	started := c.t
	c.t = c.t.Add(5 * time.Minute) // both uses are due to be recorded

	tx, err := db.BeginTx(ctx, nil) // SQLite: BEGIN IMMEDIATE, the write lock
	must(t, err)
	defer tx.Rollback()
	if sqldb.DialectOf(db) == sqldb.Postgres {
		_, err := tx.ExecContext(ctx, `SELECT 1 FROM api_tokens, sign_ins FOR UPDATE`)
		must(t, err)
	}
	rctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if got, err := st.ResolveAPIToken(rctx, secret); err != nil || got.ID != a.ID {
		t.Fatalf("token while the database is locked: %v, %v", got, err)
	}
	if got, err := st.ResolveSignIn(rctx, signIn, time.Hour, 24*time.Hour); err != nil || got.ID != a.ID {
		t.Fatalf("sign-in while the database is locked: %v, %v", got, err)
	}
	must(t, tx.Rollback())

	must(t, rctx.Err()) // the deadline did not pass: nothing waited for the lock
	_, err = st.ResolveAPIToken(ctx, secret)
	must(t, err)
	_, err = st.ResolveSignIn(ctx, signIn, time.Hour, 24*time.Hour)
	must(t, err)
	tokens, err := st.FindAPITokens(ctx, a.ID)
	must(t, err)
	signIns, err := st.FindSignIns(ctx, a.ID)
	must(t, err)
	if !tokens[0].LastUsed.Equal(c.t) || !signIns[0].LastSeen.Equal(c.t) {
		t.Errorf("after the lock: last used %v, last seen %v, want %v (sign-in started %v)", tokens[0].LastUsed, signIns[0].LastSeen, c.t, started)
	}
}

// memberWithToken creates a member account with one API token and
// returns the account and the token's secret.
func memberWithToken(t *testing.T, st *accounts.Store) (*accounts.Account, string) {
	t.Helper()
	a := &accounts.Account{Name: "tablet", Role: access.RoleMember}
	must(t, st.CreateAccount(context.Background(), a, ""))
	_, secret, err := st.CreateAPIToken(context.Background(), a.ID, "Tablet")
	must(t, err)
	return a, secret
}

// The sign-in throttle's records on either database: a key's count grows
// and starts afresh after forget, clears after the right password; an
// address's failures count in their window; the sweep removes what is a
// day old.
func TestSignInThrottleRecords(t *testing.T) { dbtest.Each(t, testSignInThrottleRecords) }

func testSignInThrottleRecords(t *testing.T, db *sql.DB) {
	s, _, clk := openStore(t, db)
	ctx := context.Background()
	now := clk.now()
	for i := range 3 {
		if err := s.AddSignInStrike(ctx, "anna\x00192.0.2.1", "192.0.2.1", now.Add(time.Duration(i)*time.Minute), time.Hour); err != nil {
			t.Fatal(err)
		}
	}
	if n, last, err := s.SignInStrikes(ctx, "anna\x00192.0.2.1"); err != nil || n != 3 || !last.Equal(now.Add(2*time.Minute)) {
		t.Errorf("strikes: %d %v %v", n, last, err)
	}
	if err := s.AddSignInStrike(ctx, "anna\x00192.0.2.1", "192.0.2.1", now.Add(3*time.Hour), time.Hour); err != nil {
		t.Fatal(err)
	}
	if n, _, _ := s.SignInStrikes(ctx, "anna\x00192.0.2.1"); n != 1 {
		t.Errorf("after forget: %d strikes, want 1", n)
	}
	if n, oldest, err := s.AddressFailures(ctx, "192.0.2.1", now.Add(30*time.Second)); err != nil || n != 3 || !oldest.Equal(now.Add(time.Minute)) {
		t.Errorf("address failures: %d %v %v", n, oldest, err)
	}
	if err := s.ClearSignInStrikes(ctx, "anna\x00192.0.2.1"); err != nil {
		t.Fatal(err)
	}
	if n, _, _ := s.SignInStrikes(ctx, "anna\x00192.0.2.1"); n != 0 {
		t.Errorf("after the right password: %d strikes", n)
	}
	clk.t = clk.t.Add(48 * time.Hour)
	if _, err := s.SweepSignIns(ctx, 0, 0); err != nil {
		t.Fatal(err)
	}
	if n, _, _ := s.AddressFailures(ctx, "192.0.2.1", time.Time{}); n != 0 {
		t.Errorf("%d address failures after the sweep", n)
	}
}

// A signed-in request costs one statement for its viewer: a sign-in token
// or an API token is resolved to the account and its person's memberships
// in one, and that Viewer is the one sessions.Store.ViewerFor makes — for
// a member with several memberships (open, ended, not yet begun), a member
// with none, and staff without a person. A refused credential costs one
// too (and the expired sign-in's removal).
func TestCredentialViewerAgreesWithViewerFor(t *testing.T) {
	dbtest.Each(t, testCredentialViewerAgreesWithViewerFor)
}

func testCredentialViewerAgreesWithViewerFor(t *testing.T, db *sql.DB) {
	st, db, clk := openStore(t, db)
	ctx := context.Background()
	council, body := councilOf(t, db)
	var orgs []int64
	for _, name := range []string{"Rat", "Bauausschuss"} {
		o := &sessions.Organization{BodyID: body.ID, Name: name, Classification: sessions.ClassCommittee}
		must(t, council.CreateOrganization(ctx, o))
		orgs = append(orgs, o.ID)
	}
	counted, statements := dbtest.Counting(t, db)
	cst := accounts.NewStore(counted, clk.now)
	account := func(name string, role access.Role, memberships ...sessions.Membership) *accounts.Account {
		t.Helper()
		a := &accounts.Account{Name: name, DisplayName: name + " B", Role: role}
		if role == access.RoleMember {
			p := &sessions.Person{BodyID: body.ID, FamilyName: name}
			must(t, council.CreatePerson(ctx, p))
			a.PersonID = p.ID
			for _, m := range memberships {
				m.PersonID = p.ID
				must(t, council.CreateMembership(ctx, &m))
			}
		}
		must(t, st.CreateAccount(ctx, a, ""))
		return a
	}
	for _, a := range []*accounts.Account{
		account("anna", access.RoleMember,
			sessions.Membership{OrganizationID: orgs[1], StartDate: "2024-05-01"},
			sessions.Membership{OrganizationID: orgs[0], StartDate: "2020-01-01", EndDate: "2026-02-28"},
			sessions.Membership{OrganizationID: orgs[0], StartDate: "2026-04-01"}),
		account("nobody", access.RoleMember),
		account("amt", access.RoleClerk),
	} {
		want, err := council.ViewerFor(ctx, a.Viewer())
		must(t, err)
		tok, err := st.StartSignIn(ctx, a.ID, "test")
		must(t, err)
		_, secret, err := st.CreateAPIToken(ctx, a.ID, "sync")
		must(t, err)
		// The first use of each writes last_seen or last_used; the
		// second, within the minute, reads only.
		for _, round := range []string{"first", "second"} {
			for _, c := range []struct {
				kind    string
				resolve func(context.Context) (*accounts.Account, error)
				want    int64
			}{
				{"sign-in", func(ctx context.Context) (*accounts.Account, error) {
					return cst.ResolveSignIn(ctx, tok, time.Hour, 24*time.Hour)
				}, 1},
				{"API token", func(ctx context.Context) (*accounts.Account, error) { return cst.ResolveAPIToken(ctx, secret) }, 2},
			} {
				start := statements.Load()
				got, err := c.resolve(ctx)
				must(t, err)
				n := statements.Load() - start
				if round == "second" && n != 1 {
					t.Errorf("%s of %s, %s use: %d statements, want 1", c.kind, a.Name, round, n)
				}
				if v := got.Viewer(); !reflect.DeepEqual(v, want) {
					t.Errorf("%s of %s: viewer %+v, want ViewerFor's %+v", c.kind, a.Name, v, want)
				}
			}
		}
		clk.t = clk.t.Add(2 * time.Minute)
	}
	if len((&accounts.Account{}).Viewer().Memberships) != 0 {
		t.Errorf("an account not found by its credential has memberships")
	}
	start := statements.Load()
	if _, err := cst.ResolveSignIn(ctx, "unknown", time.Hour, time.Hour); err != accounts.ErrSignedOut {
		t.Errorf("unknown sign-in: %v", err)
	}
	if _, err := cst.ResolveAPIToken(ctx, "rm_unknown"); err != accounts.ErrSignedOut {
		t.Errorf("unknown token: %v", err)
	}
	if n := statements.Load() - start; n != 2 {
		t.Errorf("two unknown credentials: %d statements, want 2", n)
	}
}
