// Command alpha has the same binary name as ../../alpha, which one go
// build cannot write into one directory.
package main

func main() {}
