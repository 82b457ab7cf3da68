// Command alpha is a command for the tests of Packages, given by its
// directory.
package main

import "fmt"

func main() {
	fmt.Println("alpha")
}
