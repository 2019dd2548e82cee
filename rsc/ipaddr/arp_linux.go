package ipaddr

import (
	"encoding/binary"
	"fmt"
	"net"
	"net/netip"
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// burst is a gratuitous ARP burst running in the background.
type burst struct {
	stop chan struct{} // closed to end the burst early
	done chan struct{} // closed when the burst has ended
	err  error         // why it failed; read after done
}

// startBurst opens an AF_PACKET socket in the calling thread's network
// namespace and sends count request/reply pairs from another goroutine,
// as send_arp does: request, interval/2, reply, interval/2, … (no wait
// after the last reply).
func startBurst(ifindex int, mac net.HardwareAddr, ip netip.Addr, count int, interval time.Duration) (*burst, error) {
	if len(mac) != 6 {
		return nil, fmt.Errorf("interface %d has no Ethernet address", ifindex)
	}
	// Protocol 0: the socket sends only, nothing queues up on it.
	fd, err := unix.Socket(unix.AF_PACKET, unix.SOCK_RAW|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, os.NewSyscallError("socket", err)
	}
	to := &unix.SockaddrLinklayer{
		Ifindex:  ifindex,
		Protocol: htons(unix.ETH_P_ARP),
		Halen:    6,
		Addr:     [8]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff},
	}
	frames := [2][arpFrameLen]byte{arpFrame(arpRequest, mac, ip), arpFrame(arpReply, mac, ip)}
	b := &burst{stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		b.err = b.run(fd, to, &frames, count, interval/2)
		close(b.done)
		// After done: closing a packet socket waits for an RCU grace
		// period (~10 ms), which Stop need not wait for.
		unix.Close(fd)
	}()
	return b, nil
}

func (b *burst) run(fd int, to *unix.SockaddrLinklayer, frames *[2][arpFrameLen]byte, count int, half time.Duration) error {
	var t *time.Timer
	for i := 0; i < 2*count; i++ {
		if err := unix.Sendto(fd, frames[i%2][:], 0, to); err != nil {
			return os.NewSyscallError("sendto", err)
		}
		if i == 2*count-1 {
			break
		}
		if t == nil {
			t = time.NewTimer(half)
			defer t.Stop()
		} else {
			t.Reset(half)
		}
		select {
		case <-t.C:
		case <-b.stop:
			return nil
		}
	}
	return nil
}

// end stops the burst and waits for it; it reports whether the burst was
// still running.
func (b *burst) end() bool {
	select {
	case <-b.done:
		return false
	default:
	}
	close(b.stop)
	<-b.done
	return true
}

// htons puts v in network byte order, as sockaddr_ll wants it.
func htons(v uint16) uint16 {
	var b [2]byte
	binary.BigEndian.PutUint16(b[:], v)
	return binary.NativeEndian.Uint16(b[:])
}
