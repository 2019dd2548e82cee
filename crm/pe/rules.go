package pe

import (
	"strconv"
	"strings"
	"time"
)

// evalRule evaluates a rule for a node (nil: no node attributes, as for
// option sets). Date expressions use c.Now.
func (c *Cluster) evalRule(rule *Element, n *Node) bool {
	rule = c.deref(rule)
	var attrs map[string]string
	if n != nil {
		attrs = c.ruleAttrs(n)
	}
	return c.evalRuleAttrs(rule, attrs)
}

func (c *Cluster) evalRuleAttrs(rule *Element, attrs map[string]string) bool {
	or := strings.EqualFold(rule.Get("boolean-op"), "or")
	any := false
	for _, e := range rule.Children {
		e = c.deref(e)
		var ok bool
		switch e.Name {
		case "expression":
			ok = evalExpr(e, attrs)
		case "date_expression":
			ok = c.evalDate(e)
		case "rule":
			ok = c.evalRuleAttrs(e, attrs)
		default:
			continue
		}
		any = true
		if or && ok {
			return true
		}
		if !or && !ok {
			return false
		}
	}
	if or {
		return !any // an empty "or" rule passes, as an empty "and" does
	}
	return true
}

func evalExpr(e *Element, attrs map[string]string) bool {
	attr := e.Get("attribute")
	op := strings.ToLower(e.Get("operation"))
	value, hasValue := e.Lookup("value")
	typ, hasType := e.Lookup("type")
	h, hasH := attrs[attr]
	if src := e.Get("value-source"); src == "param" || src == "meta" {
		// Needs the resource's parameters: not in the core tier.
		return false
	}
	switch op {
	case "defined":
		return hasH
	case "not_defined":
		return !hasH
	}
	var lp, rp *string
	if hasH {
		lp = &h
	}
	if hasValue {
		rp = &value
	}
	var t *string
	if hasType {
		t = &typ
	}
	cmp := compareVals(lp, rp, t, op)
	switch op {
	case "eq":
		return cmp == 0
	case "ne":
		return cmp != 0
	}
	if lp == nil || rp == nil {
		return false
	}
	switch op {
	case "lt":
		return cmp < 0
	case "lte":
		return cmp <= 0
	case "gt":
		return cmp > 0
	case "gte":
		return cmp >= 0
	}
	return false
}

// compareVals compares as Pacemaker's compare_attr_expr_vals: the type
// given, else integer (or number when either has a '.') for ordering
// operators and string otherwise; a value that does not parse falls back to
// a case-insensitive string comparison.
func compareVals(l, r *string, typ *string, op string) int {
	if l == nil || r == nil {
		switch {
		case l == nil && r == nil:
			return 0
		case r == nil:
			return 1
		}
		return -1
	}
	t := ""
	if typ != nil {
		t = strings.ToLower(*typ)
	} else {
		switch op {
		case "lt", "lte", "gt", "gte":
			if strings.Contains(*l, ".") || strings.Contains(*r, ".") {
				t = "number"
			} else {
				t = "integer"
			}
		default:
			t = "string"
		}
	}
	switch t {
	case "integer":
		a, ok1 := leadingInt(strings.TrimLeft(*l, " \t"))
		b, ok2 := leadingInt(strings.TrimLeft(*r, " \t"))
		if ok1 && ok2 {
			return cmp3(a < b, a > b)
		}
	case "number":
		a, ok1 := leadingFloat(*l)
		b, ok2 := leadingFloat(*r)
		if ok1 && ok2 {
			return cmp3(a < b, a > b)
		}
	case "version":
		return compareVersion(*l, *r)
	default:
		if t != "string" {
			return 0
		}
	}
	return cmp3(strings.ToLower(*l) < strings.ToLower(*r), strings.ToLower(*l) > strings.ToLower(*r))
}

func cmp3(lt, gt bool) int {
	if lt {
		return -1
	}
	if gt {
		return 1
	}
	return 0
}

// leadingFloat parses the longest prefix strtod would.
func leadingFloat(s string) (float64, bool) {
	s = strings.TrimLeft(s, " \t")
	for end := len(s); end > 0; end-- {
		if f, err := strconv.ParseFloat(s[:end], 64); err == nil {
			return f, true
		}
	}
	return 0, false
}

func compareVersion(a, b string) int {
	as, bs := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < len(as) || i < len(bs); i++ {
		x, y := 0, 0
		if i < len(as) {
			x = atoiDef(as[i], 0)
		}
		if i < len(bs) {
			y = atoiDef(bs[i], 0)
		}
		if x != y {
			return cmp3(x < y, x > y)
		}
	}
	return 0
}

// evalDate evaluates a date_expression at c.Now (in_range, gt, lt; the
// date_spec form is not supported and fails).
func (c *Cluster) evalDate(e *Element) bool {
	now := c.Now
	parse := func(s string) (int64, bool) {
		for _, layout := range []string{"2006-01-02 15:04:05Z07:00", "2006-01-02 15:04:05", "2006-01-02T15:04:05Z07:00", "2006-01-02T15:04:05", "2006-01-02"} {
			if t, err := time.Parse(layout, s); err == nil {
				return t.Unix(), true
			}
		}
		return 0, false
	}
	start, hasStart := parse(e.Get("start"))
	end, hasEnd := parse(e.Get("end"))
	switch strings.ToLower(e.Get("operation")) {
	case "gt":
		return hasStart && now > start
	case "lt":
		return hasEnd && now < end
	case "in_range", "":
		if hasStart && now < start {
			return false
		}
		if hasEnd && now > end {
			return false
		}
		return hasStart || hasEnd
	}
	return false
}
