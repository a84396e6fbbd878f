package ledger

import "testing"

func TestPercentilesAreNearestRank(t *testing.T) {
	cases := []struct {
		ms   []int64
		want Percentiles
	}{
		{nil, Percentiles{}},
		{[]int64{700}, Percentiles{700, 700, 700}},
		{[]int64{900, 100, 500, 300, 700}, Percentiles{500, 900, 900}},
		{func() []int64 {
			var s []int64
			for i := int64(1); i <= 200; i++ {
				s = append(s, i)
			}
			return s
		}(), Percentiles{100, 198, 200}},
	}
	for _, c := range cases {
		if got := PercentilesOf(c.ms); got != c.want {
			t.Errorf("PercentilesOf(%v) = %+v; want %+v", c.ms, got, c.want)
		}
	}
}
