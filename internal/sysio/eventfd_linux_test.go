package sysio

import (
	"errors"
	"testing"
)

func TestEventfd(t *testing.T) {
	fd, err := Eventfd()
	if err != nil {
		t.Fatal(err)
	}
	defer Close(fd)
	if n, err := EventfdRead(fd); n != 0 || err != nil {
		t.Fatalf("EventfdRead on fresh eventfd = %d, %v, want 0, nil", n, err)
	}
	for range 3 {
		if err := EventfdWrite(fd); err != nil {
			t.Fatal(err)
		}
	}
	if n, err := EventfdRead(fd); n != 3 || err != nil {
		t.Fatalf("EventfdRead = %d, %v, want 3, nil", n, err)
	}
	if n, err := EventfdRead(fd); n != 0 || err != nil {
		t.Fatalf("EventfdRead after drain = %d, %v, want 0, nil", n, err)
	}
	noAllocs(t, "EventfdWrite+EventfdRead", func() {
		EventfdWrite(fd)
		EventfdRead(fd)
	})
}

func TestPipeReadWrite(t *testing.T) {
	r, w, err := Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer Close(r)
	defer Close(w)
	buf := make([]byte, 8)
	if _, err := Read(r, buf); !errors.Is(err, ErrWouldBlock) {
		t.Fatalf("Read on empty pipe: %v, want ErrWouldBlock", err)
	}
	if n, err := Write(w, []byte("hb")); n != 2 || err != nil {
		t.Fatalf("Write = %d, %v", n, err)
	}
	if n, err := Read(r, buf); n != 2 || err != nil || string(buf[:2]) != "hb" {
		t.Fatalf("Read = %d, %v, %q", n, err, buf[:n])
	}
	noAllocs(t, "Read would block", func() { Read(r, buf) })
	Close(w)
	if n, err := Read(r, buf); n != 0 || err != nil {
		t.Errorf("Read at EOF = %d, %v, want 0, nil", n, err)
	}
}

func BenchmarkEventfdWriteRead(b *testing.B) {
	fd, err := Eventfd()
	if err != nil {
		b.Fatal(err)
	}
	defer Close(fd)
	b.ReportAllocs()
	for b.Loop() {
		EventfdWrite(fd)
		EventfdRead(fd)
	}
}
