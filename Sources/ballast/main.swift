import CommandLineSupport
import ArgumentParser

// Signals are blocked before any other thread exists, so every thread inherits the mask and
// only ProcessSignals' watcher receives SIGTERM, SIGINT or SIGHUP; until a command takes them
// over, SIGTERM and SIGINT end the process, whatever the command is reading.
ProcessSignals.prepare()
Ballast.main()
