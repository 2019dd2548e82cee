package node

import (
	"cmp"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/hbd-ha/hbd/config"
	"github.com/hbd-ha/hbd/internal/hblog"
	"github.com/hbd-ha/hbd/internal/layer"
	"github.com/hbd-ha/hbd/internal/prio"
	"github.com/hbd-ha/hbd/internal/respawn"
	"github.com/hbd-ha/hbd/internal/sdnotify"
	"github.com/hbd-ha/hbd/internal/statefile"
	"github.com/hbd-ha/hbd/internal/sysio"
	"github.com/hbd-ha/hbd/internal/watchdog"
	"github.com/hbd-ha/hbd/loop"
	"github.com/hbd-ha/hbd/master"
	"github.com/hbd-ha/hbd/master/masterconf"
	"github.com/hbd-ha/hbd/master/own"
	"github.com/hbd-ha/hbd/media"
	"github.com/hbd-ha/hbd/metrics"
	"github.com/hbd-ha/hbd/rsc"
	"github.com/hbd-ha/hbd/wire"
)

// Options configure a node.
type Options struct {
	Config *config.Config
	// StateDir is heartbeat's /var/lib/heartbeat: hb_generation, hb_uuid
	// and the FIFO live there.
	StateDir string
	Log      *hblog.Logger
	// Realtime asks for SCHED_RR on the loop's thread and locked memory
	// (ha.cf realtime, unless -l).
	Realtime bool
	// Tick is the loop's timer resolution (0: 1 ms).
	Tick time.Duration
	// LoopWait picks how the loop waits, for benchmarks comparing them:
	// "" (by the keepalive, see runtimeWait and realtimeParked), "raw"
	// (on the loop's own thread: a raw epoll wait, or under Realtime a
	// plain one), "runtime" (parked in the Go runtime's poller, locked to
	// its thread under Realtime), "parked" (parked, never locked).
	LoopWait string
	// ConfDir holds harc, rc.d and shellfuncs (HA_DIR); "" means
	// Config.Dir, or /etc/ha.d when that is empty too.
	ConfDir string
	// ManageResources runs rc.d hooks through harc; false is heartbeat's
	// -M: nothing runs.
	ManageResources bool
	// APISocket is the client API's socket ("": DefaultAPISocket; "-":
	// no API).
	APISocket string
	// Reload reads and validates the configuration again (SIGHUP); nil
	// leaves a changed configuration unread.
	Reload func() (*config.Config, config.Diagnostics, error)
	// Restart is set when this start is heartbeat's quick restart (-R):
	// what the previous process held.
	Restart *own.Restart
	// LogdSocket and ApphbdSocket are where the built-in logd and
	// apphbd listen and use_apphbd registers ("": their usual paths).
	LogdSocket, ApphbdSocket string
}

// Node is a running hbd node. Create it with New, then Run it.
type Node struct {
	opt Options
	ipf ipfailState
	ccm ccmState
	crm crmState // the CRM (pacemaker on, crm.go)
	// helpers are hbd_logd, hbd_apphbd and use_apphbd (helpers.go).
	helpers helpers
	// legacyMany is the node count when auto_failback legacy runs with
	// more than two nodes (warned at start), else 0.
	legacyMany int
	cfg        *config.Config
	log        *hblog.Logger
	loop       *loop.Loop
	master     *master.Master
	own        *own.Own // resource ownership above the master, nil without resources
	media      []media.Medium
	batch      *media.Batch
	harc       *harc
	self       int // the local node's index in the master

	rsc        *rsc.Manager // nil unless resources are managed
	lrm        lrmState     // the in-process LRM (lrm.go, monitor.go)
	rscResults []rsc.Result
	restartReq bool // the master asked for heartbeat's full restart
	finishing  bool // the master is done; clients are being stopped
	clients    *respawn.Supervisor
	watchdog   *watchdog.Watchdog // nil without the watchdog directive
	wdTick     loop.Timer

	stamp          configStamp  // ha.cf and authkeys as last read
	restart        *own.Restart // a quick restart was prepared
	restartTimer   loop.Timer
	restartDelayed bool
	keys           *wire.Keyring // the master's keyring
	mediaKeys      *wire.Keyring // the media's keyring (ping, serial)
	filter         filter        // foreign packets: kernel or user-space filter, denials
	beacon         beaconState   // beacon sockets, drained at each wake-up (beacon.go)
	recvMore       []loop.Timer  // per medium: read on after the loop's other work
	fence          fencing       // the STONITH device, if any
	// fan sends a packet for every medium, batching ucast peers
	// (media.Fanout); pick and fail are built once: no allocation per send.
	fan struct {
		out  *media.Fanout
		pkt  *master.Packet
		pick func(media.Medium) []byte
		fail func(media.Medium, error)
	}
	// realtime: the priority, the thread count last raised (0: off),
	// and /proc/self/stat to watch it.
	rtPrio, rtThreads int
	procStat          *os.File
	statBuf           [1024]byte
	loopParked        bool // realtimeParked
	loopTid           int  // the loop's thread, locked to it under realtime (0: not locked)

	metrics     *metrics.Metrics // nil without hbd_metrics_listen
	stopMetrics func() error
	actionWhy   map[uint64]string
	api         apiState
	evmsg       eventMsg // the current event\'s decoded message

	drv      driver // routes the layers' outputs (driver.go)
	logLine  func(master.LogLine)
	loadTick loop.Timer // re-read /proc/loadavg
	fifo     *fifoFile
	loadavg  *os.File // /proc/loadavg, kept open and re-read at offset 0
	framer   fifoFramer
	fifoBuf  []byte
	loadBuf  []byte

	stopping bool
	stopReq  atomic.Bool // Stop was called from another goroutine
	received atomic.Uint64
	err      error
}

// loadEvery is how often the load average sent in "ld" is refreshed;
// heartbeat reads it for every message, which costs a file read per
// heartbeat at short keepalives.
const loadEvery = time.Second

// New prepares a node: state files, media, FIFO, master, event loop. It
// logs what heartbeat logs while starting. Nothing is sent before Run.
func New(opt Options) (*Node, error) {
	c := opt.Config
	n := &Node{opt: opt, cfg: c, log: opt.Log, fifoBuf: make([]byte, 4096), loadBuf: make([]byte, 0, 256)}
	lg := n.log
	lg.Log(hblog.Info, "heartbeat: version "+config.HeartbeatVersion)

	gen, err := n.generation()
	if err != nil {
		return nil, err
	}
	uuid, created, err := statefile.LoadUUID(filepath.Join(opt.StateDir, "hb_uuid"))
	if err != nil {
		return nil, fmt.Errorf("uuid: %w", err)
	}
	if created {
		lg.Log(hblog.Info, "No uuid found for current node - generating a new uuid.")
	}
	mc, err := masterconf.FromConfig(c, uuid, gen, rand.NewPCG(uint64(time.Now().UnixNano()), uint64(os.Getpid())))
	if err != nil {
		return nil, err
	}
	oc, managed := masterconf.Own(c)
	managed = managed && opt.ManageResources
	if normal := countNormal(c); managed && !c.AutoFailback.Nice() && normal > 2 {
		n.legacyMany = normal
	}
	n.keys = mc.Keys
	mc.OnHeartbeat = n.metricsHeartbeat
	if n.master, err = master.New(mc); err != nil {
		return nil, err
	}
	if managed {
		oc.Pid = os.Getpid()
		oc.Restart = opt.Restart
		if n.own, err = own.New(oc, n.master); err != nil {
			return nil, err
		}
	}
	keys, err := c.Keyring()
	if err != nil {
		return nil, err
	}
	n.mediaKeys = keys
	n.media, err = media.OpenAll(c, media.Options{Keyring: keys, UcastBind: c.UcastBind, BeaconSocket: wantBeaconSocket(c)})
	var merr *media.Error
	if errors.As(err, &merr) {
		n.logMediaLines(merr.Lines)
	}
	if err != nil {
		return nil, err
	}
	for _, m := range n.media {
		n.logMediaLines(m.Started())
	}
	n.batch = media.NewBatch(32, media.MaxDatagram)
	n.openBeacons()
	if err := n.openFilter(); err != nil {
		media.CloseAll(n.media)
		return nil, err
	}
	if err := n.openFIFO(); err != nil {
		media.CloseAll(n.media)
		return nil, err
	}
	// A pause shorter than half a keepalive cannot cost a heartbeat; below
	// that the machine's ordinary noise would fill the log.
	n.loopParked = realtimeParked(c.Keepalive, opt.Realtime, opt.LoopWait)
	lopt := loop.Options{Tick: opt.Tick, StallHandler: n.stalled, WakeHandler: n.woken,
		StallThreshold: max(10*time.Millisecond, c.Keepalive/2),
		// Realtime locks the loop to its thread (see Run), where a raw wait costs more than it saves.
		RawWait: !opt.Realtime,
		// Idle cost: see loop.Options.RuntimeWait and docs/ARCHITECTURE.md.
		RuntimeWait: runtimeWait(c.Keepalive, opt.LoopWait),
		// A wake a quarter keepalive late reads the media again before
		// the dead timers: a status that arrived while this thread was
		// off its CPU, after its wait returned, is in time (issue #21).
		LateRepoll: c.Keepalive / 4}
	if len(n.beacon.media) > 0 {
		lopt.Drain = n.drainBeacons
	}
	fastLoop(&lopt, c.Keepalive)
	n.loop, err = loop.New(lopt)
	if err != nil {
		n.close()
		return nil, err
	}
	n.recvMore = make([]loop.Timer, len(n.media))
	n.fan.out = media.NewFanout(n.media)
	n.fan.pick = func(m media.Medium) []byte { return packetFor(m, n.fan.pkt) }
	n.fan.fail = n.sendFailed
	for i, m := range n.media {
		n.recvMore[i].Init(func(int64) { n.receive(m, i) })
		if _, err := n.loop.Register(m.FD(), loop.Readable, loop.HandlerFunc(func(loop.Events) { n.receive(m, i) })); err != nil {
			n.close()
			return nil, fmt.Errorf("%s %s: %w", m.Type(), m.Name(), err)
		}
	}
	if _, err := n.loop.Register(int(n.fifo.Fd()), loop.Readable, loop.HandlerFunc(n.readFIFO)); err != nil {
		n.close()
		return nil, err
	}
	n.self = n.master.Node(c.LocalNode)
	dir := n.confDir()
	n.stamp = n.takeStamp()
	env := append(harcBaseEnv(c, dir, os.Environ()), "HA_FIFO="+filepath.Join(opt.StateDir, "fifo"))
	n.newFencer(env)
	n.harc = newHarc(harcOptions{
		Dir: dir, Enabled: opt.ManageResources,
		Env:          env,
		NiceFailback: c.AutoFailback.Nice(),
		Output:       c.DebugFile, Log: lg, Debug: lg.DebugLevel, Wake: n.loop.Wake,
		Timeout: c.HookTimeout,
	})
	if err := n.newResources(dir, env); err != nil {
		n.close()
		return nil, err
	}
	if err := n.newLRM(dir, env); err != nil {
		n.close()
		return nil, err
	}
	n.actionWhy = map[uint64]string{}
	clients := n.takeCCM(c.Clients)
	if err := n.newCCM(); err != nil {
		n.close()
		return nil, err
	}
	if err := n.newCRM(); err != nil {
		n.close()
		return nil, err
	}
	if err := n.startMetrics(); err != nil {
		n.close()
		return nil, err
	}
	n.ipf.managed = managed
	n.clients = respawn.New(n.takeIPFail(clients), respawn.Options{
		Log:  func(l prio.Level, msg string) { n.log.Log(l, msg) },
		Wake: func() { n.loop.Wake() }, Env: env, Keepalive: c.Keepalive, Debug: lg.DebugLevel,
	})
	if err := n.startHelpers(); err != nil {
		n.close()
		return nil, err
	}
	n.drive()
	n.logLine = func(l master.LogLine) { n.log.Log(l.Prio, string(l.Text)) }
	n.api.flush.Init(func(int64) { n.flush() })
	n.wdTick.Init(func(int64) {
		// Heartbeat tickles each time it processes its own status, that
		// is once a keepalive while its loop runs; so does this timer.
		n.watchdog.Tickle()
		n.loop.After(&n.wdTick, c.Keepalive)
	})
	n.loadTick.Init(func(int64) { n.readLoad() })
	return n, nil
}

// confDir is heartbeat's HA_DIR: harc, rc.d, resource.d, ha.cf.
func (n *Node) confDir() string { return cmp.Or(n.opt.ConfDir, n.cfg.Dir, "/etc/ha.d") }

// generation reads, increments and writes back the generation file, as
// heartbeat does on every start (hbgenmethod file), or takes the time.
func (n *Node) generation() (uint64, error) {
	wall := time.Now().Unix()
	var gen uint64
	var logs []master.LogLine
	if n.cfg.GenMethod == "time" {
		gen, logs = master.TimeGeneration(wall)
	} else {
		path := filepath.Join(n.opt.StateDir, "hb_generation")
		b, err := os.ReadFile(path)
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return 0, fmt.Errorf("generation: %w", err)
		}
		var write []byte
		gen, write, logs = master.NextGeneration(b, err == nil, wall)
		if err := statefile.WriteSync(path, write); err != nil {
			return 0, fmt.Errorf("generation: %w", err)
		}
	}
	for _, l := range logs {
		n.log.Log(l.Prio, string(l.Text))
	}
	return gen, nil
}

func (n *Node) logMediaLines(lines []media.Line) {
	for _, l := range lines {
		lv, _ := hblog.ParseLevel(l.Level.String())
		n.log.Log(lv, l.Msg)
	}
}

// Run runs the node until it has shut down (SIGTERM) or fails.
func (n *Node) Run() error {
	if err := n.loop.Signals(n.signal, syscall.SIGTERM, syscall.SIGINT, syscall.SIGUSR1, syscall.SIGUSR2, syscall.SIGHUP); err != nil {
		return err
	}
	// The first inputs are timers due at once, scheduled before the loop
	// runs: the loop's timers belong to its goroutine from then on.
	n.loop.Schedule(&n.loadTick, n.loop.Now())
	if n.cfg.Watchdog != "" {
		// Opened once the daemon runs, as heartbeat opens it after
		// forking its children.
		n.watchdog = watchdog.Open(n.cfg.Watchdog, watchdog.Options{
			Log:      func(l prio.Level, msg string) { n.log.Log(l, msg) },
			Deadtime: n.cfg.Deadtime,
		})
		n.loop.After(&n.wdTick, n.cfg.Keepalive)
	}
	startTimer := new(loop.Timer)
	startTimer.Init(func(int64) {
		// systemd (Type=notify) learns the daemon runs once its loop does.
		if err := sdnotify.Ready(); err != nil {
			n.log.Logf(hblog.Warn, "sd_notify: %v", err)
		}
		n.master.Start(n.now())
		if n.legacyMany > 0 {
			// Legacy nodes send no resource messages: after a restart
			// nobody can tell who took a group over.
			n.log.Logf(hblog.Warn, "hbd: auto_failback legacy with %d nodes: group ownership is not announced, a restarted node may start a group another node holds; use auto_failback on or off.", n.legacyMany)
		}
		n.flush()
	})
	n.loop.Schedule(startTimer, n.loop.Now())
	n.watchThreads()
	done := make(chan error, 1)
	go func() {
		if n.opt.Realtime && !n.loopParked {
			// SCHED_RR is per thread: pin this goroutine to its thread
			// before raising it, so the loop runs on that very thread.
			// The lock is never undone, so the thread dies with the loop
			// rather than serving other goroutines at realtime priority.
			runtime.LockOSThread()
			n.loopTid = syscall.Gettid() // for logLoopTiming, from the loop's first turn on
		}
		if n.opt.Realtime {
			n.realtime()
		}
		done <- n.loop.Run()
	}()
	err := <-done
	n.close()
	if n.err != nil {
		return n.err
	}
	if err == nil && n.restartReq {
		return ErrRestart
	}
	if err == nil && n.restart != nil {
		return &RestartError{State: *n.restart}
	}
	return err
}

// realtime puts the process under SCHED_RR and locks memory, as
// heartbeat's realtime directive does: every thread, since the loop's
// thread alone can be held up by the runtime's others (see
// sysio.SchedSetRRAll), and again when the runtime adds threads.
func (n *Node) realtime() {
	n.rtPrio = n.cfg.RTPrio
	if n.rtPrio == 0 {
		n.rtPrio, _ = sysio.SchedPriorityMin()
		n.rtPrio = fastRTPrio(n.rtPrio, n.cfg.Keepalive)
	}
	if err := sysio.SchedSetRR(n.rtPrio); err != nil {
		n.log.Logf(hblog.Warn, "Unable to set realtime priority: %v", err)
		return
	}
	n.rtThreads = -1
	n.realtimeThreads()
	if err := sysio.Mlockall(); err != nil {
		n.log.Logf(hblog.Warn, "Unable to lock memory: %v", err)
	}
}

// realtimeThreads raises the threads the runtime started since the last
// call (new threads start in the normal class: reset on fork).
func (n *Node) realtimeThreads() {
	if n.rtThreads == 0 {
		return // realtime off, or refused
	}
	if n.procStat == nil {
		n.procStat, _ = os.Open("/proc/self/stat")
	}
	k := 0
	if n.procStat != nil {
		k = sysio.Threads(n.procStat, n.statBuf[:])
	}
	if k == n.rtThreads {
		return
	}
	if _, err := sysio.SchedSetRRAll(n.rtPrio); err != nil {
		n.log.Logf(hblog.Warn, "Unable to set realtime priority of all threads: %v", err)
		n.rtThreads = 0
		return
	}
	n.rtThreads = k
	// The loop's own thread (this one: realtimeThreads runs in the loop)
	// one step above the rest: a runtime thread of ours, or of another
	// realtime daemon on this CPU (a GC worker, say), must not hold the
	// loop off for its whole round-robin slice. Measured: loop stalls of
	// 10–34 ms at keepalive 5 ms with every thread at one priority.
	if n.loopParked {
		return // the loop has no thread of its own to raise
	}
	if max, err := sysio.SchedPriorityMax(); err == nil && n.rtPrio < max {
		if err := sysio.SchedSetRR(n.rtPrio + 1); err != nil {
			n.log.Logf(hblog.Warn, "Unable to raise the loop's realtime priority: %v", err)
		}
	}
}

func (n *Node) now() master.Time {
	return master.Time{Mono: n.loop.Now(), Wall: time.Now().Unix()}
}

// maxRecvBatches bounds the batches one turn of the loop reads from a
// medium: under a flood the socket never drains, and a loop that read
// until it did would never get back to its timers (the master's deadline
// checks among them).
const maxRecvBatches = 8

// receive reads one medium and hands every datagram to the master, until
// it is drained or maxRecvBatches were read; then it comes back through a
// timer due at once, after the loop's other due work (i is the medium's
// index in n.media).
func (n *Node) receive(m media.Medium, i int) {
	drained := false
	for range maxRecvBatches {
		k, err := m.Recv(n.batch)
		if err != nil {
			n.log.Logf(hblog.Error, "%s %s: read: %v", m.Type(), m.Name(), err)
			drained = true
			break
		}
		if k == 0 {
			drained = true
			break
		}
		n.received.Add(uint64(k))
		t := n.now()
		for j := range k {
			n.receiveFiltered(m, n.batch.At(j), t)
		}
		if n.batch.Drained() {
			// A short read emptied the socket: no second call to hear
			// EAGAIN (one system call per datagram at idle).
			drained = true
			break
		}
	}
	if !drained {
		// Due just after now: the loop fires it on its next turn, after
		// waiting for nothing, not within this turn's timers.
		n.loop.Schedule(&n.recvMore[i], n.loop.Now()+1)
	}
	n.flush()
}

// flush carries out what the master, and the ownership layer above it,
// decided: packets to the media, log lines to the logger (in the order
// they were made), events to their consumers, resource work and fencing,
// and each layer's next deadline to the loop.
func (n *Node) flush() {
	rd := n.master.Ready()
	var ord *own.Ready
	var ownLogs []master.LogLine
	if n.own != nil {
		ord = n.own.Ready()
		ownLogs = ord.Logs
	}
	for i := range rd.Packets {
		p := &rd.Packets[i] // not a copy: fan.pkt must not move it to the heap
		if p.Medium == master.AllMedia {
			n.fan.pkt = p
			n.fan.out.Send(n.fan.pick, n.fan.fail)
			n.fan.pkt = nil
		} else if p.Medium >= 0 && p.Medium < len(n.media) {
			n.send(n.media[p.Medium], packetFor(n.media[p.Medium], p))
		}
	}
	layer.MergeLogs(n.logLine, rd.Logs, ownLogs)
	for i := range rd.Events {
		n.dispatch(&rd.Events[i])
	}
	if ord != nil {
		for _, fn := range n.drv.ownOutput {
			fn(ord)
		}
	}
	n.flushCCM()
	n.flushCRM()
	n.metricsFlush()
	done := rd.Done || n.restartReq
	n.master.Advance()
	pending := n.master.HasReady() || n.ccm.c != nil && n.ccm.c.HasReady()
	if n.own != nil {
		n.own.Advance()
		pending = pending || n.own.HasReady()
	}
	n.armLayers()
	if pending && !n.drv.turn.Pending() {
		// A consumer gave a layer an input during this flush: its
		// output waits for the next turn.
		n.loop.Schedule(&n.drv.turn, n.loop.Now())
	}
	if done && !n.finishing {
		// Heartbeat's shutdown phase 0: the respawned clients go, one at
		// a time in reverse order, then the daemon.
		n.finishing = true
		n.clients.Stop(func() {
			n.log.Logf(hblog.Info, "%s Heartbeat shutdown complete.", n.cfg.LocalNode)
			n.loop.Stop()
		})
	}
}

// schedule sets t to fire at deadline, or stops it (0: nothing pending).
func schedule(l *loop.Loop, t *loop.Timer, deadline int64) {
	if deadline > 0 {
		l.Schedule(t, deadline)
	} else {
		l.StopTimer(t)
	}
}

// holding is what cl_status rscstatus reports: the ownership layer's
// holdings, "none" without resources.
func (n *Node) holding() string {
	if n.own == nil {
		return "none"
	}
	return n.own.Holding()
}

// packetFor picks the form of p a medium carries: the native one, when
// the master made it, on the datagram media; heartbeat's everywhere else
// (ping media build their echo from it, serial re-signs it as text).
func packetFor(m media.Medium, p *master.Packet) []byte {
	if p.Native != nil {
		switch m.Type() {
		case "bcast", "mcast", "ucast", "ucast6", "mcast6":
			return p.Native
		}
	}
	return p.Data
}

func (n *Node) send(m media.Medium, pkt []byte) {
	if err := m.Send(pkt); err != nil {
		n.sendFailed(m, err)
	}
}

// sendFailed logs a medium's failed write (a send alone or in a fan-out).
func (n *Node) sendFailed(m media.Medium, err error) {
	n.log.Logf(hblog.Error, "%s %s: write: %v", m.Type(), m.Name(), err)
}

// readLoad refreshes the "ld" field from /proc/loadavg. The file stays
// open: reading it again at offset 0 gives the current values without an
// open (and its allocations) every second.
func (n *Node) readLoad() {
	if n.loadavg == nil {
		n.loadavg, _ = os.Open("/proc/loadavg")
	}
	k := 0
	if n.loadavg != nil {
		k, _ = n.loadavg.ReadAt(n.loadBuf[:cap(n.loadBuf)], 0)
	}
	n.master.SetLoad(n.loadBuf[:k]) // empty: heartbeat's "n/a"
	n.realtimeThreads()
	n.loop.After(&n.loadTick, loadEvery)
}

func (n *Node) signal(s os.Signal) {
	switch s {
	case syscall.SIGTERM, syscall.SIGINT:
		n.shutdown()
	case syscall.SIGUSR1:
		n.setDebug(n.log.DebugLevel() + 1)
	case syscall.SIGUSR2:
		n.setDebug(max(n.log.DebugLevel()-1, 0))
	case syscall.SIGHUP:
		n.reload()
	}
}

// Received returns how many datagrams the node has read from its media;
// safe from any goroutine.
func (n *Node) Received() uint64 { return n.received.Load() }

// Stop shuts the node down as SIGTERM does; it may be called from any
// goroutine. Run returns once the node has stopped.
func (n *Node) Stop() {
	n.stopReq.Store(true)
	n.loop.Wake()
}

func (n *Node) woken() {
	n.harc.reap()
	n.clients.Reap()
	n.reapHelpers()
	rscDone := n.reapResources()
	rscDone = n.pollLRM() || rscDone
	rscDone = n.pollCRM() || rscDone
	if n.reapFences() || rscDone {
		n.flush()
	}
	if n.stopReq.Load() {
		n.shutdown()
	}
}

func (n *Node) setDebug(level int) {
	n.log.SetDebug(level)
	n.log.Logf(hblog.Debug, "debug now set to %d [pid %d]", level, os.Getpid())
}

// shutdown stops the node as heartbeat does when it holds no resources:
// it tells its peers (shutdone), so they need not wait out the deadtime,
// and stops.
func (n *Node) shutdown() {
	if !n.stopping && n.crmShutdown() {
		return // the CRM moves this node's resources off first
	}
	if n.stopping {
		n.log.Log(hblog.Info, "Heartbeat shutdown already underway.")
		return
	}
	n.stopping = true
	n.logLoopTiming()
	n.harc.stop()
	n.clients.BeginShutdown()
	// Magic close before resources are released: a long release must
	// not reboot the node.
	n.watchdog.MagicClose()
	n.loop.StopTimer(&n.wdTick)
	sdnotify.Stopping()
	// The master logs "Heartbeat shutdown in progress." where heartbeat
	// does: after resource work under way has finished.
	n.stopCCM()
	t := n.now()
	n.master.Shutdown(t)
	n.flush()
}

// stalled is the loop's report that this process was not scheduled for a
// while. The master's deadlines are exact, so a long pause of our own
// could make every peer look dead at once: say so in the log.
func (n *Node) stalled(d time.Duration) {
	n.log.Logf(hblog.Warn, "hbd: event loop stalled for %d ms", d.Milliseconds())
	// The master does not count our own pause against the peers.
	n.master.Paused(n.now(), d)
	n.flush()
}

func (n *Node) close() {
	n.watchdog.MagicClose()
	n.closeAPI()
	n.closeCCM()
	n.closeCIBIPC()
	n.closeHelpers()
	if n.stopMetrics != nil {
		n.stopMetrics()
	}
	n.closeLRM()
	if n.rsc != nil {
		n.rsc.Close()
	}
	n.closeFencer()
	if n.loop != nil {
		n.loop.Close()
	}
	media.CloseAll(n.media)
	n.closeFilter()
	if n.fifo != nil {
		n.fifo.Close()
	}
	if n.loadavg != nil {
		n.loadavg.Close()
	}
	if n.procStat != nil {
		n.procStat.Close()
	}
}

// countNormal counts the cluster's normal (not ping) nodes.
func countNormal(c *config.Config) int {
	k := 0
	for _, nd := range c.Nodes {
		if nd.Type == config.NormalNode {
			k++
		}
	}
	return k
}
