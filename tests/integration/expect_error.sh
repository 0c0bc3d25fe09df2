#!/bin/sh
# Runs a command that must fail cleanly: exit code CODE (not a crash) and output matching REGEX.
#   usage: expect_error.sh CODE REGEX COMMAND [ARGS...]
code=$1
regex=$2
shift 2
out=$("$@" 2>&1)
rc=$?
printf '%s\n' "$out"
if [ "$rc" -ne "$code" ]; then
  echo "expect_error: exit code $rc, expected $code" >&2
  exit 1
fi
if ! printf '%s\n' "$out" | grep -Eq -- "$regex"; then
  echo "expect_error: no output line matches: $regex" >&2
  exit 1
fi
exit 0
