import CommandLineSupport
import ArgumentParser

// As in `ballast`: signals are blocked before any other thread exists (see ProcessSignals).
ProcessSignals.prepare()
BallastLab.main()
