package main

func printThroughput(results []seedResult, runs int) error { return nil }
func printMemory()                                       {}
func printBeaconDay(hosts int) error                     { return nil }
