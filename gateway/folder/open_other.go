//go:build !unix

package folder

// openNonblock is 0 where named pipes cannot sit in a folder as files (Windows).
const openNonblock = 0
