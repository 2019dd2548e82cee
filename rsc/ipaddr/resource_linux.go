package ipaddr

import (
	"context"
	"fmt"
	"net/netip"
	"strings"

	"github.com/hbd-ha/hbd/internal/prio"
)

// Where the agents' helpers live; only named in the log lines.
const (
	sendARPPath = "/usr/libexec/heartbeat/send_arp" // $HA_BIN/send_arp
	rscTmp      = "/run/resource-agents"            // $HA_RSCTMP
)

// savedAddr is an address IPaddr2 took off a loopback interface.
type savedAddr struct {
	dev  int
	name string
}

// Start adds the address, as the agent's start does, and returns as soon
// as it is configured; the gratuitous ARP burst follows in the background.
// An address already configured is success (and sends no ARP, like the
// agent).
func (r *Resource) Start(ctx context.Context) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.reap()
	if err := ctx.Err(); err != nil {
		return r.fail("start", errGeneric, err, "not started")
	}
	c, s, err := r.look("start")
	if err != nil {
		return err
	}
	defer c.close()
	if r.a.kind == ipaddr {
		return r.startIPaddr(c, s)
	}
	return r.startIPaddr2(c, s)
}

// Stop removes the address and ends the ARP burst. An address that is not
// there is success (the LSB rule), as is one whose interface the agent
// could not infer.
func (r *Resource) Stop(ctx context.Context) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	killed := false
	if r.burst != nil {
		killed = r.burst.end()
		r.reap()
	}
	if err := ctx.Err(); err != nil {
		return r.fail("stop", errGeneric, err, "not stopped")
	}
	c, s, err := r.look("stop")
	if err != nil {
		return err
	}
	defer c.close()
	if r.a.kind == ipaddr {
		return r.stopIPaddr(c, s)
	}
	if killed {
		r.logf(prio.Info, "killed previously running send_arp for %s", r.a.ip)
	}
	return r.stopIPaddr2(c, s)
}

// Running reports whether the address is configured where the agent's
// status looks: IPaddr2, on the inferred interface with the inferred
// prefix length; IPaddr, on an alias of the configured interface. An error
// means the agent's status would have failed; ResourceManager counts that
// as not running.
func (r *Resource) Running(ctx context.Context) (bool, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.reap()
	if err := ctx.Err(); err != nil {
		return false, r.fail("status", errGeneric, err, "no status")
	}
	c, s, err := r.look("status")
	if err != nil {
		return false, err
	}
	defer c.close()
	if r.a.kind == ipaddr {
		alias, err := r.aliasOf(s, "status")
		return alias != nil, err
	}
	t, err := r.infer2(s, "status")
	if err != nil {
		return false, err
	}
	return served(s, r.a.ip, t) != nil, nil
}

// look opens a netlink socket and reads the system.
func (r *Resource) look(op string) (*conn, *snapshot, error) {
	c, err := dial()
	if err != nil {
		return nil, nil, r.fail(op, errGeneric, err, "cannot read the network configuration")
	}
	s, err := c.snapshot()
	if err != nil {
		c.close()
		return nil, nil, r.fail(op, errGeneric, err, "cannot read the network configuration")
	}
	return c, s, nil
}

// reap forgets a burst that has ended, logging its failure as the agent's
// background send_arp would have (Logf may only be called from here).
func (r *Resource) reap() {
	if r.burst == nil {
		return
	}
	select {
	case <-r.burst.done:
	default:
		return
	}
	if r.burst.err != nil {
		r.logf(prio.Error, "Could not send gratuitous arps: %v", r.burst.err)
	}
	r.burst = nil
}

// arp starts the burst on the interface, replacing one still running.
func (r *Resource) arp(l *link) {
	if r.burst != nil {
		r.burst.end()
		r.reap()
	}
	b, err := startBurst(l.index, l.mac, r.a.ip, r.count, r.interval)
	if err != nil {
		r.logf(prio.Error, "Could not send gratuitous arps: %v", err)
		return
	}
	r.burst = b
}

// infer2 is IPaddr2's ip_init: findif, then the label check.
func (r *Resource) infer2(s *snapshot, op string) (target, error) {
	t, ferr := findifSh(&r.a, s)
	if ferr != nil {
		return t, r.fail(op, ferr.code, nil, "%s", ferr.msg)
	}
	if r.a.label != "" {
		if l := t.nic + ":" + r.a.label; len(l) > maxLabel {
			return t, r.fail(op, errConfigured, nil, "Interface label [%s] exceeds maximum character limit of %d", l, maxLabel)
		}
	}
	return t, nil
}

// served is IPaddr2's ip_served: the address with the prefix length on
// the interface.
func served(s *snapshot, ip netip.Addr, t target) *link {
	l := s.linkByName(t.nic)
	if l == nil {
		return nil
	}
	want := netip.PrefixFrom(ip, t.bits)
	for _, a := range s.onLink(l.index) {
		if a.prefix == want {
			return l
		}
	}
	return nil
}

func (r *Resource) startIPaddr2(c *conn, s *snapshot) error {
	a := &r.a
	if a.quad {
		r.logf(prio.Warn, "Please convert dotted quad netmask %s to CIDR notation %d!", a.mask, a.bits)
	}
	if a.nic != "" && s.linkByName(a.nic) == nil {
		return r.fail("start", errConfigured, nil, "Invalid interface name [%s]: Device \"%s\" does not exist.", a.nic, a.nic)
	}
	t, err := r.infer2(s, "start")
	if err != nil {
		return err
	}
	if served(s, a.ip, t) != nil {
		return nil
	}
	l := s.linkByName(t.nic)
	if l == nil {
		return r.fail("start", errGeneric, fmt.Errorf("no interface %q", t.nic), "Failed to add %s", a.ip)
	}
	r.takeLoopback(c, s)
	label := ""
	if a.label != "" {
		label = t.nic + ":" + a.label
	}
	msg := fmt.Sprintf("Adding inet address %s/%d to device %s", a.ip, t.bits, t.nic)
	if t.btext != "" {
		msg = fmt.Sprintf("Adding inet address %s/%d with broadcast address %s to device %s", a.ip, t.bits, t.btext, t.nic)
	}
	if label != "" {
		msg += " (with label " + label + ")"
	}
	r.logf(prio.Info, "%s", msg)
	if err := c.addrAdd(l.index, a.ip, t.bits, t.brd, label); err != nil {
		return r.fail("start", errGeneric, err, "Failed to add %s", a.ip)
	}
	r.logf(prio.Info, "Bringing device %s up", t.nic)
	if err := c.linkUp(l.index); err != nil {
		return r.fail("start", errGeneric, err, "Failed to add %s", a.ip)
	}
	if strings.HasPrefix(t.nic, "lo") {
		return nil // no need to run send_arp on loopback
	}
	r.logf(prio.Info, "%s  -i %d -r %d -p %s/send_arp-%s %s %s auto not_used not_used",
		sendARPPath, r.interval.Milliseconds(), r.count, rscTmp, a.ip, t.nic, a.ip)
	r.arp(l)
	return nil
}

func (r *Resource) stopIPaddr2(c *conn, s *snapshot) error {
	a := &r.a
	t, ferr := findifSh(a, s)
	if ferr != nil {
		r.logf(prio.Warn, "[findif] failed")
		return nil
	}
	if _, err := r.infer2(s, "stop"); err != nil {
		return err
	}
	l := served(s, a.ip, t)
	status := "no"
	if l != nil {
		status = "ok"
	}
	r.logf(prio.Info, "IP status = %s, IP_CIP=", status)
	if l == nil {
		return nil
	}
	if err := c.addrDel(l.index, a.ip, t.bits, ""); err != nil {
		return r.fail("stop", errGeneric, err, "Unable to remove IP [%s from interface [ %s ]", a.ip, t.nic)
	}
	r.restoreLoopback(c)
	return nil
}

// takeLoopback is IPaddr2's lvs_support (the wrapper turns it on): the
// address as a /32 on a loopback interface is removed while the resource
// runs, and put back by Stop.
func (r *Resource) takeLoopback(c *conn, s *snapshot) {
	want := netip.PrefixFrom(r.a.ip, 32)
	for _, a := range s.addrs {
		if a.prefix != want || !strings.HasPrefix(s.linkName(a.dev), "lo") {
			continue
		}
		name := s.linkName(a.dev)
		r.logf(prio.Info, "Removing conflicting loopback %s.", name)
		if err := c.addrDel(a.dev, r.a.ip, 32, ""); err != nil {
			r.logf(prio.Error, "%v", err)
			continue
		}
		r.logf(prio.Info, "ip route delete %s dev %s", r.a.ip, name)
		_ = c.routeDel(a.dev, r.a.ip) // normally absent, as for the agent
		r.loopback = &savedAddr{dev: a.dev, name: name}
	}
}

func (r *Resource) restoreLoopback(c *conn) {
	lo := r.loopback
	if lo == nil {
		return
	}
	r.loopback = nil
	bcast := netip.AddrFrom4([4]byte{255, 255, 255, 255})
	r.logf(prio.Info, "Restoring loopback IP Address  %s 32 %s %s.", r.a.ip, bcast, lo.name)
	r.logf(prio.Info, "Adding inet address %s/32 with broadcast address %s to device %s", r.a.ip, bcast, lo.name)
	if err := c.addrAdd(lo.dev, r.a.ip, 32, bcast, ""); err != nil {
		r.logf(prio.Error, "%v", err)
		return
	}
	r.logf(prio.Info, "Bringing device %s up", lo.name)
	if err := c.linkUp(lo.dev); err != nil {
		r.logf(prio.Error, "%v", err)
	}
}

func (r *Resource) startIPaddr(c *conn, s *snapshot) error {
	a := &r.a
	t, ferr := findifC(a, s, a.nicGiven)
	if ferr != nil {
		return r.fail("start", errGeneric, nil, "%s", ferr.msg)
	}
	if t.nic != a.nic {
		return r.fail("start", errArgs, nil, "Invalid parameter value: nic [%s] Calculated nic: [%s]", a.nic, t.nic)
	}
	mask := maskOf(t.bits).String()
	if a.mask != mask {
		r.logf(prio.Info, "Using calculated netmask for %s: %s", a.ip, mask)
	}
	if a.brd == brdInfer {
		r.logf(prio.Debug, "Using calculated broadcast for %s: %s", a.ip, t.btext)
	}
	if alias, err := r.aliasOf(s, "start"); alias != nil || err != nil {
		return err
	}
	l := s.linkByName(t.nic)
	if l == nil {
		return r.fail("start", errGeneric, fmt.Errorf("no interface %q", t.nic), "Could not add %s to %s", a.ip, a.nic)
	}
	label := freeAlias(s, t.nic)
	r.logf(prio.Info, "eval ifconfig %s %s netmask %s broadcast %s", label, a.ip, mask, t.btext)
	if err := c.addrAdd(l.index, a.ip, t.bits, t.brd, label); err != nil {
		return r.fail("start", errGeneric, err, "Could not add %s to %s", a.ip, a.nic)
	}
	r.logf(prio.Debug, "Sending Gratuitous Arp for %s on %s [%s]", a.ip, label, t.nic)
	if !l.loopback {
		r.arp(l)
	}
	return nil
}

func (r *Resource) stopIPaddr(c *conn, s *snapshot) error {
	alias := findAlias(s, r.a.ip)
	if alias == nil {
		return nil
	}
	r.logf(prio.Info, "ifconfig %s down", alias.label)
	if err := c.addrDel(alias.dev, r.a.ip, alias.prefix.Bits(), alias.label); err != nil {
		r.logf(prio.Warn, "IP Address %s NOT released: rc=1", r.a.ip)
		return r.fail("stop", errGeneric, err, "IP Address %s NOT released", r.a.ip)
	}
	return nil
}

// aliasOf is IPaddr's ip_status_internal: the alias holding the address,
// which must be one of the configured interface's.
func (r *Resource) aliasOf(s *snapshot, op string) (*address, error) {
	alias := findAlias(s, r.a.ip)
	if alias == nil {
		return nil, nil
	}
	base, _, _ := strings.Cut(alias.label, ":")
	if base != r.a.nic {
		return nil, r.fail(op, errGeneric, nil, "%s is running an interface (%s) instead of the configured one (%s)", r.a.ip, base, r.a.nic)
	}
	return alias, nil
}

// findAlias is IPaddr's find_interface: ifconfig lists every alias label
// once, with the first address carrying it.
func findAlias(s *snapshot, ip netip.Addr) *address {
	seen := map[string]bool{}
	for _, a := range addrsInIPOrder(s) {
		if !strings.Contains(a.label, ":") || seen[a.label] {
			continue
		}
		seen[a.label] = true
		if a.prefix.Addr() == ip {
			return &a
		}
	}
	return nil
}

// freeAlias is the lowest "nic:N" label no address carries.
func freeAlias(s *snapshot, nic string) string {
	used := map[string]bool{}
	for _, a := range s.addrs {
		used[a.label] = true
	}
	for n := 0; ; n++ {
		if l := fmt.Sprintf("%s:%d", nic, n); !used[l] {
			return l
		}
	}
}
