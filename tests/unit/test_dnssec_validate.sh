#!/usr/bin/env bash
# test_dnssec_validate.sh -- sign tests/unit/data/dnssec.zone with dns/dnssec (through
# dnssec_signzone) for each algorithm (13 ECDSA P-256, 15 Ed25519) and key scheme (CSK,
# KSK+ZSK), and check each signed zone with two independent validators: BIND's
# dnssec-verify (bind9-utils) and ldns-verify-zone (ldnsutils). Skips (77) without them.
#   test_dnssec_validate.sh SIGNZONE ZONEFILE
set -euo pipefail
signzone=$1
zone=$2
origin=example.test.
for tool in dnssec-verify ldns-verify-zone; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "SKIP: $tool not installed (scripts/setup installs bind9-utils and ldnsutils)"
		exit 77
	fi
done
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
fail=0
for alg in 13 15; do
	for keys in csk split; do
		out="$dir/signed-$alg-$keys.zone"
		"$signzone" -a "$alg" -k "$keys" -t 2 -o "$origin" "$zone" "$out"
		# A CSK has the SEP flag and signs everything: BIND wants -z ("any key may sign")
		# for it, or it reports a missing ZSK.
		zflag=()
		if [ "$keys" = csk ]; then
			zflag=(-z)
		fi
		if ! dnssec-verify -q "${zflag[@]}" -o "$origin" "$out" >"$dir/bind.log" 2>&1; then
			echo "FAIL: dnssec-verify, algorithm $alg, $keys"
			cat "$dir/bind.log"
			fail=1
		fi
		if ! ldns-verify-zone "$out" >"$dir/ldns.log" 2>&1; then
			echo "FAIL: ldns-verify-zone, algorithm $alg, $keys"
			cat "$dir/ldns.log"
			fail=1
		fi
		# What must be there: NSEC3 for the empty non-terminals, none for glue.
		nsec3=$(grep -c $'\tNSEC3\t' "$out" || true)
		if [ "$nsec3" -ne 20 ]; then
			echo "FAIL: $nsec3 NSEC3 records, expected 20 (algorithm $alg, $keys)"
			fail=1
		fi
		echo "ok: algorithm $alg, $keys ($nsec3 NSEC3)"
	done
done
exit $fail
