package web

import (
	"context"
	"errors"
	"os"
	"runtime"
	"time"

	"github.com/ratsmappe/ratsmappe"
	"github.com/ratsmappe/ratsmappe/sessions/packet"
)

// Session packets are the most expensive thing the server makes: merging
// and stamping every PDF of a meeting, per member (each one's packet is
// watermarked with their name). When an agenda is published every member
// asks at once. Built packets are files on disk and cost no more than any
// other file; builds are bounded — at most packetBuilders at a time, one
// per key however many ask for it (packet.Cache) — and a request that
// cannot start its build within packetWait is answered 429 with
// Retry-After, like any other overflow (admission.go).

const packetWait = 10 * time.Second

// packetBuilders leaves half the cores to everyone else: at the moment
// of publication citizens arrive too.
var packetBuilders = max(1, runtime.NumCPU()/2)

// errPacketBusy means the packet is not built and no builder was free.
var errPacketBusy = errors.New("all packet builders busy")

type packets struct {
	cache  *packet.Cache
	builds chan struct{}
}

func newPackets(dir string) *packets {
	return &packets{cache: &packet.Cache{Dir: dir}, builds: make(chan struct{}, packetBuilders)}
}

// open returns the packet for in, building it if needed.
func (p *packets) open(ctx context.Context, in packet.Input) (*os.File, error) {
	key, err := packet.Key(in)
	if err != nil {
		return nil, err
	}
	if f, err := p.cache.Get(key); ratsmappe.ErrorCode(err) != ratsmappe.ENOTFOUND {
		return f, err
	}
	t := time.NewTimer(packetWait)
	defer t.Stop()
	select {
	case p.builds <- struct{}{}:
	case <-t.C:
		return nil, errPacketBusy
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	defer func() { <-p.builds }()
	return p.cache.GetOrBuild(ctx, in)
}
