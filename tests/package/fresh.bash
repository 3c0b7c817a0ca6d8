# SPDX-License-Identifier: GPL-2.0
# fresh_deb: the path of the package deb.sh built (build/deb), made anew
# first when missing or older than a source file. Run from the tree's
# root with BUILD set.
fresh_deb() {
	local debs=("$BUILD"/deb/cgnat_*_amd64.deb)

	if [ ! -f "${debs[0]}" ] || [ -n "$(find . \( -path "./build*" -o -path ./.git \) \
		-prune -o -type f -newer "${debs[0]}" -print -quit)" ]; then
		make --no-print-directory BUILD="$BUILD" deb >/dev/null || return 1
		debs=("$BUILD"/deb/cgnat_*_amd64.deb)
	fi
	[ -f "${debs[0]}" ] && echo "${debs[0]}"
}
