# bash completion for lsrun: commands, options, operation ids, and the
# name= parameters of an operation (with the values of enumerated ones).
# Operations and parameters come from the operation table of the lsrun
# being completed, asked at completion time, so they are never stale.
# Needs nothing from the bash-completion package; installed where it
# looks (share/bash-completion/completions), or source it from ~/.bashrc.

# Runs a chunk in the lsrun being completed ($1); prints what it prints.
_lsrun_ask() {
  local lsrun=$1 code=$2
  [[ $lsrun == */* && -x $lsrun ]] || lsrun=lsrun
  "$lsrun" -e "$code" 2>/dev/null
}

_lsrun_ops() {
  _lsrun_ask "$1" 'for _, op in ipairs(require("livestation").ops.all()) do print(op.id) end'
}

# "name=" for every parameter of op $2 (dotted names reach into objects);
# "name=value" for each value of an enumerated one.
_lsrun_params() {
  [[ $2 =~ ^[A-Za-z0-9.]+$ ]] || return
  _lsrun_ask "$1" 'local op = require("livestation").ops.get("'"$2"'")
local function walk(params, prefix)
  for _, p in ipairs(params or {}) do
    local name = prefix .. p.name
    print(name .. "=")
    for _, v in ipairs(p.enum or {}) do print(name .. "=" .. tostring(v)) end
    if p.type == "boolean" then print(name .. "=true") print(name .. "=false") end
    if p.fields and p.type == "object" then walk(p.fields, name .. ".") end
  end
end
if op then walk(op.params, "") end'
}

_lsrun() {
  local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}
  local i cmd= cmd_at=0 w
  # the first word that is neither an option nor an option's argument
  for ((i = 1; i < COMP_CWORD; i++)); do
    w=${COMP_WORDS[i]}
    case $w in
      --speed|--state|--grace|--log|--log-format|--status) ((i++)) ;;
      -e) return ;;
      -*) ;;
      *) cmd=$w; cmd_at=$i; break ;;
    esac
  done
  COMPREPLY=()

  case $prev in
    --log) COMPREPLY=($(compgen -W "error warn info debug" -- "$cur")); return ;;
    --log-format) COMPREPLY=($(compgen -W "text json" -- "$cur")); return ;;
    --status) COMPREPLY=($(compgen -W "127.0.0.1:9101" -- "$cur")); return ;;
    --state) COMPREPLY=($(compgen -f -- "$cur")); return ;;
    --speed|--grace|--port|--host|--access-key|--secret-key|-e|--body) return ;;
  esac

  if [[ -z $cmd ]]; then
    if [[ $cur == -* ]]; then
      COMPREPLY=($(compgen -W "--emulator --speed --state --grace --dry-run --log --log-format --status -v -e
        --version --help" -- "$cur"))
    else
      COMPREPLY=($(compgen -W "call ops help jobs steps emulator" -- "$cur") $(compgen -f -- "$cur"))
    fi
    return
  fi

  case $cmd in
    call|help)
      if ((COMP_CWORD == cmd_at + 1)); then
        COMPREPLY=($(compgen -W "$(_lsrun_ops "$1")" -- "$cur"))
      elif [[ $cmd == call ]]; then
        local op=${COMP_WORDS[cmd_at+1]} word=$cur
        # '=' splits words for readline: "name" "=" "val" is one word to us
        if [[ $cur == = ]]; then
          word=$prev=; cur=
        elif [[ $prev == = ]]; then
          word=${COMP_WORDS[COMP_CWORD-2]}=$cur
        fi
        if [[ $word == -* ]]; then
          COMPREPLY=($(compgen -W "--body" -- "$word"))
          return
        fi
        local candidates
        candidates=$(_lsrun_params "$1" "$op")
        if [[ $word == *=* ]]; then
          # complete the value only: readline already has "name="
          local name=${word%%=*}
          COMPREPLY=($(compgen -W "$(printf '%s\n' "$candidates" | sed -n "s/^${name//./\\.}=\(..*\)$/\1/p")" \
            -- "${word#*=}"))
        else
          COMPREPLY=($(compgen -W "$(printf '%s\n' "$candidates" | grep '=$')" -- "$word"))
          compopt -o nospace 2>/dev/null
        fi
      fi
      ;;
    jobs|steps)
      COMPREPLY=($(compgen -W "--state --json" -- "$cur"))
      ;;
    emulator)
      COMPREPLY=($(compgen -W "--host --port --access-key --secret-key --speed --state
        --lenient-signature --strict --throttle --day-quota --seed --record --env --quiet --help" -- "$cur"))
      ;;
    *)
      # a script's own arguments
      COMPREPLY=($(compgen -f -- "$cur"))
      ;;
  esac
}

complete -F _lsrun lsrun ./lsrun
