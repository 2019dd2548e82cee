package wire

// ListIter walks the elements of a packed list ("3:abc,2:de,").
//
//	it := f.List()
//	for it.Next() {
//		use(it.Elem())
//	}
//	if err := it.Err(); err != nil { … }
type ListIter struct {
	rest []byte
	elem []byte
	err  error
}

// Next advances to the next element, reporting whether there is one.
func (it *ListIter) Next() bool {
	if it.err != nil || len(it.rest) == 0 {
		return false
	}
	elem, rest, err := splitListElem(it.rest)
	if err != nil {
		it.err = err
		return false
	}
	it.elem, it.rest = elem, rest
	return true
}

// Elem returns the current element, a view into the list.
func (it *ListIter) Elem() []byte { return it.elem }

// Err returns the first error met.
func (it *ListIter) Err() error { return it.err }

func splitListElem(b []byte) (elem, rest []byte, err error) {
	n, i, ok := parseLength(b)
	if !ok || i >= len(b) || b[i] != ':' {
		return nil, nil, errListSyntax
	}
	i++
	if n == 0 {
		return nil, nil, errListEmpty
	}
	if n > len(b)-i-1 || b[i+n] != ',' {
		return nil, nil, errListSyntax
	}
	return b[i : i+n], b[i+n+1:], nil
}

func validateList(b []byte) error {
	for len(b) > 0 {
		_, rest, err := splitListElem(b)
		if err != nil {
			return err
		}
		b = rest
	}
	return nil
}

// AppendList appends the packed form of elems to dst.
func AppendList(dst []byte, elems ...string) []byte {
	for _, e := range elems {
		dst = appendDecimal(dst, uint64(len(e)))
		dst = append(dst, ':')
		dst = append(dst, e...)
		dst = append(dst, ',')
	}
	return dst
}
