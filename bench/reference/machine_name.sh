#!/usr/bin/env bash
# This machine's CPU for result file names: the model name in lower case (frequency and "(R)" dropped)
# and fFAMILYmMODELsSTEPPING, which tell apart CPUs a VM names alike (a Zen 4 and a Zen 5 are both "AMD EPYC").
cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1 | tr 'A-Z' 'a-z' | sed 's/([^)]*)//g; s/ *cpu *@.*//; s/@.*//; s/[^a-z0-9]\+/-/g; s/^-//; s/-$//')
cpuid=$(awk -F: '/^cpu family/ {f=$2} /^model[ \t]+:/ {m=$2} /^stepping/ {s=$2} /^$/ {exit}
    END {gsub(/ /, "", f); gsub(/ /, "", m); gsub(/ /, "", s); if (f != "") printf "f%sm%ss%s", f, m, s}' /proc/cpuinfo)
echo "$cpu${cpuid:+-$cpuid}"
