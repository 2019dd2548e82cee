package pecase

import (
	"reflect"
	"testing"
)

// A summary in crm_simulate 2.1's layout: a clone list, a group, a
// promotable instance, a failed resource, an orphan, blocked and reasoned
// actions, a fence line.
const sample = `Current cluster status:
  * Node List:
    * Online: [ node1 node2 ]

  * Full List of Resources:
    * rsc1	(ocf:heartbeat:apache):	 FAILED node1

Transition Summary:
  * Fence (reboot) node3 'peer is no longer part of the cluster'
  * Recover    rsc1        (          node1 -> node2 )
  * Start      child:1     (                   node2 )  due to unrunnable x start (blocked)
  * Promote    ms:0        ( Unpromoted -> Promoted node1 )
  * Stop       g1a         (                   node1 )  due to node availability
  * Shutdown node2

Executing Cluster Transition:
  * Resource action: rsc1            stop on node1

Revised Cluster Status:
  * Node List:
    * Online: [ node1 node2 ]

  * Full List of Resources:
    * rsc1	(ocf:heartbeat:apache):	 Started node2
    * Clone Set: cl [child]:
      * Started: [ node1 ]
      * Stopped: [ node2 ]
    * Clone Set: msc [ms] (promotable):
      * Masters: [ node1 ]
      * Slaves: [ node2 ]
    * Resource Group: g1:
      * g1a	(ocf:heartbeat:Dummy):	 Stopped
      * g1b	(ocf:heartbeat:Dummy):	 FAILED Master node2 (blocked)
    * Clone Set: gcl [g2]:
      * Started: [ node1 node2 ]
    * old	(ocf:heartbeat:Dummy):	 Stopped (unmanaged) ORPHANED
`

func TestNormalize(t *testing.T) {
	got := Normalize(sample, map[string][]string{"g2": {"g2a", "g2b"}, "g1": {"g1a", "g1b"}}, false)
	want := []string{
		"place child Started node1",
		"place g1a Stopped -",
		"place g1b FAILED:Promoted node2",
		"place g2a Started node1",
		"place g2a Started node2",
		"place g2b Started node1",
		"place g2b Started node2",
		"place ms Promoted node1",
		"place ms Unpromoted node2",
		"place rsc1 Started node2",
		"fence reboot node3",
		"action Promote ms Unpromoted -> Promoted node1",
		"action Recover rsc1 node1 -> node2",
		"action Start child node2 blocked",
		"action Stop g1a node1",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Normalize:\n got %q\nwant %q", got, want)
	}
	if got := Normalize(sample, nil, true); len(got) != 8 {
		t.Errorf("placement only: %d lines, want 8 (the cloned group unexpanded): %q", len(got), got)
	}
}

func TestNormalizeLegacyLayout(t *testing.T) {
	// Pre-2.1 summaries have no "Full List of Resources" heading.
	old := "Revised cluster status:\nOnline: [ n1 ]\n\n rsc1\t(ocf:heartbeat:Dummy):\tStarted n1 \n Master/Slave Set: ms [p]\n     Masters: [ n1 ]\n"
	got := Normalize(old, nil, false)
	want := []string{"place p Promoted n1", "place rsc1 Started n1"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestGroups(t *testing.T) {
	cib := []byte(`<cib><configuration><resources>
<group id="g"><primitive id="a"/><primitive id="b"/></group>
<clone id="c"><group id="h"><primitive id="x"/></group></clone>
<primitive id="p"/></resources></configuration></cib>`)
	got := Groups(cib)
	want := map[string][]string{"g": {"a", "b"}, "h": {"x"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Groups = %v, want %v", got, want)
	}
}
