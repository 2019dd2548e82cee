package metrics

import "testing"

func TestCCM(t *testing.T) {
	m := New("node1", testNodes, testLinks)
	m.CCM(3, 2, true) // before CCMEnable: ignored, no panic
	m.CCMEnable()
	serve(t, m)
	s := scrape(t, m)
	for _, name := range []string{"hbd_ccm_instance", "hbd_ccm_members", "hbd_ccm_quorum"} {
		if v := s.value(t, name); v != 0 {
			t.Errorf("%s = %v before any membership", name, v)
		}
	}
	m.CCM(4, 2, true)
	s = scrape(t, m)
	if i, k, q := s.value(t, "hbd_ccm_instance"), s.value(t, "hbd_ccm_members"), s.value(t, "hbd_ccm_quorum"); i != 4 || k != 2 || q != 1 {
		t.Errorf("instance %v members %v quorum %v, want 4 2 1", i, k, q)
	}
	m.CCM(5, 1, false)
	s = scrape(t, m)
	if q := s.value(t, "hbd_ccm_quorum"); q != 0 {
		t.Errorf("quorum %v after a membership without", q)
	}
}

func TestNoCCMSeriesWithoutCCM(t *testing.T) {
	s := scrape(t, newTest(t))
	if _, ok := s["hbd_ccm_instance"]; ok {
		t.Error("hbd_ccm_instance served without the built-in CCM")
	}
}
