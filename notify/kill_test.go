package notify_test

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ratsmappe/ratsmappe/documents/postgres"
	"github.com/ratsmappe/ratsmappe/documents/sqlite"
	"github.com/ratsmappe/ratsmappe/internal/dbtest"
	"github.com/ratsmappe/ratsmappe/internal/pgtest"
	"github.com/ratsmappe/ratsmappe/internal/sqldb"
	"github.com/ratsmappe/ratsmappe/notify"
	"github.com/ratsmappe/ratsmappe/notify/mailpittest"
	"github.com/ratsmappe/ratsmappe/notify/smtp"
)

// Environment of the kill test's child process.
const (
	envChildDB   = "RATSMAPPE_NOTIFY_KILL_DB"
	envChildSMTP = "RATSMAPPE_NOTIFY_KILL_SMTP"
)

const killFrom = "Ratsmappe Lindenau <ratsmappe@lindenau.example>"

// TestKill sends a large invitation run to a real SMTP server from a child
// process that is SIGKILLed again and again, then lets a last one finish.
// Every recipient must end up with exactly one message per key, counted by
// Message-ID as mail clients count them; copies a kill caused between the
// server's acceptance and the outbox's record carry the same Message-ID.
//
// On PostgreSQL two children run at once, as two app servers, and are
// killed together: a message sent again must be one a kill interrupted,
// never one the other server sent too.
//
// RATSMAPPE_NOTIFY_KILL_MESSAGES (default 1000) and _ROUNDS (default 20) size it.
func TestKill(t *testing.T) {
	if testing.Short() {
		t.Skip("kill test skipped in -short mode")
	}
	t.Run("sqlite", func(t *testing.T) { testKill(t, filepath.Join(t.TempDir(), "ratsmappe.db"), 1) })
	t.Run("postgres", func(t *testing.T) { testKill(t, pgtest.URL(t), 2) })
}

// openKillDB opens the kill test's database: an SQLite file or a
// PostgreSQL URL.
func openKillDB(ctx context.Context, source string) (*sql.DB, error) {
	if strings.HasPrefix(source, "postgres://") {
		return postgres.Open(ctx, source)
	}
	return sqlite.Open(ctx, source)
}

func testKill(t *testing.T, source string, servers int) {
	srv := mailpittest.Start(t, mailpittest.Options{})
	messages, rounds := envInt("RATSMAPPE_NOTIFY_KILL_MESSAGES", 1000), envInt("RATSMAPPE_NOTIFY_KILL_ROUNDS", 20)
	const keysPerRecipient = 5
	recipients := messages / keysPerRecipient

	ctx := context.Background()
	db, err := openKillDB(ctx, source)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	migrated(t, db)
	o := notify.NewOutbox(db, nil, notify.Options{})
	want := map[string]map[string]bool{} // recipient → Message-IDs
	var msgs []notify.Message
	for r := range recipients {
		to := fmt.Sprintf("mitglied%03d@lindenau.example", r)
		want[to] = map[string]bool{}
		for k := range keysPerRecipient {
			m := message(fmt.Sprintf("ladung/meeting/%d/person/%d", k, r), to)
			m.From = killFrom
			m.Text += fmt.Sprintf("\nSitzung %d", k)
			msgs = append(msgs, m)
			want[to][notify.MessageID(m.Key, "lindenau.example")] = true
		}
	}
	enqueue(t, db, o, msgs...)

	// start starts a child per server.
	start := func() []*exec.Cmd {
		var cmds []*exec.Cmd
		for range servers {
			cmd := exec.Command(os.Args[0], "-test.run=^TestKillChild$", "-test.count=1")
			cmd.Env = append(os.Environ(), envChildDB+"="+source, envChildSMTP+"="+srv.SMTP)
			cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			cmds = append(cmds, cmd)
		}
		return cmds
	}
	// Kill until the child has died mid-run rounds times. Each child is
	// killed once it has sent a random share of what a round may take, so
	// that the rounds end before the messages do however fast the machine.
	killedMidRun := 0
	backlog := len(msgs)
	maxStep := 2 * len(msgs) / (3 * rounds)
	for killedMidRun < rounds && backlog > 0 {
		cmds := start()
		target := backlog - 1 - rand.IntN(maxStep)
		for began := time.Now(); backlog > target && time.Since(began) < 5*time.Second; {
			time.Sleep(time.Duration(1+rand.IntN(10)) * time.Millisecond)
			if backlog, err = o.Backlog(ctx); err != nil {
				t.Fatal(err)
			}
		}
		for _, cmd := range cmds {
			cmd.Process.Signal(syscall.SIGKILL)
		}
		for _, cmd := range cmds {
			if err := cmd.Wait(); err != nil {
				killedMidRun++
			}
		}
		if backlog, err = o.Backlog(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if killedMidRun < rounds {
		t.Errorf("only %d kills before all %d messages were sent: raise RATSMAPPE_NOTIFY_KILL_MESSAGES", killedMidRun, len(msgs))
	}
	t.Logf("%d kills; %d of %d messages still to send", killedMidRun, backlog, len(msgs))
	done := make(chan error, servers)
	last := start()
	for _, cmd := range last {
		go func() { done <- cmd.Wait() }()
	}
	for range servers {
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("last child: %v", err)
			}
		case <-time.After(3 * time.Minute):
			for _, cmd := range last {
				cmd.Process.Kill()
			}
			t.Fatal("last child did not finish in 3 minutes")
		}
	}

	got, copies := srv.Copies(t)
	for to, ids := range want {
		for id := range ids {
			if got[to][id] == 0 {
				t.Errorf("%s lacks message %s", to, id)
			}
		}
		for id := range got[to] {
			if !ids[id] {
				t.Errorf("%s got unexpected message %s", to, id)
			}
		}
	}
	for to := range got {
		if want[to] == nil {
			t.Errorf("unexpected recipient %s", to)
		}
	}
	interrupted := 0
	for _, m := range msgs {
		d, err := o.FindDelivery(ctx, m.Key)
		if err != nil {
			t.Fatal(err)
		}
		if d.State != notify.Sent || d.QueueID == "" {
			t.Fatalf("%s: %+v", m.Key, d)
		}
		for _, a := range d.Log {
			if a.Outcome == "interrupted" {
				interrupted++
			}
		}
	}
	t.Logf("%d messages, %d SMTP copies (%d resent after a kill, same Message-ID), %d attempts interrupted by kills",
		len(msgs), copies, copies-len(msgs), interrupted)
	// A copy is sent only after an attempt whose outcome a kill kept
	// from the record: never because two servers took one message.
	if copies-len(msgs) > interrupted {
		t.Errorf("%d copies resent, but only %d attempts were interrupted", copies-len(msgs), interrupted)
	}
}

// TestKillChild is the child process of TestKill: it sends the outbox's
// messages until none is left. It does nothing in a normal test run.
func TestKillChild(t *testing.T) {
	source, addr := os.Getenv(envChildDB), os.Getenv(envChildSMTP)
	if source == "" {
		t.Skip("child process of TestKill")
	}
	ctx := context.Background()
	db, err := openKillDB(ctx, source)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	s, err := smtp.New(smtp.Config{URL: "smtp://" + addr, From: killFrom})
	if err != nil {
		t.Fatal(err)
	}
	// A short lease, so that a restarted child takes up what the killed
	// one had claimed without a long wait.
	o := notify.NewOutbox(db, s, notify.Options{Lease: time.Second, Batch: 16, BackoffBase: 100 * time.Millisecond})
	sendAll(t, o, 5*time.Minute)
}

// sendAll sends until the outbox has nothing left to send, failing the test
// if that takes longer than within.
func sendAll(t testing.TB, o *notify.Outbox, within time.Duration) {
	t.Helper()
	ctx := context.Background()
	for deadline := time.Now().Add(within); ; {
		if _, err := o.SendDue(ctx); err != nil {
			t.Fatal(err)
		}
		n, err := o.Backlog(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d messages still unsent after %v", n, within)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

// TestFlakyServer sends through a real SMTP server that refuses half of the
// recipients with 451: the outbox retries until each message arrived, once.
func TestFlakyServer(t *testing.T) {
	srv := mailpittest.Start(t, mailpittest.Options{Chaos: true})
	srv.SetChaos(t, mailpittest.Trigger{}, mailpittest.Trigger{ErrorCode: 451, Probability: 50})
	db := migrated(t, dbtest.Open(t, sqldb.SQLite))
	s, err := smtp.New(smtp.Config{URL: "smtp://" + srv.SMTP, From: killFrom})
	if err != nil {
		t.Fatal(err)
	}
	o := notify.NewOutbox(db, s, notify.Options{BackoffBase: time.Millisecond, BackoffMax: 10 * time.Millisecond, MaxAttempts: 50})
	var msgs []notify.Message
	for i := range 40 {
		msgs = append(msgs, message(fmt.Sprintf("k%d", i), fmt.Sprintf("m%d@lindenau.example", i)))
	}
	enqueue(t, db, o, msgs...)
	sendAll(t, o, time.Minute)
	ctx := context.Background()
	perID := map[string]int{}
	for _, m := range srv.Messages(t) {
		perID[m.MessageID]++
	}
	retried := 0
	for _, m := range msgs {
		d, err := o.FindDelivery(ctx, m.Key)
		if err != nil {
			t.Fatal(err)
		}
		if d.State != notify.Sent || perID[d.MessageID] != 1 {
			t.Fatalf("%s: state %s, arrived %d times", m.Key, d.State, perID[d.MessageID])
		}
		if got := d.Log[len(d.Log)-1]; got.Outcome != "accepted" || got.QueueID != d.QueueID {
			t.Fatalf("%s: last attempt %+v", m.Key, got)
		}
		if d.Attempts > 1 {
			retried++
			if !strings.Contains(d.Log[0].Error, "451") {
				t.Fatalf("%s: first attempt %+v", m.Key, d.Log[0])
			}
		}
	}
	if retried == 0 {
		t.Fatal("no message needed a retry: chaos off?")
	}
}

// TestBounceAtSending sends to a real SMTP server that knows only some
// mailboxes: a recipient it refuses with 5xx at RCPT TO is failed and
// Rejected at once, with the server's reply, and never offered again;
// the others arrive.
func TestBounceAtSending(t *testing.T) {
	srv := mailpittest.Start(t, mailpittest.Options{AllowedRecipients: `^known[0-9]*@lindenau\.example$`})
	db := migrated(t, dbtest.Open(t, sqldb.SQLite))
	s, err := smtp.New(smtp.Config{URL: "smtp://" + srv.SMTP, From: killFrom})
	if err != nil {
		t.Fatal(err)
	}
	o := notify.NewOutbox(db, s, notify.Options{BackoffBase: time.Millisecond, BackoffMax: 10 * time.Millisecond})
	enqueue(t, db, o, message("known", "known1@lindenau.example"), message("gone", "gone@lindenau.example"))
	sendAll(t, o, time.Minute)
	ctx := context.Background()
	d, err := o.FindDelivery(ctx, "gone")
	if err != nil {
		t.Fatal(err)
	}
	if d.State != notify.Failed || !d.Rejected() || d.Attempts != 1 || !strings.Contains(d.LastError, "550") {
		t.Fatalf("refused recipient: %+v", d)
	}
	t.Logf("the server's refusal as recorded: %s", d.LastError)
	if d, err = o.FindDelivery(ctx, "known"); err != nil || d.State != notify.Sent || d.Rejected() {
		t.Fatalf("known recipient: %+v, %v", d, err)
	}
	if got := srv.Messages(t); len(got) != 1 || got[0].To[0].Address != "known1@lindenau.example" {
		t.Fatalf("arrived: %+v", got)
	}
}
