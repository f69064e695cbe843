package jsonframe

import "strings"

// Reading members of a JSON object known to be valid (decoded or
// flattened already), without decoding the rest of it.

// Member returns the raw value of the member of the JSON object obj whose
// key is key, compared without regard to case, or nil.
func Member(obj []byte, key string) []byte {
	var found []byte
	EachMember(obj, func(k, v []byte) bool {
		if EqualFold(k, key) {
			found = v
			return false
		}
		return true
	})
	return found
}

// EachMember calls fn with the raw key (without quotes) and value of each
// member of the JSON object obj, in order, until fn returns false. obj must
// be valid JSON.
func EachMember(obj []byte, fn func(key, value []byte) bool) {
	i := skipJSONSpace(obj, 0)
	if i >= len(obj) || obj[i] != '{' {
		return
	}
	i++
	for {
		i = skipJSONSpace(obj, i)
		if i >= len(obj) || obj[i] != '"' {
			return
		}
		start := i + 1
		i = skipValue(obj, i)
		key := obj[start : i-1]
		i = skipJSONSpace(obj, i) + 1 // ':'
		i = skipJSONSpace(obj, i)
		start = i
		i = skipValue(obj, i)
		if !fn(key, obj[start:i]) {
			return
		}
		i = skipJSONSpace(obj, i)
		if i >= len(obj) || obj[i] != ',' {
			return
		}
		i++
	}
}

func skipJSONSpace(b []byte, i int) int {
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

// EqualFold reports whether the raw key b is s, without regard to case.
func EqualFold(b []byte, s string) bool {
	return len(b) == len(s) && strings.EqualFold(string(b), s)
}

// EachElement calls fn with each element of the JSON array arr, in order,
// until fn returns false. arr must be valid JSON.
func EachElement(arr []byte, fn func(value []byte) bool) {
	i := skipJSONSpace(arr, 0)
	if i >= len(arr) || arr[i] != '[' {
		return
	}
	for i++; ; i++ {
		i = skipJSONSpace(arr, i)
		if i >= len(arr) || arr[i] == ']' {
			return
		}
		end := skipValue(arr, i)
		if !fn(arr[i:end]) {
			return
		}
		i = skipJSONSpace(arr, end)
		if i >= len(arr) || arr[i] != ',' {
			return
		}
	}
}
