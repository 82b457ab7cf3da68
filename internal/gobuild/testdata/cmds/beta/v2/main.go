// Command beta sits in a major-version directory: go build names its
// binary beta, not v2.
package main

import "fmt"

func main() {
	fmt.Println("beta")
}
