"""A policy in SMT (z3), for the questions that need every request at once.

    space.py     the requests as SMT variables; a solver's model read back as a request
    calendar.py  day numbers and their year, month and day, as the evaluator counts them
    encode.py    conditions (definitely true, definitely false, else unknown) and exact values
    decide.py    the order of decision: each way a decision can go, and when each rule is reached
    solve.py     questions with a time bound: a request found, none possible, or out of time
    lint.py      `policyc check`'s W901-W905
    impact.py    `policyc diff`'s proof of which requests a revision decides differently
    suggest.py   `policyc test --suggest`'s cases, and the coverage no case can reach

Every request the solver finds is decided by the generated evaluator and the interpreter
before it is shown; every "none" is a proof, within the bound on history length that the
answer states. Only these tools import z3: the generated evaluators need the standard library.
"""
