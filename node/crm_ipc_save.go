package node

import (
	"sync"

	"github.com/hbd-ha/hbd/crm/cib"
	"github.com/hbd-ha/hbd/internal/hblog"
)

// The CIB is written to disk off the loop, as Pacemaker's cib manager
// writes it from a child process: a save is three atomic replacements
// with their fsyncs (milliseconds on a disk), and every configuration
// change, a tool's among them, makes one. The loop serialises the CIB and
// its digest and hands them to one writer goroutine; saves that come
// while it writes coalesce into the newest, which it writes next. The
// writer's failure is logged from the loop (pollCRM).

type crmSaver struct {
	mu      sync.Mutex
	next    *crmSaveJob
	running bool
	err     error
	wg      sync.WaitGroup
}

type crmSaveJob struct {
	data []byte
	sig  string
}

// crmSaveAsync queues the CIB as it is now for writing.
func (n *Node) crmSaveAsync() {
	s := &n.crm
	job := &crmSaveJob{data: s.cib.Bytes(), sig: cib.Digest(s.cib.Root)}
	w := &s.saver
	w.mu.Lock()
	w.next = job
	start := !w.running
	w.running = true
	w.mu.Unlock()
	if start {
		w.wg.Add(1)
		go n.crmWriter()
	}
}

func (n *Node) crmWriter() {
	w := &n.crm.saver
	defer w.wg.Done()
	for {
		w.mu.Lock()
		job := w.next
		w.next = nil
		if job == nil {
			w.running = false
			w.mu.Unlock()
			return
		}
		w.mu.Unlock()
		if err := n.crm.dir.Save(job.data, job.sig); err != nil {
			w.mu.Lock()
			w.err = err
			w.mu.Unlock()
			n.loop.Wake()
		}
	}
}

// crmSaveError logs the writer's last failure, on the loop.
func (n *Node) crmSaveError() {
	w := &n.crm.saver
	w.mu.Lock()
	err := w.err
	w.err = nil
	w.mu.Unlock()
	if err != nil {
		n.log.Logf(hblog.Error, "crm: cannot write the CIB: %v", err)
	}
}

// crmSaveWait waits for the writes queued (the node stops).
func (n *Node) crmSaveWait() {
	n.crm.saver.wg.Wait()
	n.crmSaveError()
}
