package schematron

// Static analysis of predicates: whether one may depend on the position of the item it
// filters.

// positional reports whether a predicate may depend on the position of the item it filters:
// anything but a comparison, a boolean operator or function, or a path of steps (whose value
// is a node set). Such predicates are evaluated on the whole candidate list.
func positional(preds []expr) bool {
	for _, p := range preds {
		if !boolean(p) || callsPosition(p) {
			return true
		}
	}
	return false
}

func boolean(e expr) bool {
	switch x := e.(type) {
	case exCmp, exAnd, exOr, exQuant:
		return true
	case exCall:
		switch x.name {
		case "not", "exists", "empty", "boolean", "contains", "starts-with", "ends-with", "matches", "true", "false":
			return true
		}
	case exStep:
		return true
	case exPath:
		_, isStep := x.steps[len(x.steps)-1].(exStep)
		return isStep
	}
	return false
}

// callsPosition reports whether e calls position() or last() outside nested predicates.
func callsPosition(e expr) bool {
	found := false
	var walk func(e expr)
	walk = func(e expr) {
		switch x := e.(type) {
		case exCall:
			if x.name == "position" || x.name == "last" {
				found = true
			}
			for _, a := range x.args {
				walk(a)
			}
		case exCmp:
			walk(x.l)
			walk(x.r)
		case exAnd:
			walk(x.l)
			walk(x.r)
		case exOr:
			walk(x.l)
			walk(x.r)
		case exArith:
			walk(x.l)
			walk(x.r)
		case exNeg:
			walk(x.e)
		case exSeq:
			for _, i := range x.items {
				walk(i)
			}
		case exIf:
			walk(x.cond)
			walk(x.then)
			walk(x.els)
		case exQuant:
			for _, i := range x.ins {
				walk(i)
			}
			walk(x.sat)
		case exFor:
			for _, i := range x.ins {
				walk(i)
			}
			walk(x.ret)
		case exUnion:
			walk(x.l)
			walk(x.r)
		case exFilter:
			walk(x.prim)
		case exPath:
			if !x.abs && len(x.steps) > 0 {
				walk(x.steps[0])
			}
		}
	}
	walk(e)
	return found
}
