// Package invoicetest holds helpers for tests that compare invoice models, so that the
// syntax packages judge a round trip by one and the same rule.
package invoicetest

import (
	"fmt"
	"reflect"

	"github.com/shopspring/decimal"

	"github.com/fluxgate/fluxgate/invoice"
)

var decimalType = reflect.TypeFor[decimal.Decimal]()

// Diff lists the differences between two models, one line each. Decimals compare by value
// (100 == 100.00), because a syntax may write a different scale than it read; a nil slice
// equals an empty one, because a writer cannot tell them apart; pointers must match in
// presence.
func Diff(a, b *invoice.Invoice) []string {
	var out []string
	diffValue("Invoice", reflect.ValueOf(a), reflect.ValueOf(b), &out)
	return out
}

func diffValue(path string, a, b reflect.Value, out *[]string) {
	if a.Type() == decimalType {
		x, y := a.Interface().(decimal.Decimal), b.Interface().(decimal.Decimal)
		if !x.Equal(y) {
			*out = append(*out, fmt.Sprintf("%s: %s != %s", path, x, y))
		}
		return
	}
	switch a.Kind() {
	case reflect.Pointer:
		if a.IsNil() || b.IsNil() {
			if a.IsNil() != b.IsNil() {
				*out = append(*out, fmt.Sprintf("%s: nil %v != nil %v", path, a.IsNil(), b.IsNil()))
			}
			return
		}
		diffValue(path, a.Elem(), b.Elem(), out)
	case reflect.Struct:
		for i := range a.NumField() {
			diffValue(path+"."+a.Type().Field(i).Name, a.Field(i), b.Field(i), out)
		}
	case reflect.Slice:
		if a.Len() != b.Len() {
			*out = append(*out, fmt.Sprintf("%s: len %d != %d", path, a.Len(), b.Len()))
			return
		}
		for i := range a.Len() {
			diffValue(fmt.Sprintf("%s[%d]", path, i), a.Index(i), b.Index(i), out)
		}
	default:
		if !reflect.DeepEqual(a.Interface(), b.Interface()) {
			*out = append(*out, fmt.Sprintf("%s: %#v != %#v", path, a.Interface(), b.Interface()))
		}
	}
}
