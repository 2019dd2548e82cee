package pe

import (
	"strconv"
	"strings"
)

// AppendXML appends the graph as crm_simulate --save-graph writes it: a
// <transition_graph> of synapses, each with its action and its inputs.
func (g *Graph) AppendXML(dst []byte, transitionID int) []byte {
	dst = append(dst, `<transition_graph cluster-delay="60s" stonith-timeout="`...)
	dst = strconv.AppendInt(dst, int64(g.StonithTimeoutMS/1000), 10)
	dst = append(dst, `s" failed-stop-offset="INFINITY" failed-start-offset="INFINITY"`...)
	if g.BatchLimit > 0 {
		dst = append(dst, ` batch-limit="`...)
		dst = strconv.AppendInt(dst, int64(g.BatchLimit), 10)
		dst = append(dst, '"')
	}
	dst = append(dst, `  transition_id="`...)
	dst = strconv.AppendInt(dst, int64(transitionID), 10)
	dst = append(dst, "\">\n"...)
	for i, a := range g.Actions {
		dst = append(dst, `  <synapse id="`...)
		dst = strconv.AppendInt(dst, int64(i), 10)
		dst = append(dst, "\">\n    <action_set>\n"...)
		dst = a.appendElem(dst, "      ", true)
		dst = append(dst, "    </action_set>\n"...)
		if len(a.Inputs) == 0 {
			dst = append(dst, "    <inputs/>\n"...)
		} else {
			dst = append(dst, "    <inputs>\n"...)
			for _, in := range a.Inputs {
				dst = append(dst, "      <trigger>\n"...)
				dst = g.Actions[in].appendElem(dst, "        ", false)
				dst = append(dst, "      </trigger>\n"...)
			}
			dst = append(dst, "    </inputs>\n"...)
		}
		dst = append(dst, "  </synapse>\n"...)
	}
	return append(dst, "</transition_graph>\n"...)
}

func (a *GraphAction) elemName() string {
	switch a.Kind {
	case ActionPseudo:
		return "pseudo_event"
	case ActionCRM:
		return "crm_event"
	}
	return "rsc_op"
}

func appendAttr(dst []byte, name, val string) []byte {
	dst = append(dst, ' ')
	dst = append(dst, name...)
	dst = append(dst, `="`...)
	dst = appendEscaped(dst, val)
	return append(dst, '"')
}

func appendEscaped(dst []byte, s string) []byte {
	if !strings.ContainsAny(s, `<>&"'`) {
		return append(dst, s...)
	}
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '<':
			dst = append(dst, "&lt;"...)
		case '>':
			dst = append(dst, "&gt;"...)
		case '&':
			dst = append(dst, "&amp;"...)
		case '"':
			dst = append(dst, "&quot;"...)
		case '\'':
			dst = append(dst, "&apos;"...)
		default:
			dst = append(dst, s[i])
		}
	}
	return dst
}

// appendElem writes the action's element; full adds its resource and
// attributes (the action_set form), otherwise it is a trigger's reference.
func (a *GraphAction) appendElem(dst []byte, indent string, full bool) []byte {
	dst = append(dst, indent...)
	dst = append(dst, '<')
	dst = append(dst, a.elemName()...)
	dst = appendAttr(dst, "id", strconv.Itoa(a.ID))
	dst = appendAttr(dst, "operation", a.Task)
	dst = appendAttr(dst, "operation_key", a.Key)
	if a.Node != "" {
		dst = appendAttr(dst, "on_node", a.Node)
		dst = appendAttr(dst, "on_node_uuid", a.NodeID)
	}
	if !full {
		return append(dst, "/>\n"...)
	}
	dst = append(dst, ">\n"...)
	if a.Kind == ActionRsc {
		dst = append(dst, indent...)
		dst = append(dst, "  <primitive"...)
		dst = appendAttr(dst, "id", a.Rsc)
		dst = appendAttr(dst, "class", a.Class)
		if a.Provider != "" {
			dst = appendAttr(dst, "provider", a.Provider)
		}
		dst = appendAttr(dst, "type", a.Type)
		dst = append(dst, "/>\n"...)
	}
	dst = append(dst, indent...)
	dst = append(dst, "  <attributes"...)
	if a.IntervalMS > 0 {
		dst = appendAttr(dst, "CRM_meta_interval", strconv.Itoa(a.IntervalMS))
		dst = appendAttr(dst, "CRM_meta_name", a.Task)
	}
	if a.Node != "" {
		dst = appendAttr(dst, "CRM_meta_on_node", a.Node)
		dst = appendAttr(dst, "CRM_meta_on_node_uuid", a.NodeID)
	}
	if a.TargetRC != 0 {
		dst = appendAttr(dst, "CRM_meta_op_target_rc", strconv.Itoa(a.TargetRC))
	}
	if a.Task == "stonith" {
		op := a.Key[strings.LastIndexByte(a.Key, '-')+1:]
		dst = appendAttr(dst, "CRM_meta_stonith_action", op)
	}
	dst = appendAttr(dst, "CRM_meta_timeout", strconv.Itoa(a.TimeoutMS))
	dst = append(dst, " />\n"...)
	dst = append(dst, indent...)
	dst = append(dst, "</"...)
	dst = append(dst, a.elemName()...)
	return append(dst, ">\n"...)
}
