// Signals are blocked before any other thread exists, so every thread inherits the mask and
// only the thread that calls `sigwait` ever receives SIGTERM, SIGINT or SIGHUP.
ProcessSignals.prepare()
Ballast.main()
