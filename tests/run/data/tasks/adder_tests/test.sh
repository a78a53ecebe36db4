#!/bin/sh
# The adder's test, mounted read-only: add.sh must print the sum of its two arguments.
[ "$(sh add.sh 2 3)" = "5" ] && [ "$(sh add.sh 10 -4)" = "6" ]
