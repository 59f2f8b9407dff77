package facturx

import (
	"bytes"
	"encoding/binary"
	"math"
)

// srgbProfile builds a small ICC v2 display profile of sRGB (IEC 61966-2-1): its D50-adapted
// primaries and white point, a 2.2 gamma approximating the sRGB transfer curve. PDF/A needs
// an output intent with an ICC profile for the device RGB colours of the page.
func srgbProfile() []byte {
	type tag struct {
		sig  string
		data []byte
	}
	xyz := func(x, y, z float64) []byte {
		b := make([]byte, 20)
		copy(b, "XYZ ")
		for i, v := range []float64{x, y, z} {
			binary.BigEndian.PutUint32(b[8+4*i:], uint32(int32(math.Round(v*65536))))
		}
		return b
	}
	curv := func() []byte {
		b := make([]byte, 14)
		copy(b, "curv")
		binary.BigEndian.PutUint32(b[8:], 1)
		binary.BigEndian.PutUint16(b[12:], 0x0233) // gamma 2.2 as u8Fixed8
		return b
	}
	text := func(s string) []byte {
		b := make([]byte, 8, 8+len(s)+1)
		copy(b, "text")
		return append(append(b, s...), 0)
	}
	desc := func(s string) []byte {
		var b bytes.Buffer
		b.WriteString("desc")
		b.Write(make([]byte, 4))
		binary.Write(&b, binary.BigEndian, uint32(len(s)+1))
		b.WriteString(s)
		b.WriteByte(0)
		b.Write(make([]byte, 4+4+2+1+67)) // no Unicode nor ScriptCode description
		return b.Bytes()
	}
	tags := []tag{
		{"desc", desc(srgbName)},
		{"cprt", text("No copyright, use freely")},
		{"wtpt", xyz(0.9642, 1.0, 0.8249)},
		{"rXYZ", xyz(0.4360747, 0.2225045, 0.0139322)},
		{"gXYZ", xyz(0.3850649, 0.7168786, 0.0971045)},
		{"bXYZ", xyz(0.1430804, 0.0606169, 0.7141733)},
		{"rTRC", curv()}, {"gTRC", curv()}, {"bTRC", curv()},
	}
	var data bytes.Buffer
	offsets := make([]int, len(tags))
	base := 128 + 4 + 12*len(tags)
	for i, t := range tags {
		offsets[i] = base + data.Len()
		data.Write(t.data)
		for data.Len()%4 != 0 {
			data.WriteByte(0)
		}
	}
	size := base + data.Len()
	out := make([]byte, base, size)
	binary.BigEndian.PutUint32(out[0:], uint32(size))
	binary.BigEndian.PutUint32(out[8:], 0x02100000) // version 2.1
	copy(out[12:], "mntr")
	copy(out[16:], "RGB ")
	copy(out[20:], "XYZ ")
	for i, v := range []uint16{2026, 1, 1, 0, 0, 0} {
		binary.BigEndian.PutUint16(out[24+2*i:], v)
	}
	copy(out[36:], "acsp")
	for i, v := range []float64{0.9642, 1.0, 0.8249} { // the PCS illuminant, D50
		binary.BigEndian.PutUint32(out[68+4*i:], uint32(int32(math.Round(v*65536))))
	}
	binary.BigEndian.PutUint32(out[128:], uint32(len(tags)))
	for i, t := range tags {
		e := out[132+12*i:]
		copy(e, t.sig)
		binary.BigEndian.PutUint32(e[4:], uint32(offsets[i]))
		binary.BigEndian.PutUint32(e[8:], uint32(len(t.data)))
	}
	return append(out, data.Bytes()...)
}

// srgbName names the profile and the output condition.
const srgbName = "sRGB IEC61966-2.1"
