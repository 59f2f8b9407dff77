package mapping

import (
	"reflect"
	"testing"
)

// reset leaves an evaluation context, whatever it held, as a new one would be: a field
// added to evalCtx and not to reset fails here.
func TestEvalCtxResetIsNew(t *testing.T) {
	rn, res, tm, rec, el := &run{}, &Result{}, &term{}, &record{}, &xmlNode{}
	full := evalCtx{rn: &run{}, res: &Result{}, t: &term{}, rec: &record{}, el: &xmlNode{},
		org: origin{rec: &record{}, ref: &fieldRef{}, el: &xmlNode{}}, hasOrg: true, explain: true,
		steps: []string{"x"}, loadErr: "why", absent: true}
	v := reflect.ValueOf(full)
	for i := range v.NumField() {
		if v.Field(i).IsZero() {
			t.Fatalf("field %s is not set here: set it, and reset it in reset", v.Type().Field(i).Name)
		}
	}
	for _, c := range []evalCtx{full, {}} {
		c.reset(rn, res, tm, rec, el)
		want := evalCtx{rn: rn, res: res, t: tm, rec: rec, el: el, explain: rn.explain}
		if !reflect.DeepEqual(c, want) {
			t.Errorf("reset: %+v, want %+v", c, want)
		}
	}
}
