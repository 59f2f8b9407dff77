package mapping

import (
	"fmt"
	"math/big"
	"slices"
	"strings"
	"unicode"

	"github.com/shopspring/decimal"
)

func kindOfField(order []*fkind, c *dcol) *fkind {
	for _, k := range order {
		if slices.Contains(k.fields, c) {
			return k
		}
	}
	return nil
}

func kindList(order []*fkind) string {
	var s []string
	for _, k := range order {
		s = append(s, fmt.Sprintf("%s ×%d", k.code, len(k.lines)))
	}
	return strings.Join(s, ", ")
}

func hasText(k *fkind) bool {
	for _, c := range k.fields {
		if hasLetters(c.f) && c.length > 12 {
			return true
		}
	}
	return false
}

func hasLetters(f *facts) bool {
	for _, v := range f.values {
		for _, r := range v {
			if unicode.IsLetter(r) {
				return true
			}
		}
	}
	return false
}

func hasDigits(f *facts) bool {
	for _, v := range f.values {
		if strings.ContainsAny(v, "0123456789") {
			return true
		}
	}
	return false
}

// isRateField reports a field of 4 digits whose values are VAT rates with 2 decimals.
func isRateField(c *dcol) bool {
	if c.length != 4 || !c.f.digits {
		return false
	}
	for _, v := range c.f.values {
		d, ok := numberOf(v, ',')
		if !ok || !vatRates[d.Shift(-2).String()] {
			return false
		}
	}
	return true
}

// signedDigits reports a field of zero-padded digits, possibly signed.
func signedDigits(c *dcol, k *fkind) bool {
	if c.length < 4 {
		return false
	}
	for _, v := range c.vals {
		v = strings.Trim(v, "+-")
		if !allDigits(v) {
			return false
		}
	}
	return true
}

// impliedDecimals finds the implied decimals of quantity q and price p: those for which, in
// every invoice, the lines (q × p, each rounded to the cent) add up to an amount (2 implied
// decimals) of another record of the invoice. When none does, it guesses 3 and 2 and says so.
func (w *draftWriter) impliedDecimals(order []*fkind, head, line *fkind, q, p *dcol) (int, int, string) {
	inv := func(row int) int { // the header in force
		n := -1
		for _, r := range head.rows {
			if r > row {
				break
			}
			n = r
		}
		return n
	}
	type prod struct {
		inv int
		raw *big.Int
	}
	var prods []prod
	for j, row := range line.rows {
		a, ok1 := bigOf(q.vals[j])
		b, ok2 := bigOf(p.vals[j])
		if !ok1 || !ok2 {
			return 3, 2, "a guess: the values are not all numbers; check them"
		}
		prods = append(prods, prod{inv(row), new(big.Int).Mul(a, b)})
	}
	for d := 0; d <= 8; d++ {
		sums := map[int]decimal.Decimal{}
		for _, pr := range prods {
			sums[pr.inv] = sums[pr.inv].Add(decimal.NewFromBigInt(pr.raw, int32(-d)).Round(2))
		}
		for _, k := range order {
			if k == line || k == head {
				continue
			}
			for _, c := range k.fields {
				if !signedDigits(c, k) || c.length < 6 {
					continue
				}
				match := len(sums) > 0
				for invRow, s := range sums {
					found := false
					for j, row := range k.rows {
						if t, ok := bigOf(c.vals[j]); ok && inv(row) == invRow && decimal.NewFromBigInt(t, -2).Equal(s) {
							found = true
						}
					}
					if !found {
						match = false
						break
					}
				}
				if match {
					dp := min(2, d)
					return d - dp, dp, fmt.Sprintf("with them, the lines of every invoice add up to field %s of record %s (2 decimals)", c.name, k.name)
				}
			}
		}
	}
	return 3, 2, "a guess: no amount of the other records equals the sum of the lines; check them"
}

func bigOf(v string) (*big.Int, bool) {
	neg := strings.HasPrefix(v, "-") || strings.HasSuffix(v, "-")
	v = strings.Trim(v, "+- ")
	n, ok := new(big.Int).SetString(v, 10)
	if ok && neg {
		n.Neg(n)
	}
	return n, ok
}
