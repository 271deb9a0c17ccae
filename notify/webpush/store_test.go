package webpush_test

import (
	"context"
	"crypto/ecdh"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"github.com/ratsmappe/ratsmappe/notify/webpush"
	"testing"

	"github.com/ratsmappe/ratsmappe"
	"github.com/ratsmappe/ratsmappe/access"
	"github.com/ratsmappe/ratsmappe/accounts"
	"github.com/ratsmappe/ratsmappe/internal/dbtest"
	"github.com/ratsmappe/ratsmappe/internal/pgtest"
	"github.com/ratsmappe/ratsmappe/internal/schema"
)

func TestStore(t *testing.T) { dbtest.Each(t, testStore) }

func testStore(t *testing.T, db *sql.DB) {
	ctx := context.Background()
	if err := schema.Migrate(ctx, db); err != nil {
		t.Fatal(err)
	}
	acc := accounts.NewStore(db, nil)
	var ids []int64
	for _, n := range []string{"anna", "bernd"} {
		a := &accounts.Account{Name: n, Role: access.RoleMember}
		if err := acc.CreateAccount(ctx, a, "ein gutes Passwort"); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, a.ID)
	}
	anna, bernd := ids[0], ids[1]
	st := webpush.NewStore(db, nil)
	p := webpush.Policy{}
	sub := func(i int) webpush.Subscription {
		s := subscribeFake(t, fmt.Sprintf("https://fcm.googleapis.com/fcm/send/%d", i)).sub
		return s
	}
	tablet := sub(0)
	if err := st.Subscribe(ctx, p, anna, tablet, "Tablet"); err != nil {
		t.Fatal(err)
	}
	evil := sub(1)
	evil.Endpoint = "https://10.0.0.1/x"
	if err := st.Subscribe(ctx, p, anna, evil, ""); ratsmappe.ErrorCode(err) != ratsmappe.EINVALID {
		t.Errorf("an endpoint outside the push services: %v", err)
	}
	// The tablet handed on to Bernd.
	if err := st.Subscribe(ctx, p, bernd, tablet, "Tablet"); err != nil {
		t.Fatal(err)
	}
	if ds, _ := st.Devices(ctx, anna); len(ds) != 0 {
		t.Errorf("Anna keeps the tablet she handed on: %+v", ds)
	}
	if err := st.Unsubscribe(ctx, anna, tablet.Endpoint); ratsmappe.ErrorCode(err) != ratsmappe.ENOTFOUND {
		t.Errorf("Anna unsubscribes Bernd's tablet: %v", err)
	}
	// At most webpush.MaxDevices per account: the oldest goes.
	for i := 2; i < 2+webpush.MaxDevices; i++ {
		if err := st.Subscribe(ctx, p, bernd, sub(i), ""); err != nil {
			t.Fatal(err)
		}
	}
	ds, err := st.Devices(ctx, bernd)
	if err != nil {
		t.Fatal(err)
	}
	if len(ds) != webpush.MaxDevices || ds[0].Sub.Endpoint == tablet.Endpoint {
		t.Errorf("%d devices, first %s; want %d without the oldest", len(ds), ds[0].Sub.Endpoint, webpush.MaxDevices)
	}
	if err := st.Delivered(ctx, ds[0].ID, nil); err != nil {
		t.Fatal(err)
	}
	if err := st.Delivered(ctx, ds[1].ID, errors.New("timeout")); err != nil {
		t.Fatal(err)
	}
	if err := st.Delivered(ctx, ds[2].ID, &webpush.Error{Status: 410, Gone: true}); err != nil {
		t.Fatal(err)
	}
	after, _ := st.Devices(ctx, bernd)
	if len(after) != webpush.MaxDevices-1 || after[0].LastSuccess.IsZero() || after[1].Failures != 1 {
		t.Errorf("after deliveries: %+v", after[:2])
	}
}

// subscribeFake is a browser's subscription at endpoint with fresh keys.
func subscribeFake(t *testing.T, endpoint string) struct{ sub webpush.Subscription } {
	t.Helper()
	k, err := ecdh.P256().GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	auth := make([]byte, 16)
	rand.Read(auth)
	var s webpush.Subscription
	s.Endpoint = endpoint
	s.Keys.P256dh = base64.RawURLEncoding.EncodeToString(k.PublicKey().Bytes())
	s.Keys.Auth = base64.RawURLEncoding.EncodeToString(auth)
	return struct{ sub webpush.Subscription }{s}
}

func TestMain(m *testing.M) { pgtest.Main(m) }
