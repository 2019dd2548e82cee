package api

import (
	"errors"
	"slices"

	"github.com/hbd-ha/hbd/config"
)

// Sign-on refusals, in heartbeat's words: the text is what the client is
// told in the reply's info field.
var (
	ErrAnonMissing = errors.New("apiauth anon missing")
	ErrNoDefault   = errors.New("no default client auth")
	ErrNotAllowed  = errors.New("client failed authorization")
)

// Authorize applies heartbeat's apiauth rules: a casual client is checked
// against the "anon" entry; a named client against its own entry, else the
// "default" entry, else it is refused. An entry admits a client whose uid
// is in its uid list or whose gid is in its gid list (the peer's primary
// gid only, as cluster-glue's verify_creds checks); an entry with neither
// list admits everyone.
func Authorize(rules []config.APIAuth, client string, casual bool, uid, gid uint32) error {
	var rule *config.APIAuth
	if casual {
		if rule = findRule(rules, "anon"); rule == nil {
			return ErrAnonMissing
		}
	} else if rule = findRule(rules, client); rule == nil {
		if rule = findRule(rules, "default"); rule == nil {
			return ErrNoDefault
		}
	}
	if rule.UIDs == nil && rule.GIDs == nil {
		return nil
	}
	if slices.Contains(rule.UIDs, int(uid)) || slices.Contains(rule.GIDs, int(gid)) {
		return nil
	}
	return ErrNotAllowed
}

func findRule(rules []config.APIAuth, client string) *config.APIAuth {
	for i := range rules {
		if rules[i].Client == client {
			return &rules[i]
		}
	}
	return nil
}
