// Rule files: parsing, evaluation, action state machines.
