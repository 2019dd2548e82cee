package pe

import "strings"

// Role is a resource's role, ordered as Pacemaker orders them (a higher
// role includes the lower ones: Promoted runs, Unpromoted runs).
type Role int

const (
	RoleUnknown Role = iota
	RoleStopped
	RoleStarted
	RoleUnpromoted
	RolePromoted
)

func (r Role) String() string {
	switch r {
	case RoleStopped:
		return "Stopped"
	case RoleStarted:
		return "Started"
	case RoleUnpromoted:
		return "Unpromoted"
	case RolePromoted:
		return "Promoted"
	}
	return "Unknown"
}

// parseRole reads a role name, the legacy Master/Slave included.
func parseRole(s string) (Role, bool) {
	switch strings.ToLower(s) {
	case "stopped":
		return RoleStopped, true
	case "started":
		return RoleStarted, true
	case "unpromoted", "slave":
		return RoleUnpromoted, true
	case "promoted", "master":
		return RolePromoted, true
	case "unknown":
		return RoleUnknown, true
	}
	return RoleUnknown, false
}

// Options are the cluster options (crm_config) the scheduler uses, with
// Pacemaker's defaults.
type Options struct {
	Symmetric           bool   // symmetric-cluster (true)
	StonithEnabled      bool   // stonith-enabled (true)
	StonithAction       string // stonith-action (reboot)
	NoQuorumPolicy      string // no-quorum-policy (stop)
	StartFailureIsFatal bool   // start-failure-is-fatal (true)
	StopAllResources    bool   // stop-all-resources (false)
	MaintenanceMode     bool   // maintenance-mode (false)
	StartupFencing      bool   // startup-fencing (true)
	StopOrphanResources bool   // stop-orphan-resources (true)
	PlacementStrategy   string // placement-strategy (default)
	HaveQuorum          bool   // the cib element's have-quorum
	DC                  string // the cib element's dc-uuid
}

// Node is a cluster node and its state.
type Node struct {
	ID    string
	Name  string // uname
	Index int    // position in Cluster.Nodes (CIB order)
	Attrs map[string]string

	Online      bool
	Standby     bool
	Pending     bool
	Unclean     bool
	Shutdown    bool
	Maintenance bool
	ExpectedUp  bool
	Unseen      bool // no node_state at all

	fenceReason  string
	numResources int // resources assigned so far (a tie-break)
}

// available reports whether the node can host resources at all (Pacemaker's
// pcmk__node_available without the score).
func (n *Node) available() bool {
	return n != nil && n.Online && !n.Shutdown && !n.Unclean && !n.Standby && !n.Maintenance
}

// Kind is a resource variant.
type Kind int

const (
	KindPrimitive Kind = iota
	KindGroup
	KindClone
)

// Op is a configured operation.
type Op struct {
	Name       string
	IntervalMS int
	OnFail     string
	Role       Role
}

// Resource is a configured resource (or a clone instance) and its state.
type Resource struct {
	ID       string
	Kind     Kind
	Class    string
	Provider string
	Type     string
	Parent   *Resource
	Children []*Resource
	Meta     map[string]string
	Params   map[string]string
	Ops      []Op
	elem     *Element

	Priority           int
	Stickiness         int
	MigrationThreshold int
	FailureTimeout     int  // seconds, 0 = never
	failureTimeoutOff  bool // dropped after a failure blocked by on-fail=block
	TargetRole         Role
	Managed            bool
	Orphan             bool

	// clone settings
	Promotable      bool
	Unique          bool
	Interleave      bool
	Ordered         bool
	CloneMax        int
	CloneNodeMax    int
	PromotedMax     int
	PromotedNodeMax int
	cloneOf         *Resource // for an instance: the configured child it copies
	template        *Resource // for a clone: the configured child

	// state from the history
	Role       Role // current role (the highest on any node)
	RunningOn  []*Node
	nodeRole   map[*Node]Role
	Failed     bool
	Blocked    bool
	stopNeeded bool // pe_rsc_stop: a failure needs a stop
	knownOn    map[*Node]bool
	tbl        nodeTable // node scores while scheduling (sched.table)
	failedOn   map[*Node]bool
	pending    bool

	// scheduling
	NextRole    Role
	allowed     []int // score per node index
	has         []bool
	provisional bool
	allocating  bool
	Assigned    *Node
	assignedW   int           // its score on Assigned when assigned
	histName    string        // the id its history uses (an anonymous instance's may lack the :N)
	thisWith    []*Colocation // colocations where this is the dependent
	withThis    []*Colocation // colocations where this is the primary
	actions     *rscActions
}

// isClone reports whether r is a clone.
func (r *Resource) isClone() bool { return r.Kind == KindClone }

// top returns the outermost parent.
func (r *Resource) top() *Resource {
	for r.Parent != nil {
		r = r.Parent
	}
	return r
}

// inClone returns the clone r belongs to (itself included), or nil.
func (r *Resource) inClone() *Resource {
	for x := r; x != nil; x = x.Parent {
		if x.Kind == KindClone {
			return x
		}
	}
	return nil
}

// primitives appends every primitive at or under r.
func (r *Resource) primitives(out []*Resource) []*Resource {
	if r.Kind == KindPrimitive {
		return append(out, r)
	}
	for _, c := range r.Children {
		out = c.primitives(out)
	}
	return out
}

// current returns the node r runs on when it runs on exactly one.
func (r *Resource) current() *Node {
	if len(r.RunningOn) == 1 {
		return r.RunningOn[0]
	}
	return nil
}

// Colocation is an rsc_colocation (or an implicit one, such as a group's).
type Colocation struct {
	ID            string
	Dependent     *Resource
	Primary       *Resource
	Score         int
	DependentRole Role
	PrimaryRole   Role
	NodeAttr      string
	Influence     bool
}

// OrderKind is an ordering's strength.
type OrderKind int

const (
	OrderMandatory OrderKind = iota
	OrderOptional
	OrderSerialize
)

// Order is an rsc_order (or an implicit one).
type Order struct {
	ID          string
	First       *Resource
	Then        *Resource
	FirstAction string
	ThenAction  string
	Kind        OrderKind
	Symmetrical bool
}

// Location is an rsc_location resolved against the nodes: a score per node.
type Location struct {
	ID     string
	Rsc    *Resource
	Role   Role
	Scores map[*Node]int
}

// Cluster is an unpacked CIB.
type Cluster struct {
	Options     Options
	Nodes       []*Node
	Resources   []*Resource // top-level, in assignment order
	byID        map[string]*Resource
	Colocations []*Colocation
	Orders      []*Order
	Locations   []*Location
	Now         int64 // seconds since the epoch
	Warnings    []string

	rscDefaults         map[string]string
	opDefaults          map[string]string
	nodeByName          map[string]*Node
	nodeByID            map[string]*Node
	haveStonith         bool
	fenced              []*Node
	idIndex             map[string]*Element
	orphans             []*Resource
	rscArena            []Resource // configured resources' storage (unpackResource)
	opArena             []Op
	cibOrder            []*Resource
	legacyStickiness    string
	hasLegacyStickiness bool
	legacyFailcounts    bool // crm_feature_set < 3.0.13: fail counts per resource, not per operation
	// allocation scores for crm_simulate -s (scores.go), nil unless asked
	scoreLog *scoreLog
}

// Resource returns a configured resource by id.
func (c *Cluster) Resource(id string) *Resource { return c.byID[id] }

// Node returns a node by name.
func (c *Cluster) Node(name string) *Node { return c.nodeByName[name] }

func (c *Cluster) warnf(format string, args ...any) {
	c.Warnings = append(c.Warnings, sprintf(format, args...))
}
