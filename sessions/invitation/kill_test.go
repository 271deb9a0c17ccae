package invitation_test

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ratsmappe/ratsmappe/access"
	"github.com/ratsmappe/ratsmappe/documents"
	"github.com/ratsmappe/ratsmappe/documents/fsblob"
	"github.com/ratsmappe/ratsmappe/documents/sqlite"
	"github.com/ratsmappe/ratsmappe/notify"
	"github.com/ratsmappe/ratsmappe/notify/mailpittest"
	"github.com/ratsmappe/ratsmappe/notify/smtp"
	"github.com/ratsmappe/ratsmappe/sessions"
	"github.com/ratsmappe/ratsmappe/sessions/demo/demotest"
	"github.com/ratsmappe/ratsmappe/sessions/invitation"
)

// Environment of the kill test's child process.
const (
	envKillDir  = "RATSMAPPE_INVITATION_KILL_DIR"
	envKillSMTP = "RATSMAPPE_INVITATION_KILL_SMTP"
)

const killFrom = "Ratsmappe Lindenau <ratsmappe@lindenau.example>"

// The kill test's size; a larger run, say:
//
//	go test -run '^TestKill$' ./sessions/invitation/ -args -kill.members 700 -kill.meetings 8
var (
	killMembers  = flag.Int("kill.members", 300, "members with consent in the kill test")
	killMeetings = flag.Int("kill.meetings", 4, "meetings invited to in the kill test")
	killRounds   = flag.Int("kill.rounds", 20, "SIGKILLs in the kill test")
)

// TestKill is issue 14's kill test through the invitation: a council of
// 300 members with consent (and a few without) is invited to four
// meetings by a child process — issuing each invitation, the PDF letter,
// the per-member messages, and sending them with the real worker to a real
// SMTP server (Mailpit) — that is SIGKILLed 20 times at random moments,
// some of them while an invitation is being issued, and restarted. At the
// end every entitled member has exactly one invitation per meeting in the
// mailbox, counted by Message-ID as mail clients count them, nobody else
// has one, each meeting has exactly one invitation, and the delivery
// table lists each member once per meeting as accepted.
//
// The flags -kill.members, -kill.meetings and -kill.rounds size it; the
// default takes about half a minute.
func TestKill(t *testing.T) {
	if testing.Short() {
		t.Skip("kill test skipped in -short mode")
	}
	srv := mailpittest.Start(t, mailpittest.Options{})
	members, meetings, rounds := *killMembers, *killMeetings, *killRounds
	const paper = 5 // members without consent: the postal list

	ctx := context.Background()
	c := demotest.Open(t)
	st := c.Sessions
	// The parent only reads the outbox (for the delivery table); the
	// children send.
	svc := invitation.New(invitation.Config{DB: c.DB, Sessions: st, Documents: c.Documents, From: killFrom,
		Outbox: notify.NewOutbox(c.DB, nil, notify.Options{})})
	org, persons := largeCouncil(t, st, svc, members, paper)
	emails := map[string]bool{}
	for i := range members {
		emails[memberAddress(i)] = true
	}
	var meetingIDs []int64
	for n := range meetings {
		meetingIDs = append(meetingIDs, publishedMeeting(t, st, org, fmt.Sprintf("%d. Sitzung", n+1),
			time.Now().Add(time.Duration(30+n)*24*time.Hour), 8, 2, persons[0]))
	}
	total := members * meetings

	// progress counts the messages the server accepted, as recorded.
	progress := func() (sent, invited int) {
		t.Helper()
		if err := c.DB.QueryRowContext(ctx, `SELECT
			(SELECT COUNT(*) FROM notify_outbox WHERE state = 'sent'),
			(SELECT COUNT(*) FROM invitations)`).Scan(&sent, &invited); err != nil {
			t.Fatal(err)
		}
		return sent, invited
	}
	// A child reports on its standard output when it begins and ends
	// issuing an invitation, so that some kills can aim at the issue.
	type child struct {
		cmd    *exec.Cmd
		issues chan string // "begin" and "end" lines
		done   chan error
	}
	start := func() *child {
		cmd := exec.Command(os.Args[0], "-test.run=^TestKillChild$", "-test.count=1")
		cmd.Env = append(os.Environ(), envKillDir+"="+c.Dir, envKillSMTP+"="+srv.SMTP)
		cmd.Stderr = os.Stderr
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		ch := &child{cmd: cmd, issues: make(chan string, 2*meetings), done: make(chan error, 1)}
		go func() {
			sc := bufio.NewScanner(out)
			for sc.Scan() {
				if f := strings.Fields(sc.Text()); len(f) == 2 && f[0] == "issue" {
					ch.issues <- f[1]
				}
			}
			io.Copy(io.Discard, out)
			ch.done <- cmd.Wait()
		}()
		return ch
	}

	var (
		killed, duringIssue int
		issueTime           = 300 * time.Millisecond // measured below
		maxStep             = max(1, 2*total/(3*rounds))
	)
	for round := 0; killed < rounds; round++ {
		sent, invited := progress()
		if sent == total && invited == meetings {
			break
		}
		ch := start()
		aimed := false
		if round%3 == 0 && invited < meetings {
			// Aim at the issue: wait for it to begin, then kill at a
			// random moment within about its usual duration.
			select {
			case <-ch.issues:
				began := time.Now()
				select {
				case <-ch.issues:
					// Ended before the kill: measure it, aim next time.
					issueTime = time.Since(began)
				case <-time.After(time.Duration(rand.Int64N(int64(issueTime)))):
					aimed = true
				}
			case <-time.After(5 * time.Second):
			}
		} else {
			target := sent + 1 + rand.IntN(maxStep)
			for began := time.Now(); sent < target && time.Since(began) < 5*time.Second; {
				time.Sleep(time.Duration(1+rand.IntN(10)) * time.Millisecond)
				sent, _ = progress()
			}
		}
		ch.cmd.Process.Signal(syscall.SIGKILL)
		if err := <-ch.done; err != nil {
			killed++
			if aimed {
				duringIssue++
			}
		}
	}
	sent, invited := progress()
	t.Logf("%d kills (%d while issuing an invitation); %d of %d invitations issued, %d of %d messages accepted",
		killed, duringIssue, invited, meetings, sent, total)
	if killed < rounds {
		t.Errorf("only %d kills before everything was sent: raise RATSMAPPE_INVITATION_KILL_MEMBERS", killed)
	}
	if duringIssue == 0 {
		t.Errorf("no kill hit an invitation being issued")
	}
	last := start()
	select {
	case err := <-last.done:
		if err != nil {
			t.Fatalf("last child: %v", err)
		}
	case <-time.After(3 * time.Minute):
		last.cmd.Process.Kill()
		t.Fatal("last child did not finish in 3 minutes")
	}

	// The mailbox: one invitation per member and meeting, by Message-ID.
	got, copies := srv.Copies(t) // address → Message-ID → copies
	for to := range got {
		if !emails[to] {
			t.Errorf("message to %s, who did not consent", to)
		}
	}
	// The record: one invitation per meeting, one accepted delivery per
	// member with consent whose Message-ID arrived, the rest on paper.
	letters := 0
	for _, id := range meetingIDs {
		invs, err := svc.FindInvitations(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if len(invs) != 1 || invs[0].Emails != members || invs[0].Letters != paper {
			t.Fatalf("meeting %d: %d invitations, want one to %d by e-mail, %d on paper", id, len(invs), members, paper)
		}
		letters += invs[0].Version
		ds, err := svc.Deliveries(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		seen := map[int64]bool{}
		for _, d := range ds {
			if seen[d.PersonID] {
				t.Fatalf("meeting %d: %s listed twice", id, d.Name)
			}
			seen[d.PersonID] = true
			switch {
			case d.Channel == "post":
				if d.State != invitation.StatePost || !d.Paper {
					t.Errorf("meeting %d: %s: %+v", id, d.Name, d)
				}
			case d.State != invitation.StateAccepted || d.QueueID == "" || got[d.Address][d.MessageID] == 0:
				t.Errorf("meeting %d: %s: state %s, queue id %q, arrived %d times", id, d.Name, d.State, d.QueueID, got[d.Address][d.MessageID])
			default:
				delete(got[d.Address], d.MessageID)
			}
		}
		if len(seen) != members+paper {
			t.Errorf("meeting %d: %d members in the delivery table, want %d", id, len(seen), members+paper)
		}
	}
	for to, ids := range got {
		for id := range ids {
			t.Errorf("%s got message %s, which no delivery names", to, id)
		}
	}
	t.Logf("%d invitations by e-mail, %d SMTP copies (%d resent after a kill, same Message-ID); %d letter versions for %d invitations (%d left by kills during an issue)",
		total, copies, copies-total, letters, meetings, letters-meetings)
}

// TestKillChild is the child process of TestKill: it issues the
// invitation of every meeting not yet invited to while the outbox's worker
// sends, and returns once everything is sent. It does nothing in a normal
// test run.
func TestKillChild(t *testing.T) {
	dir, addr := os.Getenv(envKillDir), os.Getenv(envKillSMTP)
	if dir == "" {
		t.Skip("child process of TestKill")
	}
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(dir, "t.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	blobs, err := fsblob.Open(filepath.Join(dir, "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	s, err := smtp.New(smtp.Config{URL: "smtp://" + addr, From: killFrom})
	if err != nil {
		t.Fatal(err)
	}
	// A short lease, so that a restarted child takes up what the killed
	// one had claimed without a long wait.
	outbox := notify.NewOutbox(db, s, notify.Options{Lease: time.Second, Batch: 16, BackoffBase: 100 * time.Millisecond, Poll: 50 * time.Millisecond})
	st := sessions.NewStore(db, nil)
	docs := documents.NewService(documents.ServiceConfig{Store: documents.NewStore(db), Blobs: blobs, Ingester: demotest.CopyIngester{Dir: dir}})
	svc := invitation.New(invitation.Config{DB: db, Sessions: st, Documents: docs, Outbox: outbox, From: killFrom,
		BaseURL: "https://rat.lindenau.example", TempDir: dir})
	rctx, stop := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() {
		if err := outbox.Run(rctx); err != nil {
			t.Error(err)
		}
	})
	defer func() { stop(); wg.Wait() }()

	ms, err := st.FindMeetings(ctx, access.Viewer{Role: access.RoleClerk}, sessions.MeetingFilter{})
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range ms {
		invs, err := svc.FindInvitations(ctx, m.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(invs) > 0 {
			continue
		}
		fmt.Println("issue begin")
		if _, err := svc.Issue(ctx, m.ID, invitation.Request{}); err != nil {
			t.Fatalf("meeting %d: %v", m.ID, err)
		}
		fmt.Println("issue end")
	}
	for deadline := time.Now().Add(2 * time.Minute); ; time.Sleep(20 * time.Millisecond) {
		n, err := outbox.Backlog(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d messages still unsent", n)
		}
	}
}
