#!/usr/bin/env bash
# Shell completion (ipckit completion, docs/cli.md "Completion"): the bash script, loaded into a
# real bash with bash-completion, completes subcommands, options, fixed values and live objects
# made by this test (a channel, POSIX and System V shared memory, a POSIX semaphore, an
# abstract socket), for 30 command lines; the zsh and fish scripts parse. Every object is
# removed, even on failure.
set -euo pipefail
: "${IPCKIT:?set by ctest}"
fail() {
  echo "completion_bash: $*" >&2
  exit 1
}
work=$(mktemp -d "${TMPDIR:-/tmp}/ipckit-completion.XXXXXX")
tag="ipckit-comp-$$-$RANDOM"
key=$(printf '0x%08x' $(((RANDOM << 15 | RANDOM) + 0x10000000)))
listener=""
cleanup() {
  [ -z "$listener" ] || kill "$listener" 2>/dev/null || true
  [ -z "$listener" ] || wait "$listener" 2>/dev/null || true
  "$IPCKIT" chan rm "$tag" >/dev/null 2>&1 || true
  "$IPCKIT" shm rm "/$tag-shm" >/dev/null 2>&1 || true
  "$IPCKIT" shm rm "sysv:$key" >/dev/null 2>&1 || true
  "$IPCKIT" sem rm "/$tag-sem" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
# The scripts run `ipckit` from PATH, as an installed one would.
mkdir "$work/bin"
ln -s "$IPCKIT" "$work/bin/ipckit"
for tool in ipcs ipcmk ipcrm lsipc; do ln -s ipckit "$work/bin/$tool"; done
export PATH="$work/bin:$PATH"
"$IPCKIT" completion bash >"$work/ipckit.bash"
"$IPCKIT" completion zsh >"$work/_ipckit"
"$IPCKIT" completion fish >"$work/ipckit.fish"

# Live objects for the completer to find.
"$IPCKIT" chan create "$tag" --capacity 4096 >/dev/null
"$IPCKIT" shm create "/$tag-shm" --size 4096 >/dev/null
"$IPCKIT" shm create "sysv:$key" --size 4096 >/dev/null
"$IPCKIT" sem create "/$tag-sem" >/dev/null
shmid=$("$IPCKIT" ls --type sysv-shm --key "$key" --json 2>/dev/null |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["objects"][0]["id"])')
"$IPCKIT" sock listen "@$tag" </dev/null >/dev/null 2>&1 &
listener=$!
for _ in $(seq 1 300); do
  grep -q " @$tag\$" /proc/net/unix && break
  sleep 0.1
done
grep -q " @$tag\$" /proc/net/unix || fail "the listener on @$tag did not come up"

# Candidates for LINE (the cursor at its end), one per line, sorted.
complete_line() {
  bash --norc --noprofile -c '
    if [ -f /usr/share/bash-completion/bash_completion ]; then
      source /usr/share/bash-completion/bash_completion
    fi
    source "$1"
    line=$2
    read -r -a COMP_WORDS <<<"$line"
    if [[ $line == *" " ]]; then COMP_WORDS+=(""); fi
    COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
    COMP_LINE=$line
    COMP_POINT=${#line}
    _ipckit "${COMP_WORDS[0]}" "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
    printf "%s\n" "${COMPREPLY[@]}"
  ' _ "$work/ipckit.bash" "$1" | sed '/^$/d' | sort
}
checked=0
expect_has() {  # expect_has LINE WORD...: each WORD is a candidate
  local line=$1 got
  shift
  got=$(complete_line "$line")
  for w in "$@"; do
    grep -qxF -- "$w" <<<"$got" || fail "'$line<TAB>' lacks '$w'; got: $(tr '\n' ' ' <<<"$got")"
  done
  checked=$((checked + 1))
}
expect_exactly() {  # expect_exactly LINE WORD...: the candidates are exactly these
  local line=$1 got want
  shift
  got=$(complete_line "$line")
  want=$(printf '%s\n' "$@" | sed '/^$/d' | sort)
  [ "$got" = "$want" ] || fail "'$line<TAB>' gave '$(tr '\n' ' ' <<<"$got")', not '$(tr '\n' ' ' <<<"$want")'"
  checked=$((checked + 1))
}

expect_has "ipckit " chan ls rm shm sem mq fifo sock fd ipcs ipcmk ipcrm lsipc handoff bench bridge tour completion
expect_exactly "ipckit ch" chan
expect_exactly "ipckit chan " create send recv stat rm
expect_has "ipckit chan send " "$tag"
expect_exactly "ipckit chan recv $tag" "$tag"
expect_exactly "ipckit chan stat ${tag%??}" "$tag"
expect_has "ipckit chan rm " "$tag"
expect_has "ipckit chan send --" --lines --chunk --progress --timeout --busy-poll --help
expect_exactly "ipckit chan send $tag " ""  # FILE: the shell's own file completion
expect_exactly "ipckit ls --type p" posix-shm posix-sem
expect_exactly "ipckit ls --type sysv-shm,ch" sysv-shm,channel
expect_has "ipckit ls -o " TYPE NAME HOLDERS STALE
expect_exactly "ipckit ls --output TYPE,NA" TYPE,NAME TYPE,NATTCH
expect_exactly "ipckit sock connect --type " stream dgram seqpacket
expect_exactly "ipckit sock connect @$tag" "@$tag"
expect_exactly "ipckit shm read /$tag-s" "/$tag-shm"
# Readline replaces only what follows the last ':' or '=' of the word: candidates start there.
expect_exactly "ipckit sem get /$tag-se" "/$tag-sem"
expect_has "ipckit sem rm " "/$tag-sem"
expect_has "ipckit shm stat sysv:" "$key"
expect_exactly "ipckit shm stat sysv:${key%??}" "$key"
expect_has "ipcrm -m " "$shmid"
expect_has "ipckit ipcrm --shmem-id " "$shmid"
expect_has "ipcrm -M " "$key"
expect_has "ipcs -i " "$shmid"
expect_exactly "ipcrm --all=" shm msg sem
expect_exactly "lsipc --time-format=i" iso
expect_exactly "lsipc --time-format " short full iso
expect_exactly "lsipc -o KEY,PE" KEY,PERMS
expect_has "lsipc --" --json --output --time-format --noheadings
expect_exactly "ipckit completion " bash zsh fish
echo "ok: $checked command lines complete as expected"

# The util-linux names get ipckit's completion only where they are links to ipckit.
registered() {  # registered PATH_DIRS: the names the script registers
  PATH=$1 bash --norc --noprofile -c 'source "$1"; complete -p | sed -n "s/.* -F _ipckit //p"' _ \
    "$work/ipckit.bash" | sort | tr '\n' ' '
}
[ "$(registered "$work/bin:$PATH")" = "ipckit ipcmk ipcrm ipcs lsipc " ] ||
  fail "with links to ipckit, the script registers: $(registered "$work/bin:$PATH")"
mkdir "$work/ulbin"
ln -s "$IPCKIT" "$work/ulbin/ipckit"
printf '#!/bin/sh\n' >"$work/ulbin/ipcs"
chmod +x "$work/ulbin/ipcs"
[ "$(registered "$work/ulbin:/usr/bin:/bin")" = "ipckit " ] ||
  fail "with util-linux's tools, the script registers: $(registered "$work/ulbin:/usr/bin:/bin")"
echo "ok: the drop-in names only where they are ipckit"

# zsh and fish: the scripts parse, and name the same completer.
zsh -n "$work/_ipckit" || fail "zsh cannot parse the zsh script"
fish --no-execute "$work/ipckit.fish" || fail "fish cannot parse the fish script"
for f in "$work/_ipckit" "$work/ipckit.fish"; do
  grep -q "ipckit completion complete" "$f" || fail "$f does not call the completer"
done
echo "ok: zsh and fish scripts parse"
# fish completes through the same completer (`complete -C` asks fish what Tab would offer).
fish_complete() {
  fish --no-config -c 'source $argv[1]; complete -C"$argv[2]"' "$work/ipckit.fish" "$1" |
    cut -f1 | sort | tr '\n' ' '
}
[ "$(fish_complete "ipckit chan rec")" = "recv " ] || fail "fish: chan rec -> $(fish_complete "ipckit chan rec")"
[ "$(fish_complete "ipckit chan stat $tag")" = "$tag " ] ||
  fail "fish: chan stat $tag -> $(fish_complete "ipckit chan stat $tag")"
[ "$(fish_complete "ipckit ls --type p")" = "posix-sem posix-shm " ] ||
  fail "fish: ls --type p -> $(fish_complete "ipckit ls --type p")"
echo "ok: fish completes the same candidates"
