"""csv_same.py A.csv B.csv [IGNORED_COLUMN...]: exit 0 when the two tables have the same header
and the same cells (except in the ignored columns), else print the first difference and exit 1."""
import csv
import sys


def main(a, b, ignored):
    with open(a, newline="") as f:
        ta = list(csv.reader(f))
    with open(b, newline="") as f:
        tb = list(csv.reader(f))
    if ta[0] != tb[0]:
        sys.exit("headers differ:\n  %s\n  %s" % (ta[0], tb[0]))
    if len(ta) != len(tb):
        sys.exit("%s has %d rows, %s has %d" % (a, len(ta) - 1, b, len(tb) - 1))
    skip = {ta[0].index(c) for c in ignored if c in ta[0]}
    for r, (ra, rb) in enumerate(zip(ta[1:], tb[1:]), 1):
        for c, (x, y) in enumerate(zip(ra, rb)):
            if c not in skip and x != y:
                sys.exit("row %d, column %s: %r in %s, %r in %s" % (r, ta[0][c], x, a, y, b))
    print("same: %d rows, %d columns compared" % (len(ta) - 1, len(ta[0]) - len(skip)))


if __name__ == "__main__":
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2], sys.argv[3:])
