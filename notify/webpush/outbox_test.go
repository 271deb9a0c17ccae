package webpush_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"github.com/ratsmappe/ratsmappe/notify/webpush"
	"testing"

	"github.com/ratsmappe/ratsmappe/access"
	"github.com/ratsmappe/ratsmappe/accounts"
	"github.com/ratsmappe/ratsmappe/internal/dbtest"
	"github.com/ratsmappe/ratsmappe/internal/schema"
	"github.com/ratsmappe/ratsmappe/notify"
	"github.com/ratsmappe/ratsmappe/notify/webpush/pushtest"
)

// A notice enqueued in the transaction of its cause reaches every device
// of the member once, through the outbox and a local push service that
// verifies and decrypts it; the same cause again adds nothing; a device
// whose subscription expired is rejected for good and forgotten.
func TestPushThroughOutbox(t *testing.T) { dbtest.Each(t, testPushThroughOutbox) }

func testPushThroughOutbox(t *testing.T, db *sql.DB) {
	svc := pushtest.Start(t)
	ctx := context.Background()
	if err := schema.Migrate(ctx, db); err != nil {
		t.Fatal(err)
	}
	a := &accounts.Account{Name: "anna", Role: access.RoleMember}
	if err := accounts.NewStore(db, nil).CreateAccount(ctx, a, "ein gutes Passwort"); err != nil {
		t.Fatal(err)
	}
	keys, err := webpush.NewKeys()
	if err != nil {
		t.Fatal(err)
	}
	policy := webpush.Policy{Hosts: []string{"localhost"}, AllowHTTP: true}
	st := webpush.NewStore(db, nil)
	tablet, phone := svc.Subscribe(keys.PublicKey()), svc.Subscribe(keys.PublicKey())
	for i, ps := range []pushtest.Subscription{tablet, phone} {
		var sub webpush.Subscription
		sub.Endpoint, sub.Keys.P256dh, sub.Keys.Auth = ps.Endpoint, ps.Keys.P256dh, ps.Keys.Auth
		if err := st.Subscribe(ctx, policy, a.ID, sub, []string{"Tablet", "Telefon"}[i]); err != nil {
			t.Fatal(err)
		}
	}
	out := notify.NewOutbox(db, notify.Channels{Push: webpush.OutboxSender{Store: st, Sender: &webpush.Sender{Keys: keys, Subject: "mailto:amt@lindenau.example", Policy: policy}}},
		notify.Options{Domain: "lindenau.example"})
	enqueue := func(key string) int {
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer tx.Rollback()
		n, err := webpush.Enqueue(ctx, tx, out, a.ID, webpush.Notice{Key: key, Title: "Neue Unterlage", Body: "Haushaltssatzung 2027, Version 2", URL: "/reader/meetings/7"})
		if err != nil {
			t.Fatal(err)
		}
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := enqueue("change/document/5/v2/person/1"); n != 2 {
		t.Fatalf("enqueued %d, want one per device", n)
	}
	if n := enqueue("change/document/5/v2/person/1"); n != 0 {
		t.Errorf("the same cause again enqueued %d", n)
	}
	if _, err := out.SendDue(ctx); err != nil {
		t.Fatal(err)
	}
	tags := map[string]bool{}
	for _, ps := range []pushtest.Subscription{tablet, phone} {
		got := svc.Messages(ps)
		if len(got) != 1 {
			t.Fatalf("device received %d pushes, want 1", len(got))
		}
		var p struct {
			Title, Body, URL, Tag string
		}
		if err := json.Unmarshal([]byte(got[0]), &p); err != nil {
			t.Fatal(err)
		}
		if p.Title != "Neue Unterlage" || p.URL != "/reader/meetings/7" || p.Tag == "" {
			t.Errorf("payload %+v", p)
		}
		tags[p.Tag] = true
	}
	if len(tags) != 2 {
		t.Errorf("the devices' messages share a tag: %v", tags)
	}

	before, _ := st.Devices(ctx, a.ID)
	phoneID := before[1].ID // subscribed second
	svc.Expire(phone)
	enqueue("change/meeting/7/cancelled/person/1")
	if _, err := out.SendDue(ctx); err != nil {
		t.Fatal(err)
	}
	if got := svc.Messages(tablet); len(got) != 2 {
		t.Errorf("tablet: %d pushes, want 2", len(got))
	}
	ds, _ := st.Devices(ctx, a.ID)
	if len(ds) != 1 || ds[0].Device != "Tablet" {
		t.Errorf("after the phone's subscription expired: %+v", ds)
	}
	d, err := out.FindDelivery(ctx, fmt.Sprintf("change/meeting/7/cancelled/person/1/push/%d", phoneID))
	if err != nil {
		t.Fatal(err)
	}
	if d.State != notify.Failed {
		t.Errorf("push to the expired device: %+v, want failed", d)
	}
}
