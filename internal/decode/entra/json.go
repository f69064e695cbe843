package entra

// Helpers to read members of a JSON object that is known to be valid (it
// has been flattened), without decoding the rest of it.

// member returns the raw value of the member of the JSON object obj whose
// key is key, compared without regard to case, or nil.
func member(obj []byte, key string) []byte {
	var found []byte
	eachMember(obj, func(k, v []byte) bool {
		if equalFold(k, key) {
			found = v
			return false
		}
		return true
	})
	return found
}

// eachMember calls fn with the raw key (without quotes) and value of each
// member of the JSON object obj, in order, until fn returns false. obj must
// be valid JSON.
func eachMember(obj []byte, fn func(key, value []byte) bool) {
	i := skipSpace(obj, 0)
	if i >= len(obj) || obj[i] != '{' {
		return
	}
	i++
	for {
		i = skipSpace(obj, i)
		if i >= len(obj) || obj[i] != '"' {
			return
		}
		start := i + 1
		i = skipValue(obj, i)
		key := obj[start : i-1]
		i = skipSpace(obj, i) + 1 // ':'
		i = skipSpace(obj, i)
		start = i
		i = skipValue(obj, i)
		if !fn(key, obj[start:i]) {
			return
		}
		i = skipSpace(obj, i)
		if i >= len(obj) || obj[i] != ',' {
			return
		}
		i++
	}
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\r' || b[i] == '\n') {
		i++
	}
	return i
}

// skipValue returns the index after the valid JSON value at b[i].
func skipValue(b []byte, i int) int {
	depth := 0
	for i < len(b) {
		switch b[i] {
		case '"':
			i++
			for i < len(b) && b[i] != '"' {
				if b[i] == '\\' {
					i++
				}
				i++
			}
		case '{', '[':
			depth++
		case '}', ']':
			if depth == 0 {
				return i
			}
			depth--
		case ',', ' ', '\t', '\r', '\n':
			if depth == 0 {
				return i
			}
		}
		i++
		if depth == 0 && (b[i-1] == '"' || b[i-1] == '}' || b[i-1] == ']') {
			return i
		}
	}
	return i
}
