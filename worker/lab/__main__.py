"""`python -m worker.lab [--quick] [--only NAME]`.

Kept to two lines on purpose: spawn children (and forkserver's server) re-import the main module as
`__mp_main__`, so anything imported here at module level would be paid again by every one of them.
"""

if __name__ == "__main__":
    from worker.lab.cli import main

    raise SystemExit(main())
