package respawn

import (
	"fmt"
	"os"
	"os/user"
	"strconv"
	"syscall"
	"time"

	"github.com/hbd-ha/hbd/internal/prio"
	"github.com/hbd-ha/hbd/internal/proc"
	"github.com/hbd-ha/hbd/internal/sysio"
)

// prepare logs the start of client i and checks, as heartbeat does before
// forking, that its program can be executed; one that cannot is never
// started (nor respawned). It reports whether to fork.
func (s *Supervisor) prepare(i int) bool {
	c := &s.clients[i]
	if c.dead || c.starting || c.pid != 0 {
		return false
	}
	s.opt.Log(prio.Info, fmt.Sprintf("Starting child client %q (%d,%d)", c.cfg.Command, c.cfg.UID, c.cfg.GID))
	// access(2) with X_OK as heartbeat: checked with our (root) rights.
	if err := syscall.Access(c.cfg.Path, 1); err != nil {
		s.opt.Log(prio.Error, "Cannot exec "+c.cfg.Command+": "+sysio.Strerror(err))
		c.dead = true
		return false
	}
	c.starting = true
	return true
}

// spawn forks the clients idx in order through internal/proc, whose
// goroutine waits for each; it runs on its own goroutine (never the
// loop's realtime thread). delayed is a fast respawn: the child sleeps
// before exec.
func (s *Supervisor) spawn(idx []int, delayed bool) {
	closeInherited()
	for _, i := range idx {
		if s.opt.spawnHook != nil {
			s.opt.spawnHook()
		}
		cfg := s.clients[i].cfg // written only by New: safe to read here
		spec, err := s.command(cfg.Command, cfg.UID, cfg.GID, delayed)
		var p *proc.Process
		// The exit is posted after the start, however soon it comes.
		started := make(chan struct{})
		if err == nil {
			p, err = proc.Start(nil, spec, func(r proc.Result) {
				<-started
				e := event{kind: evExited, idx: i, pid: r.Pid, at: s.opt.now()}
				if r.Reaped() {
					e.ws = r.Status
				}
				s.post(e)
			})
		}
		if err != nil {
			s.post(event{kind: evFailed, idx: i, err: err})
			continue
		}
		// Heartbeat's child logs this line itself, before exec.
		s.opt.Log(prio.Info, fmt.Sprintf("Starting %q as uid %d  gid %d (pid %d)", cfg.Command, cfg.UID, cfg.GID, p.Pid))
		s.post(event{kind: evStarted, idx: i, pid: p.Pid, proc: p, at: s.opt.now()})
		close(started)
	}
}

// command builds heartbeat's child: /bin/sh -c "exec <cmd>" in a process
// group of its own, as uid/gid with the user's groups, stdio on
// /dev/null and no other descriptor (Go opens everything close-on-exec).
// A delayed child sleeps first, in the same process group, so that Stop
// kills the sleep too. It has no timeout: a client runs until it dies or
// Stop.
func (s *Supervisor) command(line string, uid, gid int, delayed bool) (*proc.Spec, error) {
	cred, err := credential(uid, gid, os.Geteuid(), os.Getegid())
	if err != nil {
		return nil, err
	}
	script := "exec " + line
	if delayed {
		script = "sleep " + seconds(s.opt.delay) + "; " + script
	}
	return &proc.Spec{
		Path:       "/bin/sh",
		Args:       []string{"sh", "-c", script},
		Env:        s.opt.Env,
		Credential: cred,
	}, nil
}

// seconds formats d for sleep(1).
func seconds(d time.Duration) string {
	return strconv.FormatFloat(d.Seconds(), 'f', -1, 64)
}

// credential is heartbeat's initgroups/setgid/setuid. As root the child
// gets uid, gid and the user's supplementary groups. Without root nothing
// can be switched: a client of our own uid and gid runs as we do, any
// other is refused by the kernel when the child tries.
func credential(uid, gid, euid, egid int) (*syscall.Credential, error) {
	if euid != 0 {
		if uid == euid && gid == egid {
			return nil, nil
		}
		return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), NoSetGroups: true}, nil
	}
	u, err := user.LookupId(strconv.Itoa(uid))
	if err != nil {
		return nil, fmt.Errorf("getpwuid(%d): %w", uid, err)
	}
	ids, err := u.GroupIds()
	if err != nil {
		return nil, fmt.Errorf("initgroups(%s): %w", u.Username, err)
	}
	groups := []uint32{uint32(gid)}
	for _, id := range ids {
		n, err := strconv.ParseUint(id, 10, 32)
		if err != nil || uint32(n) == uint32(gid) {
			continue
		}
		groups = append(groups, uint32(n))
	}
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), Groups: groups}, nil
}

// closeInherited marks every descriptor above stderr close-on-exec, as
// heartbeat's child closes them all: Go opens its own that way, but what
// the daemon inherited from whoever started it would reach the clients.
func closeInherited() {
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return
	}
	for _, e := range ents {
		if fd, err := strconv.Atoi(e.Name()); err == nil && fd > 2 {
			syscall.CloseOnExec(fd)
		}
	}
}
