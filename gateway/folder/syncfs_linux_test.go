package folder

import "testing"

// syncfs is trusted from Linux 5.8, the first to report write-back errors to it.
func TestKernelAtLeast(t *testing.T) {
	for release, want := range map[string]bool{
		"5.8.0": true, "5.7.19": false, "6.1.0-18-amd64": true, "5.10": true, "4.19.0": false,
		"6.18.44-fc-v1098": true, "5.8-rc1": true, "garbage": false, "": false, "5.x": false,
	} {
		if got := kernelAtLeast(release, 5, 8); got != want {
			t.Errorf("kernelAtLeast(%q, 5, 8) = %v, want %v", release, got, want)
		}
	}
}
