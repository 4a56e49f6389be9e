"""Matching rounds as pure functions over plain values (no ORM, no I/O): the solvers of the
three objectives (solvers.py) and the quality report of a proposal (report.py).

Rows are mentees, columns mentors. `scores` is an n×m float matrix (NaN = no score),
`allowed` an n×m bool mask (False = blacklisted, excluded or otherwise forbidden),
`capacities` the free seats per mentor, `shortlists` each mentee's ranked column indices.
"""
