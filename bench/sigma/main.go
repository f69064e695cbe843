// Command sigma measures Vigie's Sigma matcher against sigma-go.
package main

func main() {}
