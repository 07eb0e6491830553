// The resilience policies: I/O-free state machines driven by an injected clock.
